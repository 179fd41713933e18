"""The trial definition file (issue 12): the phase 2 file is today's behaviour, the phase 3 file
requires gut involvement, a bad file gets one clear error per problem naming line and key, and
any valid definition runs a small synthetic trial through capture and analysis."""

from __future__ import annotations

import datetime as dt
import itertools
import math
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gvhdtrial.analysis.config import AnalysisConfig
from gvhdtrial.analysis.pipeline import build_adsl
from gvhdtrial.capture import check_patient, compute_response
from gvhdtrial.capture.record import records_from_frames
from gvhdtrial.cli import app
from gvhdtrial.protocol import Candidate, OrganStages, screen
from gvhdtrial.protocol.eligibility import PHASE2_ELIGIBILITY
from gvhdtrial.protocol.treatment import (
    PHASE2_DOSING,
    PHASE2_VISIT_SCHEDULE,
    VisitWindows,
    treatment_plan,
)
from gvhdtrial.protocol.visits import PHASE2_RESPONSE_VISITS
from gvhdtrial.randomization import generate_schedule
from gvhdtrial.stats import compare_proportions
from gvhdtrial.trial import (
    DEFAULT_TRIAL_FILE,
    TRIALS_DIR,
    TrialDefinitionError,
    current_definition,
    definition_diff,
    load_definition,
    parse_definition,
    shipped_definitions,
)
from tests.analysis.builder import GUT1, GUT2, SKIN1, PatientSpec, load_specs

PHASE2 = DEFAULT_TRIAL_FILE
PHASE3 = TRIALS_DIR / "jiang-phase3-gut.toml"
ROW_TABLES = ("steroid_doses", "infusions", "assessments", "therapies", "adverse_events", "events")


def test_the_phase2_file_is_todays_behaviour() -> None:
    d = load_definition(PHASE2)
    assert d.analysis_config == AnalysisConfig()  # every analysis choice, field by field
    assert d.eligibility == PHASE2_ELIGIBILITY
    assert d.response_rule == PHASE2_RESPONSE_VISITS
    assert d.dosing == PHASE2_DOSING
    assert d.visit_schedule == PHASE2_VISIT_SCHEDULE and d.visit_windows == VisitWindows()
    # paper, Methods: 1:1 MSC vs placebo, 7 centres, ChiCTR2000035740; ORR d28 primary
    assert d.arm_codes == ("MSC", "placebo") and d.data_arms == ("MSC", "control")
    assert d.ratio == (1, 1) and d.strata() == tuple(f"C0{i}" for i in range(1, 8))
    assert d.registry_id == "ChiCTR2000035740" and d.primary_endpoint == "ORR_D28"
    assert "phase 2" in d.title("en") and "2期" in d.title("zh")


def test_the_phase3_file_requires_gut_involvement() -> None:
    d = load_definition(PHASE3)
    assert d.primary_endpoint == "ORR_D28" and len(d.arms) == 2
    rules = d.eligibility

    def candidate(stages: OrganStages) -> Candidate:
        return Candidate(
            age_years=40, haematologic_malignancy=True, first_allo_hsct=True,
            steroid_refractory=True, consent_signed=True, stages=stages,
        )  # fmt: skip

    skin_only = candidate(OrganStages(skin=3, liver=0, upper_gi=0, lower_gi=0))  # grade II
    gut = candidate(OrganStages(skin=1, liver=0, upper_gi=0, lower_gi=2))  # grade III
    assert screen(skin_only, rules).codes == ("I2e",)
    assert screen(skin_only).eligible  # the phase 2 trial took skin-only aGVHD
    assert screen(gut, rules).eligible
    # every difference from phase 2 is identity or the gut criterion
    changed = {line.split(":")[0] for line in definition_diff(load_definition(PHASE2), d)}
    assert changed == {
        "version", "identity.phase", "identity.reference", "identity.registry_id",
        "identity.short_name", "identity.title.en", "identity.title.zh",
        "eligibility.criteria", "eligibility.required_organs",
    }  # fmt: skip


def _line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if line.startswith(needle))


def test_errors_name_file_line_and_key() -> None:
    text = PHASE2.read_text(encoding="utf-8")
    bad = text.replace("block_sizes = [2, 4]", "block_sizes = [3, 4]")
    bad = bad.replace("window_days = 3", 'window_days = "3"')
    bad = bad.replace("[staging]\n", "[staging]\ncolour = 1\n")
    with pytest.raises(TrialDefinitionError) as info:
        parse_definition(bad, "x.toml")
    problems = info.value.problems
    window = _line_of(bad, "window_days")
    staging = _line_of(bad, "[staging]")
    assert any(p.startswith(f"x.toml:{window}: response.window_days: '3' is not") for p in problems)
    assert any(p.startswith(f"x.toml:{staging}: staging: Additional properties") for p in problems)
    # a rule the schema cannot say is reported once the schema holds, with its line
    only_block = text.replace("block_sizes = [2, 4]", "block_sizes = [3, 4]")
    with pytest.raises(TrialDefinitionError) as info:
        parse_definition(only_block, "y.toml")
    line = _line_of(only_block, "block_sizes")
    assert info.value.problems == [
        f"y.toml:{line}: randomization.block_sizes.0: block size 3 is not a multiple of the "
        "ratio total 2"
    ]
    with pytest.raises(TrialDefinitionError, match=r"not valid TOML: .*line 3"):
        parse_definition('schema_version = 1\nversion = "1"\n[x\n', "z.toml")
    primary = text.replace('primary = "ORR_D28"', 'primary = "ORR_D21"')
    with pytest.raises(TrialDefinitionError, match="ORR_D21 names visit D21"):
        parse_definition(primary, "p.toml")
    # a protocol rule on a parameter object names its table and line: infusions 2 days apart
    close = text.replace("infusion_days_in_week = [0, 3]", "infusion_days_in_week = [0, 2]")
    with pytest.raises(TrialDefinitionError) as info:
        parse_definition(close, "c.toml")
    assert info.value.problems == [
        f"c.toml:{_line_of(close, '[dosing]')}: dosing: infusion_days_in_week: (0, 2) puts "
        "infusions 2 day(s) apart; min_days_between_infusions is 3"
    ]


def test_cli_validate_show_diff(tmp_path: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(app, ["trial", "validate", str(PHASE2)])
    assert ok.exit_code == 0 and "valid (jiang2024-phase2 version 1.0" in ok.output
    zh = runner.invoke(app, ["trial", "show", str(PHASE3), "--lang", "zh"])
    assert zh.exit_code == 0 and "累及肠道" in zh.output and "需累及器官: gut" in zh.output
    en = runner.invoke(app, ["trial", "show", str(PHASE2)])
    assert "Primary endpoint: ORR_D28" in en.output
    diff = runner.invoke(app, ["trial", "diff", str(PHASE2), str(PHASE3)])
    assert 'eligibility.required_organs: (absent) -> ["gut"]' in diff.output
    bad = tmp_path / "bad.toml"
    bad.write_text(PHASE2.read_text(encoding="utf-8").replace("ratio = 1", "ratio = 0", 1))
    result = runner.invoke(app, ["trial", "validate", str(bad)])
    assert result.exit_code == 1
    assert re.search(rf"{re.escape(str(bad))}:\d+: arms\.0\.ratio: 0 is less than", result.output)


# ---------------------------------------------------------------------------------------------
# Property: any valid definition loads, randomizes in balance and runs a small trial
# ---------------------------------------------------------------------------------------------
def _definition_text(
    ratio: tuple[int, int],
    blocks: list[int],
    centres: int,
    visits: list[int],
    window: int,
    weeks: int,
    days_in_week: list[int],
    cells: int,
    factors: dict[str, dict[str, str]] | None = None,
) -> str:
    text = PHASE2.read_text(encoding="utf-8")
    arms = text.split("[[arms]]")
    arms[1] = arms[1].replace("ratio = 1", f"ratio = {ratio[0]}")
    arms[2] = arms[2].replace("ratio = 1", f"ratio = {ratio[1]}")
    text = "[[arms]]".join(arms)
    text = text.replace("block_sizes = [2, 4]", f"block_sizes = {blocks}")
    tables = "".join(
        f"[randomization.factors.{name}]\n" + "".join(f'{a} = "{lv}"\n' for a, lv in levels.items())
        for name, levels in (factors or {}).items()
    )
    text = text.replace("factors = {}\n", tables or "factors = {}\n")
    centre_rows = "".join(
        f'[[centres]]\ncode = "K{i:02d}"\nname = "Centre {i} (synthetic)"\n' for i in range(centres)
    )
    text = text[: text.index("[[centres]]")] + centre_rows + "\n" + text[text.index("# Elig") :]
    names = {f"D{day}": day for day in visits}
    inline = ", ".join(f"{k} = {v}" for k, v in names.items())
    text = text.replace("visits = { D28 = 28, D56 = 56 }", f"visits = {{ {inline} }}")
    text = text.replace("window_days = 3", f"window_days = {window}")
    first = f"D{visits[0]}"
    text = text.replace('primary = "ORR_D28"', f'primary = "ORR_{first}"')
    text = text.replace('secondary = ["ORR_D56", "DCR", "CR_D28", "CR_D56", "OS"]',
                        f'secondary = ["DCR", "CR_{first}", "OS"]')  # fmt: skip
    text = text.replace("weeks = 4", f"weeks = {weeks}").replace(
        "extended_weeks = 8", f"extended_weeks = {weeks * 2}"
    )
    text = text.replace("infusion_days_in_week = [0, 3]", f"infusion_days_in_week = {days_in_week}")
    gaps = [b - a for a, b in itertools.pairwise(days_in_week)]
    gap = min([*gaps, 7 + days_in_week[0] - days_in_week[-1]])
    text = text.replace("min_days_between_infusions = 3", f"min_days_between_infusions = {gap}")
    text = text.replace("pp_min_infusions = 8", f"pp_min_infusions = {weeks * len(days_in_week)}")
    return text.replace("cells_per_kg = 1000000", f"cells_per_kg = {cells}")


@st.composite
def definitions(draw: st.DrawFn) -> str:
    ratio = draw(st.sampled_from([(1, 1), (2, 1), (1, 2), (3, 2)]))
    unit = sum(ratio)
    blocks = draw(st.lists(st.integers(1, 3).map(lambda k: k * unit), min_size=1, max_size=3,
                           unique=True))  # fmt: skip
    window = draw(st.integers(0, 5))
    visits = sorted(draw(st.lists(st.integers(window + 7, 90), min_size=1, max_size=3,
                                  unique=True)))  # fmt: skip
    days_in_week = draw(st.sampled_from([[0], [0, 3], [1, 4], [0, 2, 4]]))
    # strata beyond the centre: 0-2 factors, each mapping 2-3 screening answers to its levels
    factors = {}
    for name in draw(st.lists(st.sampled_from(["grade", "organ", "donor"]), max_size=2,
                              unique=True)):  # fmt: skip
        answers = [f"a{i}" for i in range(draw(st.integers(2, 3)))]
        factors[name] = {a: draw(st.sampled_from(["L1", "L2", "L3"])) for a in answers}
    return _definition_text(
        ratio, blocks, draw(st.integers(1, 4)), visits, window, draw(st.integers(1, 6)),
        days_in_week, draw(st.sampled_from([500_000, 1_000_000, 2_000_000])), factors,
    )  # fmt: skip


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=definitions(), seed=st.integers(0, 2**31 - 1))
def test_any_valid_definition_randomizes_in_balance_and_runs_a_trial(text: str, seed: int) -> None:
    d = parse_definition(text, "generated.toml")
    # balanced schedule: every complete block of every stratum holds the arms in the ratio
    schedule = generate_schedule(d.schedule_params(seed, 3 * max(d.block_sizes)))
    blocks = Counter((s.stratum, s.block) for s in schedule.slots)
    for (stratum, block), size in blocks.items():
        arms = Counter(s.arm for s in schedule.slots if (s.stratum, s.block) == (stratum, block))
        unit = size // sum(d.ratio)
        assert [arms[a] for a in d.arm_codes] == [r * unit for r in d.ratio]
    assert {s.stratum for s in schedule.slots} == set(d.strata())
    levels = [len(set(lv.values())) for lv in d.stratification_factors.values()]
    assert len(d.strata()) == len(d.centres) * math.prod(levels)
    # the plan follows the dosing
    plan = treatment_plan(70.0, dt.date(2024, 1, 1), None, dosing=d.dosing)
    assert plan.number_of_infusions == d.dosing.planned_infusions
    # a small synthetic trial: capture and analysis, same responses at every visit
    specs = [
        PatientSpec("P001", post=[(day, dict(GUT1)) for day in d.response_rule.visits.values()]),
        PatientSpec("P002", arm="control", post=[(10, dict(GUT2)), (40, dict(SKIN1))]),
        PatientSpec("P003", death=(12, False), n_infusions=3),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        data = load_specs(Path(tmp), specs)
    adsl, _ = build_adsl(data, d.analysis_config)
    records = records_from_frames(
        data.patients, data.randomization, {t: getattr(data, t) for t in ROW_TABLES}
    )
    for rec in adsl.to_dict("records"):
        record = records[str(rec["patient_id"])]
        check_patient(record)
        for visit in d.response_rule.visits:
            shown = compute_response(record, visit.lower(), rule=d.response_rule,
                                     today=data.info.data_cutoff_date)  # fmt: skip
            assert shown.response == rec[f"resp_{visit.lower()}"], (visit, rec["patient_id"])
    primary = f"resp_{next(iter(d.response_rule.visits)).lower()}"
    assert adsl.loc[adsl["patient_id"] == "P003", primary].item() == "NR"  # died on day 12
    # the primary endpoint (ORR at the first response visit) by the analysis plan's test rule
    responders = adsl[primary].isin(["CR", "PR"])
    by_arm = [(responders & (adsl["arm"] == a)).sum() for a in ("MSC", "control")]
    sizes = [(adsl["arm"] == a).sum() for a in ("MSC", "control")]
    assert by_arm[0] == 1 and sizes == [2, 1]  # P001: PR at every visit (gut stage 2 -> 1)
    result = compare_proportions(by_arm[0], sizes[0], by_arm[1], sizes[1])
    assert 0.0 <= result.p_value <= 1.0


def test_the_analysis_screens_under_the_definitions_eligibility(tmp_path: Path) -> None:
    from gvhdtrial.analysis.derive import screen_patients

    skin = {"skin_bsa_percent": "60"}  # skin stage 3 only: MAGIC grade II, no gut
    specs = [
        PatientSpec("P001"),  # lower GI stage 2 at baseline
        PatientSpec("P002", baseline=dict(skin),
                    course=[(-10, {"skin_bsa_percent": "30"}), (-6, dict(skin))]),
    ]  # fmt: skip
    data = load_specs(tmp_path, specs)
    phase3 = load_definition(PHASE3)
    _, staged = build_adsl(data, phase3.analysis_config)

    def codes(rules: object) -> dict[str, str]:
        out = screen_patients(
            data.patients, data.steroid_doses, staged, phase3.analysis_config, rules
        )
        return dict(zip(out["patient_id"], out["failure_codes"], strict=True))

    assert codes(phase3.eligibility)["P002"] == "I2e" and codes(phase3.eligibility)["P001"] == ""
    assert codes(None)["P002"] == ""  # the phase 2 trial took skin-only aGVHD


# ---------------------------------------------------------------------------------------------
# The shipped definitions are package data: found from any working directory and when installed
# ---------------------------------------------------------------------------------------------
ROOT = Path(__file__).resolve().parents[2]


def test_the_repository_trials_folder_is_the_packaged_one() -> None:
    import gvhdtrial

    assert Path(gvhdtrial.__file__).resolve().parent / "trials" == TRIALS_DIR
    assert (ROOT / "trials").resolve() == TRIALS_DIR  # trials/ links to gvhdtrial/trials
    assert shipped_definitions() == ("jiang-phase3-gut", "jiang2024-phase2")


def test_definitions_resolve_from_any_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    phase3 = load_definition(PHASE3)
    monkeypatch.chdir(tmp_path)  # no trials/ here
    assert load_definition("trials/jiang-phase3-gut.toml").sha256 == phase3.sha256
    assert load_definition("jiang-phase3-gut").sha256 == phase3.sha256
    monkeypatch.setenv("GVHDTRIAL_TRIAL", "trials/jiang-phase3-gut.toml")
    assert current_definition().sha256 == phase3.sha256
    # a file of that name here wins over the shipped one
    (tmp_path / "trials").mkdir()
    own = PHASE3.read_text(encoding="utf-8").replace('version = "0.1"', 'version = "0.2"')
    (tmp_path / "trials" / "jiang-phase3-gut.toml").write_text(own, encoding="utf-8")
    assert load_definition("trials/jiang-phase3-gut.toml").version == "0.2"
    with pytest.raises(TrialDefinitionError, match=r"no-such\.toml: cannot be read: .*shipped "
                       r"definitions: jiang-phase3-gut, jiang2024-phase2"):  # fmt: skip
        load_definition("no-such.toml")


def test_an_installed_package_carries_its_definitions(tmp_path: Path) -> None:
    """setuptools' build_py (what a wheel installs) copies the definitions as package data; the
    built package, imported from outside the repository, loads the default and the phase 3."""
    lib = tmp_path / "lib"
    subprocess.run(
        [sys.executable, "-c", "from setuptools import setup; setup()", "-q", "build_py",
         "--build-lib", str(lib)],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    assert sorted(p.name for p in (lib / "gvhdtrial" / "trials").iterdir()) == [
        "jiang-phase3-gut.toml", "jiang2024-phase2.toml",
    ]  # fmt: skip
    script = (
        "import gvhdtrial, gvhdtrial.trial as t; "
        "print(gvhdtrial.__file__); "
        "print(t.current_definition().short_name, t.load_definition('jiang-phase3-gut').version)"
    )
    env = {k: v for k, v in os.environ.items() if k != "GVHDTRIAL_TRIAL"}
    env["PYTHONPATH"] = str(lib)
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, env=env, check=True, capture_output=True,
        text=True,
    ).stdout.splitlines()  # fmt: skip
    assert out[0].startswith(str(lib))  # the built copy, not the repository's
    assert out[1] == "jiang2024-phase2 0.1"
