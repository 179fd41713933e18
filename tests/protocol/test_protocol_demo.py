"""The worked example behind ``gvhdtrial demo`` (docs/protocol.md sections 1-5 on one patient)."""

from __future__ import annotations

from rich.console import Console

from gvhdtrial.protocol import OrganStages
from gvhdtrial.protocol.demo import print_worked_example, worked_example


def test_worked_example_derivations_magic_harris_2016_and_paper_methods() -> None:
    example = worked_example()
    # 30 % BSA -> skin 2; 58 umol/L = 3.39 mg/dL -> liver 2; 1200 mL/day -> lower GI 2.
    assert example.baseline_stages == OrganStages(skin=2, liver=2, upper_gi=0, lower_gi=2)
    # 10 % BSA -> 1; 1.4 mg/dL -> 0; 600 mL/day -> 1: every involved organ improved.
    assert example.day28_stages == OrganStages(skin=1, liver=0, upper_gi=0, lower_gi=1)
    assert example.refractoriness.category == 2
    assert example.day28_response == "PR"
    assert example.plan.number_of_infusions == 16
    assert example.plan.bags_per_infusion == 3


def test_print_worked_example_shows_every_derived_item() -> None:
    console = Console(record=True, width=120)
    print_worked_example(console)
    text = console.export_text()
    for expected in (
        "MAGIC grade",
        "Glucksberg",
        "IBMTR index",
        "category 2 (resistance)",
        "PR",
        "0.98 x 10^6 cells/kg",
        "2024-03-12",
        "day 360",
    ):
        assert expected in text
