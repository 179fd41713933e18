"""The JSON API (django-ninja) at /api/, schema at /api/openapi.json.

Authentication: a bearer token (``Authorization: Bearer gvt_...``; see ``gvhdtrial web token``)
or the web session (with CSRF). Every operation resolves the caller's role and calls the same
services as the web pages; no response to a blinded caller carries an arm.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Query, Router, Schema, Status
from ninja.security import APIKeyCookie, HttpBearer
from pydantic import AfterValidator, ConfigDict, Field

from gvhdtrial import __version__
from gvhdtrial.supply import CustodyAction
from gvhdtrial.web.errors import Forbidden, ServiceError
from gvhdtrial.web.gateway import DatabaseLocked, ReasonRequired
from gvhdtrial.web.sites.auth import NoRole, actor_for
from gvhdtrial.web.sites.models import ApiToken, hash_token
from gvhdtrial.web.sites.roles import Actor


class BearerToken(HttpBearer):
    """``Authorization: Bearer gvt_...``: one indexed query for token, user, role and site.

    The user and membership are rebuilt in memory from that row (no ORM query compilation on
    the hot path of every API call); ``actor_for`` finds the membership in the user's cache.
    """

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from django.contrib.auth import get_user_model
        from django.db import connection

        from gvhdtrial.web.sites.models import Membership, Site

        user_model = get_user_model()
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cur:
            cur.execute(
                f"SELECT u.id, u.username, u.is_active, m.id, m.role, s.id, s.code, t.id, "
                "t.revoked_at IS NULL, t.expires_at > %s "
                f"FROM {ApiToken._meta.db_table} t "
                f"JOIN {user_model._meta.db_table} u ON u.id = t.user_id "
                f"LEFT JOIN {Membership._meta.db_table} m ON m.user_id = u.id "
                f"LEFT JOIN {Site._meta.db_table} s ON s.id = m.site_id "
                "WHERE t.key_hash = %s",
                [now, hash_token(token)],
            )
            row = cur.fetchone()
        if row is None or not row[2] or not row[8]:
            return None  # unknown, deactivated user or revoked: 401
        if not row[9]:  # expired: refused (401), the expiry recorded in the trail once
            from gvhdtrial.web.sites.accounts import note_expired_use

            note_expired_use(int(row[7]))
            return None
        user = user_model(id=row[0], username=row[1], is_active=True)
        if row[3] is not None:
            site = Site(id=row[5], code=row[6]) if row[5] is not None else None
            membership = Membership(id=row[3], user_id=row[0], role=row[4], site_id=row[5])
            membership._state.fields_cache["site"] = site
            user._state.fields_cache["membership"] = membership
        else:
            user._state.fields_cache["membership"] = None
        return user


class SessionCookie(APIKeyCookie):
    param_name = "sessionid"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        return request.user if request.user.is_authenticated else None


api = NinjaAPI(
    title="gvhdtrial",
    version=__version__,
    description=(
        "Central randomization, blinded supply and unblinding for a double-blind trial in "
        "steroid-refractory acute GVHD. Blinded roles never receive an allocation."
    ),
    urls_namespace="api",
    auth=[BearerToken(), SessionCookie(csrf=True)],
)


def _actor(request: HttpRequest) -> Actor:
    try:
        return actor_for(request.auth)  # type: ignore[attr-defined]
    except NoRole as exc:
        raise Forbidden(str(exc)) from None


@api.exception_handler(ServiceError)
def _service_error(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    return api.create_response(
        request, {"code": exc.code, "detail": exc.message}, status=exc.status
    )


@api.exception_handler(DatabaseLocked)
def _locked(request: HttpRequest, exc: DatabaseLocked) -> HttpResponse:
    return api.create_response(request, {"code": "database_locked", "detail": str(exc)}, status=423)


@api.exception_handler(ReasonRequired)
def _reason(request: HttpRequest, exc: ReasonRequired) -> HttpResponse:
    return api.create_response(request, {"code": "reason_required", "detail": str(exc)}, status=422)


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("text may not contain NUL characters")
    return value


Text = Annotated[str, AfterValidator(_no_nul), Field(max_length=2000)]
ReasonText = Annotated[str, AfterValidator(_no_nul), Field(min_length=1, max_length=2000)]
SafeDate = Annotated[dt.date, Field(ge=dt.date(1900, 1, 1), le=dt.date(2999, 12, 31))]
PatientId = Annotated[int, Field(ge=1, le=2**62)]


class In(Schema):
    model_config = ConfigDict(allow_inf_nan=False, extra="forbid")


class ErrorOut(Schema):
    code: str
    detail: str


ERRORS = {400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 423: ErrorOut}


# ---------------------------------------------------------------- people and sites
class MeOut(Schema):
    username: str
    role: str
    site: str | None
    blinded: bool


class SiteOut(Schema):
    code: str
    name: str


me_router = Router(tags=["sites"])


@me_router.get("/me", response={200: MeOut, **ERRORS})
def me(request: HttpRequest) -> Any:
    a = _actor(request)
    return MeOut(username=a.username, role=a.role.value, site=a.site_code, blinded=a.blinded)


@me_router.get("/sites", response={200: list[SiteOut], **ERRORS})
def sites(request: HttpRequest) -> Any:
    from gvhdtrial.web.sites.models import Site

    _actor(request)
    return [SiteOut(code=s.code, name=s.name) for s in Site.objects.all()]


# ---------------------------------------------------------------- patients
class ScreeningAnswers(In):
    age_years: Annotated[int, Field(ge=0, le=130)]
    agvhd_grade: Annotated[int, Field(ge=0, le=4)]
    skin_stage: Annotated[int, Field(ge=0, le=4)] | None = None
    liver_stage: Annotated[int, Field(ge=0, le=4)] | None = None
    upper_gi_stage: Annotated[int, Field(ge=0, le=1)] | None = None
    lower_gi_stage: Annotated[int, Field(ge=0, le=4)] | None = None
    haematologic_malignancy: bool = False
    first_allo_hsct: bool = False
    steroid_refractory: bool = False
    agvhd_after_dli: bool = False
    days_enrolment_to_first_infusion: Annotated[int, Field(ge=0, le=365)] = 0
    uncontrolled_infection: bool = False
    pulmonary_arterial_hypertension: bool = False
    nyha_class: Annotated[int, Field(ge=1, le=4)] | None = None
    acute_myocardial_infarction: bool = False
    refractory_hypertension: bool = False
    creatinine_clearance_ml_min: Annotated[float, Field(ge=0, le=1000)] | None = None
    severe_vod_sos: bool = False
    other_life_threatening_condition: bool = False
    gut_ta_tma: bool = False
    gi_infection: bool = False
    active_solid_tumour_within_5_years: bool = False
    severe_allergy_to_blood_products: bool = False
    mental_or_neurological_disorder: bool = False


class ScreeningIn(In):
    weight_kg: Annotated[float, Field(ge=1, le=400)]
    answers: ScreeningAnswers
    consent_date: SafeDate | None = None


class FailureOut(Schema):
    code: str
    criterion: str
    reason: str


class PatientOut(Schema):
    id: int
    code: str
    site: str
    weight_kg: float
    screened: bool
    eligible: bool
    failures: list[FailureOut]
    consented: bool
    randomized: bool
    randomization_number: str | None
    emergency_unblinded: bool


def patient_out(patient: Any) -> PatientOut:
    screening = getattr(patient, "screening", None)
    slot = getattr(patient, "allocation", None)
    return PatientOut(
        id=patient.pk,
        code=patient.code,
        site=patient.site.code,
        weight_kg=float(patient.weight_kg),
        screened=screening is not None,
        eligible=bool(screening and screening.eligible),
        failures=[FailureOut(**f) for f in (screening.failures if screening else [])],
        consented=hasattr(patient, "consent"),
        randomized=slot is not None,
        randomization_number=slot.randomization_number if slot else None,
        emergency_unblinded=hasattr(patient, "emergency_unblinding"),
    )


def _related(qs: Any) -> Any:
    return qs.select_related("site", "screening", "consent", "allocation", "emergency_unblinding")


class ConsentIn(In):
    consent_date: SafeDate


class RandomizeOut(Schema):
    patient_id: int
    patient_code: str
    randomization_number: str
    stratum: str
    sequence: int
    allocated_at: dt.datetime
    already_randomized: bool


class DispenseIn(In):
    infusion_number: Annotated[int, Field(ge=1, le=16)]
    on_date: SafeDate | None = None


class DispenseOut(Schema):
    patient_code: str
    infusion_number: int
    bags: int
    tracking_numbers: list[str]
    delivered_cells_per_kg: float
    already_dispensed: bool


class UnblindIn(In):
    reason: ReasonText
    password: Annotated[str, AfterValidator(_no_nul), Field(max_length=200)]


class UnblindOut(Schema):
    patient_code: str
    arm: str
    by: str
    at: dt.datetime
    reason: str


patients_router = Router(tags=["patients"])


@patients_router.get("", response={200: list[PatientOut], **ERRORS})
def list_patients(
    request: HttpRequest, site: Annotated[str | None, Query(max_length=16)] = None
) -> Any:
    from gvhdtrial.web.patients.services import visible_patients

    qs = _related(visible_patients(_actor(request)))
    if site:
        qs = qs.filter(site__code=site)
    return [patient_out(p) for p in qs]


@patients_router.post("", response={201: PatientOut, **ERRORS})
def create_patient(request: HttpRequest, payload: ScreeningIn) -> Any:
    from gvhdtrial.web.patients.models import Patient
    from gvhdtrial.web.patients.services import screen_patient

    patient = screen_patient(
        _actor(request),
        weight_kg=payload.weight_kg,
        answers=payload.answers.model_dump(),
        consent_date=payload.consent_date,
    )
    return Status(201, patient_out(_related(Patient.objects).get(pk=patient.pk)))


@patients_router.get("/{patient_id}", response={200: PatientOut, **ERRORS})
def get_patient(request: HttpRequest, patient_id: PatientId) -> Any:
    from gvhdtrial.web.patients.models import Patient
    from gvhdtrial.web.patients.services import get_patient as get

    patient = get(_actor(request), patient_id)
    return patient_out(_related(Patient.objects).get(pk=patient.pk))


@patients_router.post("/{patient_id}/consent", response={201: PatientOut, **ERRORS})
def consent(request: HttpRequest, patient_id: PatientId, payload: ConsentIn) -> Any:
    from gvhdtrial.web.patients.models import Patient
    from gvhdtrial.web.patients.services import record_consent

    record_consent(_actor(request), patient_id, payload.consent_date)
    return Status(201, patient_out(_related(Patient.objects).get(pk=patient_id)))


@patients_router.post("/{patient_id}/randomize", response={200: RandomizeOut, **ERRORS})
def randomize(request: HttpRequest, patient_id: PatientId) -> Any:
    from django.conf import settings

    from gvhdtrial.web.randomization.services import randomize as run

    result = run(_actor(request), patient_id, settings.GVHDTRIAL["stratification_factors"])
    return RandomizeOut(**result.__dict__)


@patients_router.post("/{patient_id}/dispense", response={200: DispenseOut, **ERRORS})
def dispense(request: HttpRequest, patient_id: PatientId, payload: DispenseIn) -> Any:
    from gvhdtrial.web.supply.services import dispense as run

    on = payload.on_date or timezone.now().date()
    result = run(_actor(request), patient_id, payload.infusion_number, on)
    return DispenseOut(**{**result.__dict__, "tracking_numbers": list(result.tracking_numbers)})


@patients_router.post("/{patient_id}/emergency-unblinding", response={200: UnblindOut, **ERRORS})
def emergency_unblinding(request: HttpRequest, patient_id: PatientId, payload: UnblindIn) -> Any:
    from gvhdtrial.web.unblinding.services import emergency_unblind

    result = emergency_unblind(
        _actor(request), patient_id, payload.reason, payload.password, request=request
    )
    return UnblindOut(**result.__dict__)


# ---------------------------------------------------------------- supply
class KitOut(Schema):
    tracking_number: str
    lot: str
    expiry: dt.date
    status: str
    site: str | None
    patient: str | None
    infusion_number: int | None


class CustodyIn(In):
    action: CustodyAction
    on_date: SafeDate | None = None
    site: Annotated[str, AfterValidator(_no_nul), Field(max_length=16)] | None = None
    note: Text = ""


class CustodyOut(Schema):
    action: str
    from_status: str
    to_status: str
    site: str | None
    patient: str | None
    infusion_number: int | None
    on_date: dt.date
    at: dt.datetime
    by: str


class StockOut(Schema):
    site: str
    available: int
    resupply_needed: bool


def kit_out(k: Any) -> KitOut:
    return KitOut(
        tracking_number=k.tracking_number,
        lot=k.lot,
        expiry=k.expiry,
        status=k.status,
        site=k.site.code if k.site_id else None,
        patient=k.patient.code if k.patient_id else None,
        infusion_number=k.infusion_number,
    )


supply_router = Router(tags=["supply"])


@supply_router.get("/kits", response={200: list[KitOut], **ERRORS})
def kits(
    request: HttpRequest,
    status: Annotated[str | None, Query(max_length=16)] = None,
    site: Annotated[str | None, Query(max_length=16)] = None,
    lot: Annotated[str | None, Query(max_length=32)] = None,
    expires_within: Annotated[int | None, Query(ge=0, le=3650)] = None,
    q: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0, le=10**7)] = 0,
) -> Any:
    """Kits (numbers, lot, expiry, status, site; never an arm), filtered and paged."""
    from gvhdtrial.web.supply.services import KitFilter, filtered_kits

    f = KitFilter(
        status=status or "", site=site or "", lot=lot or "",
        expires_within_days=expires_within, search=q or "",
    )  # fmt: skip
    qs = filtered_kits(_actor(request), f)
    return [kit_out(k) for k in qs[offset : offset + limit]]


@supply_router.get("/kits/{tracking_number}", response={200: KitOut, **ERRORS})
def kit(request: HttpRequest, tracking_number: Annotated[str, Field(max_length=20)]) -> Any:
    from gvhdtrial.web.supply.services import get_kit

    return kit_out(get_kit(_actor(request), tracking_number))


@supply_router.get("/kits/{tracking_number}/custody", response={200: list[CustodyOut], **ERRORS})
def kit_custody(request: HttpRequest, tracking_number: Annotated[str, Field(max_length=20)]) -> Any:
    from gvhdtrial.web.supply.services import get_kit

    k = get_kit(_actor(request), tracking_number)
    return [
        CustodyOut(
            action=e.action,
            from_status=e.from_status,
            to_status=e.to_status,
            site=e.site.code if e.site_id else None,
            patient=e.patient.code if e.patient_id else None,
            infusion_number=e.infusion_number,
            on_date=e.on_date,
            at=e.at,
            by=e.by.get_username(),
        )
        for e in k.custody.select_related("site", "patient", "by")
    ]


@supply_router.post("/kits/{tracking_number}/custody", response={200: KitOut, **ERRORS})
def kit_custody_change(
    request: HttpRequest, tracking_number: Annotated[str, Field(max_length=20)], payload: CustodyIn
) -> Any:
    from gvhdtrial.web.supply.services import custody

    on = payload.on_date or timezone.now().date()
    k = custody(_actor(request), tracking_number, payload.action, on, payload.site, payload.note)
    return kit_out(k)


@supply_router.get("/stock", response={200: list[StockOut], **ERRORS})
def stock(request: HttpRequest) -> Any:
    from gvhdtrial.web.supply.services import stock_levels

    return [
        StockOut(site=s.site, available=s.available, resupply_needed=s.resupply_needed)
        for s in stock_levels(_actor(request))
    ]


# ---------------------------------------------------------------- unblinded statistician
class ScheduleOut(Schema):
    id: int
    created_at: dt.datetime
    algorithm: str
    software_version: str
    params: dict[str, Any]
    sha256: str
    slots: int
    used: int


class AllocationOut(Schema):
    patient_code: str
    site: str
    randomization_number: str
    stratum: str
    sequence: int
    arm: str
    allocated_at: dt.datetime


schedule_router = Router(tags=["randomization"])


def _statistician(request: HttpRequest) -> Actor:
    from gvhdtrial.web.sites.roles import Permission

    actor = _actor(request)
    if not actor.can(Permission.VIEW_SCHEDULE):
        raise Forbidden(_("Only the unblinded statistician may see the randomization schedule."))
    return actor


@schedule_router.get("/schedule", response={200: ScheduleOut, **ERRORS})
def schedule(request: HttpRequest) -> Any:
    from gvhdtrial.web.randomization.services import schedule_export

    s, meta, _csv = schedule_export(_statistician(request))
    params = {k: v for k, v in meta.items() if k not in ("sha256", "slots")}
    return ScheduleOut(
        id=s.pk, created_at=s.created_at, algorithm=s.algorithm,
        software_version=s.software_version, params=params, sha256=meta["sha256"],
        slots=s.slots.count(), used=s.slots.filter(patient__isnull=False).count(),
    )  # fmt: skip


@schedule_router.get("/schedule.csv", response={200: None, **ERRORS})
def schedule_csv(request: HttpRequest) -> Any:
    from gvhdtrial.web.randomization.services import schedule_export

    _stored, meta, csv = schedule_export(_statistician(request))
    response = HttpResponse(csv, content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="schedule-{meta["sha256"][:12]}.csv"'
    response["Cache-Control"] = "no-store"
    return response


@schedule_router.get("/allocations", response={200: list[AllocationOut], **ERRORS})
def allocations(request: HttpRequest) -> Any:
    from gvhdtrial.web.blinding import slot_arm
    from gvhdtrial.web.randomization.models import Slot

    _statistician(request)
    return [
        AllocationOut(
            patient_code=s.patient.code,
            site=s.patient.site.code,
            randomization_number=s.randomization_number,
            stratum=s.stratum,
            sequence=s.sequence,
            arm=slot_arm(s),
            allocated_at=s.allocated_at,
        )
        for s in Slot.objects.filter(patient__isnull=False)
        .select_related("patient__site")
        .order_by("allocated_at", "id")
    ]


# ---------------------------------------------------------------- audit, lock, notifications
class AuditOut(Schema):
    seq: int
    at: dt.datetime
    user: str
    action: str
    record: str
    field: str
    old: str | None
    new: str | None
    reason: str
    hash: str | None = None  # the unblinded statistician only (a hash over a redacted value
    # with few candidates would give it away)


class VerifyOut(Schema):
    ok: bool
    rows: int
    problems: list[str]
    warnings: list[str]
    checkpoints: int
    anchored_seq: int
    tables_ok: bool
    differences: list[str]
    public_key: str


class SignIn(In):
    """An e-signed act: the reason, and the signer's password re-entered."""

    reason: ReasonText
    password: Annotated[str, AfterValidator(_no_nul), Field(max_length=200)]


class LockIn(SignIn):
    """The lock: also ``confirmed`` to lock while items of the lock checklist are open."""

    confirmed: bool = False


class ChecklistEntryOut(Schema):
    text: str
    url: str


class ChecklistItemOut(Schema):
    key: str
    label: str
    count: int
    entries: list[ChecklistEntryOut]


class ChecklistOpenOut(ErrorOut):
    items: list[ChecklistItemOut]


class LockOut(Schema):
    locked: bool
    changed_at: dt.datetime | None
    reason: str
    trial_unblinded: bool


class NotificationOut(Schema):
    id: int
    created_at: dt.datetime
    kind: str
    subject: str
    body: str
    link: str
    read: bool
    due_at: dt.datetime | None = None
    overdue: bool = False


def _notification_out(n: Any) -> NotificationOut:
    return NotificationOut(
        id=n.pk, created_at=n.created_at, kind=n.kind, subject=n.subject, body=n.body,
        link=n.link, read=n.read, due_at=n.due_at, overdue=n.overdue,
    )  # fmt: skip


admin_router = Router(tags=["audit and lock"])


@admin_router.get("/audit", response={200: list[AuditOut], **ERRORS})
def audit(
    request: HttpRequest,
    record: Annotated[str | None, Query(max_length=120)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    after_seq: Annotated[int, Query(ge=0, le=2**62)] = 0,
    newest_first: bool = False,
    before_seq: Annotated[int, Query(ge=0, le=2**62)] = 0,
    patient: Annotated[str | None, Query(max_length=32)] = None,
    user: Annotated[str | None, Query(max_length=150)] = None,
    action: Annotated[str | None, Query(max_length=16)] = None,
    date_from: SafeDate | None = None,
    date_to: SafeDate | None = None,
) -> Any:
    """The trail, oldest first after ``after_seq``; newest first (paged by ``before_seq``) with
    ``newest_first`` or any filter. Blinded callers get no hash and no blinded value."""
    from gvhdtrial.web.audit.views import AuditFilter, audit_rows

    filtered = newest_first or any((before_seq, patient, user, action, date_from, date_to))
    filters = (
        AuditFilter(
            patient=patient or "",
            user=user or "",
            action=action or "",
            date_from=date_from,
            date_to=date_to,
            record=record or "",
            before_seq=before_seq,
        )
        if filtered
        else None
    )
    rows = audit_rows(
        _actor(request), record=record, after_seq=after_seq, limit=limit, filters=filters
    )
    return [AuditOut(**r) for r in rows]


@admin_router.get("/audit/verify", response={200: VerifyOut, **ERRORS})
def audit_verify(request: HttpRequest) -> Any:
    """Recompute the chain, check it against the signed checkpoints, reconcile the tables."""
    from gvhdtrial.web.audit.chain import verify_chain
    from gvhdtrial.web.audit.reconcile import reconcile
    from gvhdtrial.web.errors import require
    from gvhdtrial.web.keys import public_key_pem
    from gvhdtrial.web.sites.roles import Permission

    actor = _actor(request)
    require(actor, Permission.VERIFY_AUDIT)
    r = verify_chain()
    t = reconcile(blinded=actor.blinded)
    return VerifyOut(
        ok=r.ok, rows=r.rows, problems=list(r.problems), warnings=list(r.warnings),
        checkpoints=r.checkpoints, anchored_seq=r.anchored_seq, tables_ok=t.ok,
        differences=t.problems, public_key=public_key_pem(),
    )  # fmt: skip


def _lock_out() -> LockOut:
    from gvhdtrial.web.lock.models import DatabaseLock
    from gvhdtrial.web.unblinding.models import trial_is_unblinded

    lock = DatabaseLock.current()
    return LockOut(
        locked=lock.locked, changed_at=lock.changed_at, reason=lock.reason,
        trial_unblinded=trial_is_unblinded(),
    )  # fmt: skip


@admin_router.get("/lock", response={200: LockOut, **ERRORS})
def lock_state(request: HttpRequest) -> Any:
    _actor(request)
    return _lock_out()


@admin_router.post("/lock", response={200: LockOut, **ERRORS, 409: ChecklistOpenOut})
def lock(request: HttpRequest, payload: LockIn) -> Any:
    from gvhdtrial.web.lock.services import ChecklistOpen, lock_database

    try:
        lock_database(_actor(request), payload.reason, payload.password, request,
                      confirmed=payload.confirmed)  # fmt: skip
    except ChecklistOpen as exc:
        return Status(409, {"code": exc.code, "detail": exc.message, "items": [
            {"key": i.key, "label": str(i.label), "count": i.count,
             "entries": [{"text": t, "url": u} for t, u in i.entries]} for i in exc.items
        ]})  # fmt: skip
    return _lock_out()


@admin_router.post("/unlock", response={200: LockOut, **ERRORS})
def unlock(request: HttpRequest, payload: SignIn) -> Any:
    from gvhdtrial.web.lock.services import unlock_database

    unlock_database(_actor(request), payload.reason, payload.password, request)
    return _lock_out()


@admin_router.post("/trial-unblinding", response={200: LockOut, **ERRORS})
def trial_unblinding(request: HttpRequest, payload: SignIn) -> Any:
    from gvhdtrial.web.unblinding.services import trial_unblind

    trial_unblind(_actor(request), payload.reason, payload.password, request)
    return _lock_out()


@admin_router.get("/notifications", response={200: list[NotificationOut], **ERRORS})
def notifications(request: HttpRequest) -> Any:
    _actor(request)
    user = get_user_model().objects.get(pk=request.auth.pk)  # type: ignore[attr-defined]
    return [_notification_out(n) for n in user.notifications.all()[:200]]


@admin_router.post(
    "/notifications/{notification_id}/read", response={200: NotificationOut, **ERRORS}
)
def notification_read(
    request: HttpRequest, notification_id: Annotated[int, Field(ge=1, le=2**62)]
) -> Any:
    """Mark one of the caller's notifications read (another user's is not found)."""
    from gvhdtrial.web.errors import NotFound
    from gvhdtrial.web.notifications import mark_read

    _actor(request)
    user = get_user_model().objects.get(pk=request.auth.pk)  # type: ignore[attr-defined]
    note = user.notifications.filter(pk=notification_id).first()
    if note is None:
        raise NotFound(_("No such notification."))
    mark_read(user, note.pk)
    note.refresh_from_db()
    return _notification_out(note)


api.add_router("/", me_router)
api.add_router("/patients", patients_router)
api.add_router("/supply", supply_router)
api.add_router("/randomization", schedule_router)
api.add_router("/", admin_router)

from gvhdtrial.web.crf.api import router as crf_router  # noqa: E402  (case report forms)

api.add_router("/", crf_router)
