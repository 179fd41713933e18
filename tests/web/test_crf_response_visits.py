"""The CRF's response visits are the trial definition's (issue 12): a definition whose response
visits are day 21 and day 42 gets d21/d42 confirmation pages, dashboard columns and patient-page
rows, and a d28 confirmation is refused (no such visit in that trial). The phase 2 file's are d28
and d56 (paper, Methods: Endpoints)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest

from gvhdtrial.trial import DEFAULT_TRIAL_FILE, load_definition
from gvhdtrial.web.crf.services import confirm_response
from gvhdtrial.web.errors import NotFound
from gvhdtrial.web.randomization.services import randomize
from gvhdtrial.web.trialdef.services import ensure_in_force

from .conftest import Trial, screen
from .test_crf import assessment_post

pytestmark = pytest.mark.django_db


@pytest.fixture()
def day21_trial(trial: Trial, tmp_path: Path, monkeypatch: Any) -> Path:
    text = DEFAULT_TRIAL_FILE.read_text(encoding="utf-8")
    for old, new in (
        ("visits = { D28 = 28, D56 = 56 }", "visits = { D21 = 21, D42 = 42 }"),
        ('primary = "ORR_D28"', 'primary = "ORR_D21"'),
        ('["ORR_D56", "DCR", "CR_D28", "CR_D56", "OS"]', '["ORR_D42", "DCR", "CR_D21", "OS"]'),
    ):
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / "day21.toml"
    path.write_text(text, encoding="utf-8")
    assert tuple(load_definition(path).response_rule.visits) == ("D21", "D42")
    monkeypatch.setenv("GVHDTRIAL_TRIAL", str(path))
    # the service restarted on the file before any randomization: it is put in force (web seed)
    ensure_in_force(load_definition(path))
    return path


def _header_keys(html: str) -> list[str]:
    row = re.search(r"<tr><td><a [^>]*>[^<]+</a></td>(.*?)</tr>", html, re.S)
    assert row
    return re.findall(r'data-key="([^"]+)"', row.group(1))


def test_the_phase2_crf_confirms_d28_and_d56(trial: Trial) -> None:
    patient = screen(trial)
    randomize(trial.actor("investigator"), patient.pk)
    c = trial.client("investigator")
    keys = _header_keys(c.get("/records/").content.decode())
    assert [k for k in keys if k.startswith(("visit:d", "response:"))] == [
        "visit:d28", "visit:d56", "response:d28", "response:d56",
    ]  # fmt: skip
    assert c.get(f"/patients/{patient.pk}/response/d28/").status_code == 200
    assert c.get(f"/patients/{patient.pk}/response/d21/").status_code == 404


def test_the_crf_confirms_the_definitions_response_visits(trial: Trial, day21_trial: Path) -> None:
    patient = screen(trial)
    randomize(trial.actor("investigator"), patient.pk)
    c = trial.client("investigator")
    start = dt.date.today() - dt.timedelta(days=22)
    c.post(f"/patients/{patient.pk}/crf/assessments/",
           assessment_post(start, "baseline", skin_bsa_percent=60))  # fmt: skip
    keys = _header_keys(c.get("/records/").content.decode())
    assert [k for k in keys if k.startswith(("visit:d", "response:"))] == [
        "visit:d21", "visit:d42", "response:d21", "response:d42",
    ]  # fmt: skip
    page = c.get(f"/patients/{patient.pk}/crf/").content.decode()
    assert 'id="response-d21"' in page and 'id="response-d42"' in page
    assert 'id="response-d28"' not in page
    assert c.get(f"/patients/{patient.pk}/response/d21/").status_code == 200
    assert c.get(f"/patients/{patient.pk}/response/d28/").status_code == 404
    with pytest.raises(NotFound):
        confirm_response(trial.actor("investigator"), patient.pk, "d28", "NR", "no visit")
    saved = confirm_response(trial.actor("investigator"), patient.pk, "d21", "NR", "no visit")
    assert saved.obj.visit == "d21"
