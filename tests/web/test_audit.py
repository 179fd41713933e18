"""The audit trail: every change recorded, append-only, hash-chained, tampering detected."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.db import DatabaseError, connection, transaction
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gvhdtrial.cli import app
from gvhdtrial.web.append_only import drop_statements
from gvhdtrial.web.audit.chain import canonical_row, chain_hash, row_hash, verify_chain
from gvhdtrial.web.audit.models import AuditEntry
from gvhdtrial.web.gateway import ReasonRequired, snapshot, write
from gvhdtrial.web.patients.models import Patient
from gvhdtrial.web.randomization.services import randomize

from .conftest import Trial, screen

DB_ERRORS = DatabaseError  # SQLite: IntegrityError; PostgreSQL: the trigger's RAISE


def test_every_create_and_change_is_recorded_with_user_time_field_values(trial: Trial) -> None:
    patient = screen(trial)
    rows = AuditEntry.objects.filter(record=f"patients.patient:{patient.pk}")
    assert {r.field for r in rows} >= {"code", "site_id", "weight_kg", "created_by_id"}
    assert {(r.user, r.action, r.old) for r in rows} == {("investigator", "create", None)}
    assert all(r.at.tzinfo is not None for r in rows)
    randomize(trial.actor("investigator"), patient.pk)
    slot_rows = AuditEntry.objects.filter(action="change", field="patient_id", new=str(patient.pk))
    assert slot_rows.count() == 1 and slot_rows[0].old is None and slot_rows[0].reason


def test_a_change_after_first_save_requires_a_reason(trial: Trial) -> None:
    patient = screen(trial)
    actor = trial.actor("datamanager")
    with pytest.raises(ReasonRequired), write(actor) as audit:
        p = Patient.objects.get(pk=patient.pk)
        before = snapshot(p)
        p.weight_kg = 61
        p.save()
        audit.changed(p, before)
    assert Patient.objects.get(pk=patient.pk).weight_kg == 55  # rolled back
    with write(actor, reason="weight transcription error") as audit:
        p = Patient.objects.get(pk=patient.pk)
        before = snapshot(p)
        p.weight_kg = 61
        p.save()
        audit.changed(p, before)
    row = AuditEntry.objects.get(record=f"patients.patient:{patient.pk}", action="change")
    assert (row.field, row.old, row.new, row.reason) == (
        "weight_kg", "55.0", "61", "weight transcription error",
    )  # fmt: skip


def test_audit_rows_cannot_be_updated_or_deleted(trial: Trial) -> None:
    table = AuditEntry._meta.db_table
    for sql in (
        f"UPDATE {table} SET new = 'x' WHERE seq = 1",
        f"DELETE FROM {table} WHERE seq = 1",
    ):
        with pytest.raises(DB_ERRORS), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql)
    assert verify_chain().ok


def test_audit_verify_detects_a_row_changed_directly_in_the_database(trial: Trial) -> None:
    runner = CliRunner()
    ok = runner.invoke(app, ["audit", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "OK" in ok.output
    table = AuditEntry._meta.db_table
    with connection.cursor() as cur:
        for sql in drop_statements(connection.vendor, table):
            cur.execute(sql)
        cur.execute(f"UPDATE {table} SET new = 'tampered' WHERE seq = 5")
    broken = runner.invoke(app, ["audit", "verify"])
    assert broken.exit_code == 1
    assert "seq 5: contents changed" in broken.output


def test_audit_verify_detects_removed_rows(trial: Trial) -> None:
    table = AuditEntry._meta.db_table
    last = AuditEntry.objects.order_by("-seq").first().seq
    with connection.cursor() as cur:
        for sql in drop_statements(connection.vendor, table):
            cur.execute(sql)
        cur.execute(f"DELETE FROM {table} WHERE seq IN (7, {last})")
    problems = " ".join(verify_chain().problems)
    assert "rows missing" in problems and "chain head" in problems


@settings(max_examples=300, deadline=None)
@given(
    seq=st.integers(1, 2**62),
    at=st.datetimes(
        min_value=dt.datetime(2000, 1, 1),
        max_value=dt.datetime(2100, 1, 1),
        timezones=st.just(dt.UTC),
    ),
    texts=st.lists(st.text(), min_size=5, max_size=5),
    old=st.none() | st.text(),
    new=st.none() | st.text(),
)
def test_the_fast_canonical_form_hashes_as_the_published_json_form(
    seq: int, at: dt.datetime, texts: list[str], old: str | None, new: str | None
) -> None:
    """The verifier builds each row's canonical JSON by hand (250k rows in seconds); it must be
    byte for byte ``json.dumps(sort_keys, no spaces, ensure_ascii=False)`` (the published form),
    for any text (quotes, control characters, non-ASCII, surrogates) and the stored time forms
    (an aware datetime, SQLite's text with and without microseconds)."""
    user, action, record, field, reason = texts
    row = {"seq": seq, "at": at, "user": user, "action": action, "record": record,
           "field": field, "old": old, "new": new, "reason": reason}  # fmt: skip
    try:
        published = hashlib.sha256(("p" + canonical_row(row)).encode("utf-8")).hexdigest()
    except UnicodeEncodeError:  # a lone surrogate: neither form can be stored
        return
    assert chain_hash("p", row) == published
    stored = at.replace(tzinfo=None).isoformat(sep=" ")  # SQLite's text (no .000000 when 0)
    assert row_hash("p", seq, stored, user, action, record, field, old, new, reason) == published


def test_statistician_reads_sealed_arms_in_the_trail_blinded_roles_do_not(trial: Trial) -> None:
    """The trail stores a slot's and a kit's arm sealed to the row's natural key (randomization
    number, tracking number); the statistician's view opens them, blinded roles see the mark."""
    from gvhdtrial.web.audit.views import audit_rows
    from gvhdtrial.web.blinding import REDACTED, kit_arm, slot_arm
    from gvhdtrial.web.randomization.models import Slot
    from gvhdtrial.web.supply.models import Kit

    slot = Slot.objects.order_by("pk").first()
    kit = Kit.objects.order_by("pk").first()
    assert slot is not None and kit is not None
    for record, arm in (
        (f"randomization.slot:{slot.pk}", slot_arm(slot)),
        (f"supply.kit:{kit.pk}", kit_arm(kit)),
    ):
        seen = [
            r for r in audit_rows(trial.actor("statistician"), record=record) if r["field"] == "arm"
        ]
        assert seen and {r["new"] for r in seen} == {arm}
        assert arm in ("MSC", "placebo")
        hidden = [
            r for r in audit_rows(trial.actor("datamanager"), record=record) if r["field"] == "arm"
        ]
        assert hidden and {r["new"] for r in hidden} == {REDACTED}
