"""The analysis plan's rule for two proportions, and the odds ratio.

Golden values: the paper's Table 2 and Results text (transcribed in
gvhdtrial/analysis/published/table2.csv, copied below and checked against it) and its
Discussion (salvage treatment). R values (chisq.test, fisher.test) from
tests/fixtures/survival_reference.json.
"""

from __future__ import annotations

import csv
import io
import math

import pytest
from survival_ref import close, close_p, reference

from gvhdtrial.stats import compare_proportions
from gvhdtrial.stats.proportions import sap_rule

# Paper Table 2 (ITT subgroups) and Results text; columns as in the spec's table2.csv.
TABLE2 = (
    (
        "endpoint,population,subgroup,msc_x,msc_n,control_x,control_n,"
        "p_value,odds_ratio,ci_low,ci_high,source\n"
    )
    + """ORR_D28,ITT,all,24,40,19,38,0.375,1.50,0.61,3.68,Table 2; Results text
ORR_D28,ITT,grade:II,16,21,14,23,0.276,,,,Table 2
ORR_D28,ITT,grade:III-IV,8,19,5,15,0.728,,,,Table 2
ORR_D28,ITT,organ:skin,11,19,9,16,1,,,,Table 2
ORR_D28,ITT,organ:gut,14,26,9,26,0.163,,,,Table 2
ORR_D28,ITT,organ:liver,6,12,4,7,1,,,,Table 2
ORR_D28,ITT,organs:1,17,25,16,29,0.335,,,,Table 2
ORR_D28,ITT,organs:>=2,7,15,3,9,0.678,,,,Table 2
ORR_D28,ITT,steroid:dependence,7,7,4,5,0.417,,,,Table 2
ORR_D28,ITT,steroid:resistance,17,33,15,33,0.622,,,,Table 2
ORR_D56,ITT,all,20,40,13,38,0.158,1.92,0.77,4.79,Table 2; Results text
ORR_D56,ITT,grade:II,13,21,10,23,0.222,,,,Table 2
ORR_D56,ITT,grade:III-IV,7,19,3,15,0.451,,,,Table 2
ORR_D56,ITT,organ:skin,9,19,7,16,1,,,,Table 2
ORR_D56,ITT,organ:gut,10,26,5,26,0.126,,,,Table 2
ORR_D56,ITT,organ:liver,6,12,1,7,0.173,,,,Table 2
ORR_D56,ITT,organs:1,15,25,13,29,0.266,,,,Table 2
ORR_D56,ITT,organs:>=2,5,15,0,9,0.118,,,,Table 2
ORR_D56,ITT,steroid:dependence,7,7,2,5,0.045,,,,Table 2
ORR_D56,ITT,steroid:resistance,13,33,11,33,0.609,,,,Table 2
DCR,ITT,all,17,40,12,38,0.318,1.60,0.63,4.05,Table 2; Results text
DCR,ITT,grade:II,12,21,10,23,0.365,,,,Table 2
DCR,ITT,grade:III-IV,5,19,2,15,0.426,,,,Table 2
DCR,ITT,organ:skin,6,19,8,16,0.317,,,,Table 2
DCR,ITT,organ:gut,8,26,3,26,0.09,,,,Table 2
DCR,ITT,organ:liver,6,12,1,7,0.173,,,,Table 2
DCR,ITT,organs:1,14,25,12,29,0.284,,,,Table 2
DCR,ITT,organs:>=2,3,15,0,9,0.266,,,,Table 2
DCR,ITT,steroid:dependence,7,7,2,5,0.045,,,,Table 2
DCR,ITT,steroid:resistance,10,33,10,33,1,,,,Table 2
ORR_D28,PP,all,23,32,14,30,0.043,2.92,1.02,8.37,Results text
CR_D28,PP,all,18,32,10,30,0.07,2.57,0.92,7.21,Results text
ORR_D56,PP,all,19,32,12,30,0.127,2.19,0.79,6.05,Results text
DCR,PP,all,16,32,10,30,0.184,2.00,0.72,5.59,Results text
ORR_D28,PP,organ:gut,14,21,7,21,0.031,4.00,1.11,14.43,Results text
"""
)
ROWS = list(csv.DictReader(io.StringIO(TABLE2)))


def _decimals(printed: str) -> int:
    return len(printed.split(".")[1]) if "." in printed else 0


def _as_printed(value: float, printed: str) -> bool:
    """True if value rounds to the printed number at the printed precision."""
    return abs(value - float(printed)) <= 0.5 * 10 ** -_decimals(printed) + 1e-12


def _row_id(row: dict[str, str]) -> str:
    return f"{row['endpoint']}-{row['population']}-{row['subgroup']}"


@pytest.mark.parametrize("row", ROWS, ids=_row_id)
def test_sap_rule_reproduces_paper_table2_p_values(row: dict[str, str]) -> None:
    """Source: paper Table 2 and Results text, every p-value, by the SAP rule."""
    res = compare_proportions(
        int(row["msc_x"]), int(row["msc_n"]), int(row["control_x"]), int(row["control_n"])
    )
    assert res.test == res.rule_test
    assert _as_printed(res.p_value, row["p_value"]), (res.test, res.p_value, row["p_value"])


@pytest.mark.parametrize("row", [r for r in ROWS if r["odds_ratio"]], ids=_row_id)
def test_woolf_odds_ratio_reproduces_paper_results_text(row: dict[str, str]) -> None:
    """Source: paper Results text, odds ratios with 95 % CI (e.g. 24/40 vs 19/38:
    OR 1.50, 95 % CI 0.61-3.68, p = 0.375)."""
    res = compare_proportions(
        int(row["msc_x"]), int(row["msc_n"]), int(row["control_x"]), int(row["control_n"])
    )
    for value, key in (
        (res.odds_ratio, "odds_ratio"),
        (res.ci_low, "ci_low"),
        (res.ci_high, "ci_high"),
    ):
        assert _as_printed(value, row[key]), (key, value, row[key])
    assert not res.haldane_corrected


def test_orr_itt_primary_comparison_from_results_text() -> None:
    """Source: paper Results / docs/protocol.md section 8: 24/40 vs 19/38, OR 1.50,
    95 % CI 0.61-3.68, p = 0.375 (Pearson)."""
    res = compare_proportions(24, 40, 19, 38)
    assert res.test == "pearson"
    assert (round(res.odds_ratio, 2), round(res.ci_low, 2), round(res.ci_high, 2)) == (
        1.5,
        0.61,
        3.68,
    )
    assert round(res.p_value, 3) == 0.375


def test_grade_iii_off_rule_comparison_from_results_text() -> None:
    """Source: paper Results text, ORR d28 in grade III: 6/16 vs 5/15, OR 1.20,
    95 % CI 0.27-5.25, p = 0.809, a Pearson test although N = 31; the rule gives Fisher
    p = 1.0 (spec table2.csv, last row)."""
    by_rule = compare_proportions(6, 16, 5, 15)
    assert by_rule.test == "fisher" and round(by_rule.p_value, 3) == 1.0
    pearson = compare_proportions(6, 16, 5, 15, test="pearson")
    assert pearson.rule_test == "fisher" and pearson.test == "pearson"
    assert round(pearson.p_value, 3) == 0.809
    assert (round(pearson.odds_ratio, 2), round(pearson.ci_low, 2), round(pearson.ci_high, 2)) == (
        1.2,
        0.27,
        5.25,
    )
    assert "override" in pearson.summary()


@pytest.mark.parametrize(
    ("counts", "printed"),
    [((11, 40, 15, 38), "0.262"), ((8, 32, 13, 30), "0.127")],
    ids=["ITT", "PP"],
)
def test_salvage_treatment_comparisons_from_discussion(counts: tuple, printed: str) -> None:
    """Source: paper Discussion: salvage treatment 27.5 % vs 39.5 % (11/40 vs 15/38),
    p = 0.262; per-protocol 25.0 % vs 43.3 % (8/32 vs 13/30), p = 0.127."""
    res = compare_proportions(*counts)
    assert res.test == "pearson"
    assert _as_printed(res.p_value, printed)


@pytest.mark.parametrize("case", range(10))
def test_chi_square_and_fisher_against_R(case: int) -> None:
    """Source: R chisq.test(correct = FALSE / TRUE) and fisher.test on 2 x 2 tables."""
    r = reference()["proportions"][case]
    x1, n1, x2, n2 = (int(v) for v in r["counts"])
    for test, key in (("pearson", "pearson"), ("yates", "yates"), ("fisher", "fisher")):
        if test != "fisher" and r["expected_min"][0] == 0:
            continue
        res = compare_proportions(x1, n1, x2, n2, test=test)
        close_p(res.p_value, r[f"{key}_p"])
        if test != "fisher":
            close(res.statistic, r[f"{key}_stat"])
    close(compare_proportions(x1, n1, x2, n2).min_expected, r["expected_min"])


@pytest.mark.parametrize(
    ("total", "min_expected", "test"),
    [
        (40, 5.0, "pearson"),  # both thresholds met exactly
        (78, 17.05, "pearson"),
        (40, 4.99, "yates"),
        (52, 1.0, "yates"),  # lower bound of the corrected band
        (52, 0.99, "fisher"),
        (39, 10.0, "fisher"),  # N < 40 always Fisher
        (12, 0.42, "fisher"),
    ],
)
def test_sap_rule_truth_table(total: int, min_expected: float, test: str) -> None:
    """Source: docs/protocol.md section 8 (N >= 40 & E >= 5 Pearson; N >= 40 & 1 <= E < 5
    Yates; else Fisher)."""
    assert sap_rule(total, min_expected) == test


def test_zero_cell_uses_haldane_correction_and_says_so() -> None:
    """Table 2, ORR d56 organs >= 2: 5/15 vs 0/9 has a zero cell."""
    res = compare_proportions(5, 15, 0, 9)
    a, b, c, d = 5.5, 10.5, 0.5, 9.5
    assert math.isclose(res.odds_ratio, a * d / (b * c))
    se = math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    assert math.isclose(res.ci_low, a * d / (b * c) * math.exp(-1.959963984540054 * se))
    assert res.haldane_corrected
    assert "Haldane" in res.summary()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((-1, 10, 2, 10), "x1 must satisfy 0 <= x1 <= n1 = 10, got -1"),
        ((11, 10, 2, 10), "x1 must satisfy 0 <= x1 <= n1 = 10, got 11"),
        ((1, 10, 12, 10), "x2 must satisfy 0 <= x2 <= n2 = 10, got 12"),
        ((0, 0, 2, 10), "n1 must be > 0, got 0"),
        ((1, 10, 0, -3), "n2 must be > 0, got -3"),
        ((1.5, 10, 2, 10), "x1 must be a whole number, got 1.5"),
    ],
)
def test_invalid_counts_raise_clear_errors(args: tuple, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        compare_proportions(*args)


def test_unknown_test_override_is_refused() -> None:
    with pytest.raises(ValueError, match="test must be one of"):
        compare_proportions(1, 10, 2, 10, test="barnard")  # type: ignore[arg-type]


def test_chi_square_with_empty_margin_is_refused() -> None:
    with pytest.raises(ValueError, match="margin is zero"):
        compare_proportions(0, 40, 0, 40, test="pearson")
    assert compare_proportions(0, 40, 0, 40).p_value == 1.0  # Fisher by the rule


def test_summary_names_the_test() -> None:
    text = compare_proportions(24, 40, 19, 38).summary()
    assert "Pearson chi-square" in text and "1.50" in text and "0.61" in text


SPEC_TABLE2 = (
    __import__("pathlib").Path(__file__).resolve().parents[2]
    / "gvhdtrial/analysis/published/table2.csv"
)


def test_inline_table2_matches_the_spec_transcription() -> None:
    """The copy above is the spec's table2.csv minus its last (off-rule, grade III) row."""
    spec = list(csv.DictReader(SPEC_TABLE2.open()))
    assert spec[:-1] == ROWS
    assert spec[-1]["subgroup"] == "grade:III" and spec[-1]["p_value"] == "0.809"
