"""What blinded roles never see, in one place.

``BLINDED_FIELDS`` lists the (model label, field) pairs whose values reveal an allocation or let
one be confirmed: the arm of a slot and of a kit, the slot's block and block size (with the
sequence number they let one complete a block), and the schedule's parameters, canonical CSV and
digest (a digest lets anyone confirm a guessed seed). Any sealed value (``gvs1:...``, see
:mod:`gvhdtrial.web.keys`) is treated as blinded wherever it appears. The audit trail, its API,
the reconciliation report and the blinding crawl all read this list.
"""

from __future__ import annotations

from gvhdtrial.web import keys

BLINDED_FIELDS = frozenset(
    {
        ("randomization.slot", "arm"),
        ("randomization.slot", "block"),
        ("randomization.slot", "block_size"),
        ("supply.kit", "arm"),
        ("randomization.schedule", "params"),
        ("randomization.schedule", "csv"),
        ("randomization.schedule", "sha256"),
    }
)
REDACTED = "[blinded]"


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
        return REDACTED if is_blinded(record, field, value) else value
    if keys.is_sealed(value):
        try:
            return keys.unseal(value, aad(record, field))
        except keys.SealBroken:
            return f"{value} (sealed; does not open at {record}:{field})"
    return value
