"""What blinded roles never see, and the arms at rest, in one place.

``BLINDED_FIELDS`` lists the (model label, field) pairs whose values reveal an allocation or let
one be confirmed: the arm of a slot and of a kit, the slot's block and block size (with the
sequence number they let one complete a block), and the schedule's parameters, canonical CSV and
digest (a digest lets anyone confirm a guessed seed). Any sealed value (``gvs1:...``, see
:mod:`gvhdtrial.web.keys`) is treated as blinded wherever it appears. The audit trail, its API,
the reconciliation report and the blinding crawl all read this list.

Arms at rest (issue 10): a slot's arm is sealed bound to its schedule and randomization number
(:func:`seal_slot_arm` / :func:`slot_arm`), a kit's arm to its tracking number
(:func:`seal_kit_arm` / :func:`kit_arm`), and a schedule's parameters (with the seed), digest and
canonical CSV are one sealed value (:func:`seal_schedule_record` / :func:`schedule_record`). The
random nonce makes two equal arms two different values; a value moved to another row does not
open. The service opens a seal only where it must: choosing kits to dispense, the
statistician's pages, emergency and trial-level unblinding, and the unblinded export.
"""

from __future__ import annotations

import base64
import json
from typing import Any, Protocol

from gvhdtrial.web import keys
from gvhdtrial.web.keys import seal, unseal

BLINDED_FIELDS = frozenset(
    {
        ("randomization.slot", "arm"),
        ("randomization.slot", "block"),
        ("randomization.slot", "block_size"),
        ("supply.kit", "arm"),
        ("randomization.schedule", "params"),
        ("randomization.schedule", "csv"),
        ("randomization.schedule", "sha256"),
        ("randomization.schedule", "sealed"),
    }
)
REDACTED = "[blinded]"

#: Fields whose whole text blinded roles are not shown in the trail: the trial definition names
#: the arms (public protocol text, not an allocation), and the blinding crawl holds every response
#: to a blinded role to "no arm label at all"; the definition itself is read with
#: ``gvhdtrial trial show``.
SUMMARISED_FIELDS = frozenset(
    {("trialdef.definitionversion", "text"), ("trialdef.definitionversion", "changes")}
)
SUMMARISED = "[trial definition text: see `gvhdtrial trial show`]"


def label_of(record: str) -> str:
    """``"randomization.slot:12"`` -> ``"randomization.slot"``."""
    return record.split(":", 1)[0]


def is_blinded(record: str, field: str, value: object = None) -> bool:
    return (label_of(record), field) in BLINDED_FIELDS or keys.is_sealed(value)


def aad(record: str, field: str) -> str:
    """The associated data binding a sealed value to its place: ``"app.model:pk:field"``."""
    return f"{record}:{field}"


def shown(record: str, field: str, value: str | None, blinded: bool) -> str | None:
    """A stored or audited value as a viewer may see it: redacted for a blinded viewer; for an
    unblinded one, a sealed value opened (or marked as not opening)."""
    if value is None:
        return None
    if blinded:
        if (label_of(record), field) in SUMMARISED_FIELDS:
            return SUMMARISED
        return REDACTED if is_blinded(record, field, value) else value
    if keys.is_sealed(value):
        try:
            return keys.unseal(value, place_aad(record, field))
        except keys.SealBroken:
            return f"{value} (sealed; does not open at {record}:{field})"
    return value


def place_aad(record: str, field: str) -> str:
    """The associated data a sealed value at ``record``/``field`` was sealed with.

    Slot and kit arms and the schedule record are bound to their natural keys (randomization
    number, tracking number, schedule id), so the trail's ``"app.model:pk"`` is resolved to the
    row's key here; any other sealed field is bound to its ``record:field``.
    """
    label, _, pk = record.partition(":")
    if (label, field) == ("randomization.slot", "arm"):
        from gvhdtrial.web.randomization.models import Slot

        row = Slot.objects.filter(pk=pk).values("schedule_id", "stratum", "sequence").first()
        if row is not None:
            return slot_aad(row["schedule_id"], row["stratum"], row["sequence"])
    elif (label, field) == ("supply.kit", "arm"):
        from gvhdtrial.web.supply.models import Kit

        number = Kit.objects.filter(pk=pk).values_list("tracking_number", flat=True).first()
        if number is not None:
            return kit_aad(number)
    elif (label, field) == ("randomization.schedule", "sealed") and pk.isdigit():
        return schedule_aad(int(pk))
    return aad(record, field)


class _SlotLike(Protocol):
    schedule_id: int
    stratum: str
    sequence: int
    arm: str


class _KitLike(Protocol):
    tracking_number: str
    arm: str


def slot_aad(schedule_id: int, stratum: str, sequence: int) -> str:
    return f"randomization.slot.arm|schedule {schedule_id}|{stratum}-R{sequence:04d}"


def kit_aad(tracking_number: str) -> str:
    return f"supply.kit.arm|{tracking_number}"


def schedule_aad(schedule_id: int) -> str:
    return f"randomization.schedule.sealed|{schedule_id}"


def seal_slot_arm(schedule_id: int, stratum: str, sequence: int, arm: str) -> str:
    return seal(arm, slot_aad(schedule_id, stratum, sequence))


def slot_arm(slot: _SlotLike) -> str:
    """The arm of a stored slot (opens the seal: unblinded use only)."""
    return unseal(slot.arm, slot_aad(slot.schedule_id, slot.stratum, slot.sequence))


def seal_kit_arm(tracking_number: str, arm: str) -> str:
    return seal(arm, kit_aad(tracking_number))


def kit_arm(kit: _KitLike) -> str:
    """The arm of a stored kit (opens the seal: dispensing and unblinded use only)."""
    return unseal(kit.arm, kit_aad(kit.tracking_number))


def seal_schedule_record(schedule_id: int, record: dict[str, Any], csv: bytes) -> str:
    """Seal a schedule's parameters (with its seed), digest and canonical CSV as one value."""
    body = {**record, "csv_base64": base64.b64encode(csv).decode("ascii")}
    return seal(json.dumps(body, sort_keys=True), schedule_aad(schedule_id))


def schedule_record(schedule_id: int, sealed: str) -> tuple[dict[str, Any], bytes]:
    """The sealed record's metadata (params, seed, sha256, ...) and its CSV bytes."""
    body = json.loads(unseal(sealed, schedule_aad(schedule_id)))
    csv = base64.b64decode(body.pop("csv_base64"))
    return body, csv
