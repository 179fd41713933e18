"""Dispensing, chain of custody and stock through the service (issue 6, "Supply")."""

from __future__ import annotations

import datetime as dt

import pytest

from gvhdtrial.supply import CustodyAction, KitStatus, is_valid
from gvhdtrial.web.blinding import kit_arm, slot_arm
from gvhdtrial.web.errors import Forbidden, Refused
from gvhdtrial.web.randomization.services import randomize
from gvhdtrial.web.supply.models import CustodyEvent, Kit
from gvhdtrial.web.supply.services import custody, dispense, resupply, stock_levels

from .conftest import Trial, screen

TODAY = dt.date.today()


def test_dispensing_picks_usable_kits_of_the_patients_arm_at_the_site(trial: Trial) -> None:
    patient = screen(trial, weight_kg=70)  # 70 kg -> 3.5 -> 4 bags
    randomize(trial.actor("investigator"), patient.pk)
    patient.refresh_from_db()
    arm = slot_arm(patient.allocation)
    at_c01 = [k for k in Kit.objects.filter(site__code="C01", status="received")]
    of_arm = [k for k in at_c01 if kit_arm(k) == arm]
    # Two kits of the arm inside the do-not-dispense margin (7 days): never chosen.
    stale = of_arm[:2]
    Kit.objects.filter(pk=stale[0].pk).update(expiry=TODAY)
    Kit.objects.filter(pk=stale[1].pk).update(expiry=TODAY + dt.timedelta(days=7))
    result = dispense(trial.actor("pharmacist"), patient.pk, 1, TODAY)
    assert result.bags == 4 and len(result.tracking_numbers) == 4
    kits = Kit.objects.filter(tracking_number__in=result.tracking_numbers)
    assert {kit_arm(k) for k in kits} == {arm}
    assert {k.site.code for k in kits} == {"C01"}
    assert all(k.status == KitStatus.DISPENSED and k.infusion_number == 1 for k in kits)
    assert not {s.tracking_number for s in stale} & set(result.tracking_numbers)
    assert all(is_valid(t) for t in result.tracking_numbers)
    again = dispense(trial.actor("investigator"), patient.pk, 1, TODAY)
    assert again.already_dispensed and set(again.tracking_numbers) == set(result.tracking_numbers)


@pytest.mark.parametrize(
    ("on", "words"),
    [
        (dt.date(1900, 1, 1), "on_date: 1900-01-01 is before the randomization date"),
        (TODAY + dt.timedelta(days=1), f"is in the future; expected {TODAY} or earlier"),
    ],
)
def test_dispensing_dated_before_randomization_or_in_the_future_is_refused(
    trial: Trial, on: dt.date, words: str
) -> None:
    from gvhdtrial.web.errors import Invalid

    patient = screen(trial)
    randomize(trial.actor("investigator"), patient.pk)
    with pytest.raises(Invalid, match=words):
        dispense(trial.actor("pharmacist"), patient.pk, 1, on)
    assert not Kit.objects.filter(patient=patient).exists()


def test_infusion_dated_before_dispensing_or_in_the_future_is_refused(trial: Trial) -> None:
    from gvhdtrial.web.errors import Invalid

    patient = screen(trial)
    randomize(trial.actor("investigator"), patient.pk)
    (tn, *_) = dispense(trial.actor("pharmacist"), patient.pk, 1, TODAY).tracking_numbers
    for bad in (dt.date(1900, 1, 1), TODAY + dt.timedelta(days=1)):
        with pytest.raises(Invalid, match=f"on_date: {bad.isoformat()}"):
            custody(trial.actor("pharmacist"), tn, CustodyAction.INFUSE, bad)
    assert Kit.objects.get(tracking_number=tn).status == KitStatus.DISPENSED


def test_custody_chain_is_append_only_and_complete(trial: Trial) -> None:
    patient = screen(trial)
    randomize(trial.actor("investigator"), patient.pk)
    (tn,) = dispense(trial.actor("investigator"), patient.pk, 1, TODAY).tracking_numbers[:1] or [
        None
    ]
    custody(trial.actor("pharmacist"), tn, CustodyAction.INFUSE, TODAY)
    chain = list(
        CustodyEvent.objects.filter(kit__tracking_number=tn).values_list("action", flat=True)
    )
    assert chain == ["ship", "receive", "dispense", "infuse"]
    with pytest.raises(Refused, match="cannot be"):
        custody(trial.actor("pharmacist"), tn, CustodyAction.RETURN, TODAY)


def test_site_roles_handle_only_their_sites_kits(trial: Trial) -> None:
    c02_kit = Kit.objects.filter(site__code="C02").first()
    from gvhdtrial.web.errors import NotFound

    with pytest.raises(NotFound):
        custody(trial.actor("pharmacist"), c02_kit.tracking_number, CustodyAction.QUARANTINE, TODAY)
    with pytest.raises(Forbidden):
        custody(trial.actor("monitor"), c02_kit.tracking_number, CustodyAction.QUARANTINE, TODAY)
    kit = custody(
        trial.actor("pharmacist2"), c02_kit.tracking_number, CustodyAction.QUARANTINE, TODAY
    )
    assert kit.status == "quarantined"


def test_stock_levels_and_resupply_alert_say_nothing_about_arms(trial: Trial) -> None:
    (c01,) = stock_levels(trial.actor("pharmacist"), TODAY)
    assert c01.site == "C01" and c01.available == 16 and not c01.resupply_needed
    assert c01.per_arm == {}  # blinded caller: no count by arm
    patient = screen(trial, weight_kg=200)  # 10 bags: more than either arm holds (8)
    randomize(trial.actor("investigator"), patient.pk)
    with pytest.raises(Refused) as err:
        dispense(trial.actor("pharmacist"), patient.pk, 1, TODAY)
    assert "MSC" not in err.value.message and "placebo" not in err.value.message
    patient2 = screen(trial, weight_kg=130)  # 7 bags of one arm: that arm drops to 1 < 2
    randomize(trial.actor("investigator"), patient2.pk)
    dispense(trial.actor("pharmacist"), patient2.pk, 1, TODAY)
    (c01,) = stock_levels(trial.actor("pharmacist"), TODAY)
    assert c01.available == 9 and c01.resupply_needed
    all_sites = stock_levels(trial.actor("datamanager"), TODAY)
    assert len(all_sites) == 7
    (unblinded,) = [s for s in stock_levels(trial.actor("statistician"), TODAY) if s.site == "C01"]
    assert sorted(unblinded.per_arm.values()) == [1, 8]


def test_resupply_ships_whole_mixed_blocks_from_the_depot(trial: Trial) -> None:
    shipped = resupply(trial.actor("admin"), "C03", 3, TODAY)
    arms = sorted(kit_arm(k) for k in shipped)
    assert arms == ["MSC"] * 3 + ["placebo"] * 3
    assert {k.status for k in Kit.objects.filter(pk__in=[k.pk for k in shipped])} == {"shipped"}
    with pytest.raises(Forbidden):
        resupply(trial.actor("pharmacist"), "C01", 1, TODAY)
    with pytest.raises(Refused, match="cannot fill"):
        resupply(trial.actor("admin"), "C03", 50, TODAY)


def test_kit_list_pages_filters_searches_and_shows_what_expires_soon(trial: Trial) -> None:
    """Issue 11: the list stopped at 500; now paged (100 a page) with filters and search."""
    client = trial.client("admin")
    total = Kit.objects.count()
    assert total > 100
    first = client.get("/supply/kits/").content.decode()
    assert f"{total} kit(s)" in first and "page 1 of 2" in first
    second = client.get("/supply/kits/?page=2").content.decode()
    rows = second.count('<tr><td><a href="/supply/kits/')
    assert rows == total - 100
    c01 = client.get("/supply/kits/?status=received&site=C01").content.decode()
    assert "16 kit(s)" in c01
    depot = Kit.objects.filter(site__isnull=True).count()
    assert f"{depot} kit(s)" in client.get("/supply/kits/?site=depot").content.decode()
    kit = Kit.objects.filter(site__code="C01").first()
    digits = kit.tracking_number.replace("-", "")
    for query in (kit.tracking_number, digits, digits[2:9]):
        found = client.get("/api/supply/kits", {"q": query}).json()
        assert kit.tracking_number in {k["tracking_number"] for k in found}
    assert [k["tracking_number"] for k in client.get("/api/supply/kits", {"q": digits}).json()] == [
        kit.tracking_number
    ]
    days = (kit.expiry - TODAY).days
    soon = client.get("/api/supply/kits", {"expires_within": days, "limit": 1000}).json()
    assert soon and all(dt.date.fromisoformat(k["expiry"]) <= kit.expiry for k in soon)
    assert len(soon) == Kit.objects.filter(expiry__lte=kit.expiry).count()
    assert [k["expiry"] for k in soon] == sorted(k["expiry"] for k in soon)
    pharmacist = trial.client("pharmacist").get("/api/supply/kits", {"site": "C02"}).json()
    assert pharmacist == []  # a site role sees its own site only, whatever it asks
    bad = client.get("/supply/kits/?expires_within=soon")
    assert bad.status_code == 422 and b"expires_within: &#x27;soon&#x27;" in bad.content


def test_a_shipped_kit_list_is_written_in_bulk_and_audited_as_kit_by_kit_custody(
    trial: Trial,
) -> None:
    """load_kits ships a seeded list in bulk; its stored kits, custody rows and audit rows are
    those of the same events applied kit by kit through ``_apply`` (the one custody path)."""
    from gvhdtrial.supply import CustodyEvent as Event
    from gvhdtrial.supply import KitSpec
    from gvhdtrial.web.audit.chain import verify_chain
    from gvhdtrial.web.audit.models import AuditEntry
    from gvhdtrial.web.gateway import write
    from gvhdtrial.web.sites.models import Site
    from gvhdtrial.web.supply.services import _apply, load_kits

    expiry = TODAY + dt.timedelta(days=400)
    specs = [KitSpec(f"ZZ{i:03d}", "MSC" if i % 2 else "placebo", "L1", expiry) for i in range(6)]
    ship_to = {"ZZ000": "C03", "ZZ001": "C03", "ZZ002": "C05", "ZZ004": "C01"}  # ZZ003/5 stay
    first = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True)[0]
    load_kits("admin", specs, ship_to=ship_to, on=TODAY)

    def audit_of(numbers: list[str], since: int) -> list[tuple[str, ...]]:
        kits = {
            str(k.pk): k.tracking_number for k in Kit.objects.filter(tracking_number__in=numbers)
        }
        out = []
        for e in AuditEntry.objects.filter(seq__gt=since, record__startswith="supply.kit:"):
            out.append(
                (
                    kits[e.record.split(":")[1]],
                    e.action,
                    e.field,
                    e.old or "",
                    e.new or "",
                    e.reason,
                )
            )
        return [r for r in out if r[2] not in ("id", "tracking_number", "arm")]

    bulk = audit_of([s.tracking_number for s in specs], first)
    rows = list(
        CustodyEvent.objects.filter(kit__tracking_number__startswith="ZZ")
        .order_by("pk")
        .values_list("kit__tracking_number", "action", "from_status", "to_status", "site__code")
    )
    assert rows == [
        (tn, action, before, after, ship_to[tn])
        for tn in ("ZZ000", "ZZ001", "ZZ002", "ZZ004")
        for action, before, after in (
            ("ship", "created", "shipped"),
            ("receive", "shipped", "received"),
        )
    ]
    stored = dict(
        Kit.objects.filter(tracking_number__startswith="ZZ").values_list(
            "tracking_number", "status"
        )
    )
    assert stored == {tn: ("received" if tn in ship_to else "created") for tn in stored}

    # The same list loaded unshipped, then shipped kit by kit through _apply.
    renamed = [KitSpec("YY" + s.tracking_number[2:], s.arm, s.lot, s.expiry) for s in specs]
    second = AuditEntry.objects.order_by("-seq").values_list("seq", flat=True)[0]
    load_kits("admin", renamed, on=TODAY)
    sites = {s.code: s for s in Site.objects.all()}
    with write(None, reason="kit list loaded", username="admin") as audit:
        for kit in Kit.objects.filter(tracking_number__startswith="YY").order_by("pk"):
            site = ship_to.get("ZZ" + kit.tracking_number[2:])
            for action in (CustodyAction.SHIP, CustodyAction.RECEIVE) if site else ():
                _apply(
                    audit,
                    kit,
                    Event(action, TODAY, site=site),
                    sites,
                    None,
                    trial.users["admin"].pk,
                )
    one_by_one = audit_of([s.tracking_number for s in renamed], second)
    assert [("ZZ" + r[0][2:], *r[1:]) for r in one_by_one] == bulk
    assert any(r[2] == "status" and r[4] == "received" for r in bulk)
    assert not verify_chain().problems
