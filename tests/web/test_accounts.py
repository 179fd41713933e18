"""Accounts in the service (issue 10, part C): password rules, the lockout's cool-off, the idle
session timeout, deployment settings behind TLS, spreadsheet-safe export cells, who may manage
users. The attacks against the live server are in ``test_attack_accounts.py``."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from gvhdtrial.web.audit.models import AuditEntry
from gvhdtrial.web.capture.exports import FORMULA_START, neutralize_cell
from gvhdtrial.web.middleware import IdleSessionTimeout
from gvhdtrial.web.sites.accounts import generate_password

from .conftest import PASSWORD, Trial


def test_the_four_standard_password_validators_are_on() -> None:
    names = {v["NAME"].rsplit(".", 1)[1] for v in settings.AUTH_PASSWORD_VALIDATORS}
    assert names == {
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    }
    user = get_user_model()(username="gracehopper", email="grace@example.invalid")
    # One password each validator refuses (Django's messages name the rule).
    for weak, rule in [
        ("short-1A", "too short"),
        ("password1234", "too common"),
        ("739164820573", "entirely numeric"),
        ("gracehopper1", "too similar"),
    ]:
        with pytest.raises(ValidationError) as info:
            validate_password(weak, user)
        assert any(rule in m for m in info.value.messages), (weak, info.value.messages)


def test_generated_passwords_pass_every_validator() -> None:
    user = get_user_model()(username="investigator", email="investigator@example.invalid")
    passwords = {generate_password(user) for _ in range(40)}
    assert len(passwords) == 40  # from the CSPRNG, never repeated
    for password in passwords:
        validate_password(password, user)  # raises if any rule refuses it


def test_the_password_page_needs_the_current_password_and_refuses_weak_ones(trial: Trial) -> None:
    c = trial.client("pharmacist")
    r = c.post("/password/", {"old_password": "not-my-password", "new_password1": "x",
                              "new_password2": "x"})  # fmt: skip
    assert r.status_code == 200 and "incorrectly" in r.content.decode()
    r = c.post("/password/", {"old_password": PASSWORD, "new_password1": "password1234",
                              "new_password2": "password1234"})  # fmt: skip
    assert r.status_code == 200 and "too common" in r.content.decode()
    new = "quiet meadow cobalt 5150"
    r = c.post("/password/", {"old_password": PASSWORD, "new_password1": new,
                              "new_password2": new})  # fmt: skip
    assert r.status_code == 302
    user = get_user_model().objects.get(username="pharmacist")
    assert user.check_password(new)
    rows = AuditEntry.objects.filter(record="account:pharmacist", action="password")
    assert [(r.field, r.new) for r in rows] == [("changed_by", "pharmacist")]
    # The wrong current password above counts as a failed password (purpose: password change).
    failed = AuditEntry.objects.filter(record="account:pharmacist", action="login_failed")
    assert "password change" in {r.new for r in failed}


def test_after_the_cool_off_the_right_password_works_again(trial: Trial) -> None:
    from axes.models import AccessAttempt

    c = Client()
    for i in range(settings.AXES_FAILURE_LIMIT):
        r = c.post("/login/", {"username": "monitor", "password": f"wrong-{i}"})
    assert r.status_code == 429
    assert c.post("/login/", {"username": "monitor", "password": PASSWORD}).status_code == 429
    # The cool-off passes (the attempts are moved back in time beyond it).
    long_ago = dt.timedelta(minutes=1) + settings.AXES_COOLOFF_TIME
    for attempt in AccessAttempt.objects.all():
        attempt.attempt_time -= long_ago
        attempt.save()
    r = c.post("/login/", {"username": "monitor", "password": PASSWORD})
    assert r.status_code == 302 and r["Location"] == "/"
    assert AuditEntry.objects.filter(record="account:monitor", action="login").exists()


def test_an_idle_session_is_logged_out_and_the_logout_audited(trial: Trial) -> None:
    c = trial.client("datamanager")
    assert c.get("/patients/").status_code == 200
    session = c.session
    idle = settings.SESSION_IDLE_SECONDS
    assert idle == 30 * 60  # the default: 30 minutes
    session[IdleSessionTimeout.KEY] = int(time.time()) - idle + 120  # 28 minutes ago
    session.save()
    assert c.get("/patients/").status_code == 200  # still within the timeout
    session = c.session
    session[IdleSessionTimeout.KEY] = int(time.time()) - idle - 5
    session.save()
    r = c.get("/patients/")
    assert r.status_code == 302 and r["Location"].startswith("/login/")
    assert c.get("/patients/").status_code == 302  # the session is gone, not just this answer
    rows = AuditEntry.objects.filter(record="account:datamanager", action="logout")
    assert ("why", "idle timeout") in {(r.field, r.new) for r in rows}


def test_only_the_administrator_manages_users(trial: Trial) -> None:
    for who in ("investigator", "datamanager", "monitor", "statistician"):
        r = trial.client(who).post("/users/", {"username": f"made-by-{who}", "role": "monitor"})
        assert r.status_code == 403
    assert not get_user_model().objects.filter(username__startswith="made-by-").exists()
    r = trial.client("admin").post("/users/", {"username": "site-two-rx", "role": "pharmacist"})
    assert get_user_model().objects.filter(username="site-two-rx").count() == 0  # needs a site
    r = trial.client("admin").post(
        "/users/", {"username": "site-two-rx", "role": "pharmacist", "site": "C02"}
    )
    assert r.status_code == 200 and 'id="new-password"' in r.content.decode()


def test_behind_tls_one_variable_turns_on_secure_cookies_hsts_and_https_redirect(
    tmp_path: object,
) -> None:
    code = (
        "import json; from gvhdtrial.web import settings as s; print(json.dumps(["
        "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS, list(s.SECURE_PROXY_SSL_HEADER), s.CSRF_TRUSTED_ORIGINS]))"
    )
    env = {**os.environ, "GVHDTRIAL_HOME": str(tmp_path), "GVHDTRIAL_BEHIND_TLS": "1",
           "GVHDTRIAL_ALLOWED_HOSTS": "trial.example.org"}  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True).stdout  # fmt: skip
    secure, csrf, redirect, hsts, proxy, origins = json.loads(out)
    assert (secure, csrf, redirect) == (True, True, True)
    assert hsts == 31_536_000 and proxy == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert "https://trial.example.org" in origins
    assert not settings.SESSION_COOKIE_SECURE  # not here (plain HTTP on loopback)


@given(st.text(max_size=40))
def test_no_exported_text_starts_a_spreadsheet_formula(text: str) -> None:
    out = neutralize_cell(text)
    if out.startswith(FORMULA_START):
        float(out)  # only a number may start with + or - (and stays what it was)
        assert out == text
    if not text.startswith(FORMULA_START):
        assert out == text  # everything else is untouched
    else:
        assert out in (text, "'" + text)


def test_formula_cells_get_a_quote_and_numbers_stay_numbers() -> None:
    # OWASP "CSV Injection": =, +, -, @, tab and carriage return start a formula.
    assert (
        neutralize_cell('=HYPERLINK("http://x.invalid","y")')
        == '\'=HYPERLINK("http://x.invalid","y")'
    )
    assert neutralize_cell("@SUM(A1)") == "'@SUM(A1)"
    assert neutralize_cell("+1+cmd|' /C calc'!A0") == "'+1+cmd|' /C calc'!A0"
    assert neutralize_cell("\t=1") == "'\t=1" and neutralize_cell("\r=1") == "'\r=1"
    assert neutralize_cell("-1.5") == "-1.5" and neutralize_cell("+3e-4") == "+3e-4"
    assert neutralize_cell(-1.5) == -1.5 and neutralize_cell(None) is None
    assert neutralize_cell("Fever") == "Fever"
