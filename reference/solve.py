"""The patient-level attributes of the reference trial, solved as one integer program.

The paper publishes only aggregates. Patient-level categorical attributes that satisfy every
count-based number at once (Table 1 ITT and per-protocol, Table 2, the per-protocol results,
the CONSORT flow, salvage, doses, the grade IV stories) are found by a mixed-integer linear
program solved with HiGHS through ``scipy.optimize.milp``.

The model has two blocks, because the paper publishes no joint count between them:

1. **Baseline block** (sex, age < 18, disease, conditioning, donor, graft source, CMV/EBV,
   prophylaxis, second-line agent): binary ``x[i, attribute, level]``, one-hot per patient,
   for the 78 randomized patients ``i`` (``0..39`` MSC, ``40..77`` control). Patients are
   exchangeable within an arm, so per-protocol membership is fixed by index (the first 32 MSC
   and the first 30 control patients); every Table 1 count is then linear in ``x``.
2. **Disease-course block**: integer ``n[arm, profile]``, the number of patients of an arm
   with a given *profile* = (per-protocol, baseline grade, involved organs, SR category,
   disposition before d28, course of response (d28, d56, DCR), salvage timing, ruxolitinib).
   Table 2, the per-protocol results, the CONSORT flow and salvage need joint counts of these
   attributes; counting profiles keeps them linear (a per-patient formulation needs a product
   variable per patient and conjunction, and HiGHS found no feasible point of that symmetric
   program in minutes). The per-patient rules (a discontinued patient is NR, salvage before d28
   means NR, MAGIC grade III needs liver or gut ...) are the named filters ``PROFILE_RULES``
   that decide which profiles exist at all.

Every count constraint is built by a named function whose docstring cites its source, and each
row carries a name such as ``"Table 2, ORR_D28 ITT organ:gut / responders MSC"``. A small
seeded random objective (plus a preference for common disease courses) picks one solution among
the many; the solver runs without a time limit, so the result depends only on the seed. If the
program is infeasible, ``diagnose_infeasibility`` re-solves it with elastic slack on every
published count and names the rows that had to give.

Profiles are expanded to patients (seeded shuffle within arm x per-protocol group), giving the
categorical columns of the attribute table (``categorical_table``).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_array

from reference import targets as T

__all__ = [
    "BASELINE_ATTRIBUTES",
    "ORGAN_PATTERNS",
    "PROFILE_RULES",
    "TRAJECTORIES",
    "AttributeModel",
    "InfeasibleTargets",
    "Profile",
    "SolveResult",
    "Trajectory",
    "build_attribute_table",
    "build_model",
    "categorical_table",
    "solve_categorical",
]

N_MSC = T.POPULATION_SIZES[("ITT", "MSC")]
N_CONTROL = T.POPULATION_SIZES[("ITT", "control")]
N_PATIENTS = N_MSC + N_CONTROL
GROUP_SIZES = {
    (arm, pp): T.POPULATION_SIZES[("PP", arm)]
    if pp
    else T.POPULATION_SIZES[("ITT", arm)] - T.POPULATION_SIZES[("PP", arm)]
    for arm in T.ARMS
    for pp in (True, False)
}

#: Involved-organ patterns at baseline (upper and lower GI together are "gut", as in Table 1).
ORGAN_PATTERNS: tuple[frozenset[str], ...] = tuple(
    frozenset(p)
    for p in (
        {"skin"},
        {"liver"},
        {"gut"},
        {"skin", "liver"},
        {"skin", "gut"},
        {"liver", "gut"},
        {"skin", "liver", "gut"},
    )
)
SKIN_GUT = frozenset({"skin", "gut"})


@dataclass(frozen=True)
class Trajectory:
    """Response at d28, at d56 and durable CR, jointly: one realizable course of the disease.

    ``cost`` makes the solver prefer common courses; ``late_response`` marks courses whose first
    CR/PR comes after day 28 (control arm only: the MSC response time is 5-22 days).
    """

    r28: str
    r56: str
    dcr: bool
    cost: float
    late_response: bool = False

    @property
    def name(self) -> str:
        return f"{self.r28}/{self.r56}/{'DCR' if self.dcr else 'noDCR'}"


#: Allowed courses. CR at d28 and at d56 without DCR is left out (it needs two CRs each shorter
#: than 4 weeks). A DCR reached after d56 (CR from d57-d72 for 4 weeks) needs PR at d56.
TRAJECTORIES: tuple[Trajectory, ...] = (
    Trajectory("CR", "CR", True, 0.0),
    Trajectory("CR", "PR", False, 0.5),
    Trajectory("CR", "PR", True, 1.0),
    Trajectory("CR", "NR", False, 1.0),
    Trajectory("CR", "NR", True, 3.0),
    Trajectory("CR", "PD", False, 1.5),
    Trajectory("CR", "PD", True, 3.0),
    Trajectory("PR", "CR", True, 0.0),
    Trajectory("PR", "CR", False, 1.0),
    Trajectory("PR", "PR", False, 0.0),
    Trajectory("PR", "PR", True, 1.0),
    Trajectory("PR", "NR", False, 0.5),
    Trajectory("PR", "PD", False, 1.0),
    Trajectory("NR", "NR", False, 0.0),
    Trajectory("NR", "PD", False, 0.5),
    Trajectory("PD", "PD", False, 0.5),
    Trajectory("PD", "NR", False, 0.5),
    Trajectory("NR", "PR", False, 1.0, late_response=True),
    Trajectory("NR", "CR", True, 1.5, late_response=True),
    Trajectory("NR", "CR", False, 2.0, late_response=True),
    Trajectory("PD", "PR", False, 2.0, late_response=True),
)
TRAJECTORY = {t.name: t for t in TRAJECTORIES}
NR_NR = "NR/NR/noDCR"

#: Baseline block: one-hot per patient (Table 1 rows with no published joint counts).
BASELINE_ATTRIBUTES: dict[str, tuple[object, ...]] = {
    "sex": ("M", "F"),
    "age_group": ("<18", ">=18"),
    "disease": ("AML", "MDS", "ALL", "CML", "NHL", "MDS/MPN"),
    "conditioning": ("Bu based", "TBI based", "Others"),
    "donor_type": ("Sibling", "Unrelated", "Haplo"),
    "stem_cell_source": ("CB", "PBSC", "PBSC + BM"),
    "cmv_serostatus": ("D+/R+", "D+/R-", "D-/R+", "D-/R-"),
    "ebv_serostatus": ("D+/R+", "D+/R-", "D-/R+", "D-/R-"),
    "prophylaxis": ("MTX + CNI", "MTX excluded"),
    "second_line_agent": (
        "basiliximab",
        "methotrexate",
        "mycophenolate mofetil",
        "tacrolimus",
        "sirolimus",
    ),
}

#: Disease-course block: the attributes of a profile and their levels.
PROFILE_ATTRIBUTES: dict[str, tuple[object, ...]] = {
    "pp": (True, False),
    "grade": (2, 3, 4),
    "organs": ORGAN_PATTERNS,
    "sr_category": (1, 2, 3, 4),
    "disposition": ("on_study", "salvage_failure", "consent_withdrawn", "death"),
    "trajectory": tuple(t.name for t in TRAJECTORIES),
    "salvage": ("none", "before_d28", "d28_d56", "after_d56"),
    "ruxolitinib": (True, False),
}
OFF_STUDY = ("salvage_failure", "consent_withdrawn", "death")
SALVAGED = ("before_d28", "d28_d56", "after_d56")


@dataclass(frozen=True)
class Profile:
    """One combination of the disease-course attributes (see the module docstring)."""

    pp: bool
    grade: int
    organs: frozenset[str]
    sr_category: int
    disposition: str
    trajectory: str
    salvage: str
    ruxolitinib: bool

    @property
    def course(self) -> Trajectory:
        return TRAJECTORY[self.trajectory]

    def label(self) -> str:
        organs = "+".join(sorted(self.organs))
        return (
            f"pp={self.pp} g{self.grade} {organs} cat{self.sr_category} {self.disposition} "
            f"{self.trajectory} salvage={self.salvage} rux={self.ruxolitinib}"
        )


# ---------------------------------------------------------------------------------------------
# Per-patient rules: which profiles exist. Each is (name and source, predicate(profile, arm)).
# ---------------------------------------------------------------------------------------------


def _rule_discontinued_nr(p: Profile, arm: str) -> bool:
    return p.disposition == "on_study" or p.trajectory == NR_NR


def _rule_salvage_failure(p: Profile, arm: str) -> bool:
    return p.disposition != "salvage_failure" or (p.grade == 3 and p.salvage == "before_d28")


def _rule_no_salvage_withdrawn_dead(p: Profile, arm: str) -> bool:
    return p.disposition not in ("consent_withdrawn", "death") or p.salvage == "none"


def _rule_salvage_nr(p: Profile, arm: str) -> bool:
    t = p.course
    if p.salvage == "before_d28":
        return p.trajectory == NR_NR
    if p.salvage == "d28_d56":
        return t.r56 == "NR" and not t.dcr and t.r28 != "CR"
    if p.salvage == "after_d56":
        return t.r56 != "CR" and not t.dcr
    return True


def _rule_ruxolitinib(p: Profile, arm: str) -> bool:
    return not p.ruxolitinib or p.salvage in SALVAGED


def _rule_magic_grade(p: Profile, arm: str) -> bool:
    return p.grade != 3 or bool(p.organs & {"liver", "gut"})


def _rule_grade_iv(p: Profile, arm: str) -> bool:
    return p.grade != 4 or (
        arm == "MSC" and p.organs == SKIN_GUT and p.pp and p.disposition == "on_study"
    )


def _rule_pr_needs_stage2(p: Profile, arm: str) -> bool:
    # PR = every involved organ down >= 1 stage yet not all 0: some organ must be at stage >= 2.
    # Grade II without skin has only stage-1 organs (liver 1, upper or lower GI 1).
    t = p.course
    return not (p.grade == 2 and "skin" not in p.organs and "PR" in (t.r28, t.r56))


def _rule_msc_response_time(p: Profile, arm: str) -> bool:
    return arm != "MSC" or not p.course.late_response


PROFILE_RULES: tuple[tuple[str, Callable[[Profile, str], bool]], ...] = (
    (
        "discontinued before d28 -> NR at d28 and d56, no DCR (docs/protocol.md 5: death, salvage)",
        _rule_discontinued_nr,
    ),
    (
        "salvage-therapy failures were grade III and had salvage before d28 (Results, Patients)",
        _rule_salvage_failure,
    ),
    (
        "consent withdrawals and early deaths had no salvage (modelling choice)",
        _rule_no_salvage_withdrawn_dead,
    ),
    (
        "salvage -> NR from then on: before d28 NR at d28 and d56; d28-d56 NR at d56; no DCR "
        "(Methods, Procedures; docs/protocol.md 4-5)",
        _rule_salvage_nr,
    ),
    ("ruxolitinib only as salvage, never at baseline (Methods)", _rule_ruxolitinib),
    ("MAGIC: grade III needs liver or lower GI stage 2-3 (docs/protocol.md 1)", _rule_magic_grade),
    (
        "grade IV: MSC only, skin + gut, per-protocol, on study (Results, Efficacy)",
        _rule_grade_iv,
    ),
    (
        "PR needs an organ at stage >= 2 at baseline: no PR for grade II without skin "
        "(docs/protocol.md 1 and 5)",
        _rule_pr_needs_stage2,
    ),
    (
        "MSC response time 5-22 days: no MSC response first seen after d28 (Results, Efficacy)",
        _rule_msc_response_time,
    ),
)


def valid_profiles(arm: str) -> list[Profile]:
    """Every profile that passes all ``PROFILE_RULES`` for patients of ``arm``."""
    out = []
    for values in itertools.product(*PROFILE_ATTRIBUTES.values()):
        p = Profile(*values)  # type: ignore[arg-type]
        if all(rule(p, arm) for _, rule in PROFILE_RULES):
            out.append(p)
    return out


# ---------------------------------------------------------------------------------------------
# Conditions and counts
# ---------------------------------------------------------------------------------------------

Condition = dict[str, frozenset[object]]


def _traj(predicate: Callable[[Trajectory], bool]) -> frozenset[object]:
    return frozenset(t.name for t in TRAJECTORIES if predicate(t))


ENDPOINT_LEVELS = {
    "ORR_D28": _traj(lambda t: t.r28 in ("CR", "PR")),
    "CR_D28": _traj(lambda t: t.r28 == "CR"),
    "ORR_D56": _traj(lambda t: t.r56 in ("CR", "PR")),
    "DCR": _traj(lambda t: t.dcr),
}


def subgroup_condition(subgroup: str) -> Condition:
    """Table 2's subgroup codes as profile-attribute level sets."""
    if subgroup == "all":
        return {}
    kind, _, value = subgroup.partition(":")
    if kind == "grade":
        grades = {"II": {2}, "III": {3}, "III-IV": {3, 4}, "IV": {4}}[value]
        return {"grade": frozenset(grades)}
    if kind == "organ":
        return {"organs": frozenset(p for p in ORGAN_PATTERNS if value in p)}
    if kind == "organs":
        sizes = {"1": {1}, ">=2": {2, 3}, "2": {2}, "3": {3}}[value]
        return {"organs": frozenset(p for p in ORGAN_PATTERNS if len(p) in sizes)}
    if kind == "steroid":
        cats = {"dependence": {4}, "resistance": {1, 2, 3}}[value]
        return {"sr_category": frozenset(cats)}
    raise ValueError(f"unknown subgroup {subgroup!r}")


def table1_condition(attribute: str, level: object) -> Condition:
    """A Table 1 row as a level set (organ rows count the patterns that hold the organ)."""
    if attribute == "organ":
        return {"organs": frozenset(p for p in ORGAN_PATTERNS if level in p)}
    if attribute == "n_organs":
        return {"organs": frozenset(p for p in ORGAN_PATTERNS if len(p) == level)}
    return {attribute: frozenset([level])}


def arm_of(i: int) -> str:
    return "MSC" if i < N_MSC else "control"


def patients_of(arm: str, population: str = "ITT") -> range:
    """Indices of an arm's patients; per-protocol patients come first (fixed by index)."""
    first = 0 if arm == "MSC" else N_MSC
    n = T.POPULATION_SIZES[(population, arm)]
    return range(first, first + n)


def in_pp(i: int) -> bool:
    return i in patients_of(arm_of(i), "PP")


@dataclass
class Row:
    family: str
    name: str
    coefs: dict[int, float]
    lb: float
    ub: float
    elastic: bool  # a published count (relaxed in the infeasibility diagnosis)


@dataclass
class AttributeModel:
    """Columns (variables) and rows (constraints) of the program, with names."""

    col_names: list[str] = field(default_factory=list)
    col_integer: list[int] = field(default_factory=list)
    col_lb: list[float] = field(default_factory=list)
    col_ub: list[float] = field(default_factory=list)
    cost: list[float] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    x: dict[tuple[int, str, object], int] = field(default_factory=dict)
    n: dict[tuple[str, Profile], int] = field(default_factory=dict)

    def add_col(self, name: str, *, lb: float = 0.0, ub: float = 1.0) -> int:
        self.col_names.append(name)
        self.col_integer.append(1)
        self.col_lb.append(lb)
        self.col_ub.append(ub)
        self.cost.append(0.0)
        return len(self.col_names) - 1

    def add_row(
        self,
        family: str,
        name: str,
        coefs: dict[int, float],
        lb: float = -np.inf,
        ub: float = np.inf,
        *,
        elastic: bool = True,
    ) -> None:
        self.rows.append(Row(family, name, coefs, lb, ub, elastic))

    def count(self, arm: str, population: str, condition: Condition) -> dict[int, float]:
        """Linear expression: patients of ``arm`` in ``population`` meeting ``condition``."""
        baseline = [a for a in condition if a in BASELINE_ATTRIBUTES]
        if baseline and len(baseline) != len(condition):
            raise ValueError(f"no joint counts across the two blocks: {sorted(condition)}")
        if baseline:
            return {
                self.x[(i, a, lv)]: 1.0
                for i in patients_of(arm, population)
                for a in baseline
                for lv in condition[a]
            }
        full = dict(condition)
        if population == "PP":
            full["pp"] = frozenset([True])
        return {
            col: 1.0
            for (a, p), col in self.n.items()
            if a == arm and all(getattr(p, k) in v for k, v in full.items())
        }

    def require(
        self,
        family: str,
        name: str,
        arm: str,
        population: str,
        condition: Condition,
        target: int,
    ) -> None:
        """Row: the count equals the published ``target``."""
        self.add_row(family, name, self.count(arm, population, condition), target, target)


class InfeasibleTargets(RuntimeError):
    """The published numbers (as modelled) cannot all hold; lists the rows that had to give."""

    def __init__(self, violations: Sequence[tuple[str, str, str]]):
        self.violations = list(violations)
        lines = [f"  {fam} / {name}: {detail}" for fam, name, detail in self.violations]
        super().__init__("targets are jointly infeasible; relaxed rows:\n" + "\n".join(lines))


# ---------------------------------------------------------------------------------------------
# Constraint families. Each cites its source.
# ---------------------------------------------------------------------------------------------


def add_one_hot(m: AttributeModel) -> None:
    """Baseline block: every patient takes exactly one level of every baseline attribute."""
    for i in range(N_PATIENTS):
        for attribute, levels in BASELINE_ATTRIBUTES.items():
            coefs = {m.x[(i, attribute, lv)]: 1.0 for lv in levels}
            m.add_row("one-hot", f"{attribute} [patient {i}]", coefs, 1, 1, elastic=False)


def add_population_sizes(m: AttributeModel) -> None:
    """Table 1, No. of patients: ITT 40 vs 38, per-protocol 32 vs 30 (profiles per group)."""
    for (arm, pp), size in GROUP_SIZES.items():
        coefs = {col: 1.0 for (a, p), col in m.n.items() if a == arm and p.pp == pp}
        m.add_row("Table 1, No. of patients", f"{arm} pp={pp}", coefs, size, size, elastic=False)


def add_table1(m: AttributeModel) -> None:
    """Table 1, every categorical row, ITT and per-protocol, per arm."""
    for target in T.TABLE1_COUNTS:
        condition = table1_condition(target.attribute, target.level)
        for arm in T.ARMS:
            for pop in ("ITT", "PP"):
                name = f"{pop} {arm} = {target.value(pop, arm)}"
                m.require(target.source, name, arm, pop, condition, target.value(pop, arm))


def add_response_targets(m: AttributeModel) -> None:
    """Table 2 (ITT subgroups) and the Results text (per-protocol; grade III): x/n per arm.

    The denominators are constrained too (Table 1 implies most of them).
    """
    for t in T.RESPONSE_TARGETS:
        base = subgroup_condition(t.subgroup)
        family = f"{t.source}, {t.endpoint} {t.population} {t.subgroup}"
        for arm, x, n in (("MSC", t.msc_x, t.msc_n), ("control", t.control_x, t.control_n)):
            m.require(family, f"n {arm} = {n}", arm, t.population, base, n)
            responded = dict(base, trajectory=ENDPOINT_LEVELS[t.endpoint])
            m.require(family, f"responders {arm} = {x}", arm, t.population, responded, x)


def add_consort(m: AttributeModel) -> None:
    """CONSORT (Results, Patients): 8 + 8 discontinued before d28, by reason.

    Salvage-therapy failure 3 + 3, consent withdrawn 3 + 2 (derived: 5 in all), early death
    2 + 3. Who is NR and who is grade III is in ``PROFILE_RULES``.
    """
    for reason in OFF_STUDY:
        for arm in T.ARMS:
            target = T.CONSORT[reason][arm]
            m.require(
                "Results, Patients (CONSORT)",
                f"{reason} {arm} = {target}",
                arm,
                "ITT",
                {"disposition": frozenset([reason])},
                target,
            )


def add_salvage(m: AttributeModel) -> None:
    """Salvage (Discussion): ITT 11 vs 15, per-protocol 8 vs 13; ruxolitinib 5 vs 10."""
    src = T.TEXT_TARGETS
    salvaged = {"salvage": frozenset(SALVAGED)}
    for arm in T.ARMS:
        for pop, key in (("ITT", "salvage_itt"), ("PP", "salvage_pp")):
            target = src[key][arm]
            m.require(src[key]["source"], f"{pop} {arm} = {target}", arm, pop, salvaged, target)
        target = src["ruxolitinib_salvage"][arm]
        m.require(
            "Discussion, ruxolitinib as salvage",
            f"{arm} = {target}",
            arm,
            "ITT",
            {"ruxolitinib": frozenset([True])},
            target,
        )


def add_msc_doses(m: AttributeModel) -> None:
    """Results, Efficacy: MSC doses median 8 (range 2-16).

    Non-PP patients have < 8 infusions (8 of 40), so a median of 8 needs at least 13 PP
    patients with exactly 8, i.e. at most 19 PP patients with PR at d28 (who go on to 16). The
    maximum of 16 is the grade IV PR patient (on study, PR at d28 and d56). The minimum of 2
    needs an early discontinuation outside PP.
    """
    fam = "Results, Efficacy: MSC doses median 8 (range 2-16)"
    pr28 = {"trajectory": _traj(lambda t: t.r28 == "PR")}
    m.add_row(fam, "PP with PR at d28 <= 19", m.count("MSC", "PP", pr28), ub=19)
    off = {"pp": frozenset([False]), "disposition": frozenset(OFF_STUDY)}
    m.add_row(fam, "a discontinued non-PP patient (2 doses)", m.count("MSC", "ITT", off), lb=1)


def add_grade_iv_stories(m: AttributeModel) -> None:
    """Results, Efficacy: the three grade IV patients (all MSC, skin + gut, per-protocol).

    One steroid-dependent with CR at d28; one steroid-resistant with PR at d28 and d56; one
    steroid-resistant who progressed within 2 days of MSC (PD at d28) and died of pneumonia
    at d70. (Skin + gut, PP, on study: ``PROFILE_RULES``.)
    """
    fam = "Results, Efficacy: grade IV patients"
    g4 = {"grade": frozenset([4])}
    stories = (
        ("steroid dependence, CR at d28", {4}, _traj(lambda t: t.r28 == "CR")),
        (
            "steroid resistance, PR at d28 and d56",
            {1, 2, 3},
            _traj(lambda t: t.r28 == t.r56 == "PR"),
        ),
        ("steroid resistance, PD at d28", {1, 2, 3}, _traj(lambda t: t.r28 == "PD")),
    )
    for name, cats, courses in stories:
        c = dict(g4, sr_category=frozenset(cats), trajectory=courses)
        m.require(fam, name, "MSC", "ITT", c, 1)


FAMILIES = (
    add_one_hot,
    add_population_sizes,
    add_table1,
    add_response_targets,
    add_consort,
    add_salvage,
    add_msc_doses,
    add_grade_iv_stories,
)

#: Objective weights: the seeded noise picks among the many solutions; course costs prefer
#: common disease courses; leaving the study after the 8th infusion (and so staying in PP) is
#: the exception.
NOISE_WEIGHT = 1.0
COURSE_WEIGHT = 2.0
PP_DISCONTINUED_COST = 2.0


def build_model(seed: int) -> AttributeModel:
    """All variables, all constraint families, and the seeded objective."""
    m = AttributeModel()
    for i in range(N_PATIENTS):
        for attribute, levels in BASELINE_ATTRIBUTES.items():
            for level in levels:
                m.x[(i, attribute, level)] = m.add_col(f"x[{i}, {attribute}={level}]")
    for arm in T.ARMS:
        for p in valid_profiles(arm):
            ub = GROUP_SIZES[(arm, p.pp)]
            m.n[(arm, p)] = m.add_col(f"n[{arm}, {p.label()}]", ub=ub)
    for family in FAMILIES:
        family(m)
    rng = np.random.default_rng(seed)
    noise = rng.random(len(m.col_names))
    m.cost = [NOISE_WEIGHT * float(v) for v in noise]
    for (_arm, p), col in m.n.items():
        m.cost[col] += COURSE_WEIGHT * p.course.cost
        if p.pp and p.disposition != "on_study":
            m.cost[col] += PP_DISCONTINUED_COST
    return m


@dataclass
class SolveResult:
    values: np.ndarray
    seconds: float
    n_variables: int
    n_constraints: int
    objective: float


def _matrix(m: AttributeModel) -> tuple[csr_array, np.ndarray, np.ndarray]:
    rows, cols, data = [], [], []
    for r, row in enumerate(m.rows):
        for c, v in row.coefs.items():
            rows.append(r)
            cols.append(c)
            data.append(v)
    a = csr_array((data, (rows, cols)), shape=(len(m.rows), len(m.col_names)))
    lb = np.array([row.lb for row in m.rows], dtype=float)
    ub = np.array([row.ub for row in m.rows], dtype=float)
    return a, lb, ub


#: Relative MIP gap: any feasible point satisfies every target; the objective only chooses.
MIP_REL_GAP = 0.05


def solve_categorical(seed: int) -> tuple[AttributeModel, SolveResult]:
    """Build and solve; raise ``InfeasibleTargets`` (naming the rows that give) if infeasible."""
    m = build_model(seed)
    a, lb, ub = _matrix(m)
    start = time.perf_counter()
    res = milp(
        c=np.array(m.cost),
        integrality=np.array(m.col_integer),
        bounds=Bounds(np.array(m.col_lb), np.array(m.col_ub)),
        constraints=LinearConstraint(a, lb, ub),
        options={"disp": False, "presolve": True, "mip_rel_gap": MIP_REL_GAP},
    )
    seconds = time.perf_counter() - start
    if res.status == 2:
        raise InfeasibleTargets(diagnose_infeasibility(m))
    if res.status != 0 or res.x is None:
        raise RuntimeError(f"MILP did not solve: status {res.status}: {res.message}")
    values = np.round(res.x).astype(int)
    return m, SolveResult(values, seconds, len(m.col_names), len(m.rows), float(res.fun))


def diagnose_infeasibility(m: AttributeModel) -> list[tuple[str, str, str]]:
    """Re-solve with elastic slack on every published-count row; name the rows that gave."""
    a, lb, ub = _matrix(m)
    elastic = [r for r, row in enumerate(m.rows) if row.elastic]
    n_cols, k = len(m.col_names), len(elastic)
    # slack columns: s+ and s- for each elastic row
    s_rows = np.repeat(np.array(elastic, dtype=int), 2)
    s_cols = n_cols + np.arange(2 * k)
    s_data = np.tile([1.0, -1.0], k)
    coo = a.tocoo()
    a_full = csr_array(
        (
            np.concatenate([coo.data, s_data]),
            (np.concatenate([coo.row, s_rows]), np.concatenate([coo.col, s_cols])),
        ),
        shape=(len(m.rows), n_cols + 2 * k),
    )
    res = milp(
        c=np.concatenate([np.zeros(n_cols), np.ones(2 * k)]),
        integrality=np.concatenate([np.array(m.col_integer), np.zeros(2 * k)]),
        bounds=Bounds(
            np.concatenate([np.array(m.col_lb), np.zeros(2 * k)]),
            np.concatenate([np.array(m.col_ub), np.full(2 * k, np.inf)]),
        ),
        constraints=LinearConstraint(a_full, lb, ub),
        options={"disp": False},
    )
    if res.x is None:
        return [("structural", "rows that are not published counts", str(res.message))]
    out = []
    for j, r in enumerate(elastic):
        delta = res.x[n_cols + 2 * j] - res.x[n_cols + 2 * j + 1]
        if abs(delta) > 1e-6:
            out.append((m.rows[r].family, m.rows[r].name, f"off by {delta:+.0f}"))
    return out


def categorical_table(m: AttributeModel, values: np.ndarray, seed: int) -> pd.DataFrame:
    """One row per randomized patient (index 0..77): every categorical attribute.

    Profiles are dealt to the patients of their (arm, per-protocol) group in a seeded order.
    """
    rng = np.random.default_rng([seed, 1])
    records: dict[int, dict[str, object]] = {}
    for i in range(N_PATIENTS):
        rec: dict[str, object] = {"index": i, "arm": arm_of(i)}
        for attribute, levels in BASELINE_ATTRIBUTES.items():
            chosen = [lv for lv in levels if values[m.x[(i, attribute, lv)]] == 1]
            if len(chosen) != 1:
                raise AssertionError(f"patient {i}: {attribute} not one-hot: {chosen}")
            rec[attribute] = chosen[0]
        records[i] = rec
    for arm in T.ARMS:
        for pp in (True, False):
            dealt = [
                p
                for (a, p), col in m.n.items()
                if a == arm and p.pp == pp
                for _ in range(int(values[col]))
            ]
            idx = [i for i in patients_of(arm) if in_pp(i) == pp]
            if len(dealt) != len(idx):
                raise AssertionError(f"{arm} pp={pp}: {len(dealt)} profiles for {len(idx)}")
            order = rng.permutation(len(dealt))
            for i, k in zip(idx, order, strict=True):
                p = dealt[k]
                t = p.course
                records[i].update(
                    pp=p.pp,
                    grade=p.grade,
                    organs=p.organs,
                    sr_category=p.sr_category,
                    disposition=p.disposition,
                    trajectory=p.trajectory,
                    salvage=p.salvage,
                    ruxolitinib=p.ruxolitinib,
                    response_d28=t.r28,
                    response_d56=t.r56,
                    dcr=t.dcr,
                )
    return pd.DataFrame.from_records([records[i] for i in range(N_PATIENTS)])


def build_attribute_table(seed: int) -> pd.DataFrame:
    """The full attribute table (``reference.attributes``): MILP, then allocation and values."""
    m, result = solve_categorical(seed)
    table = categorical_table(m, result.values, seed)
    from reference.assemble import assemble_attributes

    return assemble_attributes(table, seed)
