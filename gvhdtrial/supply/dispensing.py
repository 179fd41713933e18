"""Dispensing: which kits to hand out for one infusion, site stock levels, resupply shipments.

docs/protocol.md section 4: bags per infusion = weight x 10^6 cells/kg / 2 x 10^7 cells per bag,
rounded to the nearest whole bag, at least one.

Blind-safe rules (issue 10, as interactive response technology systems do it):

- A kit is *usable* at a site on a day when it is received there and its expiry lies more than
  the do-not-dispense margin ahead (``margin_days``, a trial setting). Expiry is handled by the
  margin, not by an order: among the usable kits of the patient's arm the choice is uniformly
  random (``secrets.SystemRandom``), so the order in which a site's kits are used says nothing
  about which patients share an arm.
- Whether a site can dispense does not depend on the patient's arm: it is refused, with the same
  words for every patient, while any arm has fewer usable kits than the infusion needs. The
  resupply alert fires when any arm falls below the site's threshold, worded the same whichever
  arm it is, and a shipment carries whole mixed blocks (every arm in the ratio).
"""

from __future__ import annotations

import datetime as dt
import random
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from gvhdtrial.protocol.treatment import Dosing, bags_per_infusion
from gvhdtrial.supply.custody import KitStatus


def _dosing(dosing: Dosing | None) -> Dosing:
    if dosing is not None:
        return dosing
    from gvhdtrial.trial import current_definition

    return current_definition().dosing


def bags_for_infusion(weight_kg: float, dosing: Dosing | None = None) -> int:
    """Bags for one infusion: the protocol engine's rule (docs/protocol.md section 4) with
    ``dosing`` (the patient's definition version's; default the trial definition in force)."""
    dosing = _dosing(dosing)
    return bags_per_infusion(weight_kg, dosing.bag_rounding, dosing)


def delivered_cells_per_kg(bags: int, weight_kg: float, dosing: Dosing | None = None) -> float:
    """What the patient actually receives (always reported, docs/protocol.md section 4)."""
    return bags * _dosing(dosing).cells_per_bag / weight_kg


@dataclass(frozen=True)
class StockKit:
    """A kit as the dispensing rule sees it."""

    kit_id: int
    tracking_number: str
    arm: str
    site: str | None
    status: KitStatus
    expiry: dt.date


@dataclass(frozen=True)
class KitChoice:
    kits: tuple[StockKit, ...]


@dataclass(frozen=True)
class DispenseRefusal:
    reason: str


#: The CSPRNG used for every choice a blinded person could learn from (never a seeded PRNG).
SYSTEM_RANDOM: random.Random = secrets.SystemRandom()


def usable(kit: StockKit, site: str, on: dt.date, margin_days: int = 0) -> bool:
    """Received at ``site`` and still more than ``margin_days`` from expiry on ``on``."""
    return (
        kit.site == site
        and kit.status is KitStatus.RECEIVED
        and kit.expiry > on + dt.timedelta(days=margin_days)
    )


def short_message(site: str, bags: int) -> str:
    """The one refusal a blinded role ever sees when stock is short (no arm, no count by arm)."""
    return (
        f"not enough usable kits at site {site} for this infusion ({bags} needed): "
        "the supply manager has been asked to resupply"
    )


def choose_kits(
    stock: Iterable[StockKit],
    arm: str,
    arms: Sequence[str],
    site: str,
    on: dt.date,
    bags: int,
    margin_days: int = 0,
    rng: random.Random = SYSTEM_RANDOM,
) -> KitChoice | DispenseRefusal:
    """Pick ``bags`` usable kits of ``arm`` at ``site`` uniformly at random.

    Refused (same words whatever the arm) when any of ``arms`` has fewer than ``bags`` usable
    kits, so that a refusal tells a blinded person nothing about the patient's arm.
    """
    if bags < 1:
        return DispenseRefusal("the treatment plan asks for no bag")
    if arm not in arms:
        raise ValueError("the patient's arm is not one of the trial's arms")
    by_arm: dict[str, list[StockKit]] = {a: [] for a in arms}
    for k in stock:
        if k.arm in by_arm and usable(k, site, on, margin_days):
            by_arm[k.arm].append(k)
    if min(len(v) for v in by_arm.values()) < bags:
        return DispenseRefusal(short_message(site, bags))
    candidates = sorted(by_arm[arm], key=lambda k: k.kit_id)  # input order must not matter
    return KitChoice(tuple(rng.sample(candidates, bags)))


@dataclass(frozen=True)
class SiteStock:
    site: str
    available: int  # blinded total over arms
    per_arm: dict[str, int]  # unblinded detail
    resupply_needed: bool


def site_stock(
    stock: Sequence[StockKit],
    sites: Sequence[str],
    arms: Sequence[str],
    on: dt.date,
    threshold: int,
    margin_days: int = 0,
) -> tuple[SiteStock, ...]:
    """Usable stock per site; resupply is needed when any arm falls below ``threshold``.

    The alert is per site, not per arm, so a blinded reader learns only that the site needs
    kits (resupply shipments carry every arm in the ratio).
    """
    out = []
    for site in sites:
        per_arm = {arm: 0 for arm in arms}
        for k in stock:
            if usable(k, site, on, margin_days) and k.arm in per_arm:
                per_arm[k.arm] += 1
        out.append(
            SiteStock(
                site=site,
                available=sum(per_arm.values()),
                per_arm=per_arm,
                resupply_needed=min(per_arm.values()) < threshold,
            )
        )
    return tuple(out)


def plan_shipment(
    depot: Iterable[StockKit],
    arms: Sequence[str],
    ratio: Sequence[int],
    blocks: int,
    on: dt.date,
    margin_days: int = 0,
    rng: random.Random = SYSTEM_RANDOM,
) -> tuple[StockKit, ...] | DispenseRefusal:
    """``blocks`` whole mixed blocks from the depot: each block holds every arm in ``ratio``.

    Kits still at the depot (status created) with more than ``margin_days`` to expiry are
    eligible; within an arm they are drawn at random. Refused when the depot cannot fill every
    block (the refusal names no arm).
    """
    if blocks < 1:
        return DispenseRefusal("a shipment holds at least one block")
    limit = on + dt.timedelta(days=margin_days)
    by_arm: dict[str, list[StockKit]] = {a: [] for a in arms}
    for k in depot:
        if k.arm in by_arm and k.status is KitStatus.CREATED and k.expiry > limit:
            by_arm[k.arm].append(k)
    need = {arm: share * blocks for arm, share in zip(arms, ratio, strict=True)}
    if any(len(by_arm[a]) < n for a, n in need.items()):
        return DispenseRefusal(
            f"the depot cannot fill {blocks} block(s) of {sum(ratio)} kits: "
            "release a new kit list first"
        )
    picked = [
        k
        for arm, n in need.items()
        for k in rng.sample(sorted(by_arm[arm], key=lambda k: k.kit_id), n)
    ]
    rng.shuffle(picked)
    return tuple(picked)
