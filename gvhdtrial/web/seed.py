"""Demo set-up: the 7 reference centres (synthetic names), one demo user per role, a schedule
and a kit list shipped to the sites. Idempotent: a second run changes nothing and prints the
same demo credentials (kept in ``$GVHDTRIAL_HOME/demo_credentials.json``, never in the repo).

The schedule and the kit list each get their own seed from the operating system's CSPRNG
(:func:`gvhdtrial.randomization.fresh_seed`), sealed with them under the trial's key
(``$GVHDTRIAL_HOME/keys``, created on first use): no seed is written in the source. Sites are
stocked with whole mixed blocks (every arm in the ratio); the rest stays at the depot for
resupply.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from gvhdtrial.randomization import ScheduleParams, fresh_seed, generate_schedule, stratum_key
from gvhdtrial.supply import (
    DispenseRefusal,
    KitListParams,
    KitSpec,
    KitStatus,
    StockKit,
    generate_kit_list,
    plan_shipment,
)
from gvhdtrial.web.randomization.models import Schedule
from gvhdtrial.web.sites.accounts import generate_password
from gvhdtrial.web.sites.models import Site
from gvhdtrial.web.sites.roles import Role

DEMO_USERS = (
    ("investigator", Role.INVESTIGATOR, "C01"),
    ("pharmacist", Role.PHARMACIST, "C01"),
    ("datamanager", Role.DATA_MANAGER, None),
    ("monitor", Role.MONITOR, None),
    ("statistician", Role.STATISTICIAN, None),
    ("admin", Role.ADMINISTRATOR, None),
)


@dataclass(frozen=True)
class SeedConfig:
    slots_per_stratum: int = 400
    kits_per_site_per_arm: int = 20
    depot_kits_per_arm: int = 10  # kept at the depot for resupply shipments
    block_sizes: tuple[int, ...] = ()  # () = the trial definition's


def _credentials_file() -> Path:
    return Path(settings.HOME) / "demo_credentials.json"


def ensure_user(username: str, role: Role, site_code: str | None, password: str) -> object:
    """The user, created (audited, through the gateway) if missing; ``""``: token-only."""
    from gvhdtrial.web.sites.accounts import create_user

    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        user, _ = create_user(username, role, site_code, by="system", password=password,
                              validate=False)  # fmt: skip
    return user


def seed(config: SeedConfig = SeedConfig()) -> dict[str, str]:
    """Create what is missing; returns the demo credentials (username -> password)."""
    path = _credentials_file()
    creds: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
    from gvhdtrial.web.trialdef.services import ensure_in_force

    ensure_in_force(settings.TRIAL_DEFINITION)  # refused if changed after randomization
    with transaction.atomic():
        for code, name, name_zh in settings.GVHDTRIAL["centres"]:
            site, _ = Site.objects.get_or_create(code=code, defaults={"name": name})
            if name_zh and not site.name_zh:
                Site.objects.filter(pk=site.pk).update(name_zh=name_zh)
        for username, role, site in DEMO_USERS:
            if username not in creds:  # random, and passes every password validator
                creds[username] = generate_password()
            ensure_user(username, role, site, creds[username])
    path.write_text(json.dumps(creds, indent=2) + "\n")
    path.chmod(0o600)
    if not Schedule.objects.exists():
        load_demo_schedule_and_kits(config)
    return creds


def service_strata(centres: tuple[str, ...]) -> tuple[str, ...]:
    """Every stratum: each centre crossed with the levels of the configured factors."""
    factors: dict[str, dict[str, str]] = settings.GVHDTRIAL["stratification_factors"]
    combos: list[list[tuple[str, str]]] = [[]]
    for name, mapping in factors.items():
        combos = [[*c, (name, level)] for c in combos for level in sorted(set(mapping.values()))]
    return tuple(stratum_key(centre, combo) for centre in centres for combo in combos)


def load_demo_schedule_and_kits(config: SeedConfig) -> None:
    from gvhdtrial.web.randomization.services import import_schedule
    from gvhdtrial.web.supply.services import load_kits

    codes = tuple(Site.objects.order_by("code").values_list("code", flat=True))
    arms = tuple(settings.GVHDTRIAL["arms"])
    schedule = generate_schedule(
        ScheduleParams(
            seed=fresh_seed(),
            strata=service_strata(codes),
            slots_per_stratum=config.slots_per_stratum,
            arms=arms,
            ratio=tuple(settings.GVHDTRIAL["ratio"]),
            block_sizes=config.block_sizes or tuple(settings.GVHDTRIAL["block_sizes"]),
        )
    )
    import_schedule(None, schedule, username="statistician")
    today = dt.date.today()
    largest_share = max(settings.GVHDTRIAL["ratio"])
    per_arm = config.kits_per_site_per_arm * largest_share * len(codes) + config.depot_kits_per_arm
    kits = generate_kit_list(
        KitListParams(
            seed=fresh_seed(),
            kits_per_arm=per_arm,
            arms=arms,
            manufactured=today - dt.timedelta(days=30),
        )
    )
    load_kits("admin", kits, ship_to=initial_shipments(kits, codes, config, today), on=today)


def initial_shipments(
    kits: tuple[KitSpec, ...], codes: tuple[str, ...], config: SeedConfig, on: dt.date
) -> dict[str, str]:
    """Tracking number -> site: each site gets ``kits_per_site_per_arm`` whole mixed blocks,
    drawn at random from the depot (the same rule as a resupply shipment)."""
    depot = [
        StockKit(i, k.tracking_number, k.arm, None, KitStatus.CREATED, k.expiry)
        for i, k in enumerate(kits)
    ]
    arms = tuple(settings.GVHDTRIAL["arms"])
    ratio = tuple(settings.GVHDTRIAL["ratio"])
    ship_to: dict[str, str] = {}
    for code in codes:
        if not config.kits_per_site_per_arm:
            continue
        shipment = plan_shipment(depot, arms, ratio, config.kits_per_site_per_arm, on)
        if isinstance(shipment, DispenseRefusal):
            raise RuntimeError(f"demo kit list too small for site {code}: {shipment.reason}")
        for kit in shipment:
            ship_to[kit.tracking_number] = code
        taken = {k.kit_id for k in shipment}
        depot = [k for k in depot if k.kit_id not in taken]
    return ship_to
