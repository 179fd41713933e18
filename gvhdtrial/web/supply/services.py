"""The supply gateway: load kit lists, custody changes, dispensing, stock levels.

Each change of a kit goes through the pure :func:`gvhdtrial.supply.apply_event`; this module
reads the kit into a frozen :class:`KitState`, applies the returned change, appends the custody
event and writes the audit rows in one transaction. Blinded users see kit numbers, never arms.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from gvhdtrial.supply import (
    CustodyAction,
    CustodyChange,
    CustodyEvent,
    KitSpec,
    KitState,
    KitStatus,
    StockKit,
    apply_event,
    bags_for_infusion,
    choose_kits,
    delivered_cells_per_kg,
    site_stock,
)
from gvhdtrial.supply.dispensing import DispenseRefusal, SiteStock
from gvhdtrial.web.errors import Forbidden, Invalid, NotFound, Refused, require
from gvhdtrial.web.gateway import AuditBatch, snapshot, write
from gvhdtrial.web.patients.models import Patient
from gvhdtrial.web.patients.services import get_patient
from gvhdtrial.web.randomization.models import Slot
from gvhdtrial.web.sites.models import Site
from gvhdtrial.web.sites.roles import SITE_ROLES, Actor, Permission
from gvhdtrial.web.supply.models import CustodyEvent as CustodyRow
from gvhdtrial.web.supply.models import Kit

SITE_ACTIONS = frozenset(
    {
        CustodyAction.RECEIVE,
        CustodyAction.INFUSE,
        CustodyAction.RETURN,
        CustodyAction.QUARANTINE,
        CustodyAction.RELEASE,
        CustodyAction.EXPIRE,
    }
)
CENTRAL_ACTIONS = frozenset({CustodyAction.SHIP, CustodyAction.DESTROY, CustodyAction.QUARANTINE})


def kit_state(kit: Kit) -> KitState:
    return KitState(
        tracking_number=kit.tracking_number,
        status=KitStatus(kit.status),
        expiry=kit.expiry,
        site=kit.site.code if kit.site_id else None,
        patient=kit.patient.code if kit.patient_id else None,
        infusion_number=kit.infusion_number,
    )


def _apply(
    audit: AuditBatch,
    kit: Kit,
    event: CustodyEvent,
    sites: dict[str, Site],
    patient: Patient | None,
    user_id: int,
) -> CustodyChange:
    result = apply_event(kit_state(kit), event)
    if not isinstance(result, CustodyChange):
        raise Refused(f"Kit {kit.tracking_number}: {result.reason}.")
    before = snapshot(kit)
    after = result.after
    kit.status = after.status.value
    kit.site = sites[after.site] if after.site else None
    if event.action is CustodyAction.DISPENSE:
        kit.patient = patient
        kit.infusion_number = after.infusion_number
    kit.save(update_fields=["status", "site", "patient", "infusion_number"])
    audit.changed(kit, before, reason=f"custody: {event.action.value}")
    row = CustodyRow.objects.create(
        kit=kit,
        action=event.action.value,
        from_status=result.before.status.value,
        to_status=after.status.value,
        site=kit.site,
        patient=kit.patient,
        infusion_number=kit.infusion_number,
        on_date=event.on,
        at=audit.now,
        by_id=user_id,
        note=event.note,
    )
    audit.created(row)
    return result


def load_kits(
    username: str,
    kits: Sequence[KitSpec],
    ship_to: dict[str, str] | None = None,
    on: dt.date | None = None,
) -> int:
    """Create kits (status created); optionally ship and receive them at sites (seeding)."""
    user = get_user_model().objects.get(username=username)
    on = on or dt.date.today()
    with write(None, reason="kit list loaded", username=username) as audit:
        created = Kit.objects.bulk_create(
            Kit(
                tracking_number=k.tracking_number,
                arm=k.arm,
                lot=k.lot,
                expiry=k.expiry,
                status=KitStatus.CREATED.value,
            )
            for k in kits
        )
        for kit in created:
            audit.created(kit)
        if ship_to:
            sites = {s.code: s for s in Site.objects.all()}
            for kit in created:
                site = ship_to[kit.tracking_number]
                for action in (CustodyAction.SHIP, CustodyAction.RECEIVE):
                    _apply(audit, kit, CustodyEvent(action, on, site=site), sites, None, user.pk)
    return len(created)


def visible_kits(actor: Actor) -> QuerySet[Kit]:
    qs = Kit.objects.select_related("site", "patient")
    if actor.role in SITE_ROLES:
        qs = qs.filter(site__code=actor.site_code)
    return qs


def get_kit(actor: Actor, tracking_number: str) -> Kit:
    kit = visible_kits(actor).filter(tracking_number=tracking_number).first()
    if kit is None:
        raise NotFound(_("No such kit at your site."))
    return kit


def custody(
    actor: Actor,
    tracking_number: str,
    action: CustodyAction,
    on: dt.date,
    site_code: str | None = None,
    note: str = "",
) -> Kit:
    """One custody change requested by a person (dispensing has its own service)."""
    if action is CustodyAction.DISPENSE:
        raise Invalid(_("Dispense kits from the patient's page (the system picks the kits)."))
    if action in SITE_ACTIONS and actor.can(Permission.SITE_CUSTODY):
        site_code = actor.site_code
    elif action in CENTRAL_ACTIONS and actor.can(Permission.CENTRAL_CUSTODY):
        pass
    else:
        require(
            actor, Permission.SITE_CUSTODY if action in SITE_ACTIONS else Permission.CENTRAL_CUSTODY
        )
        raise Forbidden(_("Your role does not allow this custody action."))
    kit = get_kit(actor, tracking_number)
    with write(actor, reason=f"custody: {action.value}") as audit:
        kit = (
            Kit.objects.select_for_update(of=("self",))
            .select_related("site", "patient")
            .get(pk=kit.pk)
        )
        sites = {s.code: s for s in Site.objects.all()}
        if site_code is not None and site_code not in sites:
            raise Invalid(_("No site %(site)s.") % {"site": site_code})
        event = CustodyEvent(action, on, site=site_code, patient=None, note=note)
        _apply(audit, kit, event, sites, None, actor.user_id)
    return kit


@dataclass(frozen=True)
class DispenseResult:
    patient_code: str
    infusion_number: int
    bags: int
    tracking_numbers: tuple[str, ...]
    delivered_cells_per_kg: float
    already_dispensed: bool


def dispense(actor: Actor, patient_id: int, infusion_number: int, on: dt.date) -> DispenseResult:
    """Dispense the bags infusion ``infusion_number`` needs, from the patient's arm's stock."""
    require(actor, Permission.DISPENSE)
    patient = get_patient(actor, patient_id)
    if not 1 <= infusion_number <= 16:
        raise Invalid(_("infusion_number: expected 1-16 (8, or 16 after a partial response)"))
    weight = float(patient.weight_kg)
    bags = bags_for_infusion(weight)
    with write(actor, reason="dispense") as audit:
        slot = Slot.objects.filter(patient=patient).first()
        if slot is None:
            raise Refused(_("The patient is not randomized yet."))
        done = list(
            Kit.objects.filter(patient=patient, infusion_number=infusion_number).values_list(
                "tracking_number", flat=True
            )
        )
        if done:
            return DispenseResult(
                patient.code, infusion_number, len(done), tuple(sorted(done)),
                delivered_cells_per_kg(len(done), weight), True,
            )  # fmt: skip
        stock = [
            StockKit(
                k.pk, k.tracking_number, k.arm, patient.site.code, KitStatus(k.status), k.expiry
            )
            for k in Kit.objects.filter(
                site=patient.site, status=KitStatus.RECEIVED.value, arm=slot.arm, expiry__gt=on
            )
        ]
        choice = choose_kits(stock, slot.arm, patient.site.code, on, bags)
        if isinstance(choice, DispenseRefusal):
            raise Refused(choice.reason[0].upper() + choice.reason[1:] + ".")
        sites = {patient.site.code: patient.site}
        chosen = []
        for pick in choice.kits:
            kit = (
                Kit.objects.select_for_update(of=("self",))
                .select_related("site", "patient")
                .get(pk=pick.kit_id)
            )
            event = CustodyEvent(
                CustodyAction.DISPENSE, on, site=patient.site.code, patient=patient.code,
                infusion_number=infusion_number,
            )  # fmt: skip
            _apply(audit, kit, event, sites, patient, actor.user_id)
            chosen.append(kit.tracking_number)
    return DispenseResult(
        patient.code, infusion_number, bags, tuple(chosen),
        delivered_cells_per_kg(bags, weight), False,
    )  # fmt: skip


def stock_levels(actor: Actor, on: dt.date | None = None) -> tuple[SiteStock, ...]:
    on = on or dt.date.today()
    sites = Site.objects.all()
    if actor.role in SITE_ROLES:
        sites = sites.filter(code=actor.site_code)
    codes = [s.code for s in sites]
    thresholds = {s.code: s.resupply_threshold for s in sites}
    from django.conf import settings

    arms = tuple(settings.GVHDTRIAL["arms"])
    kits: Iterable[StockKit] = [
        StockKit(pk, tn, arm, code, KitStatus(status), expiry)
        for pk, tn, arm, code, status, expiry in Kit.objects.filter(
            site__code__in=codes, status=KitStatus.RECEIVED.value
        ).values_list("pk", "tracking_number", "arm", "site__code", "status", "expiry")
    ]
    kits = list(kits)
    out = []
    for code in codes:
        (level,) = site_stock(kits, [code], arms, on, thresholds[code])
        out.append(level)
    return tuple(out)
