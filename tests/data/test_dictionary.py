"""The shipped data dictionary shall match the data model; the model shall be self-consistent
and agree with the protocol engine's field names."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from typer.testing import CliRunner

from gvhdtrial.data import TABLES, TRIAL_FIELDS, data_dictionary, table
from gvhdtrial.data.cli import app
from gvhdtrial.data.dictionary import CSV_NAME, MD_NAME, render_csv, render_markdown
from gvhdtrial.data.model import DATE_RULES, PATIENT_DATES, TABLES_BY_NAME

DOCS = Path(__file__).resolve().parents[2] / "docs"
REGENERATE = "python -m gvhdtrial.data.dictionary --out docs/"


def test_shipped_dictionary_csv_is_up_to_date() -> None:
    assert (DOCS / CSV_NAME).read_text(encoding="utf-8") == render_csv(), REGENERATE


def test_shipped_dictionary_md_is_up_to_date() -> None:
    assert (DOCS / MD_NAME).read_text(encoding="utf-8") == render_markdown(), REGENERATE


def test_dictionary_has_one_row_per_field() -> None:
    frame = data_dictionary()
    assert list(frame.columns[:6]) == [
        "table",
        "field",
        "type",
        "unit",
        "required",
        "allowed_values",
    ]
    assert "meaning" in frame.columns
    assert len(frame) == len(TRIAL_FIELDS) + sum(len(t.fields) for t in TABLES)
    assert not frame.duplicated(["table", "field"]).any()
    assert (frame["meaning"].str.len() > 0).all()
    prophylaxis = frame[frame["field"] == "gvhd_prophylaxis"].iloc[0]
    assert prophylaxis["allowed_values"] == (
        "mtx_cni = MTX + calcineurin inhibitor | no_mtx = MTX excluded"
    )
    arm = frame[frame["field"] == "arm"].iloc[0]
    assert "omitted in blinded data" in arm["meaning"]


def test_keys_references_and_rules_name_real_fields() -> None:
    for t in TABLES:
        names = set(t.columns)
        assert len(names) == len(t.fields), t.name
        assert set(t.primary_key) <= names
        for key in t.unique:
            assert set(key) <= names
        for f in t.fields:
            if f.references:
                target, column = f.references.split(".")
                assert column in TABLES_BY_NAME[target].columns
                # a table only references tables declared before it
                assert [x.name for x in TABLES].index(target) < TABLES.index(t)
            if f.when:
                assert f.when.field in names
            if f.type == "enum":
                assert f.allowed
    for rule in DATE_RULES:
        t = table(rule.table)
        assert t.field(rule.column).type == "date"
        if rule.anchor.startswith("patient:"):
            assert rule.anchor.removeprefix("patient:") in PATIENT_DATES
        else:
            assert t.field(rule.anchor).type == "date"


def test_nothing_derived_is_stored() -> None:
    derived = (
        "stage",
        "grade_overall",
        "agvhd_grade",
        "response",
        "orr",
        "itt",
        "per_protocol",
        "steroid_refractory",
        "sr_category",
        "eligible",
        "population",
    )
    for t in TABLES:
        for f in t.fields:
            assert not any(word in f.name for word in derived), (t.name, f.name)


def test_assessment_fields_are_the_protocol_measurements() -> None:
    from gvhdtrial.protocol.staging import Measurements

    measured = {f.name for f in dataclasses.fields(Measurements)}
    assessments = set(table("assessments").columns)
    assert measured <= assessments
    assert assessments - measured == {"patient_id", "assessment_date", "visit"}


def test_screening_fields_are_named_as_the_protocol_candidate() -> None:
    from gvhdtrial.protocol.eligibility import Candidate

    candidate = {f.name for f in dataclasses.fields(Candidate)}
    patients = set(table("patients").columns)
    # derived by the protocol engine from the raw rows, hence not stored
    derived = {"steroid_refractory", "stages", "agvhd_grade", "consent_signed"}
    assert candidate - derived <= patients


def test_cli_writes_the_dictionary_and_validates(tmp_path: Path, folder: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["dictionary", "--out", str(tmp_path / "docs")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "docs" / CSV_NAME).read_text(encoding="utf-8") == render_csv()
    result = runner.invoke(app, ["validate", str(folder)])
    assert result.exit_code == 0, result.output
    assert "valid trial data for TEST-0001" in result.output
    assert "SYNTHETIC" in result.output
    (folder / "sites.csv").write_text("site_id,name,city,country\nS01,,Tianjin,China\n")
    result = runner.invoke(app, ["validate", str(folder)])
    assert result.exit_code == 1


def test_every_field_has_a_chinese_meaning_and_chinese_choice_labels() -> None:
    """Issue 11: the dictionary carries its labels in both languages (the Chinese ones from
    the committed catalogue gvhdtrial/locale/zh_Hans)."""
    frame = data_dictionary()
    cjk = frame["meaning_zh"].str.contains(r"[\u4e00-\u9fff]")
    assert cjk.all(), frame.loc[~cjk, ["table", "field", "meaning_zh"]]
    sex = frame[(frame["table"] == "patients") & (frame["field"] == "sex")].iloc[0]
    assert sex["meaning_zh"] == "性别"
    assert sex["allowed_values_zh"] == "male = 男 | female = 女"
    arm = frame[(frame["table"] == "randomization") & (frame["field"] == "arm")].iloc[0]
    assert "设盲数据中省略" in arm["meaning_zh"]
