"""Site isolation: a site user of centre A gets 403 or 404 on every patient URL of centre B
(405 for a POST-only page requested by GET; a refused POST redirects to such a page), and the
patient's code appears in no response,
and a 200 on the same URLs of their own patient (which shows the crawl reaches real pages).

Every URL pattern with a ``patient_id`` (or a query of that patient) and every API operation
with ``{patient_id}`` is requested by GET and POST with real ids from the blinding crawl's
world (CRF rows of every form, responses, queries)."""

from __future__ import annotations

import json

import pytest

from gvhdtrial.web.patients.models import Patient
from gvhdtrial.web.queries.models import Query

from .conftest import Trial
from .test_blinding_crawl import _api_operations, _web_urls, _world


@pytest.fixture
def world(trial: Trial) -> dict[str, list[str]]:
    return _world(trial)


def _patient_urls(values: dict[str, list[str]], patient_id: str) -> list[str]:
    mine = {**values, "patient_id": [patient_id]}
    mine["query_id"] = [str(q.pk) for q in Query.objects.filter(patient_id=int(patient_id))]
    urls = [url for _, url in _web_urls(mine) if f"/patients/{patient_id}/" in url]
    urls += [f"/queries/{q}/" for q in mine["query_id"]]
    api = [(url if url.startswith("/api") else "/api" + url, method)
           for path, method, url in _api_operations(mine)
           if "{patient_id}" in path]  # fmt: skip
    return urls + [f"{method.upper()} {url}" for url, method in api]


@pytest.mark.parametrize("user", ["investigator", "pharmacist"])
def test_site_users_of_one_centre_get_nothing_of_another(
    trial: Trial, world: dict[str, list[str]], user: str
) -> None:
    c02 = Patient.objects.filter(site__code="C02").first()
    assert c02 is not None
    urls = _patient_urls(world, str(c02.pk))
    assert len(urls) >= 30
    client = trial.client(user)
    leaks = []
    for url in urls:
        method, _, path = url.rpartition(" ")
        if method:
            r = client.generic(method, path, json.dumps({}), "application/json")
            if r.status_code not in (403, 404, 422) or c02.code in r.content.decode():
                leaks.append((url, r.status_code))
            continue
        # A refused POST becomes a message and a redirect (pages.page); follow it.
        for r in (client.get(url), client.post(url, {}, follow=True)):
            text = r.content.decode("utf-8", "replace")
            if r.status_code not in (403, 404, 405) or c02.code in text:
                leaks.append((url, r.request["REQUEST_METHOD"], r.status_code))
    assert not leaks, leaks
    # The other centre's patient code never appears in the site user's lists.
    for page in ("/patients/", "/queries/", "/visits/", "/api/patients"):
        assert c02.code not in trial.client(user).get(page).content.decode()


def test_the_same_urls_open_for_the_patients_own_site(
    trial: Trial, world: dict[str, list[str]]
) -> None:
    c01 = Patient.objects.filter(site__code="C01", allocation__isnull=False).first()
    assert c01 is not None
    client = trial.client("investigator")
    ok = 0
    for url in _patient_urls(world, str(c01.pk)):
        if " " in url or "999999" in url or "no-such-form" in url or "d99" in url:
            continue
        r = client.get(url)
        assert r.status_code in (200, 302, 404, 405), (url, r.status_code)
        ok += r.status_code == 200
    assert ok >= 10
