"""Chain of custody: the kit status machine as a transition table, refusals as data.

Each change of a kit is a pure function from a frozen :class:`KitState` and a requested
:class:`CustodyEvent` to either a frozen :class:`CustodyChange` (the new state plus the ledger row
to append) or a :class:`CustodyRefusal`. The service's gateway locks the kit row, calls
:func:`apply_event`, saves the new state and appends the change to the append-only custody log,
in one transaction.

Statuses (issue 6): created, shipped to site, received, dispensed to a patient for infusion n,
infused, returned, destroyed, quarantined, expired.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from enum import StrEnum


class KitStatus(StrEnum):
    CREATED = "created"
    SHIPPED = "shipped"
    RECEIVED = "received"
    DISPENSED = "dispensed"
    INFUSED = "infused"
    RETURNED = "returned"
    DESTROYED = "destroyed"
    QUARANTINED = "quarantined"
    EXPIRED = "expired"


class CustodyAction(StrEnum):
    SHIP = "ship"
    RECEIVE = "receive"
    DISPENSE = "dispense"
    INFUSE = "infuse"
    RETURN = "return"
    DESTROY = "destroy"
    QUARANTINE = "quarantine"
    RELEASE = "release"  # out of quarantine, back into site stock
    EXPIRE = "expire"


S, A = KitStatus, CustodyAction

#: (current status, action) -> new status. Anything not listed is refused.
TRANSITIONS: dict[tuple[KitStatus, CustodyAction], KitStatus] = {
    (S.CREATED, A.SHIP): S.SHIPPED,
    (S.CREATED, A.QUARANTINE): S.QUARANTINED,
    (S.CREATED, A.DESTROY): S.DESTROYED,
    (S.CREATED, A.EXPIRE): S.EXPIRED,
    (S.SHIPPED, A.RECEIVE): S.RECEIVED,
    (S.SHIPPED, A.QUARANTINE): S.QUARANTINED,  # e.g. temperature excursion in transit
    (S.RECEIVED, A.DISPENSE): S.DISPENSED,
    (S.RECEIVED, A.QUARANTINE): S.QUARANTINED,
    (S.RECEIVED, A.EXPIRE): S.EXPIRED,
    (S.RECEIVED, A.RETURN): S.RETURNED,
    (S.DISPENSED, A.INFUSE): S.INFUSED,
    (S.DISPENSED, A.RETURN): S.RETURNED,  # dispensed but not infused
    (S.DISPENSED, A.QUARANTINE): S.QUARANTINED,
    (S.QUARANTINED, A.RELEASE): S.RECEIVED,
    (S.QUARANTINED, A.DESTROY): S.DESTROYED,
    (S.QUARANTINED, A.RETURN): S.RETURNED,
    (S.EXPIRED, A.DESTROY): S.DESTROYED,
    (S.EXPIRED, A.RETURN): S.RETURNED,
    (S.RETURNED, A.DESTROY): S.DESTROYED,
}

TERMINAL = frozenset({S.INFUSED, S.DESTROYED})


@dataclass(frozen=True)
class KitState:
    tracking_number: str
    status: KitStatus
    expiry: dt.date
    site: str | None = None
    patient: str | None = None
    infusion_number: int | None = None


@dataclass(frozen=True)
class CustodyEvent:
    action: CustodyAction
    on: dt.date
    site: str | None = None  # SHIP: destination; other actions: where it happens
    patient: str | None = None  # DISPENSE
    infusion_number: int | None = None  # DISPENSE
    note: str = ""


@dataclass(frozen=True)
class CustodyChange:
    before: KitState
    after: KitState
    event: CustodyEvent


@dataclass(frozen=True)
class CustodyRefusal:
    tracking_number: str
    reason: str


def allowed_actions(status: KitStatus) -> tuple[CustodyAction, ...]:
    return tuple(a for (s, a) in TRANSITIONS if s == status)


def apply_event(state: KitState, event: CustodyEvent) -> CustodyChange | CustodyRefusal:
    """The custody change ``event`` makes to ``state``, or why it is refused."""
    refuse = lambda why: CustodyRefusal(state.tracking_number, why)  # noqa: E731
    new_status = TRANSITIONS.get((state.status, event.action))
    if new_status is None:
        return refuse(f"a kit that is {state.status.value} cannot be {event.action.value}d")
    after = replace(state, status=new_status)
    if event.action is A.SHIP:
        if not event.site:
            return refuse("shipping needs a destination site")
        if event.on > state.expiry:
            return refuse("an expired kit cannot be shipped")
        after = replace(after, site=event.site)
    elif event.action in (A.RECEIVE, A.RELEASE):
        if event.site is not None and event.site != state.site:
            return refuse("the kit is not at this site")
    elif event.action is A.DISPENSE:
        if event.site != state.site:
            return refuse("the kit is not at the patient's site")
        if event.on >= state.expiry:
            return refuse("the kit has expired")
        if not event.patient or not event.infusion_number or event.infusion_number < 1:
            return refuse("dispensing needs a patient and an infusion number (1, 2, ...)")
        after = replace(after, patient=event.patient, infusion_number=event.infusion_number)
    elif event.action is A.INFUSE:
        if event.patient is not None and event.patient != state.patient:
            return refuse("the kit was dispensed to another patient")
    elif event.action is A.EXPIRE and event.on < state.expiry:
        return refuse("the kit has not reached its expiry date")
    return CustodyChange(before=state, after=after, event=event)
