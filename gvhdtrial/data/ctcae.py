"""CTCAE v5.0 terms and system organ classes (SOCs) used by the adverse-event table.

Adverse events are recorded with their CTCAE v5.0 term (a MedDRA lowest-level term) and its
SOC (NCI, Common Terminology Criteria for Adverse Events v5.0, 27 Nov 2017). For a term ending
in "Other, specify" the verbatim event goes in ``adverse_events.term_specify``.

The paper's Table 3 prints its own, shorter, labels ("Thrombocytopenia", "Pneumonia", ...).
:data:`TABLE3_TERMS` maps each of them to the CTCAE term (and specify text) it is recorded as,
so that the report can count the rows of Table 3 from raw AE records. The mapping is this
project's coding choice where CTCAE has no term of the same name (e.g. "Cytomegalovirus
DNAemia" -> "Cytomegalovirus infection reactivation"; "TMA" -> "Blood and lymphatic system
disorders - Other, specify: transplant-associated thrombotic microangiopathy").

The list holds the terms this trial needs, not the whole of CTCAE; add a term here (with its
CTCAE SOC) before it is used in data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

BLOOD = "Blood and lymphatic system disorders"
CARDIAC = "Cardiac disorders"
CONGENITAL = "Congenital, familial and genetic disorders"
EAR = "Ear and labyrinth disorders"
ENDOCRINE = "Endocrine disorders"
EYE = "Eye disorders"
GI = "Gastrointestinal disorders"
GENERAL = "General disorders and administration site conditions"
HEPATOBILIARY = "Hepatobiliary disorders"
IMMUNE = "Immune system disorders"
INFECTIONS = "Infections and infestations"
INJURY = "Injury, poisoning and procedural complications"
INVESTIGATIONS = "Investigations"
METABOLISM = "Metabolism and nutrition disorders"
MUSCULOSKELETAL = "Musculoskeletal and connective tissue disorders"
NEOPLASMS = "Neoplasms benign, malignant and unspecified (incl cysts and polyps)"
NERVOUS = "Nervous system disorders"
PREGNANCY = "Pregnancy, puerperium and perinatal conditions"
PSYCHIATRIC = "Psychiatric disorders"
RENAL = "Renal and urinary disorders"
REPRODUCTIVE = "Reproductive system and breast disorders"
RESPIRATORY = "Respiratory, thoracic and mediastinal disorders"
SKIN = "Skin and subcutaneous tissue disorders"
SOCIAL = "Social circumstances"
SURGICAL = "Surgical and medical procedures"
VASCULAR = "Vascular disorders"

#: The 26 system organ classes of CTCAE v5.0.
SOCS: tuple[str, ...] = (
    BLOOD,
    CARDIAC,
    CONGENITAL,
    EAR,
    ENDOCRINE,
    EYE,
    GI,
    GENERAL,
    HEPATOBILIARY,
    IMMUNE,
    INFECTIONS,
    INJURY,
    INVESTIGATIONS,
    METABOLISM,
    MUSCULOSKELETAL,
    NEOPLASMS,
    NERVOUS,
    PREGNANCY,
    PSYCHIATRIC,
    RENAL,
    REPRODUCTIVE,
    RESPIRATORY,
    SKIN,
    SOCIAL,
    SURGICAL,
    VASCULAR,
)

# CTCAE v5.0 term -> SOC. Named terms first, then the "Other, specify" term of each SOC used.
SOC_OF_TERM: Mapping[str, str] = {
    # Blood and lymphatic system disorders
    "Anemia": BLOOD,
    "Leukocytosis": BLOOD,
    "Febrile neutropenia": BLOOD,
    "Hemolytic uremic syndrome": BLOOD,
    "Thrombotic thrombocytopenic purpura": BLOOD,
    "Disseminated intravascular coagulation": BLOOD,
    # Cardiac disorders
    "Heart failure": CARDIAC,
    "Atrial fibrillation": CARDIAC,
    "Sinus tachycardia": CARDIAC,
    "Ventricular arrhythmia": CARDIAC,
    # Endocrine disorders
    "Hypothyroidism": ENDOCRINE,
    "Hyperthyroidism": ENDOCRINE,
    # Gastrointestinal disorders
    "Abdominal pain": GI,
    "Anal mucositis": GI,
    "Diarrhea": GI,
    "Lower gastrointestinal hemorrhage": GI,
    "Upper gastrointestinal hemorrhage": GI,
    "Mucositis oral": GI,
    "Nausea": GI,
    "Small intestinal obstruction": GI,
    "Ileus": GI,
    "Vomiting": GI,
    # General disorders and administration site conditions
    "Death NOS": GENERAL,
    "Edema limbs": GENERAL,
    "Fever": GENERAL,
    "Fatigue": GENERAL,
    "Infusion related reaction": GENERAL,
    "Multi-organ failure": GENERAL,
    # Hepatobiliary disorders
    "Cholecystitis": HEPATOBILIARY,
    "Hepatic failure": HEPATOBILIARY,
    # Immune system disorders
    "Allergic reaction": IMMUNE,
    "Anaphylaxis": IMMUNE,
    # Infections and infestations
    "Cytomegalovirus infection reactivation": INFECTIONS,
    "Encephalitis infection": INFECTIONS,
    "Enterocolitis infectious": INFECTIONS,
    "Epstein-Barr virus infection reactivation": INFECTIONS,
    "Lung infection": INFECTIONS,
    "Sepsis": INFECTIONS,
    "Upper respiratory infection": INFECTIONS,
    "Urinary tract infection": INFECTIONS,
    "Bacteremia": INFECTIONS,
    "Fungemia": INFECTIONS,
    # Investigations
    "Activated partial thromboplastin time prolonged": INVESTIGATIONS,
    "Alanine aminotransferase increased": INVESTIGATIONS,
    "Blood bilirubin increased": INVESTIGATIONS,
    "Creatinine increased": INVESTIGATIONS,
    "Fibrinogen decreased": INVESTIGATIONS,
    "INR increased": INVESTIGATIONS,
    "Lymphocyte count decreased": INVESTIGATIONS,
    "Neutrophil count decreased": INVESTIGATIONS,
    "Platelet count decreased": INVESTIGATIONS,
    "Weight loss": INVESTIGATIONS,
    "White blood cell decreased": INVESTIGATIONS,
    # Metabolism and nutrition disorders
    "Alkalosis": METABOLISM,
    "Hyperglycemia": METABOLISM,
    "Hypoalbuminemia": METABOLISM,
    "Hypocalcemia": METABOLISM,
    "Hypoglycemia": METABOLISM,
    "Hypokalemia": METABOLISM,
    "Hypomagnesemia": METABOLISM,
    "Hyponatremia": METABOLISM,
    # Musculoskeletal and connective tissue disorders
    "Generalized muscle weakness": MUSCULOSKELETAL,
    # Nervous system disorders
    "Intracranial hemorrhage": NERVOUS,
    "Seizure": NERVOUS,
    "Stroke": NERVOUS,
    # Psychiatric disorders
    "Insomnia": PSYCHIATRIC,
    # Renal and urinary disorders
    "Acute kidney injury": RENAL,
    "Cystitis noninfective": RENAL,
    "Hematuria": RENAL,
    # Respiratory, thoracic and mediastinal disorders
    "Pleural effusion": RESPIRATORY,
    "Productive cough": RESPIRATORY,
    "Respiratory failure": RESPIRATORY,
    # Skin and subcutaneous tissue disorders
    "Rash maculo-papular": SKIN,
    # Vascular disorders
    "Hypertension": VASCULAR,
    "Hypotension": VASCULAR,
    # "Other, specify" terms (the verbatim event goes in term_specify)
    "Blood and lymphatic system disorders - Other, specify": BLOOD,
    "Cardiac disorders - Other, specify": CARDIAC,
    "Endocrine disorders - Other, specify": ENDOCRINE,
    "Gastrointestinal disorders - Other, specify": GI,
    "General disorders and administration site conditions - Other, specify": GENERAL,
    "Hepatobiliary disorders - Other, specify": HEPATOBILIARY,
    "Immune system disorders - Other, specify": IMMUNE,
    "Infections and infestations - Other, specify": INFECTIONS,
    "Investigations - Other, specify": INVESTIGATIONS,
    "Metabolism and nutrition disorders - Other, specify": METABOLISM,
    "Nervous system disorders - Other, specify": NERVOUS,
    "Renal and urinary disorders - Other, specify": RENAL,
    "Respiratory, thoracic and mediastinal disorders - Other, specify": RESPIRATORY,
    "Vascular disorders - Other, specify": VASCULAR,
}

#: Every CTCAE v5.0 term the data may use, sorted.
CTCAE_TERMS: tuple[str, ...] = tuple(sorted(SOC_OF_TERM))
#: The terms that need ``term_specify``.
OTHER_SPECIFY_TERMS: tuple[str, ...] = tuple(t for t in CTCAE_TERMS if t.endswith("Other, specify"))


@dataclass(frozen=True)
class PaperTerm:
    """One row label of the paper's Table 3 and the CTCAE v5.0 coding behind it."""

    display: str  # as printed in Table 3
    group: str  # Table 3 sub-heading it stands under ("" for none)
    term: str  # CTCAE v5.0 term
    specify: str = ""  # term_specify text for an "Other, specify" term

    @property
    def soc(self) -> str:
        return SOC_OF_TERM[self.term]


_H, _C, _M = "Hematologic", "Clinical diagnosed infection", "Microbiologically documented infection"
_INF_OTHER = "Infections and infestations - Other, specify"

#: Table 3 (AEs to day 180, safety set) row labels, in the paper's order.
TABLE3_TERMS: tuple[PaperTerm, ...] = (
    PaperTerm("Thrombocytopenia", _H, "Platelet count decreased"),
    PaperTerm("Leukopenia", _H, "White blood cell decreased"),
    PaperTerm("Anemia", _H, "Anemia"),
    PaperTerm("Neutropenia", _H, "Neutrophil count decreased"),
    PaperTerm("Leukocytosis", _H, "Leukocytosis"),
    PaperTerm("Pneumonia", _C, "Lung infection"),
    PaperTerm("Upper respiratory tract infection", _C, "Upper respiratory infection"),
    PaperTerm("Gastrointestinal infection", _C, "Enterocolitis infectious"),
    PaperTerm("Urinary tract infection", _C, "Urinary tract infection"),
    PaperTerm("Sepsis", _C, "Sepsis"),
    PaperTerm("Central nervous system infection", _C, "Encephalitis infection"),
    PaperTerm("Cytomegalovirus DNAemia", _M, "Cytomegalovirus infection reactivation"),
    PaperTerm("Cytomegalovirus disease", _M, _INF_OTHER, "Cytomegalovirus disease"),
    PaperTerm("Fungal infection", _M, _INF_OTHER, "Fungal infection"),
    PaperTerm("Epstein–Barr virus infection", _M, "Epstein-Barr virus infection reactivation"),
    PaperTerm("Other viral infection", _M, _INF_OTHER, "Other viral infection"),
    PaperTerm("Bacterial infection", _M, _INF_OTHER, "Bacterial infection"),
    PaperTerm("Fever", "", "Fever"),
    PaperTerm("Hypokalemia", "", "Hypokalemia"),
    PaperTerm("Hypofibrinogenemia", "", "Fibrinogen decreased"),
    PaperTerm("Hypoalbuminemia", "", "Hypoalbuminemia"),
    PaperTerm("Weight loss", "", "Weight loss"),
    PaperTerm("Hypocalcemia", "", "Hypocalcemia"),
    PaperTerm("Hemorrhagic cystitis", "", "Cystitis noninfective"),
    PaperTerm("Gastrointestinal bleeding", "", "Lower gastrointestinal hemorrhage"),
    PaperTerm("Vomiting", "", "Vomiting"),
    PaperTerm("Coagulation abnormality", "", "Activated partial thromboplastin time prolonged"),
    PaperTerm("Peripheral edema", "", "Edema limbs"),
    PaperTerm(
        "TMA",
        "",
        "Blood and lymphatic system disorders - Other, specify",
        "Transplant-associated thrombotic microangiopathy",
    ),
    PaperTerm("Kidney injury", "", "Acute kidney injury"),
    PaperTerm("Diarrhea", "", "Diarrhea"),
    PaperTerm("Arrhythmia", "", "Cardiac disorders - Other, specify", "Arrhythmia"),
    PaperTerm("Oral mucositis", "", "Mucositis oral"),
    PaperTerm("Excessive phlegm", "", "Productive cough"),
    PaperTerm("Hypertension", "", "Hypertension"),
    PaperTerm("Hypomagnesemia", "", "Hypomagnesemia"),
    PaperTerm("Blood bilirubin increased", "", "Blood bilirubin increased"),
    PaperTerm("Epilepsy", "", "Seizure"),
    PaperTerm(
        "Hypogammaglobulinemia",
        "",
        "Immune system disorders - Other, specify",
        "Hypogammaglobulinemia",
    ),
    PaperTerm("Abdominal pain", "", "Abdominal pain"),
    PaperTerm("Insomnia", "", "Insomnia"),
    PaperTerm("Heart failure", "", "Heart failure"),
    PaperTerm("Hyponatremia", "", "Hyponatremia"),
    PaperTerm("Hypoglycemia", "", "Hypoglycemia"),
    PaperTerm("Pleural effusion", "", "Pleural effusion"),
    PaperTerm("Hyperglycemia", "", "Hyperglycemia"),
    PaperTerm(
        "Drug-related liver injury",
        "",
        "Hepatobiliary disorders - Other, specify",
        "Drug-induced liver injury",
    ),
    PaperTerm("Thyroid disorder", "", "Endocrine disorders - Other, specify", "Thyroid disorder"),
    PaperTerm("Muscle weakness", "", "Generalized muscle weakness"),
    PaperTerm("Anusitis", "", "Anal mucositis"),
    PaperTerm("Cerebral hemorrhage", "", "Intracranial hemorrhage"),
    PaperTerm("Respiratory alkalosis", "", "Alkalosis"),
    PaperTerm("Cholecystitis", "", "Cholecystitis"),
    PaperTerm("Death not else classified", "", "Death NOS"),
    PaperTerm("Intestinal obstruction", "", "Small intestinal obstruction"),
    PaperTerm("Hemorrhagic shock", "", "Vascular disorders - Other, specify", "Hemorrhagic shock"),
    PaperTerm("Cerebral infarction", "", "Stroke"),
    PaperTerm(
        "Veno-occlusive liver disease",
        "",
        "Hepatobiliary disorders - Other, specify",
        "Veno-occlusive disease / sinusoidal obstruction syndrome",
    ),
)

_BY_CODING: Mapping[tuple[str, str], PaperTerm] = {
    (p.term, p.specify.casefold()): p for p in TABLE3_TERMS
}
_BY_DISPLAY: Mapping[str, PaperTerm] = {p.display: p for p in TABLE3_TERMS}


def soc_of(term: str) -> str:
    """The CTCAE v5.0 system organ class of ``term`` (KeyError if the term is not listed)."""
    return SOC_OF_TERM[term]


def paper_term(display: str) -> PaperTerm:
    """The coding of a Table 3 row label, e.g. ``paper_term("Thrombocytopenia").term``."""
    return _BY_DISPLAY[display]


def table3_label(term: str, specify: str | None = None) -> str | None:
    """The Table 3 row an AE coded ``(term, specify)`` counts under, or None if not listed."""
    key_specify = (specify or "").casefold() if term in OTHER_SPECIFY_TERMS else ""
    found = _BY_CODING.get((term, key_specify))
    return found.display if found else None


# ---------------------------------------------------------------------------------------------
# Table 3's listing rule (paper, Table 3 footnote; docs/protocol.md section 10): an AE term is
# listed when, in either arm, >= 10 % of the safety set had it at any grade, >= 5 % at grade
# 3-4, or anyone at grade 5. Exact integer arithmetic (listed when count / n >= num / den).
# ---------------------------------------------------------------------------------------------
TABLE3_LISTING: Final[Mapping[str, tuple[int, int]]] = {
    "any_grade": (1, 10),
    "grade_3_4": (1, 20),
}


def table3_listed(any_n: int, g34_n: int, g5_n: int, total: int) -> bool:
    """Whether Table 3 lists a term, from its counts in one arm of ``total`` patients."""
    num, den = TABLE3_LISTING["any_grade"]
    num34, den34 = TABLE3_LISTING["grade_3_4"]
    return den * any_n >= num * total or den34 * g34_n >= num34 * total or g5_n > 0


def table3_largest_unlisted(total: int) -> tuple[int, int]:
    """The largest (any grade, grade 3-4) counts in an arm of ``total`` that are not listed."""
    num, den = TABLE3_LISTING["any_grade"]
    num34, den34 = TABLE3_LISTING["grade_3_4"]
    return -(-num * total // den) - 1, -(-num34 * total // den34) - 1
