"""Row defaults shared by the hand-made trial folders of tests/data and tests/analysis.

A valid row of each CRF table (synthetic values), so that each test only names what it
changes. Kept here because two conftest modules cannot import each other.
"""

PATIENT_DEFAULTS = {
    "sex": "male",
    "weight_kg": "60",
    "diagnosis": "AML",
    "haematologic_malignancy": "true",
    "first_allo_hsct": "true",
    "conditioning": "busulfan-based",
    "donor_type": "haploidentical",
    "stem_cell_source": "PBSC",
    "cd34_dose_1e6_per_kg": "3.7",
    "cmv_donor": "positive",
    "cmv_recipient": "positive",
    "ebv_donor": "positive",
    "ebv_recipient": "positive",
    "gvhd_prophylaxis": "mtx_cni",
    "agvhd_after_dli": "false",
    "days_enrolment_to_first_infusion": "1",
    "uncontrolled_infection": "false",
    "pulmonary_arterial_hypertension": "false",
    "nyha_class": "",
    "other_life_threatening_condition": "false",
    "acute_myocardial_infarction": "false",
    "refractory_hypertension": "false",
    "creatinine_clearance_ml_min": "95.5",
    "severe_vod_sos": "false",
    "gut_ta_tma": "false",
    "gi_infection": "false",
    "active_solid_tumour_within_5_years": "false",
    "severe_allergy_to_blood_products": "false",
    "mental_or_neurological_disorder": "false",
    "consent_date": "",
    "screening_notes": "",
}


ASSESSMENT_DEFAULTS = {
    "skin_bsa_percent": "0",
    "skin_bullae": "false",
    "skin_desquamation_percent": "0",
    "bilirubin": "0.8",
    "bilirubin_unit": "mg/dL",
    "upper_gi_persistent": "false",
    "stool_ml_per_day": "",
    "stool_episodes_per_day": "",
    "stool_mixed_with_urine": "false",
    "weight_kg": "60",
    "severe_abdominal_pain": "false",
    "ileus": "false",
    "bloody_stool": "false",
}


AE_DEFAULTS = {
    "term_specify": "",
    "serious": "false",
    "related_to_study_agent": "false",
    "infusion_related": "false",
    "resolution_date": "",
}


EVENT_DEFAULTS = {
    "death_cause": "",
    "death_relapse_related": "",
    "cgvhd_nih_severity": "",
    "discontinuation_reason": "",
    "details": "",
}
