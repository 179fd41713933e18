"""After an amendment each patient's data are interpreted under the trial definition version in
force when the patient was randomized (issue 12), in the capture form, the calendar, the edit
checks, the export and the analysis of the export.

Scenario (dates relative to today): patient A is randomized on day -60; on day -45 an
e-signed amendment narrows the response window from +/- 3 to +/- 1 day and widens the
twice-weekly visits' window from +/- 1 to +/- 2 days; patient B is randomized on day -40. Both
have a baseline of skin stage 3 the day before randomization and a clear skin on study day 31
(CR against baseline). Under version 1 day 31 is inside day 28 +/- 3 (d28 = CR, paper's rule);
under version 2 it is outside day 28 +/- 1 (no assessment in the window)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from gvhdtrial.analysis import build_adsl
from gvhdtrial.capture import check_patient, compute_response, patient_calendar
from gvhdtrial.data import load_trial
from gvhdtrial.protocol.visits import BASIS_ASSESSED, BASIS_IMPUTED
from gvhdtrial.report.build import DEFINITION_VERSIONS_FILE, read_definition_versions
from gvhdtrial.trial import DEFAULT_TRIAL_FILE, load_definition
from gvhdtrial.web.capture.exports import export_trial
from gvhdtrial.web.crf.records import patient_record
from gvhdtrial.web.crf.services import confirm_response
from gvhdtrial.web.errors import Refused
from gvhdtrial.web.randomization.services import randomize
from gvhdtrial.web.trialdef.models import DefinitionVersion
from gvhdtrial.web.trialdef.services import amend, definition_for

from .conftest import PASSWORD, Trial, screen
from .test_crf import assessment_post

pytestmark = pytest.mark.django_db

PHASE2 = load_definition(DEFAULT_TRIAL_FILE)
AMENDED = (
    PHASE2.text.replace('version = "1.0"', 'version = "1.1"', 1)
    .replace("window_days = 3", "window_days = 1", 1)
    .replace("window_frequent_days = 1", "window_frequent_days = 2", 1)
)
TODAY = dt.date.today()


@contextmanager
def on_day(days: int, monkeypatch: Any) -> Iterator[None]:
    """What the service records in this block happens ``days`` from now (the gateway's clock)."""
    real = timezone.now
    with monkeypatch.context() as m:
        m.setattr(timezone, "now", lambda: real() + dt.timedelta(days=days))
        yield


@pytest.fixture()
def amended_trial(trial: Trial, monkeypatch: Any) -> dict[str, Any]:
    investigator = trial.actor("investigator")
    with on_day(-60, monkeypatch):
        a = screen(trial)
        randomize(investigator, a.pk)
    with on_day(-45, monkeypatch):
        amend(trial.actor("admin"), AMENDED, "amended.toml", PASSWORD, "narrower window")
    with on_day(-40, monkeypatch):
        b = screen(trial)
        randomize(investigator, b.pk)
    c = trial.client("investigator")
    for patient, day0 in ((a, -60), (b, -40)):
        start = TODAY + dt.timedelta(days=day0)
        for day, visit, bsa in ((-1, "baseline", 60), (31, "d28", 0)):
            r = c.post(
                f"/patients/{patient.pk}/crf/assessments/",
                assessment_post(start + dt.timedelta(days=day), visit, skin_bsa_percent=bsa),
            )
            assert r.status_code == 302, r.content[:2000]
    return {"A": a, "B": b}


def test_each_patient_falls_under_the_version_in_force_at_randomization(
    amended_trial: dict[str, Any],
) -> None:
    a, b = amended_trial["A"], amended_trial["B"]
    assert definition_for(a).version == "1.0" and definition_for(a).sha256 == PHASE2.sha256
    assert definition_for(b).version == "1.1"
    assert patient_record(a).trial_definition.response_rule.window_days == 3
    assert patient_record(b).trial_definition.response_rule.window_days == 1


def test_the_capture_form_computes_each_patients_response_under_their_version(
    trial: Trial, amended_trial: dict[str, Any]
) -> None:
    a, b = amended_trial["A"], amended_trial["B"]
    shown_a = compute_response(patient_record(a), "d28")
    assert (shown_a.response, shown_a.basis) == ("CR", BASIS_ASSESSED)
    assert compute_response(patient_record(b), "d28").response is None  # no assessment in +/- 1
    assert compute_response(patient_record(b), "d28", today=TODAY).response == "NR"  # imputed
    c = trial.client("investigator")
    page_a = c.get(f"/patients/{a.pk}/response/d28/").content.decode()
    page_b = c.get(f"/patients/{b.pk}/response/d28/").content.decode()
    assert '<strong id="computed">CR</strong>' in page_a
    assert 'id="computed"' not in page_b and "no assessment within 1 days of" in page_b


def test_the_calendar_and_the_edit_checks_use_the_patients_version(
    trial: Trial, amended_trial: dict[str, Any]
) -> None:
    a, b = amended_trial["A"], amended_trial["B"]
    for patient, window in ((a, 1), (b, 2)):  # twice-weekly visits: +/- 1 day, then +/- 2
        calendar = patient_calendar(patient_record(patient), TODAY)
        assert calendar is not None
        frequent = [v for v in calendar.visits if v.kind == "visit" and 0 < v.day < 56]
        assert frequent and {(v.latest - v.date).days for v in frequent} == {window}
    investigator = trial.actor("investigator")
    confirm_response(investigator, a.pk, "d28", "CR")
    confirm_response(investigator, b.pk, "d28", "CR", "seen in clinic on day 31")
    findings = {p: {f.check for f in check_patient(patient_record(p))} for p in (a, b)}
    assert "RESP-WINDOW" not in findings[a]  # day 31 is inside day 28 +/- 3
    assert "RESP-WINDOW" in findings[b]  # not inside day 28 +/- 1


def test_the_export_and_its_analysis_read_each_patient_under_their_version(
    amended_trial: dict[str, Any], tmp_path: Path
) -> None:
    a, b = amended_trial["A"], amended_trial["B"]
    log = export_trial(None, tmp_path / "data", blinded=True, username="statistician")
    folder = Path(log.destination)
    recorded = json.loads((folder / DEFINITION_VERSIONS_FILE).read_text(encoding="utf-8"))
    assert recorded["patients"] == {a.code: 1, b.code: 2}
    assert [v["sha256"] for v in recorded["versions"]] == [
        r.sha256 for r in DefinitionVersion.objects.order_by("number")
    ]
    assert DEFINITION_VERSIONS_FILE in log.files  # its digest is logged with the export
    versions = read_definition_versions(folder)
    assert versions is not None and versions.latest.version == "1.1"
    rules = versions.interpretation(versions.latest)
    adsl = build_adsl(load_trial(folder), rules)[0].set_index("patient_id")
    assert (adsl.at[a.code, "resp_d28"], adsl.at[a.code, "resp_d28_basis"]) == (
        "CR",
        BASIS_ASSESSED,
    )
    assert (adsl.at[b.code, "resp_d28"], adsl.at[b.code, "resp_d28_basis"]) == ("NR", BASIS_IMPUTED)
    assert list(adsl["definition_version"]) == [
        "#1 jiang2024-phase2 1.0",
        "#2 jiang2024-phase2 1.1",
    ]
    # the cross-check holds under the amendment: the form shows what the analysis counts
    for patient in (a, b):
        shown = compute_response(patient_record(patient), "d28", today=TODAY).response
        assert shown == adsl.at[patient.code, "resp_d28"]


def test_an_amendment_cannot_reinterpret_patients_already_randomized(
    trial: Trial, amended_trial: dict[str, Any]
) -> None:
    """Attacks: (1) amend again to re-randomize (change the arms or the blocks) or to rename
    the response visits: refused, nothing recorded; (2) patient A's response stays the one of
    the version A was randomized under, whatever amendment came after."""
    a = amended_trial["A"]
    admin = trial.actor("admin")
    current = DefinitionVersion.objects.order_by("-number").first()
    assert current is not None
    for change in (
        ('code = "placebo"', 'code = "PBO"'),
        ("block_sizes = [2, 4]", "block_sizes = [4]"),
    ):
        text = current.text.replace('version = "1.1"', 'version = "1.2"').replace(*change)
        with pytest.raises(Refused, match="Patients are randomized: the amendment may not"):
            amend(admin, text, "again.toml", PASSWORD, "re-randomize")
    assert DefinitionVersion.objects.count() == 2
    under_v1 = compute_response(patient_record(a), "d28", rule=PHASE2.response_rule)
    assert compute_response(patient_record(a), "d28") == under_v1
    under_v2 = compute_response(patient_record(a), "d28", rule=definition_for(a).response_rule)
    assert under_v2.response == "CR"


def test_the_pooled_review_reads_each_patient_under_their_version(
    amended_trial: dict[str, Any],
) -> None:
    """The blinded pooled review's response table counts A (CR at day 31, version 1) as a
    responder at day 28 and B (no assessment within day 28 +/- 1, version 2) as NR: 1 of 2.
    Under one version for both it would be 2 of 2 (version 1) or 0 of 2 (version 2)."""
    from gvhdtrial.web.capture.review import pooled_review

    review = pooled_review()
    _, table = review["tables"][0]
    rows = [dict(zip(table["columns"], r, strict=True)) for r in table["rows"]]
    orr = next(
        r for r in rows
        if r["endpoint"] == "ORR_D28" and r["population"] == "ITT" and r["subgroup"] == "all"
    )  # fmt: skip
    assert (orr["x"], orr["n"]) == ("1", "2")
