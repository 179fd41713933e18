"""Attacks on blinding through supply, as the site pharmacist (a blinded role) would run them
through the API (issue 10):

(d) a site short of one arm: the refusal to dispense and the resupply alert are identical
    whichever arm is short and whichever arm the patient is in;
(e) dispensing dated 1900-01-01 (which once bypassed the expiry check) or tomorrow is refused
    with one error naming the field and the value, and nothing is dispensed.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest

from gvhdtrial.supply import CustodyAction
from gvhdtrial.web.blinding import kit_arm, slot_arm
from gvhdtrial.web.randomization.models import Slot
from gvhdtrial.web.randomization.services import randomize
from gvhdtrial.web.supply.models import Kit
from gvhdtrial.web.supply.services import custody
from gvhdtrial.web.unblinding.models import Notification

from .conftest import Trial, screen

TODAY = dt.date.today()


def _short_of(trial: Trial, site: str, pharmacist: str, arm: str) -> None:
    """Set-up (with the keys, as the unblinded supply system would): leave one usable kit of
    ``arm`` at ``site``, quarantining the rest; the other arm keeps its 8."""
    kits = [k for k in Kit.objects.filter(site__code=site, status="received") if kit_arm(k) == arm]
    for kit in kits[1:]:
        custody(trial.actor(pharmacist), kit.tracking_number, CustodyAction.QUARANTINE, TODAY)


def _one_patient_per_arm(trial: Trial, investigator: str) -> dict[str, int]:
    by_arm: dict[str, int] = {}
    while len(by_arm) < 2:
        patient = screen(trial, who=investigator, weight_kg=40)  # 2 bags
        randomize(trial.actor(investigator), patient.pk)
        by_arm.setdefault(slot_arm(Slot.objects.get(patient=patient)), patient.pk)
    return by_arm


def _blinded_view(client: Any, patient_id: int, site: str) -> tuple[Any, ...]:
    r = client.post(
        f"/api/patients/{patient_id}/dispense",
        {"infusion_number": 1},
        content_type="application/json",
    )
    stock = json.dumps(client.get("/api/supply/stock").json())
    page = client.get("/supply/").content.decode()
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)
    text = f"{r.status_code}|{r.content.decode()}|{stock}|{page}"
    return (re.sub(r"pharmacist2?", "PHARMACIST", text.replace(site, "SITE")),)


def test_refusal_and_resupply_alert_are_identical_whichever_arm_runs_short(trial: Trial) -> None:
    _short_of(trial, "C01", "pharmacist", "MSC")
    _short_of(trial, "C02", "pharmacist2", "placebo")
    c01 = _one_patient_per_arm(trial, "investigator")
    c02 = _one_patient_per_arm(trial, "investigator2")
    views = {
        (site, arm): _blinded_view(trial.client(who), patients[arm], site)
        for site, who, patients in (("C01", "pharmacist", c01), ("C02", "pharmacist2", c02))
        for arm in ("MSC", "placebo")
    }
    distinct = set(views.values())
    if len(distinct) > 1:
        import difflib

        a, b, *_ = (v[0].splitlines() for v in distinct)
        pytest.fail("blinded views differ:\n" + "\n".join(difflib.unified_diff(a, b, n=0)))
    ((text,),) = distinct
    assert text.startswith("409|"), text[:200]
    assert "Not enough usable kits at site SITE" in text and '"resupply_needed": true' in text
    assert "MSC" not in text and "placebo" not in text
    assert not Kit.objects.filter(patient_id__in=[*c01.values(), *c02.values()]).exists()
    alerts = {
        n.subject.replace("C01", "SITE").replace("C02", "SITE")
        + n.body.replace("C01", "SITE").replace("C02", "SITE")
        for n in Notification.objects.filter(kind="resupply")
    }
    assert len(alerts) == 1


@pytest.mark.parametrize("on", ["1900-01-01", (TODAY + dt.timedelta(days=1)).isoformat()])
def test_dispensing_dated_1900_or_tomorrow_is_refused_naming_field_and_value(
    trial: Trial, on: str
) -> None:
    patient = screen(trial)
    randomize(trial.actor("investigator"), patient.pk)
    client = trial.client("pharmacist")
    r = client.post(
        f"/api/patients/{patient.pk}/dispense",
        {"infusion_number": 1, "on_date": on},
        content_type="application/json",
    )
    assert r.status_code == 422, r.content
    assert f"on_date: {on}" in r.json()["detail"]
    assert not Kit.objects.filter(patient=patient).exists()
