"""The supply gateway: load kit lists, custody changes, dispensing, stock levels.

Each change of a kit goes through the pure :func:`gvhdtrial.supply.apply_event`; this module
reads the kit into a frozen :class:`KitState`, applies the returned change, appends the custody
event and writes the audit rows in one transaction. Blinded users see kit numbers, never arms.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import QuerySet, Value
from django.db.models.functions import Replace
from django.utils import timezone
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
    plan_shipment,
    short_message,
    site_stock,
)
from gvhdtrial.supply.dispensing import DispenseRefusal, SiteStock
from gvhdtrial.web.blinding import kit_arm, seal_kit_arm, slot_arm
from gvhdtrial.web.errors import Forbidden, Invalid, NotFound, Refused, require
from gvhdtrial.web.gateway import AuditBatch, snapshot, write
from gvhdtrial.web.patients.models import Patient
from gvhdtrial.web.patients.services import get_patient
from gvhdtrial.web.randomization.models import Slot
from gvhdtrial.web.sites.models import Site
from gvhdtrial.web.sites.roles import SITE_ROLES, Actor, Permission, Role
from gvhdtrial.web.supply.models import CustodyEvent as CustodyRow
from gvhdtrial.web.supply.models import Kit
from gvhdtrial.web.trialdef.services import definition_for

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


def _step(
    kit: Kit,
    event: CustodyEvent,
    sites: dict[str, Site],
    patient: Patient | None,
    user_id: int,
    at: dt.datetime,
) -> CustodyRow:
    """Apply one custody event to ``kit`` in memory (the pure rule decides) and return its
    custody row, unsaved. The caller saves both and records them in the audit trail."""
    result = apply_event(kit_state(kit), event)
    if not isinstance(result, CustodyChange):
        raise Refused(f"Kit {kit.tracking_number}: {result.reason}.")
    after = result.after
    kit.status = after.status.value
    kit.site = sites[after.site] if after.site else None
    if event.action is CustodyAction.DISPENSE:
        kit.patient = patient
        kit.infusion_number = after.infusion_number
    return CustodyRow(
        kit=kit,
        action=event.action.value,
        from_status=result.before.status.value,
        to_status=after.status.value,
        site=kit.site,
        patient=kit.patient,
        infusion_number=kit.infusion_number,
        on_date=event.on,
        at=at,
        by_id=user_id,
        note=event.note,
    )


KIT_CUSTODY_FIELDS = ["status", "site", "patient", "infusion_number"]


def _apply(
    audit: AuditBatch,
    kit: Kit,
    event: CustodyEvent,
    sites: dict[str, Site],
    patient: Patient | None,
    user_id: int,
) -> None:
    before = snapshot(kit)
    row = _step(kit, event, sites, patient, user_id, audit.now)
    kit.save(update_fields=KIT_CUSTODY_FIELDS)
    audit.changed(kit, before, reason=f"custody: {event.action.value}")
    row.save()
    audit.created(row)


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
                arm=seal_kit_arm(k.tracking_number, k.arm),
                lot=k.lot,
                expiry=k.expiry,
                status=KitStatus.CREATED.value,
            )
            for k in kits
        )
        for kit in created:
            audit.created(kit)
        if ship_to:
            # The same steps as _apply, kit by kit, but written in bulk (one UPDATE per site,
            # one INSERT of the custody rows) and then audited in the order they happened.
            sites = {s.code: s for s in Site.objects.all()}
            steps: list[tuple[Kit, dict[str, str | None], dict[str, str | None], str]] = []
            rows: list[CustodyRow] = []
            for kit in created:
                site = ship_to.get(kit.tracking_number)
                if site is None:
                    continue  # stays at the depot
                for action in (CustodyAction.SHIP, CustodyAction.RECEIVE):
                    before = snapshot(kit)
                    rows.append(
                        _step(kit, CustodyEvent(action, on, site=site), sites, None, user.pk,
                              audit.now)
                    )  # fmt: skip
                    steps.append((kit, before, snapshot(kit), f"custody: {action.value}"))
            attnames = [Kit._meta.get_field(f).attname for f in KIT_CUSTODY_FIELDS]
            final: dict[tuple[object, ...], list[int]] = {}
            for kit in {k.pk: k for k, *_ in steps}.values():
                final.setdefault(tuple(getattr(kit, a) for a in attnames), []).append(kit.pk)
            for values, pks in final.items():  # one UPDATE per site the kits went to
                Kit.objects.filter(pk__in=pks).update(**dict(zip(attnames, values, strict=True)))
            CustodyRow.objects.bulk_create(rows)
            for (kit, before, after, reason), row in zip(steps, rows, strict=True):
                audit.changed(kit, before, reason=reason, after=after)
                audit.created(row)
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
        dates = [kit.custody.order_by("-on_date").values_list("on_date", flat=True).first()]
        if action is CustodyAction.INFUSE and kit.patient_id is not None:
            dates.append(_randomized_on(kit.patient_id))
        last = max((d for d in dates if d is not None), default=None)
        check_event_date("on_date", on, last, _("the kit's last custody event"))
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


def trial_arms() -> tuple[str, ...]:
    return tuple(settings.GVHDTRIAL["arms"])


def trial_ratio() -> tuple[int, ...]:
    arms = trial_arms()
    return tuple(settings.GVHDTRIAL.get("ratio", (1,) * len(arms)))


def do_not_dispense_days() -> int:
    """The trial's do-not-dispense margin: a kit within this many days of expiry is not used."""
    return int(settings.GVHDTRIAL.get("do_not_dispense_days", 7))


def check_event_date(field: str, on: dt.date, not_before: dt.date | None, what: str) -> None:
    """A dispensing or infusion date lies neither in the future nor before ``not_before``."""
    today = timezone.localdate()
    if on > today:
        raise Invalid(
            _("%(field)s: %(value)s is in the future; expected %(today)s or earlier.")
            % {"field": field, "value": on.isoformat(), "today": today.isoformat()}
        )
    if not_before is not None and on < not_before:
        raise Invalid(
            _("%(field)s: %(value)s is before %(what)s (%(date)s); expected %(date)s or later.")
            % {"field": field, "value": on.isoformat(), "what": what,
               "date": not_before.isoformat()}
        )  # fmt: skip


def _randomized_on(patient_id: int) -> dt.date | None:
    at = Slot.objects.filter(patient_id=patient_id).values_list("allocated_at", flat=True).first()
    return timezone.localdate(at) if at is not None else None


def _unsealed_stock(kits: Iterable[Kit], site_code: str) -> list[StockKit]:
    """Kits as the dispensing rule sees them: the arm opened from its seal (server side only)."""
    return [
        StockKit(k.pk, k.tracking_number, kit_arm(k), site_code, KitStatus(k.status), k.expiry)
        for k in kits
    ]


def _notify_short(site_code: str) -> None:
    """The resupply alert to the administrators (who ship): the same words whichever arm ran
    short (a site that cannot serve every arm refuses everyone alike)."""
    from django.utils.translation import gettext_noop

    from gvhdtrial.web.notifications import Kind, Localized, notify_roles

    notify_roles(
        (Role.ADMINISTRATOR,),
        Kind.RESUPPLY,
        subject=Localized(gettext_noop("Resupply needed at site %(site)s"), {"site": site_code}),
        body=Localized(
            gettext_noop(
                "Site %(site)s could not dispense an infusion: ship kits (whole mixed blocks)."
            ),
            {"site": site_code},
        ),
        link="/supply/",
    )


def _follow_plan(patient: Patient, infusion_number: int, on: dt.date, weight: float) -> None:
    """Refuse a dispensing the treatment plan does not allow (capture.infusion_refusal: the
    number within the plan, after its predecessors, days apart from the others)."""
    from gvhdtrial.capture import infusion_refusal
    from gvhdtrial.web.crf.models import ResponseConfirmation

    dispensed = dict(
        CustodyRow.objects.filter(patient=patient, action=CustodyAction.DISPENSE.value)
        .order_by("on_date")
        .values_list("infusion_number", "on_date")
    )
    d28 = ResponseConfirmation.objects.filter(patient=patient, visit="d28").first()
    why = infusion_refusal(
        infusion_number, on, weight_kg=weight, done=dispensed,
        day28_response=d28.confirmed if d28 else None, dosing=definition_for(patient).dosing,
    )  # fmt: skip
    if why:
        raise Refused(why.message, field="infusion_number" if why.field != "date" else "on_date")


def dispense(actor: Actor, patient_id: int, infusion_number: int, on: dt.date) -> DispenseResult:
    """Dispense the bags infusion ``infusion_number`` needs, at random among the usable kits of
    the patient's arm at the site (see :func:`gvhdtrial.supply.choose_kits`)."""
    require(actor, Permission.DISPENSE)
    patient = get_patient(actor, patient_id)
    if not 1 <= infusion_number <= 16:
        raise Invalid(_("infusion_number: expected 1-16 (8, or 16 after a partial response)"))
    weight = float(patient.weight_kg)
    dosing = definition_for(patient).dosing  # the version in force at randomization
    bags = bags_for_infusion(weight, dosing)
    short = False
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
                delivered_cells_per_kg(len(done), weight, dosing), True,
            )  # fmt: skip
        check_event_date(
            "on_date", on, timezone.localdate(slot.allocated_at), _("the randomization date")
        )
        _follow_plan(patient, infusion_number, on, weight)
        margin = do_not_dispense_days()
        site_kits = Kit.objects.filter(
            site=patient.site,
            status=KitStatus.RECEIVED.value,
            expiry__gt=on + dt.timedelta(days=margin),
        ).only("pk", "tracking_number", "arm", "status", "expiry")
        stock = _unsealed_stock(site_kits, patient.site.code)
        choice = choose_kits(
            stock, slot_arm(slot), trial_arms(), patient.site.code, on, bags, margin
        )
        if isinstance(choice, DispenseRefusal):
            short = True
        else:
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
    if short:
        _notify_short(patient.site.code)
        message = short_message(patient.site.code, bags)
        raise Refused(message[0].upper() + message[1:] + ".", code="not_enough_kits")
    return DispenseResult(
        patient.code, infusion_number, bags, tuple(chosen),
        delivered_cells_per_kg(bags, weight, dosing), False,
    )  # fmt: skip


def stock_levels(actor: Actor, on: dt.date | None = None) -> tuple[SiteStock, ...]:
    """Usable stock and the resupply alert per site (the alert fires when any arm falls below
    the site's threshold; blinded callers get only the total and the alert)."""
    on = on or timezone.localdate()
    sites = Site.objects.all()
    if actor.role in SITE_ROLES:
        sites = sites.filter(code=actor.site_code)
    codes = [s.code for s in sites]
    thresholds = {s.code: s.resupply_threshold for s in sites}
    margin = do_not_dispense_days()
    kits = [
        StockKit(pk, tn, kit_arm(_Sealed(tn, arm)), code, KitStatus(status), expiry)
        for pk, tn, arm, code, status, expiry in Kit.objects.filter(
            site__code__in=codes, status=KitStatus.RECEIVED.value
        ).values_list("pk", "tracking_number", "arm", "site__code", "status", "expiry")
    ]
    out = []
    for code in codes:
        (level,) = site_stock(kits, [code], trial_arms(), on, thresholds[code], margin)
        if actor.blinded:
            level = replace(level, per_arm={})
        out.append(level)
    return tuple(out)


@dataclass(frozen=True)
class _Sealed:
    tracking_number: str
    arm: str


def resupply(actor: Actor, site_code: str, blocks: int, on: dt.date | None = None) -> list[Kit]:
    """Ship ``blocks`` whole mixed blocks (every arm in the ratio, kits drawn at random) from
    the depot to ``site_code``: what a resupply alert asks for. Central custody only."""
    require(actor, Permission.CENTRAL_CUSTODY)
    on = on or timezone.localdate()
    check_event_date("on_date", on, None, "")
    if not 1 <= blocks <= 100:
        raise Invalid(_("blocks: %(n)s; expected 1-100") % {"n": blocks})
    with write(actor, reason="resupply") as audit:
        sites = {s.code: s for s in Site.objects.all()}
        if site_code not in sites:
            raise Invalid(
                _("site: %(site)r; expected one of %(sites)s")
                % {"site": site_code, "sites": sorted(sites)}
            )
        depot = Kit.objects.filter(site__isnull=True, status=KitStatus.CREATED.value)
        plan = plan_shipment(
            [
                StockKit(k.pk, k.tracking_number, kit_arm(k), None, KitStatus(k.status), k.expiry)
                for k in depot.only("pk", "tracking_number", "arm", "status", "expiry")
            ],
            trial_arms(), trial_ratio(), blocks, on, do_not_dispense_days(),
        )  # fmt: skip
        if isinstance(plan, DispenseRefusal):
            raise Refused(plan.reason[0].upper() + plan.reason[1:] + ".")
        shipped = []
        for pick in plan:
            kit = Kit.objects.select_for_update(of=("self",)).get(pk=pick.kit_id)
            event = CustodyEvent(CustodyAction.SHIP, on, site=site_code, note="resupply")
            _apply(audit, kit, event, sites, None, actor.user_id)
            shipped.append(kit)
    return shipped


#: Kit list filters: the statuses a reader may filter on, and the page size.
KIT_PAGE_SIZE = 100


@dataclass(frozen=True)
class KitFilter:
    status: str = ""
    site: str = ""
    lot: str = ""
    expires_within_days: int | None = None
    search: str = ""


def filtered_kits(actor: Actor, f: KitFilter, on: dt.date | None = None) -> QuerySet[Kit]:
    """The caller's kits (site roles: their own site) filtered; never by arm."""
    qs = visible_kits(actor)
    if f.status:
        if f.status not in {s.value for s in KitStatus}:
            raise Invalid(
                _("status: %(status)r; expected one of %(all)s")
                % {"status": f.status, "all": [s.value for s in KitStatus]}
            )
        qs = qs.filter(status=f.status)
    if f.site:
        qs = qs.filter(site__isnull=True) if f.site == "depot" else qs.filter(site__code=f.site)
    if f.lot:
        qs = qs.filter(lot=f.lot)
    if f.expires_within_days is not None:
        today = on or timezone.localdate()
        qs = qs.filter(expiry__lte=today + dt.timedelta(days=f.expires_within_days))
    if f.search:
        digits = "".join(ch for ch in f.search if ch.isdigit())
        qs = qs.annotate(digits=Replace("tracking_number", Value("-"), Value(""))).filter(
            digits__contains=digits
        )
    return qs.order_by("expiry", "tracking_number") if f.expires_within_days is not None else qs
