"""The trial definition in force (issue 12): recorded with its SHA-256 and version at first start;
changing it after the first randomization is an e-signed, audited amendment recording what
changed; each patient falls under the version in force when randomized. Each integrity property
is tested by the attack an insider would try."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from gvhdtrial.trial import DEFAULT_TRIAL_FILE, TRIALS_DIR, load_definition
from gvhdtrial.web.audit.models import AuditEntry
from gvhdtrial.web.errors import Forbidden, Refused
from gvhdtrial.web.randomization.services import randomize
from gvhdtrial.web.trialdef.models import DefinitionVersion
from gvhdtrial.web.trialdef.services import (
    AmendmentRequired,
    amend,
    ensure_in_force,
    in_force,
    versions_by_patient,
)

from .conftest import PASSWORD, Trial, screen

PHASE2 = load_definition(DEFAULT_TRIAL_FILE)
AMENDED_TEXT = PHASE2.text.replace('version = "1.0"', 'version = "1.1"', 1).replace(
    "max_age_years = 70", "max_age_years = 75"
)


def test_the_definition_in_force_is_recorded_with_its_hash(trial: Trial) -> None:
    row = in_force()
    assert row is not None and row.number == 1 and row.sha256 == PHASE2.sha256
    assert row.version == "1.0" and row.text == PHASE2.text
    ensure_in_force(PHASE2)  # the same file again: nothing new
    assert DefinitionVersion.objects.count() == 1


def test_a_changed_file_after_randomization_must_be_amended(trial: Trial) -> None:
    randomize(trial.actor("investigator"), screen(trial).pk)
    phase3 = load_definition(TRIALS_DIR / "jiang-phase3-gut.toml")
    with pytest.raises(AmendmentRequired, match="must be amended"):
        ensure_in_force(phase3)  # attack: restart the service on another file
    assert DefinitionVersion.objects.count() == 1


def test_an_amendment_is_e_signed_audited_and_records_what_changed(trial: Trial) -> None:
    patient = screen(trial)
    randomize(trial.actor("investigator"), patient.pk)
    admin = trial.actor("admin")
    with pytest.raises(Refused, match="E-signature failed"):
        amend(admin, AMENDED_TEXT, "amended.toml", "not-the-password", "older patients")
    with pytest.raises(Forbidden):  # an investigator cannot amend the protocol
        amend(trial.actor("investigator"), AMENDED_TEXT, "a.toml", PASSWORD, "older patients")
    assert DefinitionVersion.objects.count() == 1
    row = amend(admin, AMENDED_TEXT, "amended.toml", PASSWORD, "older patients")
    assert (row.number, row.version, row.signed, row.recorded_by_id) == (
        2,
        "1.1",
        True,
        admin.user_id,
    )
    assert row.changes.splitlines() == [
        "eligibility.max_age_years: 70 -> 75",
        'version: "1.0" -> "1.1"',
    ]
    audit = AuditEntry.objects.filter(record=f"trialdef.definitionversion:{row.pk}")
    assert audit.filter(field="changes").get().new == row.changes
    assert audit.first().reason == "older patients" and audit.first().user == "admin"
    with pytest.raises(Refused, match="changes nothing"):
        amend(admin, AMENDED_TEXT, "amended.toml", PASSWORD, "again")
    # the patient randomized before falls under version 1; a later one under version 2
    later = screen(trial)
    randomize(trial.actor("investigator"), later.pk)
    versions = versions_by_patient()
    assert versions[patient.code].number == 1 and versions[later.code].number == 2


def test_recorded_versions_cannot_be_rewritten(trial: Trial) -> None:
    table = DefinitionVersion._meta.db_table
    for sql in (
        f"UPDATE {table} SET sha256 = 'x' WHERE number = 1",
        f"DELETE FROM {table} WHERE number = 1",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql)
    assert in_force().sha256 == PHASE2.sha256
