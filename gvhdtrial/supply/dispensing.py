"""Dispensing: which kits to hand out for one infusion, and site stock levels.

docs/protocol.md section 4: bags per infusion = weight x 10^6 cells/kg / 2 x 10^7 cells per bag,
rounded to the nearest whole bag, at least one. The choice takes available (received) kits of the
patient's arm at the patient's site that are still in date on the infusion day, earliest expiry
first (then tracking number, for a deterministic answer). A refusal never names the arm.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from gvhdtrial.protocol.treatment import CELLS_PER_BAG, bags_per_infusion
from gvhdtrial.supply.custody import KitStatus


def bags_for_infusion(weight_kg: float) -> int:
    """Bags for one infusion: the protocol engine's rule (docs/protocol.md section 4) with the
    dosing of the trial definition in force."""
    from gvhdtrial.trial import current_definition

    dosing = current_definition().dosing
    return bags_per_infusion(weight_kg, dosing.bag_rounding, dosing)


def delivered_cells_per_kg(bags: int, weight_kg: float) -> float:
    """What the patient actually receives (always reported, docs/protocol.md section 4)."""
    return bags * CELLS_PER_BAG / weight_kg


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


def usable(kit: StockKit, site: str, on: dt.date) -> bool:
    return kit.site == site and kit.status is KitStatus.RECEIVED and kit.expiry > on


def choose_kits(
    stock: Iterable[StockKit], arm: str, site: str, on: dt.date, bags: int
) -> KitChoice | DispenseRefusal:
    """Pick ``bags`` usable kits of ``arm`` at ``site``, earliest expiry first."""
    if bags < 1:
        return DispenseRefusal("the treatment plan asks for no bag")
    candidates = sorted(
        (k for k in stock if k.arm == arm and usable(k, site, on)),
        key=lambda k: (k.expiry, k.tracking_number),
    )
    if len(candidates) < bags:
        # Blinded wording: says nothing about which arm ran out.
        return DispenseRefusal(
            f"not enough usable kits at site {site} for this patient "
            f"({bags} needed): ask the supply manager to resupply"
        )
    return KitChoice(tuple(candidates[:bags]))


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
) -> tuple[SiteStock, ...]:
    """Usable stock per site; resupply is needed when any arm falls below ``threshold``.

    The alert is per site, not per arm, so a blinded reader learns only that the site needs
    kits (resupply shipments carry both arms).
    """
    out = []
    for site in sites:
        per_arm = {arm: 0 for arm in arms}
        for k in stock:
            if usable(k, site, on) and k.arm in per_arm:
                per_arm[k.arm] += 1
        out.append(
            SiteStock(
                site=site,
                available=sum(per_arm.values()),
                per_arm=per_arm,
                resupply_needed=any(v < threshold for v in per_arm.values()),
            )
        )
    return tuple(out)
