"""Dispensing, chain of custody and stock through the service (issue 6, "Supply")."""

from __future__ import annotations

import datetime as dt

import pytest

from gvhdtrial.supply import CustodyAction, KitStatus, is_valid
from gvhdtrial.web.errors import Forbidden, Refused
from gvhdtrial.web.randomization.services import randomize
from gvhdtrial.web.supply.models import CustodyEvent, Kit
from gvhdtrial.web.supply.services import custody, dispense, stock_levels

from .conftest import Trial, screen

TODAY = dt.date.today()


def test_dispensing_picks_unexpired_kits_of_the_patients_arm_at_the_site(trial: Trial) -> None:
    patient = screen(trial, weight_kg=70)  # 70 kg -> 3.5 -> 4 bags
    randomize(trial.actor("investigator"), patient.pk)
    arm = patient.allocation.arm if hasattr(patient, "allocation") else None
    patient.refresh_from_db()
    arm = patient.allocation.arm
    # Make the earliest-expiring kit of the arm at C01 expired: it must be skipped.
    stale = (
        Kit.objects.filter(site__code="C01", arm=arm, status="received").order_by("expiry").first()
    )
    Kit.objects.filter(pk=stale.pk).update(expiry=TODAY)
    result = dispense(trial.actor("pharmacist"), patient.pk, 1, TODAY)
    assert result.bags == 4 and len(result.tracking_numbers) == 4
    kits = Kit.objects.filter(tracking_number__in=result.tracking_numbers)
    assert {k.arm for k in kits} == {arm}
    assert {k.site.code for k in kits} == {"C01"}
    assert all(k.status == KitStatus.DISPENSED and k.infusion_number == 1 for k in kits)
    assert stale.tracking_number not in result.tracking_numbers
    assert all(is_valid(t) for t in result.tracking_numbers)
    again = dispense(trial.actor("investigator"), patient.pk, 1, TODAY)
    assert again.already_dispensed and set(again.tracking_numbers) == set(result.tracking_numbers)


def test_custody_chain_is_append_only_and_complete(trial: Trial) -> None:
    patient = screen(trial)
    randomize(trial.actor("investigator"), patient.pk)
    (tn,) = dispense(trial.actor("investigator"), patient.pk, 1, TODAY).tracking_numbers[:1] or [
        None
    ]
    custody(trial.actor("pharmacist"), tn, CustodyAction.INFUSE, TODAY)
    chain = list(
        CustodyEvent.objects.filter(kit__tracking_number=tn).values_list("action", flat=True)
    )
    assert chain == ["ship", "receive", "dispense", "infuse"]
    with pytest.raises(Refused, match="cannot be"):
        custody(trial.actor("pharmacist"), tn, CustodyAction.RETURN, TODAY)


def test_site_roles_handle_only_their_sites_kits(trial: Trial) -> None:
    c02_kit = Kit.objects.filter(site__code="C02").first()
    from gvhdtrial.web.errors import NotFound

    with pytest.raises(NotFound):
        custody(trial.actor("pharmacist"), c02_kit.tracking_number, CustodyAction.QUARANTINE, TODAY)
    with pytest.raises(Forbidden):
        custody(trial.actor("monitor"), c02_kit.tracking_number, CustodyAction.QUARANTINE, TODAY)
    kit = custody(
        trial.actor("pharmacist2"), c02_kit.tracking_number, CustodyAction.QUARANTINE, TODAY
    )
    assert kit.status == "quarantined"


def test_stock_levels_and_resupply_alert_say_nothing_about_arms(trial: Trial) -> None:
    (c01,) = stock_levels(trial.actor("pharmacist"), TODAY)
    assert c01.site == "C01" and c01.available == 16 and not c01.resupply_needed
    patient = screen(trial, weight_kg=200)  # 10 bags of one arm: that arm drops to < 2 left? no: 8
    randomize(trial.actor("investigator"), patient.pk)
    with pytest.raises(Refused) as err:
        dispense(trial.actor("pharmacist"), patient.pk, 1, TODAY)
    assert "MSC" not in err.value.message and "placebo" not in err.value.message
    patient2 = screen(trial, weight_kg=130)  # 7 bags
    randomize(trial.actor("investigator"), patient2.pk)
    dispense(trial.actor("pharmacist"), patient2.pk, 1, TODAY)
    (c01,) = stock_levels(trial.actor("pharmacist"), TODAY)
    assert c01.available == 9 and c01.resupply_needed
    all_sites = stock_levels(trial.actor("datamanager"), TODAY)
    assert len(all_sites) == 7
