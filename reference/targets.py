"""The paper's published numbers that the reference trial must reproduce, as data.

Source: Jiang E, Qian K, Wang L, et al. Efficacy and safety of human umbilical cord-derived
mesenchymal stem cells versus placebo added to second-line therapy in patients with
steroid-refractory acute graft-versus-host disease. BMC Med 2024 (ChiCTR2000035740).
Each number below carries where in the paper it stands. The two misprints of Table 1 noted in
docs/protocol.md section 10 are entered as the counts (control gut 26/38; PP MSC grade II 19/32);
the percentages are not used.

The repository is self-contained: these are copies, not reads of the spec folder.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ARMS",
    "CONSORT",
    "CONTINUOUS_TARGETS",
    "GRADE_IV_STORIES",
    "POPULATION_SIZES",
    "RESPONSE_TARGETS",
    "TABLE1_COUNTS",
    "TEXT_TARGETS",
    "ContinuousTarget",
    "CountTarget",
    "ResponseTarget",
]

ARMS = ("MSC", "control")

#: ITT and per-protocol sizes (Table 1, "No. of patients").
POPULATION_SIZES = {
    ("ITT", "MSC"): 40,
    ("ITT", "control"): 38,
    ("PP", "MSC"): 32,
    ("PP", "control"): 30,
}


@dataclass(frozen=True)
class CountTarget:
    """A Table 1 categorical row: number of patients with ``attribute == level``."""

    attribute: str
    level: object
    itt_msc: int
    itt_control: int
    pp_msc: int
    pp_control: int
    source: str

    def value(self, population: str, arm: str) -> int:
        return {
            ("ITT", "MSC"): self.itt_msc,
            ("ITT", "control"): self.itt_control,
            ("PP", "MSC"): self.pp_msc,
            ("PP", "control"): self.pp_control,
        }[(population, arm)]


def _t1(attribute: str, level: object, a: int, b: int, c: int, d: int, row: str) -> CountTarget:
    return CountTarget(attribute, level, a, b, c, d, f"Table 1, {row}")


#: Table 1, every categorical row (ITT MSC, ITT control, PP MSC, PP control).
#: Organ involvement counts skin, liver and gut (upper and lower GI together are "gut").
TABLE1_COUNTS: tuple[CountTarget, ...] = (
    _t1("age_group", "<18", 2, 5, 2, 2, "Age < 18 years"),
    _t1("sex", "M", 25, 21, 20, 16, "Gender: Male"),
    _t1("disease", "AML", 14, 14, 12, 12, "Disease: AML"),
    _t1("disease", "MDS", 10, 9, 6, 8, "Disease: MDS"),
    _t1("disease", "ALL", 10, 13, 9, 8, "Disease: ALL"),
    _t1("disease", "CML", 1, 0, 1, 0, "Disease: CML"),
    _t1("disease", "NHL", 3, 0, 2, 0, "Disease: NHL"),
    _t1("disease", "MDS/MPN", 2, 2, 2, 2, "Disease: MDS/MPN"),
    _t1("conditioning", "Bu based", 33, 31, 25, 23, "Conditioning: Bu based"),
    _t1("conditioning", "TBI based", 6, 7, 6, 7, "Conditioning: TBI based"),
    _t1("conditioning", "Others", 1, 0, 1, 0, "Conditioning: Others"),
    _t1("donor_type", "Sibling", 14, 10, 12, 7, "Type of donor: Sibling"),
    _t1("donor_type", "Unrelated", 4, 2, 3, 2, "Type of donor: Unrelated"),
    _t1("donor_type", "Haplo", 22, 26, 17, 21, "Type of donor: Haplo"),
    _t1("stem_cell_source", "CB", 0, 1, 0, 1, "Stem cell source: CB"),
    _t1("stem_cell_source", "PBSC", 36, 33, 30, 29, "Stem cell source: PBSC"),
    _t1("stem_cell_source", "PBSC + BM", 4, 4, 2, 0, "Stem cell source: PBSC + BM"),
    _t1("cmv_serostatus", "D+/R+", 40, 38, 32, 30, "CMV serostatus: D+/R+"),
    _t1("cmv_serostatus", "D+/R-", 0, 0, 0, 0, "CMV serostatus: D+/R-"),
    _t1("cmv_serostatus", "D-/R+", 0, 0, 0, 0, "CMV serostatus: D-/R+"),
    _t1("cmv_serostatus", "D-/R-", 0, 0, 0, 0, "CMV serostatus: D-/R-"),
    _t1("ebv_serostatus", "D+/R+", 40, 38, 32, 30, "EBV serostatus: D+/R+"),
    _t1("ebv_serostatus", "D+/R-", 0, 0, 0, 0, "EBV serostatus: D+/R-"),
    _t1("ebv_serostatus", "D-/R+", 0, 0, 0, 0, "EBV serostatus: D-/R+"),
    _t1("ebv_serostatus", "D-/R-", 0, 0, 0, 0, "EBV serostatus: D-/R-"),
    _t1("prophylaxis", "MTX + CNI", 37, 34, 31, 28, "GVHD prophylaxis: MTX + CNI"),
    _t1("prophylaxis", "MTX excluded", 3, 4, 1, 2, "GVHD prophylaxis: MTX excluded"),
    _t1("sr_category", 1, 22, 24, 17, 22, "SR category: progression after 3 days"),
    _t1("sr_category", 2, 8, 7, 6, 3, "SR category: failure to improve after 7 days"),
    _t1("sr_category", 3, 3, 2, 3, 1, "SR category: failure to achieve CR after 14 days"),
    _t1("sr_category", 4, 7, 5, 6, 4, "SR category: failure during taper"),
    _t1("grade", 2, 21, 23, 19, 18, "aGVHD grade at baseline: II"),
    _t1("grade", 3, 16, 15, 10, 12, "aGVHD grade at baseline: III"),
    _t1("grade", 4, 3, 0, 3, 0, "aGVHD grade at baseline: IV"),
    _t1("organ", "skin", 19, 16, 16, 12, "organ involvement: Skin"),
    _t1("organ", "liver", 12, 7, 8, 4, "organ involvement: Liver"),
    _t1("organ", "gut", 26, 26, 21, 21, "organ involvement: Gut (control '69.4' is 26/38)"),
    _t1("n_organs", 1, 25, 29, 20, 24, "No. of involved organs: 1"),
    _t1("n_organs", 2, 13, 7, 11, 5, "No. of involved organs: 2"),
    _t1("n_organs", 3, 2, 2, 1, 1, "No. of involved organs: 3"),
    _t1("second_line_agent", "basiliximab", 34, 32, 28, 27, "Second-line agent: Basiliximab"),
    _t1("second_line_agent", "methotrexate", 4, 3, 3, 2, "Second-line agent: MTX"),
    _t1("second_line_agent", "mycophenolate mofetil", 1, 2, 0, 0, "Second-line agent: MMF"),
    _t1("second_line_agent", "tacrolimus", 1, 0, 1, 0, "Second-line agent: Tacrolimus"),
    _t1("second_line_agent", "sirolimus", 0, 1, 0, 1, "Second-line agent: Sirolimus"),
)


@dataclass(frozen=True)
class ContinuousTarget:
    """A Table 1 "median (range)" row for one arm and population."""

    variable: str
    population: str
    arm: str
    median: float
    low: float
    high: float
    source: str


def _c(variable: str, row: str, *values: tuple[float, float, float]) -> list[ContinuousTarget]:
    keys = [("ITT", "MSC"), ("ITT", "control"), ("PP", "MSC"), ("PP", "control")]
    return [
        ContinuousTarget(variable, pop, arm, m, lo, hi, f"Table 1, {row}, {pop} {arm}")
        for (pop, arm), (m, lo, hi) in zip(keys, values, strict=True)
    ]


#: Table 1 "median (range)" rows, in the order ITT MSC, ITT control, PP MSC, PP control.
CONTINUOUS_TARGETS: tuple[ContinuousTarget, ...] = tuple(
    _c("age", "Age, years", (37.5, 17, 62), (38.5, 13, 60), (37.5, 17, 62), (40.5, 13, 60))
    + _c(
        "cd34_dose",
        "CD34+ x 10^6/kg",
        (3.7, 1.5, 14.7),
        (4.2, 1.8, 17.0),
        (3.5, 2.0, 12.2),
        (4.1, 1.8, 15.4),
    )
    + _c(
        "onset_to_randomization_days",
        "aGVHD onset to randomization, days",
        (7, 3, 51),
        (7, 4, 62),
        (8, 3, 51),
        (6, 4, 34),
    )
    + _c(
        "baseline_steroid_mg",
        "Steroid dose at baseline, mg/day",
        (80, 10, 170),
        (80, 4, 170),
        (80, 10, 150),
        (80, 4, 170),
    )
)


@dataclass(frozen=True)
class ResponseTarget:
    """x/n responders per arm in one subgroup (Table 2 and the Results text)."""

    endpoint: str  # ORR_D28, ORR_D56, DCR, CR_D28
    population: str  # ITT or PP
    subgroup: str  # all, grade:II, grade:III-IV, grade:III, organ:skin, organs:1, ...
    msc_x: int
    msc_n: int
    control_x: int
    control_n: int
    source: str


def _r(endpoint: str, population: str, subgroup: str, a: int, b: int, c: int, d: int, src: str):
    return ResponseTarget(endpoint, population, subgroup, a, b, c, d, src)


_T2 = "Table 2"
#: Table 2 (ITT subgroups) and the per-protocol / grade III numbers of the Results text.
RESPONSE_TARGETS: tuple[ResponseTarget, ...] = (
    _r("ORR_D28", "ITT", "all", 24, 40, 19, 38, "Table 2; Results, Efficacy"),
    _r("ORR_D28", "ITT", "grade:II", 16, 21, 14, 23, _T2),
    _r("ORR_D28", "ITT", "grade:III-IV", 8, 19, 5, 15, _T2),
    _r("ORR_D28", "ITT", "organ:skin", 11, 19, 9, 16, _T2),
    _r("ORR_D28", "ITT", "organ:gut", 14, 26, 9, 26, _T2),
    _r("ORR_D28", "ITT", "organ:liver", 6, 12, 4, 7, _T2),
    _r("ORR_D28", "ITT", "organs:1", 17, 25, 16, 29, _T2),
    _r("ORR_D28", "ITT", "organs:>=2", 7, 15, 3, 9, _T2),
    _r("ORR_D28", "ITT", "steroid:dependence", 7, 7, 4, 5, _T2),
    _r("ORR_D28", "ITT", "steroid:resistance", 17, 33, 15, 33, _T2),
    _r("ORR_D56", "ITT", "all", 20, 40, 13, 38, "Table 2; Results, Efficacy"),
    _r("ORR_D56", "ITT", "grade:II", 13, 21, 10, 23, _T2),
    _r("ORR_D56", "ITT", "grade:III-IV", 7, 19, 3, 15, _T2),
    _r("ORR_D56", "ITT", "organ:skin", 9, 19, 7, 16, _T2),
    _r("ORR_D56", "ITT", "organ:gut", 10, 26, 5, 26, _T2),
    _r("ORR_D56", "ITT", "organ:liver", 6, 12, 1, 7, _T2),
    _r("ORR_D56", "ITT", "organs:1", 15, 25, 13, 29, _T2),
    _r("ORR_D56", "ITT", "organs:>=2", 5, 15, 0, 9, _T2),
    _r("ORR_D56", "ITT", "steroid:dependence", 7, 7, 2, 5, _T2),
    _r("ORR_D56", "ITT", "steroid:resistance", 13, 33, 11, 33, _T2),
    _r("DCR", "ITT", "all", 17, 40, 12, 38, "Table 2; Results, Efficacy"),
    _r("DCR", "ITT", "grade:II", 12, 21, 10, 23, _T2),
    _r("DCR", "ITT", "grade:III-IV", 5, 19, 2, 15, _T2),
    _r("DCR", "ITT", "organ:skin", 6, 19, 8, 16, _T2),
    _r("DCR", "ITT", "organ:gut", 8, 26, 3, 26, _T2),
    _r("DCR", "ITT", "organ:liver", 6, 12, 1, 7, _T2),
    _r("DCR", "ITT", "organs:1", 14, 25, 12, 29, _T2),
    _r("DCR", "ITT", "organs:>=2", 3, 15, 0, 9, _T2),
    _r("DCR", "ITT", "steroid:dependence", 7, 7, 2, 5, _T2),
    _r("DCR", "ITT", "steroid:resistance", 10, 33, 10, 33, _T2),
    _r("ORR_D28", "PP", "all", 23, 32, 14, 30, "Results, Efficacy (per-protocol)"),
    _r("CR_D28", "PP", "all", 18, 32, 10, 30, "Results, Efficacy (per-protocol)"),
    _r("ORR_D56", "PP", "all", 19, 32, 12, 30, "Results, Efficacy (per-protocol)"),
    _r("DCR", "PP", "all", 16, 32, 10, 30, "Results, Efficacy (per-protocol)"),
    _r("ORR_D28", "PP", "organ:gut", 14, 21, 7, 21, "Results, Efficacy (per-protocol, gut)"),
    _r("ORR_D28", "ITT", "grade:III", 6, 16, 5, 15, "Results, Efficacy (grade III)"),
)

#: CONSORT flow (Results, Patients). Withdrawals per arm are derived: 8 - 3 - 2 = 3 MSC and
#: 8 - 3 - 3 = 2 control (5 in all).
CONSORT = {
    "screened": 120,
    "randomized": {"MSC": 40, "control": 38},
    "safety_set": {"MSC": 40, "control": 38},
    "discontinued_before_d28": {"MSC": 8, "control": 8},
    "salvage_failure": {"MSC": 3, "control": 3},  # all grade III
    "consent_withdrawn": {"MSC": 3, "control": 2},
    "death": {"MSC": 2, "control": 3},
    "early_death_causes": {
        "MSC": ("septic shock", "septic shock"),
        "control": ("septic shock", "septic shock", "heart failure"),
    },
    "per_protocol": {"MSC": 32, "control": 30},
    "sources": "Results, Patients; Fig. 1",
}

#: Other numbers of the Abstract, Results and Discussion that the attribute table carries.
TEXT_TARGETS = {
    "salvage_itt": {"MSC": 11, "control": 15, "source": "Discussion (27.5% vs 39.5%)"},
    "salvage_pp": {"MSC": 8, "control": 13, "source": "Discussion (25.0% vs 43.3%)"},
    "ruxolitinib_salvage": {"MSC": 5, "control": 10, "source": "Discussion"},
    "msc_doses": {"median": 8, "low": 2, "high": 16, "source": "Results, Efficacy"},
    "msc_response_time": {"median": 14, "low": 5, "high": 22, "source": "Results, Efficacy"},
    "screening_window": ("2020-06-01", "2022-03-31", "Results, Patients"),
}

#: The three grade IV patients (Results, Efficacy): all MSC, all skin + gut, all per-protocol.
GRADE_IV_STORIES = (
    {"sr_type": "dependence", "response_d28": "CR", "story": "steroid dependence, CR at d28"},
    {
        "sr_type": "resistance",
        "response_d28": "PR",
        "response_d56": "PR",
        "story": "steroid resistance, PR at d28 and d56",
    },
    {
        "sr_type": "resistance",
        "response_d28": "PD",
        "death_day": 70,
        "death_cause": "pneumonia",
        "story": "steroid resistance, progressed within 2 days of MSC, died of pneumonia at d70",
    },
)
