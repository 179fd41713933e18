"""The trial's clinical rules as pure functions over plain data (docs/protocol.md sections 1-5).

- staging: MAGIC organ stages from raw measurements (Harris et al., BBMT 2016);
- grading: MAGIC and modified Glucksberg grades, IBMTR severity index;
- refractoriness: the paper's four steroid-refractory categories, EBMT-NIH-CIBMTR 2018, REACH;
- eligibility: screening against every inclusion and exclusion criterion;
- response: CR/PR/NR/PD (paper) or CIBMTR, durable CR, time to response;
- treatment: bags per infusion, infusion dates and visit schedule.

Everything public is listed in ``__all__``; the modules' other names are internal.
"""

from gvhdtrial.protocol.eligibility import (
    ELIGIBILITY_CRITERIA,
    SCREENING_FLAGS,
    Candidate,
    Eligibility,
    EligibilityFailure,
    screen,
)
from gvhdtrial.protocol.grading import (
    GLUCKSBERG_GRADE_RULES,
    IBMTR_INDEX_RULES,
    MAGIC_GRADE_RULES,
    ROMAN_GRADE,
    ibmtr_index,
    overall_grade,
)
from gvhdtrial.protocol.refractoriness import (
    METHYLPREDNISOLONE_PER_MG,
    REFRACTORINESS_DEFINITIONS,
    DatedStages,
    SRCategory,
    SRCriterion,
    SteroidCourse,
    SteroidDose,
    methylprednisolone_equivalent,
    methylprednisolone_mg,
    methylprednisolone_mg_on,
    steroid_course,
    steroid_refractory_category,
)
from gvhdtrial.protocol.response import (
    Response,
    StageAssessment,
    assess_response,
    durable_complete_response,
    time_to_first_response,
)
from gvhdtrial.protocol.staging import (
    ORGANS,
    Measurements,
    OrganStages,
    bilirubin_mg_dl,
    liver_stage,
    lower_gi_stage,
    skin_stage,
    stage_organs,
    upper_gi_stage,
)
from gvhdtrial.protocol.treatment import (
    Infusion,
    TreatmentPlan,
    Visit,
    VisitWindows,
    bags_per_infusion,
    treatment_plan,
)
from gvhdtrial.protocol.visits import (
    DatedAssessment,
    ResponseVisitRule,
    VisitResponse,
    baseline_assessment,
    salvage_start,
    time_origin_date,
    visit_response,
)

__all__ = [
    "ELIGIBILITY_CRITERIA",
    "GLUCKSBERG_GRADE_RULES",
    "IBMTR_INDEX_RULES",
    "MAGIC_GRADE_RULES",
    "METHYLPREDNISOLONE_PER_MG",
    "ORGANS",
    "REFRACTORINESS_DEFINITIONS",
    "ROMAN_GRADE",
    "SCREENING_FLAGS",
    "Candidate",
    "DatedAssessment",
    "DatedStages",
    "Eligibility",
    "EligibilityFailure",
    "Infusion",
    "Measurements",
    "OrganStages",
    "Response",
    "ResponseVisitRule",
    "SRCategory",
    "SRCriterion",
    "StageAssessment",
    "SteroidCourse",
    "SteroidDose",
    "TreatmentPlan",
    "Visit",
    "VisitResponse",
    "VisitWindows",
    "assess_response",
    "bags_per_infusion",
    "baseline_assessment",
    "bilirubin_mg_dl",
    "durable_complete_response",
    "ibmtr_index",
    "liver_stage",
    "lower_gi_stage",
    "methylprednisolone_equivalent",
    "methylprednisolone_mg",
    "methylprednisolone_mg_on",
    "overall_grade",
    "salvage_start",
    "screen",
    "skin_stage",
    "stage_organs",
    "steroid_course",
    "steroid_refractory_category",
    "time_origin_date",
    "time_to_first_response",
    "treatment_plan",
    "upper_gi_stage",
    "visit_response",
]
