"""Put a trial definition in force, amend it, and find the version a patient falls under.

- :func:`ensure_in_force`: at start-up (``web seed``) the definition file the service runs is
  recorded as version 1 when none is; the same file again changes nothing; a different file
  before the first randomization replaces the version in force (recorded, audited); after the
  first randomization a different file is refused: it must be amended.
- :func:`amend`: an e-signed amendment (the user's password is checked again), audited, with
  the key-by-key changes; refused when nothing changed, when the database is locked, and once
  a patient is randomized when it changes the arms, the randomization, an existing centre or
  the response visits' names (:func:`gvhdtrial.trial.amendment_problems`).
- :func:`definition_for` / :func:`definitions_by_patient`: the definition a patient's data are
  interpreted under (the version in force at randomization; the one in force now before).
"""

from __future__ import annotations

import datetime as dt
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models

from gvhdtrial.trial import (
    TrialDefinition,
    amendment_problems,
    definition_diff,
    parse_definition,
)
from gvhdtrial.web.errors import Invalid, Refused, require
from gvhdtrial.web.gateway import write
from gvhdtrial.web.randomization.models import Slot
from gvhdtrial.web.sites.roles import Actor, Permission
from gvhdtrial.web.trialdef.models import DefinitionVersion


class AmendmentRequired(Refused):
    """The service was started with another definition than the one in force."""


def in_force() -> DefinitionVersion | None:
    return DefinitionVersion.objects.order_by("-number").first()


def _randomized() -> bool:
    return Slot.objects.filter(patient__isnull=False).exists()


def _record(
    definition: TrialDefinition,
    text: str,
    previous: DefinitionVersion | None,
    *,
    actor: Actor | None,
    reason: str,
    signed: bool,
) -> DefinitionVersion:
    changes = ""
    if previous is not None:
        old = parse_definition(previous.text, f"version {previous.number}")
        changes = "\n".join(definition_diff(old, definition))
    with write(actor, reason=reason, username="" if actor else "system") as audit:
        row = DefinitionVersion.objects.create(
            number=(previous.number + 1) if previous else 1,
            version=definition.version,
            short_name=definition.short_name,
            sha256=definition.sha256,
            text=text,
            in_force_from=audit.now,
            recorded_by_id=actor.user_id if actor else None,
            signed=signed,
            reason=reason,
            changes=changes,
        )
        audit.created(row)
    return row


def ensure_in_force(definition: TrialDefinition) -> DefinitionVersion:
    """Record ``definition`` as in force, or check that it is."""
    text = definition.text
    current = in_force()
    if current is not None and current.sha256 == definition.sha256:
        return current
    if current is None:
        return _record(definition, text, None, actor=None, reason="first start", signed=False)
    if _randomized():
        raise AmendmentRequired(
            f"The trial definition {definition.source} (sha256 {definition.sha256[:12]}) differs "
            f"from the one in force ({current}); patients are randomized, so it must be amended "
            "(gvhdtrial trial amend FILE, e-signed) instead of replaced."
        )
    return _record(
        definition, text, current, actor=None,
        reason="definition file changed before the first randomization", signed=False,
    )  # fmt: skip


def amend(actor: Actor, text: str, source: str, password: str, reason: str) -> DefinitionVersion:
    """An e-signed amendment: ``password`` is the actor's own, checked again."""
    require(actor, Permission.MANAGE_USERS)
    if not (reason or "").strip():
        raise Invalid("A reason is required to amend the trial definition.")
    user = get_user_model().objects.get(pk=actor.user_id)
    if not password or not user.check_password(password):
        raise Refused("E-signature failed: the password is not the user's; nothing was changed.")
    definition = parse_definition(text, source)
    current = in_force()
    if current is not None and current.sha256 == definition.sha256:
        raise Refused("The amendment changes nothing: the definition in force has that SHA-256.")
    old = None if current is None else parse_definition(current.text, f"version {current.number}")
    if old is not None and not definition_diff(old, definition):
        raise Refused("The amendment changes no key of the definition in force.")
    if old is not None and _randomized() and (problems := amendment_problems(old, definition)):
        raise Refused(
            "Patients are randomized: the amendment may not change "
            + "; ".join(problems)
            + ". Nothing was changed."
        )
    return _record(definition, text, current, actor=actor, reason=reason, signed=True)


def version_for(when: dt.datetime | None) -> DefinitionVersion | None:
    """The version in force at ``when`` (None: the one in force now)."""
    rows: models.QuerySet[DefinitionVersion] = DefinitionVersion.objects.order_by("-number")
    if when is None:
        return rows.first()
    return rows.filter(in_force_from__lte=when).first() or rows.order_by("number").first()


def versions_by_patient() -> dict[str, DefinitionVersion | None]:
    """Each randomized patient's code -> the version in force at randomization."""
    out: dict[str, DefinitionVersion | None] = {}
    for slot in Slot.objects.filter(patient__isnull=False).select_related("patient"):
        out[slot.patient.code] = version_for(slot.allocated_at)  # type: ignore[union-attr]
    return out


@lru_cache(maxsize=32)
def _parsed(text: str, number: int) -> TrialDefinition:
    return parse_definition(text, f"definition version {number}")


def definition_of(row: DefinitionVersion | None) -> TrialDefinition:
    """The definition a recorded version holds (the service's own when it is that file, or
    when none is recorded yet)."""
    running: TrialDefinition = settings.TRIAL_DEFINITION
    if row is None or row.sha256 == running.sha256:
        return running
    return _parsed(row.text, row.number)


def definition_for(patient: Any) -> TrialDefinition:
    """The definition ``patient``'s data are interpreted under: the version in force when the
    patient was randomized; before randomization, the one in force now."""
    slot = getattr(patient, "allocation", None)
    when = slot.allocated_at if slot is not None else None
    return definition_of(version_for(when) if when is not None else in_force())


def version_label(row: DefinitionVersion) -> str:
    """How the report names a version: ``#2 jiang2024-phase2 1.1``."""
    return f"#{row.number} {row.short_name} {row.version}"


def write_versions(folder: Path) -> Path | None:
    """``definition_versions.json`` in an export: every version in force (with its text, so the
    report can read each patient's data under it) and the version each randomized patient falls
    under (the report says which). None (nothing written) when no version is recorded yet."""
    from gvhdtrial.report.build import DEFINITION_VERSIONS_FILE

    versions = [
        {"number": v.number, "short_name": v.short_name, "version": v.version,
         "sha256": v.sha256, "in_force_from": v.in_force_from.isoformat(), "text": v.text}
        for v in DefinitionVersion.objects.order_by("number")
    ]  # fmt: skip
    if not versions:
        return None
    patients = {code: v.number for code, v in versions_by_patient().items() if v is not None}
    path = folder / DEFINITION_VERSIONS_FILE
    path.write_text(
        json.dumps({"versions": versions, "patients": dict(sorted(patients.items()))}, indent=2)
        + "\n",
        encoding="utf-8",
    )
    return path
