"""Randomization through the service gateway (issue 6, "Randomize")."""

from __future__ import annotations

import logging

import pytest
from django.core import mail

from gvhdtrial.web.errors import Forbidden, Refused
from gvhdtrial.web.randomization.models import Slot
from gvhdtrial.web.randomization.services import randomize

from .conftest import Trial, screen


def test_the_system_shall_refuse_randomization_without_eligibility(trial: Trial) -> None:
    patient = screen(trial, age_years=80)
    with pytest.raises(Refused) as err:
        randomize(trial.actor("investigator"), patient.pk)
    assert err.value.code == "not_eligible"
    assert not Slot.objects.filter(patient__isnull=False).exists()


def test_the_system_shall_refuse_randomization_without_consent(trial: Trial) -> None:
    patient = screen(trial, consent=False)
    assert patient.screening.eligible is False  # criterion I4 fails until consent
    with pytest.raises(Refused) as err:
        randomize(trial.actor("investigator"), patient.pk)
    assert err.value.code in {"not_eligible", "no_consent"}
    import datetime as dt

    from gvhdtrial.web.patients.services import record_consent

    record_consent(trial.actor("investigator"), patient.pk, dt.date(2024, 1, 3))
    assert randomize(trial.actor("investigator"), patient.pk).sequence == 1


def test_the_system_shall_take_the_next_slot_of_the_stratum_in_order(trial: Trial) -> None:
    results = [randomize(trial.actor("investigator"), screen(trial).pk) for _ in range(5)]
    assert [r.sequence for r in results] == [1, 2, 3, 4, 5]
    assert {r.stratum for r in results} == {"C01"}
    other = randomize(trial.actor("investigator2"), screen(trial, who="investigator2").pk)
    assert (other.stratum, other.sequence) == ("C02", 1)


def test_randomizing_twice_returns_the_first_allocation_and_consumes_nothing(trial: Trial) -> None:
    patient = screen(trial)
    first = randomize(trial.actor("investigator"), patient.pk)
    used = Slot.objects.filter(patient__isnull=False).count()
    again = randomize(trial.actor("investigator"), patient.pk)
    assert again.already_randomized and not first.already_randomized
    assert (again.randomization_number, again.allocated_at) == (
        first.randomization_number,
        first.allocated_at,
    )
    assert Slot.objects.filter(patient__isnull=False).count() == used


def test_an_exhausted_stratum_fails_loudly_and_is_logged(
    trial: Trial, caplog: pytest.LogCaptureFixture
) -> None:
    capacity = Slot.objects.filter(stratum="C01").count()
    Slot.objects.filter(stratum="C01").update(patient=None)
    for _ in range(capacity):
        randomize(trial.actor("investigator"), screen(trial).pk)
    late = screen(trial)
    with (
        caplog.at_level(logging.ERROR, logger="gvhdtrial.randomization"),
        pytest.raises(Refused) as err,
    ):
        randomize(trial.actor("investigator"), late.pk)
    assert err.value.code == "stratum_exhausted" and "C01" in err.value.message
    assert any("exhausted" in r.getMessage() for r in caplog.records)
    stat = trial.users["statistician"]
    assert stat.notifications.filter(subject__contains="exhausted").exists()
    assert not Slot.objects.filter(patient=late).exists()


def test_only_site_investigators_randomize_and_only_their_own_patients(trial: Trial) -> None:
    patient = screen(trial)
    for who in ("pharmacist", "datamanager", "monitor", "statistician", "admin"):
        with pytest.raises(Forbidden):
            randomize(trial.actor(who), patient.pk)
    from gvhdtrial.web.errors import NotFound

    with pytest.raises(NotFound):
        randomize(trial.actor("investigator2"), patient.pk)
    assert not mail.outbox


def test_stratification_by_centre_plus_a_configured_factor(db: None, settings: object) -> None:
    from .conftest import build_trial

    settings.GVHDTRIAL = {  # type: ignore[attr-defined]
        **settings.GVHDTRIAL,  # type: ignore[attr-defined]
        "stratification_factors": {"agvhd_grade": {"2": "II", "3": "III-IV", "4": "III-IV"}},
    }
    factors = settings.GVHDTRIAL["stratification_factors"]  # type: ignore[attr-defined]
    trial = build_trial(slots_per_stratum=10)
    strata = set(Slot.objects.values_list("stratum", flat=True))
    assert {"C01|agvhd_grade=II", "C01|agvhd_grade=III-IV"} <= strata and len(strata) == 14
    grade2 = randomize(trial.actor("investigator"), screen(trial, agvhd_grade=2).pk, factors)
    grade4 = randomize(trial.actor("investigator"), screen(trial, agvhd_grade=4).pk, factors)
    grade3 = randomize(trial.actor("investigator"), screen(trial, agvhd_grade=3).pk, factors)
    assert (grade2.stratum, grade2.sequence) == ("C01|agvhd_grade=II", 1)
    assert (grade4.stratum, grade4.sequence) == ("C01|agvhd_grade=III-IV", 1)
    assert (grade3.stratum, grade3.sequence) == ("C01|agvhd_grade=III-IV", 2)
