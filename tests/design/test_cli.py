"""``gvhdtrial design``: the report from a TOML scenario, and one clear error for bad input."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from gvhdtrial.cli import app
from gvhdtrial.design import group_sequential, sample_size_rates

SCENARIO = """
title = "two looks"
[design]
k_max = 2
type_of_design = "OF"
futility_bounds = [0.0]
[[effects]]
name = "phase 2"
pi1 = 0.667
pi2 = 0.333
[operating]
pi1 = [0.333, 0.5, 0.667]
"""


def test_report_has_boundaries_sizes_and_operating_characteristics(tmp_path):
    src = tmp_path / "s.toml"
    src.write_text(SCENARIO)
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["design", "report", str(src), "--out", str(out), "-q"])
    assert res.exit_code == 0, res.output
    page = (out / "design_report.html").read_text()
    assert page.count("data:image/png;base64,") == 2
    design = group_sequential(k_max=2, type_of_design="OF", futility_bounds=[0.0])
    bounds = pd.read_csv(out / "boundaries.csv")
    assert bounds["critical value (z)"].tolist() == pytest.approx(design.critical_values)
    plan = sample_size_rates(design, pi1=0.667, pi2=0.333)
    sizes = pd.read_csv(out / "sample_size.csv")
    assert sizes["N maximum"].iloc[0] == int(-(-plan.max_number_of_subjects // 1))
    oc = pd.read_csv(out / "operating_characteristics.csv")
    assert oc["ORR experimental"].tolist() == [0.333, 0.5, 0.667]
    # under H0 (0.333 vs 0.333) the exact level is near the one-sided 0.025
    assert oc["P(reject H0)"].iloc[0] < 0.04
    assert (out / "boundaries.png").read_bytes()[:4] == b"\x89PNG"


def test_the_report_in_chinese(tmp_path):
    """--lang zh: the page's headings, the summary and the tables' headings in Chinese (the
    committed catalogue); the CSV tables keep their English columns."""
    src = tmp_path / "s.toml"
    src.write_text(SCENARIO)
    out = tmp_path / "out"
    res = CliRunner().invoke(
        app, ["design", "report", str(src), "--out", str(out), "-q", "--lang", "zh"]
    )
    assert res.exit_code == 0, res.output
    page = (out / "design_report.html").read_text()
    for text in ("<h2>界值</h2>", "<h2>样本量</h2>", "最大 N", "膨胀因子", '<html lang="zh-Hans">'):
        assert text in page, text
    assert "Sample size" not in page and "N maximum" not in page
    assert "N maximum" in pd.read_csv(out / "sample_size.csv").columns
    bad = CliRunner().invoke(app, ["design", "report", str(src), "--out", str(out), "--lang", "fr"])
    assert bad.exit_code == 2 and "--lang 'fr'" in bad.output


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (SCENARIO.replace("k_max = 2", "kmax = 2"), "[design] unknown key 'kmax'"),
        (SCENARIO.replace("pi1 = 0.667\n", 'pi1 = "high"\n', 1), "pi1 = 'high': expected float"),
        (SCENARIO.replace('type_of_design = "OF"', 'type_of_design = "XX"'), "type_of_design"),
        (SCENARIO.replace("pi2 = 0.333", "pi2 = 1.5"), "pi2 must be in (0, 1)"),
        ("title = [", "not valid TOML"),
    ],
)
def test_bad_scenario_gives_one_clear_error_and_writes_nothing(tmp_path, text, message):
    src = tmp_path / "bad.toml"
    src.write_text(text)
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["design", "report", str(src), "--out", str(out)])
    assert res.exit_code == 2
    assert res.output.count("error:") == 1
    assert str(src) in res.output
    assert message in res.output
    assert not out.exists()
