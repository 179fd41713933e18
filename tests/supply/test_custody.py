"""Chain of custody as a transition table: every change valid or refused as data."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from gvhdtrial.supply import (
    TRANSITIONS,
    CustodyAction,
    CustodyChange,
    CustodyEvent,
    CustodyRefusal,
    KitState,
    KitStatus,
    apply_event,
)
from gvhdtrial.supply.custody import TERMINAL

DAY = dt.date(2021, 3, 1)
EXPIRY = dt.date(2022, 1, 1)
A = CustodyAction


def kit(status: KitStatus = KitStatus.CREATED, site: str | None = None) -> KitState:
    return KitState("1234-5678-90-12", status, EXPIRY, site=site)


def test_happy_path_created_to_infused() -> None:
    state = kit()
    for event in [
        CustodyEvent(A.SHIP, DAY, site="C01"),
        CustodyEvent(A.RECEIVE, DAY, site="C01"),
        CustodyEvent(A.DISPENSE, DAY, site="C01", patient="P1", infusion_number=3),
        CustodyEvent(A.INFUSE, DAY, patient="P1"),
    ]:
        change = apply_event(state, event)
        assert isinstance(change, CustodyChange), change
        assert change.before == state
        state = change.after
    assert state.status is KitStatus.INFUSED
    assert (state.site, state.patient, state.infusion_number) == ("C01", "P1", 3)


def test_dispensing_refuses_expired_kits_and_other_sites() -> None:
    received = kit(KitStatus.RECEIVED, site="C01")
    expired_day = CustodyEvent(A.DISPENSE, EXPIRY, site="C01", patient="P", infusion_number=1)
    other_site = CustodyEvent(A.DISPENSE, DAY, site="C02", patient="P", infusion_number=1)
    no_infusion = CustodyEvent(A.DISPENSE, DAY, site="C01", patient="P")
    for event in (expired_day, other_site, no_infusion):
        assert isinstance(apply_event(received, event), CustodyRefusal)


def test_expire_only_on_or_after_expiry() -> None:
    received = kit(KitStatus.RECEIVED, site="C01")
    assert isinstance(apply_event(received, CustodyEvent(A.EXPIRE, DAY)), CustodyRefusal)
    change = apply_event(received, CustodyEvent(A.EXPIRE, EXPIRY))
    assert isinstance(change, CustodyChange) and change.after.status is KitStatus.EXPIRED


@settings(max_examples=300)
@given(st.sampled_from(list(KitStatus)), st.sampled_from(list(CustodyAction)))
def test_table_is_the_only_way_to_change_status(status: KitStatus, action: CustodyAction) -> None:
    event = CustodyEvent(action, EXPIRY + dt.timedelta(days=1), site="C01", patient="P",
                         infusion_number=1)  # fmt: skip
    result = apply_event(kit(status, site="C01"), event)
    if (status, action) not in TRANSITIONS:
        assert isinstance(result, CustodyRefusal)
    elif isinstance(result, CustodyChange):
        assert result.after.status is TRANSITIONS[(status, action)]


def test_terminal_statuses_allow_nothing_and_every_status_is_reachable() -> None:
    assert not [k for k in TRANSITIONS if k[0] in TERMINAL]
    reachable, frontier = {KitStatus.CREATED}, [KitStatus.CREATED]
    while frontier:
        s = frontier.pop()
        for (frm, _), to in TRANSITIONS.items():
            if frm == s and to not in reachable:
                reachable.add(to)
                frontier.append(to)
    assert reachable == set(KitStatus)
