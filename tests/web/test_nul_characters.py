"""A NUL character anywhere in a request is refused with one clear 400, on both databases.

schemathesis found it: PostgreSQL cannot compare or store text containing NUL, so
``GET /api/patients?site=%00`` was a server error on PostgreSQL and a silent empty list on
SQLite. The guard (gvhdtrial.web.middleware) answers before any view runs and changes nothing.
"""

from __future__ import annotations

import json

import pytest

from tests.web.conftest import Trial


@pytest.mark.parametrize(
    "url",
    ["/api/patients?site=C01%00", "/api/patients?%00=1", "/patients/?q=%00"],
)
def test_nul_in_the_query_string_is_a_clear_400(trial: Trial, url: str) -> None:
    response = trial.client("investigator").get(url)
    assert response.status_code == 400
    assert "NUL character" in response.content.decode()


def test_nul_in_a_json_body_is_a_clear_400_and_writes_nothing(trial: Trial) -> None:
    from gvhdtrial.web.patients.models import Patient

    before = Patient.objects.count()
    body = json.dumps({"weight_kg": 60, "answers": {"age_years": 40}, "note": "a\u0000b"})
    response = trial.client("investigator").post(
        "/api/patients", data=body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["detail"].startswith("A NUL character")
    assert Patient.objects.count() == before


def test_ordinary_requests_pass_the_guard(trial: Trial) -> None:
    assert trial.client("investigator").get("/api/patients?site=C01").status_code == 200
