"""Every adverse-event row of the paper's Table 3 shall have a CTCAE v5.0 coding."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from gvhdtrial.data import ctcae

TABLE3 = Path(__file__).resolve().parents[2] / "gvhdtrial/analysis/published/table3.csv"


def _table3_terms() -> list[str]:
    with TABLE3.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    # rows with counts are AE terms; the rest are headings; the first row is the total
    return [r["event"] for r in rows if r["msc_any"] and r["event"] != "Any adverse event"]


def test_every_table3_term_is_coded() -> None:
    terms = _table3_terms()
    assert [p.display for p in ctcae.TABLE3_TERMS] == terms


def test_codings_are_distinct_and_valid() -> None:
    codings = {(p.term, p.specify.casefold()) for p in ctcae.TABLE3_TERMS}
    assert len(codings) == len(ctcae.TABLE3_TERMS)
    for p in ctcae.TABLE3_TERMS:
        assert p.term in ctcae.CTCAE_TERMS
        assert p.soc in ctcae.SOCS
        assert bool(p.specify) == (p.term in ctcae.OTHER_SPECIFY_TERMS)
        assert ctcae.table3_label(p.term, p.specify or None) == p.display


@pytest.mark.parametrize(
    ("display", "term", "soc"),
    [
        ("Thrombocytopenia", "Platelet count decreased", "Investigations"),
        ("Leukopenia", "White blood cell decreased", "Investigations"),
        ("Anemia", "Anemia", "Blood and lymphatic system disorders"),
        ("Pneumonia", "Lung infection", "Infections and infestations"),
        ("Fever", "Fever", "General disorders and administration site conditions"),
        ("Cerebral hemorrhage", "Intracranial hemorrhage", "Nervous system disorders"),
    ],
)
def test_known_codings(display: str, term: str, soc: str) -> None:
    p = ctcae.paper_term(display)
    assert (p.term, p.soc) == (term, soc)


def test_unlisted_codings_have_no_table3_row() -> None:
    assert ctcae.table3_label("Nausea") is None
    assert ctcae.table3_label(ctcae.OTHER_SPECIFY_TERMS[0], "something else") is None
    # the specify text is matched without regard to case
    assert ctcae.table3_label("Cardiac disorders - Other, specify", "ARRHYTHMIA") == "Arrhythmia"


def test_every_soc_of_the_list_is_a_ctcae_soc() -> None:
    assert len(ctcae.SOCS) == 26
    assert set(ctcae.SOC_OF_TERM.values()) <= set(ctcae.SOCS)
