"""No response a blinded user can obtain reveals an arm (issue 6).

Every URL pattern of the site and every operation of the API (from the OpenAPI schema) is
requested as every role, with real ids (own-site, other-site and emergency-unblinded patients,
dispensed and stocked kits), by GET and, for writing routes, by POST with an empty and with a
valid body. Blinded roles must never see an arm label (nor the word "control"); the unblinded
statistician must, which proves the crawl can see a leak when there is one.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from gvhdtrial.web.api import api
from gvhdtrial.web.randomization.services import randomize
from gvhdtrial.web.supply.services import dispense
from gvhdtrial.web.unblinding.services import emergency_unblind

from .conftest import PASSWORD, Trial, screen

BLINDED = ("investigator", "pharmacist", "datamanager", "monitor", "admin", "investigator2")
ARM_WORDS = re.compile(
    "|".join([rf"\b{re.escape(a)}\b" for a in settings.GVHDTRIAL["arms"]] + [r"\bcontrol"]),
    re.IGNORECASE,
)
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
SKIP_NAMES = {"logout"}


def _world(trial: Trial) -> dict[str, list[str]]:
    today = dt.date.today()
    p1 = screen(trial)
    randomize(trial.actor("investigator"), p1.pk)
    kits = dispense(trial.actor("investigator"), p1.pk, 1, today).tracking_numbers
    p2 = screen(trial, consent=False)
    p3 = screen(trial, age_years=90)
    q1 = screen(trial, who="investigator2")
    randomize(trial.actor("investigator2"), q1.pk)
    emergency_unblind(trial.actor("investigator2"), q1.pk, "anaphylaxis, need allocation", PASSWORD)
    from gvhdtrial.web.supply.models import Kit

    stocked = Kit.objects.filter(site__code="C02", status="received").first().tracking_number
    crf = _crf_world(trial, p1, kits)
    return {
        "patient_id": [str(p.pk) for p in (p1, p2, p3, q1)] + ["999999"],
        "tracking_number": [kits[0], stocked, "0000-0000-00-00"],
        **crf,
    }


def _crf_world(trial: Trial, patient: Any, kits: tuple[str, ...]) -> dict[str, list[str]]:
    """CRF rows of every form, a response confirmation and queries, so that the CRF pages
    are crawled with real ids (issue 7)."""
    from gvhdtrial.web.crf.services import FORMS, confirm_response, save_row
    from gvhdtrial.web.queries.services import raise_query

    actor = trial.actor("investigator")
    today = dt.date.today()
    measured = {
        "skin_bsa_percent": 60.0, "skin_bullae": False, "skin_desquamation_percent": 0.0,
        "bilirubin": 80.0, "bilirubin_unit": "mg/dL", "upper_gi_persistent": False,
        "stool_mixed_with_urine": False, "weight_kg": 55.0, "severe_abdominal_pain": False,
        "ileus": False, "bloody_stool": False,
    }  # fmt: skip
    rows = [
        save_row(actor, patient.pk, "assessments",
                 {"assessment_date": today, "visit": "baseline", **measured}),
        save_row(actor, patient.pk, "infusions", {"infusion_number": 1, "date": today,
                 "kit_numbers": ";".join(kits), "infusion_reaction": False}),
        save_row(actor, patient.pk, "adverse-events", {
            "term": "Fever", "soc": "General disorders and administration site conditions",
            "grade": 4, "serious": True, "related_to_study_agent": False,
            "infusion_related": False, "onset_date": today, "outcome": "recovering"}),
        save_row(actor, patient.pk, "events", {"event_type": "relapse", "event_date": today}),
        save_row(actor, patient.pk, "steroids", {"date": today, "agent": "prednisone",
                 "dose_mg_per_day": 100.0}),
        save_row(actor, patient.pk, "therapies", {"agent": "basiliximab", "role": "second_line",
                 "start_date": today}),
        save_row(actor, patient.pk, "baseline", {
            "screening_date": dt.date(2024, 1, 1), "sex": "female", "diagnosis": "AML",
            "hsct_date": dt.date(2023, 11, 1), "conditioning": "TBI-based",
            "donor_type": "sibling", "stem_cell_source": "PBSC", "cd34_dose_1e6_per_kg": 5.0,
            "cmv_donor": "positive", "cmv_recipient": "positive", "ebv_donor": "negative",
            "ebv_recipient": "negative", "gvhd_prophylaxis": "mtx_cni",
            "agvhd_onset_date": dt.date(2023, 12, 20)}),
    ]  # fmt: skip
    confirm_response(actor, patient.pk, "d28", "NR", "crawl: response recorded early")
    manual = raise_query(trial.actor("datamanager"), patient.pk, "Please check the source document",
                         form="baseline", field="sex")  # fmt: skip
    from gvhdtrial.web.queries.models import Query

    auto = Query.objects.exclude(check_id="manual").first()
    return {
        "form": [*FORMS, "no-such-form"],
        "row_id": [*sorted({str(r.obj.pk) for r in rows}), "999999"],
        "visit": ["d28", "d56", "d99"],
        "query_id": [str(manual.pk), str(auto.pk), "999999"],
        # users and API tokens (the administrator's pages, issue 10)
        "user_id": [str(trial.users["investigator2"].pk), "999999"],
        "token_id": [str(_token(trial)), "999999"],
        # notifications of this world's triggers (query, SAE, emergency unblinding), one per
        # recipient: each role opens its own and is refused the others' (issue 11)
        "notification_id": [*_notification_ids(), "999999"],
    }


def _notification_ids() -> list[str]:
    from gvhdtrial.web.unblinding.models import Notification

    kinds = set(Notification.objects.values_list("kind", flat=True))
    assert {"query", "sae", "emergency_unblinding"} <= kinds, kinds
    first: dict[int, int] = {}  # one per recipient keeps the crawl short
    for pk, user in Notification.objects.order_by("pk").values_list("pk", "recipient_id"):
        first.setdefault(user, pk)
    return [str(pk) for pk in first.values()]


def _token(trial: Trial) -> int:
    from gvhdtrial.web.sites.accounts import issue_token
    from gvhdtrial.web.sites.models import ApiToken

    issue_token(trial.users["investigator2"], by="crawl", label="crawl")
    return int(ApiToken.objects.order_by("-id").values_list("id", flat=True)[0])


def _web_urls(values: dict[str, list[str]]) -> list[tuple[str, str]]:
    """(pattern name, url) for every non-API pattern with every value of its parameters."""
    out = []

    def walk(patterns: list[Any]) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                continue  # the API is crawled from its OpenAPI schema
            assert isinstance(p, URLPattern)
            if p.name is None or p.name in SKIP_NAMES:
                continue
            params = list(p.pattern.converters)
            for combination in itertools.product(*(values[param] for param in params)):
                out.append(
                    (p.name, reverse(p.name, kwargs=dict(zip(params, combination, strict=True))))
                )

    walk(get_resolver().url_patterns)
    return out


def _api_operations(values: dict[str, list[str]]) -> list[tuple[str, str, str]]:
    schema = api.get_openapi_schema()
    ops = []
    for path, methods in schema["paths"].items():
        for method in methods:
            params = re.findall(r"{(\w+)}", path)
            if not params:
                ops.append((path, method, path))
                continue
            (param,) = params
            for value in values[param]:
                ops.append((path, method, path.replace("{" + param + "}", value)))
    return ops


VALID_BODIES = {
    "/randomize": {},
    "/dispense": {"infusion_number": 1},
    "/consent": {"consent_date": "2024-01-02"},
    "/emergency-unblinding": {"reason": "checking what a wrong password shows", "password": "x"},
    "/custody": {"action": "quarantine"},
    "/protocol/stage": {"skin_bsa_percent": 30, "patient_id": 1},
}


def _body_variants(path: str) -> list[dict[str, Any]]:
    for suffix, body in VALID_BODIES.items():
        if path.endswith(suffix):
            return [{}, body]
    return [{}]


def _text(response: Any) -> str:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return CSRF.sub("", body.decode("utf-8", "replace"))


def _crawl(client: Client, values: dict[str, list[str]]) -> dict[str, str]:
    seen: dict[str, str] = {}
    for name, url in _web_urls(values):
        r = client.get(url)
        assert r.status_code < 500, (url, r.status_code)
        seen[f"GET {url}"] = _text(r)
        r = client.post(url, {})
        assert r.status_code < 500, (url, r.status_code)
        seen[f"POST {url} ({name})"] = _text(r)
    for path, method, url in _api_operations(values):
        full = "/api" + url if not url.startswith("/api") else url
        if method == "get":
            r = client.get(full)
            assert r.status_code < 500, (full, r.status_code)
            seen[f"GET {full}"] = _text(r)
        else:
            for body in _body_variants(path):
                r = client.generic(method.upper(), full, json.dumps(body), "application/json")
                assert r.status_code < 500, (full, r.status_code, r.content[:300])
                seen[f"{method.upper()} {full} {body}"] = _text(r)
    for extra in ("/api/openapi.json", "/api/docs", "/login/"):
        seen[f"GET {extra}"] = _text(client.get(extra))
    return seen


@pytest.fixture
def world(trial: Trial) -> dict[str, list[str]]:
    return _world(trial)


HEX64 = re.compile(r"(?<![0-9a-fA-F])[0-9a-fA-F]{64}(?![0-9a-fA-F])")
BLOCK_LABEL = re.compile(r"block[ -]size", re.IGNORECASE)  # a label shown with a value
BLOCK_CELLS = re.compile(r"<td>(block|block_size)</td><td>([^<]*)</td><td>([^<]*)</td>")


def _block_values(text: str) -> list[str]:
    """Block numbers or sizes in a response: a "block size" label, a JSON key ``block`` or
    ``block_size`` with a value, an audit row of those fields with an unredacted value."""
    found = BLOCK_LABEL.findall(text)
    found += [f"{m[0]}={m[1] or m[2]}" for m in BLOCK_CELLS.findall(text)
              if {m[1], m[2]} - {"", "[blinded]"}]  # fmt: skip
    try:
        data = json.loads(text)
    except ValueError:
        return found

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            for key in ("block", "block_size"):
                if node.get(key) is not None:
                    found.append(f"{key}={node[key]}")
            if node.get("field") in ("block", "block_size"):
                for key in ("old", "new"):
                    if node.get(key) not in (None, "[blinded]"):
                        found.append(f"{node['field']}={node[key]}")
            for value in node.values():
                walk(value)

    walk(data)
    return found


def _digests() -> set[str]:
    """Every hash a blinded role could re-compute a hidden value from: each audit row's hash
    and predecessor hash (over redacted arms, blocks and schedule contents) and each schedule's
    digest (which confirms a guessed seed)."""
    from gvhdtrial.web.audit.models import AuditEntry
    from gvhdtrial.web.randomization.models import Schedule

    found = set(AuditEntry.objects.values_list("hash", flat=True))
    found |= set(AuditEntry.objects.values_list("prev_hash", flat=True))
    from gvhdtrial.web.blinding import schedule_record

    found |= {schedule_record(s.pk, s.sealed)[0]["sha256"] for s in Schedule.objects.all()}
    return {d.lower() for d in found} - {"0" * 64}


@pytest.mark.parametrize("role", BLINDED)
def test_no_response_to_a_blinded_role_reveals_an_arm(
    trial: Trial, world: dict[str, list[str]], role: str
) -> None:
    seen = _crawl(trial.client(role), world)
    assert len(seen) > 60
    leaks = {k: ARM_WORDS.findall(v)[:3] for k, v in seen.items() if ARM_WORDS.search(v)}
    assert not leaks, f"{role} sees arms in: {leaks}"
    # No hash over a blinded value and no block or block size either (issue 10): with the public
    # chain algorithm a row hash over a redacted arm gives the arm away by re-hashing.
    digests = _digests()
    hashed = {k: sorted(set(HEX64.findall(v)) & digests)[:2] for k, v in seen.items()}
    assert not {k: v for k, v in hashed.items() if v}, f"{role} sees hashes: {hashed}"
    blocks = {k: _block_values(v)[:2] for k, v in seen.items() if _block_values(v)}
    assert not blocks, f"{role} sees blocks or block sizes in: {blocks}"


def test_the_crawl_detects_arms_where_the_statistician_may_see_them(
    trial: Trial, world: dict[str, list[str]]
) -> None:
    seen = _crawl(trial.client("statistician"), world)
    leaking = {k for k, v in seen.items() if ARM_WORDS.search(v)}
    digests = _digests()
    assert any(set(HEX64.findall(seen["GET /api/audit"])) & digests), "crawl sees no hash"
    # Blocks live only inside the sealed schedule record now (not in slot rows or the trail), so
    # no live response carries one; the detector is shown to see one in an audit row and a label.
    row = json.dumps([{"record": "randomization.slot:1", "field": "block_size", "new": "4"}])
    assert _block_values(row), "the crawl does not see block sizes"
    for expected in (
        "GET /randomization/schedule/",
        "GET /randomization/schedule.csv",
        "GET /api/randomization/allocations",
        "GET /api/randomization/schedule.csv",
    ):
        assert expected in leaking, f"crawl did not see the arm in {expected}"


def test_anonymous_users_get_nothing_but_the_login_page(world: dict[str, list[str]]) -> None:
    client = Client()
    seen = _crawl(client, world)
    assert not {k for k, v in seen.items() if ARM_WORDS.search(v)}
    assert client.get("/patients/").status_code == 302
    assert client.get("/api/patients").status_code == 401


def test_every_url_pattern_is_crawled(world: dict[str, list[str]]) -> None:
    names = {name for name, _ in _web_urls(world)}
    all_names = {
        p.name for p in get_resolver().url_patterns if isinstance(p, URLPattern) and p.name
    }
    assert names == all_names - SKIP_NAMES
    assert len(_api_operations(world)) >= 20
