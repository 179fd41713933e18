"""Emergency unblinding, database lock and trial-level unblinding (issue 6)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail

from gvhdtrial.web.errors import Forbidden, Invalid, Refused
from gvhdtrial.web.gateway import DatabaseLocked
from gvhdtrial.web.lock.services import lock_database, unlock_database
from gvhdtrial.web.patients.services import record_consent
from gvhdtrial.web.randomization.services import randomize
from gvhdtrial.web.unblinding.models import EmergencyUnblinding, Notification
from gvhdtrial.web.unblinding.services import emergency_unblind, trial_unblind

from .conftest import PASSWORD, Trial, screen


def test_emergency_unblinding_needs_permission_reason_and_password(
    trial: Trial, django_capture_on_commit_callbacks: Any
) -> None:
    patient = screen(trial)
    randomize(trial.actor("investigator"), patient.pk)
    reason = "Severe reaction; treating physician needs the allocation"
    with pytest.raises(Forbidden):
        emergency_unblind(trial.actor("datamanager"), patient.pk, reason, PASSWORD)
    with pytest.raises(Invalid):
        emergency_unblind(trial.actor("investigator"), patient.pk, "why", PASSWORD)
    with pytest.raises(Forbidden, match="password"):
        emergency_unblind(trial.actor("investigator"), patient.pk, reason, "wrong")
    assert not EmergencyUnblinding.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        result = emergency_unblind(trial.actor("investigator"), patient.pk, reason, PASSWORD)
    assert result.arm in {"MSC", "placebo"} and result.by == "investigator"
    record = EmergencyUnblinding.objects.get(patient=patient)
    assert (record.by.username, record.reason) == ("investigator", reason)
    # Notifications: in-app and email, to the data manager, statistician, administrator and
    # the site's investigators; none of them names the arm.
    recipients = set(Notification.objects.values_list("recipient__username", flat=True))
    assert {"datamanager", "statistician", "admin", "investigator"} <= recipients
    assert "investigator2" not in recipients
    assert mail.outbox and all(result.arm not in m.body for m in mail.outbox)
    assert all(result.arm not in n.body for n in Notification.objects.all())
    assert "emergency" in mail.outbox[0].subject.lower()
    again = emergency_unblind(trial.actor("investigator"), patient.pk, "asked again", PASSWORD)
    assert (again.arm, again.at) == (result.arm, result.at)
    assert EmergencyUnblinding.objects.count() == 1


def test_after_lock_every_write_is_refused_with_a_clear_message(trial: Trial) -> None:
    patient = screen(trial, consent=False)
    done = screen(trial)
    first = randomize(trial.actor("investigator"), done.pk)
    lock_database(trial.actor("datamanager"), "final analysis", PASSWORD, confirmed=True)
    with pytest.raises(DatabaseLocked, match="database is locked"):
        screen(trial)
    with pytest.raises(DatabaseLocked):
        record_consent(trial.actor("investigator"), patient.pk, dt.date(2024, 1, 5))
    with pytest.raises(Refused, match="locked"):
        randomize(trial.actor("investigator"), patient.pk)
    assert randomize(trial.actor("investigator"), done.pk).randomization_number == (
        first.randomization_number
    )
    with pytest.raises(Forbidden):
        unlock_database(trial.actor("datamanager"), "oops", PASSWORD)
    with pytest.raises(Invalid):
        unlock_database(trial.actor("admin"), "  ", PASSWORD)
    unlock_database(trial.actor("admin"), "query on C01 data", PASSWORD)
    screen(trial)


def test_trial_unblinding_only_after_lock(trial: Trial) -> None:
    with pytest.raises(Refused, match="only after"):
        trial_unblind(trial.actor("statistician"), "final analysis", PASSWORD)
    with pytest.raises(Forbidden):
        trial_unblind(trial.actor("admin"), "final analysis", PASSWORD)
    lock_database(trial.actor("admin"), "last patient completed", PASSWORD, confirmed=True)
    trial_unblind(trial.actor("statistician"), "final analysis", PASSWORD)
    assert not trial.actor("monitor").blinded
