"""The hand-made patients of the analysis tests; each comment names what the patient tests."""

from __future__ import annotations

from .builder import CLEAR, GUT1, GUT2, LIVER2, SKIN3, PatientSpec


def cases() -> list[PatientSpec]:
    return [
        # A01: progression on steroids (category 1); PR d28, CR from d42 lasting > 28 days.
        PatientSpec(
            "A01",
            "MSC",
            post=[(14, GUT1), (28, GUT1), (42, CLEAR), (56, CLEAR), (70, CLEAR), (84, CLEAR)],
            aes=[
                {
                    "term": "Platelet count decreased",
                    "soc": "Investigations",
                    "grade": "3",
                    "day": 5,
                }
            ],
        ),
        # A02: died on day 20 (early death), 6 infusions: NR at d28, not per-protocol.
        PatientSpec(
            "A02",
            "control",
            n_infusions=6,
            death=(20, False),
            discontinuation=(20, "death"),
            aes=[
                {
                    "term": "Sepsis",
                    "soc": "Infections and infestations",
                    "grade": "5",
                    "serious": "true",
                    "day": 20,
                },
            ],
        ),
        # A03: salvage on day 10, clear at d28: NR (salvage); FFS failure at day 10.
        PatientSpec("A03", "MSC", salvage=(10, "ruxolitinib"), post=[(28, CLEAR)]),
        # A04: 8 infusions, withdrew on day 26 without a d28 visit: NR, stays in PP (literal).
        PatientSpec("A04", "control", discontinuation=(26, "consent_withdrawn")),
        # A05: 7 infusions, stayed on study, PR at d28: a responder outside PP.
        PatientSpec(
            "A05",
            "MSC",
            n_infusions=7,
            post=[(28, GUT1)],
            aes=[
                {
                    "term": "Infusion related reaction",
                    "soc": "General disorders and administration site conditions",
                    "grade": "1",
                    "related_to_study_agent": "true",
                    "infusion_related": "true",
                    "day": 1,
                },
            ],
        ),
        # A06: steroid dependence (dose back up to >= 2 mg/kg/day during taper), grade II;
        # moderate cGVHD on day 100 before relapse on day 200.
        PatientSpec(
            "A06",
            "control",
            baseline=dict(GUT1),
            steroid_start=-30,
            doses=[(-30, 120.0), (-20, 60.0), (-12, 130.0)],
            course=[(-30, dict(GUT2)), (-24, dict(GUT1)), (-16, dict(CLEAR))],
            relapse=200,
            cgvhd=(100, "moderate"),
        ),
        # A07: relapse on day 300, relapse death on day 350.
        PatientSpec("A07", "MSC", relapse=300, death=(350, True), baseline={**SKIN3, **LIVER2}),
        # A08: mild cGVHD on day 90, non-relapse death on day 500.
        PatientSpec("A08", "control", cgvhd=(90, "mild"), death=(500, False)),
        # A09: visits on d25 (unchanged) and d30 (clear): the nearest to d28 is d30 -> CR.
        PatientSpec("A09", "MSC", post=[(25, GUT2), (30, CLEAR)]),
        # A10: only visit on d33, outside d28 +/- 3: NR by non-responder imputation.
        PatientSpec("A10", "control", post=[(33, CLEAR)]),
    ]
