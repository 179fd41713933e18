"""Attacks on the audit trail by an insider with write access to the database (issue 10).

Each test does what a curious or dishonest insider would do with ``sqlite3`` / ``psql`` on the
database (here through the same connection, so the tests run on SQLite and PostgreSQL) and
asserts that ``gvhdtrial audit verify`` names it. The chain algorithm is public, so every
rewrite below re-chains the rows it touched with the published algorithm (``canonical_row`` and
SHA-256, written out here again, not the service's code) and moves the chain head: on the code
before signed checkpoints and reconciliation, each of these rewrites passed verification.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from typer.testing import CliRunner

from gvhdtrial.cli import app
from gvhdtrial.web.append_only import drop_statements
from gvhdtrial.web.audit import checkpoints
from gvhdtrial.web.audit.chain import canonical_row, verify_chain
from gvhdtrial.web.audit.models import GENESIS_HASH, AuditEntry, ChainHead
from gvhdtrial.web.audit.reconcile import reconcile
from gvhdtrial.web.blinding import seal_slot_arm, slot_arm
from gvhdtrial.web.capture.models import AdverseEvent
from gvhdtrial.web.crf.services import save_row
from gvhdtrial.web.errors import Forbidden, Refused
from gvhdtrial.web.gateway import DatabaseLocked
from gvhdtrial.web.lock.models import DatabaseLock, Signature
from gvhdtrial.web.lock.services import MEANINGS, lock_database, unlock_database
from gvhdtrial.web.patients.models import Patient
from gvhdtrial.web.randomization.models import Slot
from gvhdtrial.web.randomization.services import randomize
from gvhdtrial.web.unblinding.models import EmergencyUnblinding, Notification
from gvhdtrial.web.unblinding.services import emergency_unblind, trial_unblind

from .conftest import PASSWORD, Trial, screen

AE = {
    "term": "Fever", "soc": "General disorders and administration site conditions", "grade": 2,
    "serious": False, "related_to_study_agent": False, "infusion_related": False,
    "onset_date": dt.date(2024, 1, 10), "outcome": "recovering",
}  # fmt: skip


@pytest.fixture
def anchored(trial: Trial, django_capture_on_commit_callbacks: Any) -> Iterator[dict[str, Any]]:
    """A small trial whose writes ran their on-commit hooks (so each wrote its checkpoint)."""
    world: dict[str, Any] = {}
    with django_capture_on_commit_callbacks(execute=True):
        patients = [screen(trial) for _ in range(3)]
        for p in patients:
            randomize(trial.actor("investigator"), p.pk)
        world["ae"] = save_row(trial.actor("investigator"), patients[0].pk, "adverse-events", AE)
        emergency_unblind(trial.actor("investigator"), patients[1].pk, "anaphylaxis: ICU", PASSWORD)
        screen(trial)  # a write after the unblinding, so that erasing it needs a re-chain
    world["patients"] = patients
    yield world


def _unprotect() -> None:
    with connection.cursor() as cur:
        for sql in drop_statements(connection.vendor, AuditEntry._meta.db_table):
            cur.execute(sql)


def _public_hash(prev: str, row: dict[str, Any]) -> str:
    """The published chain algorithm, as anyone can read it in the README."""
    return hashlib.sha256((prev + canonical_row(row)).encode("utf-8")).hexdigest()


def _rechain(keep: list[dict[str, Any]]) -> None:
    """Rewrite the whole trail as ``keep``, renumbered and re-chained, and move the head."""
    table = AuditEntry._meta.db_table
    prev = GENESIS_HASH
    with connection.cursor() as cur:
        cur.execute(f"DELETE FROM {table}")
        for seq, row in enumerate(keep, start=1):
            row = {**row, "seq": seq}
            digest = _public_hash(prev, row)
            AuditEntry.objects.create(**{**row, "prev_hash": prev, "hash": digest})
            prev = digest
        cur.execute(
            f"UPDATE {ChainHead._meta.db_table} SET last_seq = %s, last_hash = %s WHERE id = 1",
            [len(keep), prev],
        )


def _rows() -> list[dict[str, Any]]:
    fields = ("seq", "at", "user", "action", "record", "field", "old", "new", "reason")
    return list(AuditEntry.objects.order_by("seq").values(*fields))


def test_an_untouched_anchored_trail_verifies_with_every_checkpoint_agreeing(
    anchored: dict[str, Any],
) -> None:
    result = verify_chain()
    assert result.ok, result.problems
    writes = len(checkpoints.read().checkpoints)
    assert writes == 3 + 3 + 1 + 1 + 1  # one signed checkpoint per committed write
    assert result.checkpoints == writes and result.unanchored is None
    assert reconcile().ok, reconcile().problems


def test_cutting_the_last_rows_and_moving_the_head_is_reported_as_truncation(
    anchored: dict[str, Any],
) -> None:
    rows = _rows()
    _unprotect()
    _rechain(rows[:-5])  # the last write (a screening) removed, the head moved
    result = verify_chain()
    assert not result.ok
    cut = f"covers seq {len(rows)}, but the trail ends at seq {len(rows) - 5}"
    assert any(p.startswith("rows removed:") and cut in p and "(truncation)" in p
               for p in result.problems), result.problems  # fmt: skip


def test_erasing_an_emergency_unblinding_and_rechaining_is_reported(
    anchored: dict[str, Any],
) -> None:
    record = EmergencyUnblinding.objects.get()
    label = f"unblinding.emergencyunblinding:{record.pk}"
    rows = _rows()
    first = next(r["seq"] for r in rows if r["record"] == label)
    # The unblinding, its notifications and their audit rows vanish; the rest is re-chained.
    notes = {r["record"] for r in rows if r["seq"] >= first and r["record"].startswith(
        "unblinding.notification:") and r["user"] == "investigator"}  # fmt: skip
    keep = [r for r in rows if r["record"] != label and r["record"] not in notes]
    _unprotect()
    _rechain(keep)
    record.delete()
    Notification.objects.filter(pk__in=[int(n.split(":")[1]) for n in notes]).delete()
    assert reconcile().ok  # tables and trail agree again: only the signed checkpoints know
    result = verify_chain()
    assert not result.ok
    # The report says up to where the trail still agrees with a signed head: before the
    # erased unblinding (and, when later checkpoints fall inside the shortened trail, that
    # they no longer match).
    (removed,) = [p for p in result.problems if p.startswith("rows removed:")]
    agrees = int(re.search(r"up to seq (\d+)", removed).group(1))  # type: ignore[union-attr]
    assert agrees < first, (first, removed)
    for mismatch in (p for p in result.problems if "does not match the trail" in p):
        low, high = map(int, re.search(r"rows (\d+)\.\.(\d+)", mismatch).groups())  # type: ignore[union-attr]
        assert low <= first <= high, (first, mismatch)


def test_a_checkpoint_forged_without_the_key_is_reported(anchored: dict[str, Any]) -> None:
    rows = _rows()
    _unprotect()
    _rechain(rows[:-5])
    head = ChainHead.objects.get(pk=1)
    forged = base64.b64encode(b"\x00" * 64).decode()
    with checkpoints.checkpoints_path().open("a") as fh:  # the attacker can append lines
        fh.write(f"{head.last_seq} {head.last_hash} 2030-01-01T00:00:00.000000Z {forged}\n")
    problems = verify_chain().problems
    assert any("no valid signature (forged)" in p for p in problems), problems


def test_direct_table_edits_are_named_with_stored_and_audited_values(
    anchored: dict[str, Any], trial: Trial
) -> None:
    patient = anchored["patients"][0]
    slot = Slot.objects.get(patient=patient)
    arm_before = slot_arm(slot)
    other = next(a for a in ("MSC", "placebo") if a != arm_before)
    # The worst insider: holds the key file too, so the forged arm is a well-formed seal bound
    # to this very slot (without the key, a seal moved from another row does not even open).
    forged = seal_slot_arm(slot.schedule_id, slot.stratum, slot.sequence, other)
    ae = anchored["ae"].obj
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {Slot._meta.db_table} SET arm = %s WHERE id = %s", [forged, slot.pk])
        cur.execute(f"UPDATE {AdverseEvent._meta.db_table} SET grade = 4 WHERE id = %s", [ae.pk])
        cur.execute(
            f"UPDATE {Patient._meta.db_table} SET weight_kg = 72 WHERE id = %s", [patient.pk]
        )
    assert verify_chain().ok  # the trail itself is untouched
    unblinded = {(d.record, d.field): d for d in reconcile().differences}
    assert set(unblinded) == {
        (f"randomization.slot:{slot.pk}", "arm"),
        (f"capture.adverseevent:{ae.pk}", "grade"),
        (f"patients.patient:{patient.pk}", "weight_kg"),
    }
    grade = unblinded[(f"capture.adverseevent:{ae.pk}", "grade")]
    assert (grade.stored, grade.audited) == ("4", "2")
    arm = unblinded[(f"randomization.slot:{slot.pk}", "arm")]
    assert (arm.stored, arm.audited, arm.table) == (other, arm_before, Slot._meta.db_table)
    # What a blinded data manager is shown names the record and field but neither arm.
    blinded = {(d.record, d.field): d for d in reconcile(blinded=True).differences}
    assert (blinded[(arm.record, "arm")].stored, blinded[(arm.record, "arm")].audited) == (
        "[blinded]", "[blinded]",
    )  # fmt: skip
    out = CliRunner().invoke(app, ["audit", "verify"])
    assert out.exit_code == 1
    assert f"randomization.slot:{slot.pk} field arm: stored '[blinded]'" in out.output
    assert f"capture.adverseevent:{ae.pk} field grade: stored '4', audited '2'" in out.output
    assert f"patients.patient:{patient.pk} field weight_kg: stored '72" in out.output
    assert slot.arm not in out.output and forged not in out.output
    assert f"'{other}'" not in out.output and f"'{arm_before}'" not in out.output
    response = trial.client("datamanager").get("/api/audit/verify")
    body = response.json()
    assert response.status_code == 200 and not body["tables_ok"] and len(body["differences"]) == 3
    assert slot.arm not in response.content.decode() and other not in response.content.decode()


def test_a_crash_between_commit_and_checkpoint_leaves_an_unanchored_tail_not_tampering(
    anchored: dict[str, Any], trial: Trial
) -> None:
    screen(trial)  # committed (in the test's transaction), its on-commit checkpoint never ran
    result = verify_chain()
    assert result.ok and result.unanchored is not None, result
    first, last = result.unanchored
    assert last - first + 1 == AuditEntry.objects.filter(seq__gte=first).count() > 0
    assert any("after the last signed checkpoint" in w for w in result.warnings)
    out = CliRunner().invoke(app, ["audit", "checkpoint"])
    assert out.exit_code == 0 and f"seq {last}" in out.output
    after = verify_chain()
    assert after.ok and after.unanchored is None and not after.warnings


def test_the_statisticians_export_catches_a_rewrite_of_the_checkpoint_file_too(
    anchored: dict[str, Any], tmp_path: Path
) -> None:
    kept = tmp_path / "tmf-checkpoints.txt"
    out = CliRunner().invoke(app, ["audit", "checkpoint", "--export", str(kept)])
    assert out.exit_code == 0, out.output
    assert "BEGIN PUBLIC KEY" in kept.read_text() and (kept.stat().st_mode & 0o777) == 0o600
    rows = _rows()
    _unprotect()
    _rechain(rows[:-5])
    checkpoints.checkpoints_path().unlink()  # an attacker who can also delete the file
    alone = verify_chain()
    assert alone.ok and alone.warnings  # only "not anchored" without the file
    broken = CliRunner().invoke(app, ["audit", "verify", "--against", str(kept)])
    assert broken.exit_code == 1 and "(truncation)" in broken.output


def test_lock_unlock_and_trial_unblinding_are_e_signed_with_their_meaning(trial: Trial) -> None:
    with pytest.raises(Forbidden, match="password"):
        lock_database(
            trial.actor("datamanager"), "all data entered", "wrong password", confirmed=True
        )
    assert not DatabaseLock.current().locked and not Signature.objects.exists()
    lock_database(trial.actor("datamanager"), "all data entered", PASSWORD, confirmed=True)
    with pytest.raises(Forbidden, match="password"):
        trial_unblind(trial.actor("statistician"), "final analysis", "wrong password")
    trial_unblind(trial.actor("statistician"), "final analysis", PASSWORD)
    signed = list(Signature.objects.order_by("at", "id").values_list("action", "by__username",
                                                                      "meaning"))  # fmt: skip
    assert signed == [
        ("lock", "datamanager", str(MEANINGS["lock"])),
        ("trial_unblind", "statistician", str(MEANINGS["trial_unblind"])),
    ]
    assert "the data are final for analysis" in signed[0][2]
    trail = AuditEntry.objects.filter(record__startswith="lock.signature:", field="meaning")
    assert [r.new for r in trail.order_by("seq")] == [s[2] for s in signed]


def test_after_trial_unblinding_the_database_can_never_be_unlocked(trial: Trial) -> None:
    lock_database(trial.actor("admin"), "last patient completed", PASSWORD, confirmed=True)
    trial_unblind(trial.actor("statistician"), "final analysis", PASSWORD)
    with pytest.raises(Refused, match="never be unlocked"):
        unlock_database(trial.actor("admin"), "late query from C03", PASSWORD)
    page = trial.client("admin").post(
        "/lock/", {"do": "unlock", "reason": "x", "password": PASSWORD}
    )
    assert page.status_code in (200, 302, 409) and DatabaseLock.current().locked
    api = trial.client("admin").post(
        "/api/unlock",
        {"reason": "late query", "password": PASSWORD},
        content_type="application/json",
    )
    assert api.status_code == 409 and "never be unlocked" in api.json()["detail"]
    # Clearing the lock flag by hand does not reopen the trial: the gateway refuses all writes.
    with connection.cursor() as cur:
        cur.execute(f"UPDATE {DatabaseLock._meta.db_table} SET locked = %s", [False])
    with pytest.raises(DatabaseLocked, match="never be unlocked"):
        screen(trial)
    assert DatabaseLock.current().locked is False and not Patient.objects.exists()


def test_account_events_in_the_trail_are_not_taken_for_missing_tables(
    anchored: dict[str, Any], trial: Trial
) -> None:
    """Logins, failed logins and password changes are trail rows of their own (``account:<name>``,
    no table): reconcile replays data changes only, so it neither warns of a vanished table nor
    reports a difference for them."""
    from gvhdtrial.web.gateway import record_event

    record_event("investigator", "login", "account:investigator", {"ip": "127.0.0.1"}, "login")
    record_event("nobody", "login_failed", "account:nobody", {"ip": "10.0.0.9"}, "login failed")
    assert AuditEntry.objects.filter(record__startswith="account:").count() >= 2
    result = reconcile()
    assert result.ok, result.problems
    assert result.unknown == ()
    out = CliRunner().invoke(app, ["audit", "verify"])
    assert "no longer exists" not in out.output, out.output
