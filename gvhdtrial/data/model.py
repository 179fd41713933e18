"""The trial data model: every case-report-form (CRF) table, declared once.

One CSV file per table (``<table>.csv``) plus ``trial.json`` (the metadata of the data set).
The same tables are meant to come from CSV, SQLite or PostgreSQL; whatever the source, they are
validated once at the boundary by :func:`gvhdtrial.data.load_trial`.

Only raw observations are stored. Nothing derived is kept here: no organ stage, no overall grade,
no steroid-refractoriness category, no response, no analysis population, no eligibility verdict.
Those are computed from these rows by ``gvhdtrial.protocol`` (MAGIC staging and grading,
refractoriness, eligibility, response) and ``gvhdtrial.analysis`` (ITT, per-protocol, safety).

Conventions (the loader enforces them):

- dates are ISO ``YYYY-MM-DD``; booleans are ``true`` / ``false``; an empty cell is a missing
  value, allowed only where a field is not required; no cell has surrounding spaces;
- numbers are plain decimals (``80``, ``1.25``); units are named in the field's ``unit``;
- a field with a ``when`` condition applies only to rows where the condition holds: it is then
  required (if ``required``), and it must be empty on every other row;
- the ``arm`` column of ``randomization`` is the only field that reveals allocation; a blinded
  export omits that column altogether.

The reference data set shipped with the project (``data/reference/``) is a SYNTHETIC
reconstruction that reproduces the published tables; it does not hold the trial's patients.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from gvhdtrial.data import ctcae
from gvhdtrial.i18n import N_

FieldType = Literal["str", "int", "float", "bool", "date", "enum"]

#: Identifiers: letters, digits and ``_ . -``, no spaces.
ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.\-]*"
#: One or more bag tracking numbers, separated by ``;`` (no spaces).
KIT_LIST_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.\-]*(;[A-Za-z0-9][A-Za-z0-9_.\-]*)*"
#: Visit labels: the named visits or ``d<N>`` (study day N counted from randomization = d0).
VISIT_PATTERN = r"screening|steroid_start|baseline|unscheduled|d[0-9]{1,3}"

SYNTHETIC_STATEMENT = "SYNTHETIC reconstruction — not the trial's patients"
#: The title and statement of a data set exported from the service when no trial metadata was
#: imported (English as recorded; shown translated through the catalogue).
SERVICE_TITLE = N_("Trial data captured in the gvhdtrial service")
SERVICE_STATEMENT = N_("%(statement)s: demonstration data entered in the service.")


@dataclass(frozen=True)
class When:
    """A field applies only to rows whose ``field`` holds one of ``values`` (as written in CSV)."""

    field: str
    values: tuple[str, ...]

    def describe(self) -> str:
        return f"{self.field} in ({', '.join(self.values)})"


@dataclass(frozen=True)
class Field:
    """One column of a table.

    ``choices`` maps each allowed code of an ``enum`` to its display label (the label is what a
    report prints, e.g. ``mtx_cni`` -> "MTX + calcineurin inhibitor"). ``minimum`` and
    ``maximum`` bound ``int`` and ``float`` fields (inclusive unless ``*_exclusive``).
    ``references`` names the ``table.column`` a foreign key points to. ``blinded`` marks the one
    field that a blinded export leaves out.
    """

    name: str
    type: FieldType
    meaning: str
    unit: str = ""
    required: bool = True
    choices: Mapping[str, str] = field(default_factory=dict)
    minimum: float | None = None
    maximum: float | None = None
    minimum_exclusive: bool = False
    maximum_exclusive: bool = False
    pattern: str | None = None
    references: str | None = None
    when: When | None = None
    blinded: bool = False

    def __hash__(self) -> int:  # choices is a dict; fields are identified by name
        return hash(self.name)

    @property
    def allowed(self) -> tuple[str, ...]:
        """The allowed codes of an ``enum`` field, in declared order."""
        return tuple(self.choices)

    def expected(self) -> str:
        """A readable statement of what a cell of this field must hold."""
        if self.type == "enum":
            return "one of " + ", ".join(self.allowed)
        parts = {
            "str": "text",
            "int": "a whole number",
            "float": "a number",
            "bool": "true or false",
            "date": "a date YYYY-MM-DD",
        }[self.type]
        bounds = []
        if self.minimum is not None:
            bounds.append(f"{'>' if self.minimum_exclusive else '>='} {_num(self.minimum)}")
        if self.maximum is not None:
            bounds.append(f"{'<' if self.maximum_exclusive else '<='} {_num(self.maximum)}")
        if bounds:
            parts += " " + " and ".join(bounds)
        if self.pattern is not None:
            parts += f" matching {self.pattern}"
        if self.unit:
            parts += f" ({self.unit})"
        return parts


@dataclass(frozen=True)
class Table:
    """One CRF table: its fields, primary key and further unique keys."""

    name: str
    meaning: str
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...]
    unique: tuple[tuple[str, ...], ...] = ()
    #: Columns entered on a CRF form of their own (form name -> columns). A row may leave a
    #: whole form empty: the form is not entered yet, its values are missing data and the row
    #: stays (a randomized patient is never dropped; the analysis plan's ITT rules apply).
    #: Part of a form empty is still an error where a value is required.
    forms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name} has no field {name!r}")


@dataclass(frozen=True)
class DateRule:
    """A date that cannot come before (``>=``) or after (``<=``) another date of the patient.

    ``anchor`` is a column of the same row, or ``patient:<name>`` for one of the per-patient dates
    of :data:`PATIENT_DATES`. A rule is checked only when both dates are present.
    """

    table: str
    column: str
    op: Literal[">=", "<="]
    anchor: str
    reason: str


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _f(name: str, type_: FieldType, meaning: str, **kw: object) -> Field:
    return Field(name, type_, meaning, **kw)  # type: ignore[arg-type]


def _flag(name: str, meaning: str, **kw: object) -> Field:
    return Field(name, "bool", meaning, **kw)  # type: ignore[arg-type]


def _patient_id(references: str, meaning: str = "Patient identifier") -> Field:
    return Field("patient_id", "str", meaning, pattern=ID_PATTERN, references=references)


_POS_NEG = {"positive": "positive", "negative": "negative"}

# ---------------------------------------------------------------------------------------------
# The tables
# ---------------------------------------------------------------------------------------------

SITES = Table(
    "sites",
    "Participating centres (the randomization strata).",
    (
        _f("site_id", "str", "Centre identifier", pattern=ID_PATTERN),
        _f("name", "str", "Centre name"),
        _f("city", "str", "City"),
        _f("country", "str", "Country"),
    ),
    primary_key=("site_id",),
)

#: The ``patients`` columns of the baseline CRF (demographics, transplant, aGVHD onset): the
#: rest of the row is the patient's identity, weight, consent and screening answers.
BASELINE_FORM = (
    "screening_date", "sex", "diagnosis", "hsct_date", "conditioning", "donor_type",
    "stem_cell_source", "cd34_dose_1e6_per_kg", "cmv_donor", "cmv_recipient", "ebv_donor",
    "ebv_recipient", "gvhd_prophylaxis", "agvhd_onset_date", "screening_notes",
)  # fmt: skip

PATIENTS = Table(
    "patients",
    "Every screened patient: demographics, transplant, aGVHD onset and the screening facts "
    "that eligibility is computed from (the verdict itself is not stored).",
    (
        _f("patient_id", "str", "Patient identifier", pattern=ID_PATTERN),
        _f("site_id", "str", "Screening centre", pattern=ID_PATTERN, references="sites.site_id"),
        _f("screening_date", "date", "Date screening began"),
        _f("age_years", "int", "Age at screening", unit="years", minimum=0, maximum=120),
        _f("sex", "enum", "Sex", choices={"male": "Male", "female": "Female"}),
        _f(
            "weight_kg",
            "float",
            "Body weight at screening",
            unit="kg",
            minimum=0,
            minimum_exclusive=True,
            maximum=300,
        ),
        _f(
            "diagnosis",
            "enum",
            "Underlying disease",
            choices={
                "AML": "AML",
                "MDS": "MDS",
                "ALL": "ALL",
                "CML": "CML",
                "NHL": "NHL",
                "MDS/MPN": "MDS/MPN",
                "other": "Other",
            },
        ),
        _flag("haematologic_malignancy", "The underlying disease is a haematologic malignancy"),
        _flag("first_allo_hsct", "The transplant is the patient's first allogeneic HSCT"),
        _f("hsct_date", "date", "Date of the allogeneic HSCT (day 0 of the graft)"),
        _f(
            "conditioning",
            "enum",
            "Conditioning regimen",
            choices={"busulfan-based": "Bu based", "TBI-based": "TBI based", "other": "Others"},
        ),
        _f(
            "donor_type",
            "enum",
            "Donor type",
            choices={"sibling": "Sibling", "unrelated": "Unrelated", "haploidentical": "Haplo"},
        ),
        _f(
            "stem_cell_source",
            "enum",
            "Graft source",
            choices={"CB": "CB", "PBSC": "PBSC", "PBSC+BM": "PBSC + BM", "BM": "BM"},
        ),
        _f(
            "cd34_dose_1e6_per_kg",
            "float",
            "CD34+ cells infused with the graft",
            unit="10^6 cells/kg",
            minimum=0,
            minimum_exclusive=True,
            maximum=100,
        ),
        _f("cmv_donor", "enum", "Donor CMV serostatus", choices=_POS_NEG),
        _f("cmv_recipient", "enum", "Recipient CMV serostatus", choices=_POS_NEG),
        _f("ebv_donor", "enum", "Donor EBV serostatus", choices=_POS_NEG),
        _f("ebv_recipient", "enum", "Recipient EBV serostatus", choices=_POS_NEG),
        _f(
            "gvhd_prophylaxis",
            "enum",
            "GVHD prophylaxis regimen",
            choices={"mtx_cni": "MTX + calcineurin inhibitor", "no_mtx": "MTX excluded"},
        ),
        _f("agvhd_onset_date", "date", "Date acute GVHD began"),
        _flag("agvhd_after_dli", "Acute GVHD followed a donor lymphocyte infusion"),
        _f(
            "days_enrolment_to_first_infusion",
            "int",
            "Days from enrolment to the planned first trial infusion",
            unit="days",
            minimum=0,
            maximum=365,
        ),
        _flag("uncontrolled_infection", "Uncontrolled infection in the last 6 months"),
        _flag("pulmonary_arterial_hypertension", "Pulmonary arterial hypertension, last 6 months"),
        _f(
            "nyha_class",
            "int",
            "NYHA heart-failure class, last 6 months (empty: no heart failure)",
            required=False,
            minimum=1,
            maximum=4,
        ),
        _flag(
            "other_life_threatening_condition",
            "Another life-threatening or evaluation-interfering condition, last 6 months",
        ),
        _flag("acute_myocardial_infarction", "Acute myocardial infarction in the last 6 months"),
        _flag("refractory_hypertension", "Refractory hypertension in the last 6 months"),
        _f(
            "creatinine_clearance_ml_min",
            "float",
            "Creatinine clearance at screening (empty: not measured)",
            unit="mL/min",
            required=False,
            minimum=0,
            maximum=300,
        ),
        _flag("severe_vod_sos", "Severe hepatic veno-occlusive disease / SOS, last 6 months"),
        _flag("gut_ta_tma", "Gut transplant-associated thrombotic microangiopathy"),
        _flag("gi_infection", "Gastrointestinal infection"),
        _flag("active_solid_tumour_within_5_years", "Active malignant solid tumour within 5 years"),
        _flag(
            "severe_allergy_to_blood_products",
            "History of severe allergy to blood products or allogeneic proteins",
        ),
        _flag("mental_or_neurological_disorder", "Mental or neurological disorder"),
        _f(
            "consent_date",
            "date",
            "Date written informed consent was signed (empty: none)",
            required=False,
        ),
        _f("screening_notes", "str", "Free-text screening remarks", required=False),
    ),
    primary_key=("patient_id",),
    forms={"baseline": BASELINE_FORM},
)

STEROID_DOSES = Table(
    "steroid_doses",
    "First-line steroid course as a step function: each row is the total daily dose of one "
    "agent in effect from `date` until that agent's next row (0 = stopped). The dose in "
    "mg/kg/day is computed from patients.weight_kg; methylprednisolone equivalents are "
    "computed by gvhdtrial.protocol (prednisone 1 mg = methylprednisolone 0.8 mg).",
    (
        _patient_id("patients.patient_id"),
        _f("date", "date", "First day of this daily dose"),
        _f(
            "agent",
            "enum",
            "Corticosteroid",
            choices={
                "methylprednisolone": "Methylprednisolone",
                "prednisone": "Prednisone",
                "prednisolone": "Prednisolone",
                "dexamethasone": "Dexamethasone",
                "hydrocortisone": "Hydrocortisone",
            },
        ),
        _f(
            "dose_mg_per_day",
            "float",
            "Total daily dose of this agent (absolute)",
            unit="mg/day",
            minimum=0,
            maximum=2000,
        ),
    ),
    primary_key=("patient_id", "date", "agent"),
)

RANDOMIZATION = Table(
    "randomization",
    "Central randomization, 1:1, stratified by centre. `arm` is present only in unblinded "
    "data; a blinded export has no arm column.",
    (
        _patient_id("patients.patient_id"),
        _f("randomization_date", "date", "Date of randomization (time zero of every endpoint)"),
        _f(
            "stratum",
            "str",
            "Randomization stratum: the centre",
            pattern=ID_PATTERN,
            references="sites.site_id",
        ),
        _f("sequence_number", "int", "Slot in the stratum's randomization schedule", minimum=1),
        _f(
            "arm",
            "enum",
            "Allocated arm (unblinded data only)",
            choices={"MSC": "MSC", "control": "Control"},
            blinded=True,
        ),
    ),
    primary_key=("patient_id",),
    unique=(("stratum", "sequence_number"),),
)

INFUSIONS = Table(
    "infusions",
    "Each infusion of the investigational product (MSCs or identical placebo bags).",
    (
        _patient_id("randomization.patient_id"),
        _f(
            "infusion_number",
            "int",
            "Infusion number (8 planned, 16 if PR at day 28)",
            minimum=1,
            maximum=16,
        ),
        _f("date", "date", "Infusion date"),
        _f(
            "kit_numbers",
            "str",
            "Tracking numbers of the bags infused, ';'-separated",
            pattern=KIT_LIST_PATTERN,
        ),
        _f(
            "bags",
            "int",
            "Number of bags infused (= number of tracking numbers)",
            minimum=1,
            maximum=20,
        ),
        _f(
            "delivered_cells_1e6_per_kg",
            "float",
            "Nominal dose delivered as labelled: bags x 2.0 x 10^7 cells / weight (placebo bags "
            "are labelled identically, so this does not unblind)",
            unit="10^6 cells/kg",
            minimum=0,
            minimum_exclusive=True,
            maximum=20,
        ),
        _flag("infusion_reaction", "An infusion reaction occurred"),
        _f(
            "reaction_description",
            "str",
            "What the infusion reaction was",
            when=When("infusion_reaction", ("true",)),
        ),
    ),
    primary_key=("patient_id", "infusion_number"),
)

ASSESSMENTS = Table(
    "assessments",
    "Serial aGVHD organ assessments: raw measurements only (stages and grades are computed "
    "by gvhdtrial.protocol with MAGIC criteria).",
    (
        _patient_id("patients.patient_id"),
        _f("assessment_date", "date", "Date of the assessment"),
        _f(
            "visit",
            "str",
            "Visit label: screening, steroid_start, baseline, d<N> (study day, d0 = "
            "randomization) or unscheduled",
            pattern=VISIT_PATTERN,
        ),
        _f(
            "skin_bsa_percent",
            "float",
            "Body surface area with active GVHD erythema",
            unit="% BSA",
            minimum=0,
            maximum=100,
        ),
        _flag("skin_bullae", "Bullous formation"),
        _f(
            "skin_desquamation_percent",
            "float",
            "Body surface area with desquamation",
            unit="% BSA",
            minimum=0,
            maximum=100,
        ),
        _f(
            "bilirubin",
            "float",
            "Total serum bilirubin",
            unit="mg/dL or umol/L, as bilirubin_unit says",
            minimum=0,
            maximum=1000,
        ),
        _f(
            "bilirubin_unit",
            "enum",
            "Unit of bilirubin (1 mg/dL = 17.1 umol/L)",
            choices={"mg/dL": "mg/dL", "umol/L": "umol/L"},
        ),
        _flag("upper_gi_persistent", "Persistent nausea, vomiting or anorexia"),
        _f(
            "stool_ml_per_day",
            "float",
            "Stool volume (empty: not measured)",
            unit="mL/day",
            required=False,
            minimum=0,
            maximum=20000,
        ),
        _f(
            "stool_episodes_per_day",
            "float",
            "Stool episodes (empty: not counted)",
            unit="episodes/day",
            required=False,
            minimum=0,
            maximum=100,
        ),
        _flag("stool_mixed_with_urine", "Stool mixed with urine (counted as 50 % stool)"),
        _f(
            "weight_kg",
            "float",
            "Body weight at the assessment",
            unit="kg",
            minimum=0,
            minimum_exclusive=True,
            maximum=300,
        ),
        _flag("severe_abdominal_pain", "Severe abdominal pain needing opioids"),
        _flag("ileus", "Ileus"),
        _flag("bloody_stool", "Grossly bloody stool"),
    ),
    primary_key=("patient_id", "assessment_date"),
)

THERAPIES = Table(
    "therapies",
    "Second-line agent given with the study agent (one, the centre's choice) and salvage "
    "agents added for fast progression.",
    (
        _patient_id("randomization.patient_id"),
        _f(
            "agent",
            "enum",
            "Systemic agent for aGVHD",
            choices={
                "basiliximab": "Basiliximab",
                "methotrexate": "MTX",
                "mycophenolate_mofetil": "Mycophenolate mofetil",
                "tacrolimus": "Tacrolimus",
                "sirolimus": "Sirolimus",
                "cyclosporine": "Cyclosporine",
                "ruxolitinib": "Ruxolitinib",
                "etanercept": "Etanercept",
                "infliximab": "Infliximab",
                "vedolizumab": "Vedolizumab",
                "antithymocyte_globulin": "Anti-thymocyte globulin",
                "other": "Other",
            },
        ),
        _f(
            "role",
            "enum",
            "Why the agent was given",
            choices={"second_line": "Second-line (baseline)", "salvage": "Salvage"},
        ),
        _f("start_date", "date", "First day of the agent"),
        _f("stop_date", "date", "Last day of the agent (empty: ongoing)", required=False),
    ),
    primary_key=("patient_id", "agent", "start_date"),
)

ADVERSE_EVENTS = Table(
    "adverse_events",
    "Adverse events graded with CTCAE v5.0 (terms and SOCs from gvhdtrial.data.ctcae).",
    (
        _patient_id("randomization.patient_id"),
        _f("ae_id", "int", "AE number within the patient", minimum=1),
        _f("term", "enum", "CTCAE v5.0 term", choices={t: t for t in ctcae.CTCAE_TERMS}),
        _f(
            "term_specify",
            "str",
            "What the event was, for an 'Other, specify' term",
            when=When("term", ctcae.OTHER_SPECIFY_TERMS),
        ),
        _f(
            "soc",
            "enum",
            "CTCAE v5.0 system organ class of the term",
            choices={s: s for s in ctcae.SOCS},
        ),
        _f("grade", "int", "CTCAE v5.0 grade", minimum=1, maximum=5),
        _flag("serious", "Serious adverse event (SAE)"),
        _flag("related_to_study_agent", "Investigator: related to the investigational product"),
        _flag("infusion_related", "Infusion toxicity (an infusion reaction)"),
        _f("onset_date", "date", "Onset date"),
        _f(
            "resolution_date",
            "date",
            "Date resolved (only for recovered outcomes)",
            when=When("outcome", ("recovered", "recovered_with_sequelae")),
        ),
        _f(
            "outcome",
            "enum",
            "Outcome",
            choices={
                "recovered": "Recovered/resolved",
                "recovering": "Recovering/resolving",
                "not_recovered": "Not recovered/not resolved",
                "recovered_with_sequelae": "Recovered/resolved with sequelae",
                "fatal": "Fatal",
                "unknown": "Unknown",
            },
        ),
    ),
    primary_key=("patient_id", "ae_id"),
)

EVENTS = Table(
    "events",
    "Dated outcome and disposition events: relapse, death, chronic GVHD onset, new systemic "
    "therapy, withdrawal, loss to follow-up, discontinuation, last contact.",
    (
        _patient_id("randomization.patient_id"),
        _f("event_id", "int", "Event number within the patient", minimum=1),
        _f(
            "event_type",
            "enum",
            "What happened",
            choices={
                "relapse": "Relapse or progression of the haematologic disease",
                "death": "Death",
                "cgvhd_onset": "Onset of chronic GVHD",
                "new_systemic_therapy": "New systemic therapy for aGVHD",
                "withdrawal": "Withdrawal of consent",
                "lost_to_follow_up": "Lost to follow-up",
                "discontinuation": "Study treatment discontinued early",
                "last_contact": "Last contact alive (censoring date)",
            },
        ),
        _f("event_date", "date", "Date of the event"),
        _f(
            "death_cause",
            "enum",
            "Cause of death",
            choices={
                "septic_shock": "Septic shock",
                "infection": "Infection",
                "pneumonia": "Pneumonia",
                "heart_failure": "Heart failure",
                "haemorrhage": "Haemorrhage",
                "gvhd": "GVHD",
                "tma": "Thrombotic microangiopathy",
                "vod_sos": "Veno-occlusive disease",
                "relapse": "Relapse",
                "other": "Other",
            },
            when=When("event_type", ("death",)),
        ),
        _flag(
            "death_relapse_related",
            "The death was caused by relapse (else non-relapse)",
            when=When("event_type", ("death",)),
        ),
        _f(
            "cgvhd_nih_severity",
            "enum",
            "NIH 2014 global severity of chronic GVHD",
            choices={"mild": "Mild", "moderate": "Moderate", "severe": "Severe"},
            when=When("event_type", ("cgvhd_onset",)),
        ),
        _f(
            "discontinuation_reason",
            "enum",
            "Why study treatment stopped early",
            choices={
                "salvage_failure": "Salvage therapy failure",
                "consent_withdrawn": "Withdrawal of informed consent",
                "death": "Early death",
                "other": "Other",
            },
            when=When("event_type", ("discontinuation",)),
        ),
        _f("details", "str", "Free-text details", required=False),
    ),
    primary_key=("patient_id", "event_id"),
)

#: Every CRF table, in dependency order (a table only references tables before it).
TABLES: tuple[Table, ...] = (
    SITES,
    PATIENTS,
    STEROID_DOSES,
    RANDOMIZATION,
    INFUSIONS,
    ASSESSMENTS,
    THERAPIES,
    ADVERSE_EVENTS,
    EVENTS,
)
TABLES_BY_NAME: Mapping[str, Table] = {t.name: t for t in TABLES}

#: The metadata of a data set, stored in ``trial.json`` (one JSON object; these keys).
TRIAL_FILE = "trial.json"
TRIAL_FIELDS: tuple[Field, ...] = (
    _f("trial_id", "str", "Trial registration identifier, e.g. ChiCTR2000035740"),
    _f("title", "str", "Short title of the trial"),
    _flag("synthetic", "The patients are synthetic (a reconstruction, not real patients)"),
    _f(
        "statement",
        "str",
        f"What the data are; for synthetic data it must contain {SYNTHETIC_STATEMENT!r}",
    ),
    _f("generator", "str", "Program that produced the data set", required=False),
    _f("generator_version", "str", "Version of that program", required=False),
    _f("seed", "int", "Random seed of the generator", required=False, minimum=0),
    _f("data_cutoff_date", "date", "Data cut-off: no recorded date may be later"),
    _flag("blinded", "True when the randomization table has no arm column"),
)

# ---------------------------------------------------------------------------------------------
# Per-patient date order: what cannot happen
# ---------------------------------------------------------------------------------------------

#: Named per-patient dates that rules refer to as ``patient:<name>``.
#: ``death`` is the event_date of the patient's ``death`` event.
PATIENT_DATES: Mapping[str, str] = {
    "screening": "patients.screening_date",
    "hsct": "patients.hsct_date",
    "agvhd_onset": "patients.agvhd_onset_date",
    "consent": "patients.consent_date",
    "randomization": "randomization.randomization_date",
    "death": "events.event_date (event_type = death)",
}

DATE_RULES: tuple[DateRule, ...] = (
    DateRule("patients", "screening_date", ">=", "hsct_date", "screening follows the HSCT"),
    DateRule("patients", "agvhd_onset_date", ">=", "hsct_date", "aGVHD follows the HSCT"),
    DateRule(
        "patients", "agvhd_onset_date", "<=", "screening_date", "aGVHD began before screening"
    ),
    DateRule(
        "patients", "consent_date", ">=", "screening_date", "consent is given during screening"
    ),
    DateRule("steroid_doses", "date", ">=", "patient:hsct", "steroids for aGVHD follow the HSCT"),
    DateRule("steroid_doses", "date", "<=", "patient:death", "no dose after death"),
    DateRule(
        "randomization",
        "randomization_date",
        ">=",
        "patient:consent",
        "randomization needs consent first",
    ),
    DateRule(
        "randomization",
        "randomization_date",
        ">=",
        "patient:agvhd_onset",
        "randomization follows aGVHD onset",
    ),
    DateRule(
        "randomization", "randomization_date", "<=", "patient:death", "no randomization after death"
    ),
    DateRule(
        "infusions", "date", ">=", "patient:randomization", "no infusion before randomization"
    ),
    DateRule("infusions", "date", "<=", "patient:death", "no infusion after death"),
    DateRule(
        "assessments", "assessment_date", ">=", "patient:hsct", "aGVHD assessments follow the HSCT"
    ),
    DateRule("assessments", "assessment_date", "<=", "patient:death", "no assessment after death"),
    DateRule(
        "therapies", "start_date", ">=", "patient:agvhd_onset", "aGVHD therapy follows aGVHD onset"
    ),
    DateRule("therapies", "start_date", "<=", "patient:death", "no therapy started after death"),
    DateRule("therapies", "stop_date", ">=", "start_date", "an agent stops after it starts"),
    DateRule(
        "adverse_events",
        "onset_date",
        ">=",
        "patient:randomization",
        "AEs are collected from randomization",
    ),
    DateRule("adverse_events", "onset_date", "<=", "patient:death", "no AE onset after death"),
    DateRule(
        "adverse_events", "resolution_date", ">=", "onset_date", "an AE resolves after its onset"
    ),
    DateRule(
        "events",
        "event_date",
        ">=",
        "patient:randomization",
        "outcome events are counted from randomization",
    ),
    DateRule("events", "event_date", "<=", "patient:death", "nothing happens after death"),
)


def table(name: str) -> Table:
    """The table called ``name``."""
    return TABLES_BY_NAME[name]
