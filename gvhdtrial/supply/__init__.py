"""Blinded investigational-product supply: kit lists, tracking numbers, chain of custody and
dispensing. Pure functions over frozen data; the web service's gateway applies their results.

Public API: :func:`generate_kit_list`, :class:`KitListParams`, :class:`KitSpec`;
:func:`generate_tracking_numbers`, :func:`is_valid`; :class:`KitStatus`, :class:`CustodyAction`,
:data:`TRANSITIONS`, :func:`apply_event`, :class:`KitState`, :class:`CustodyEvent`;
:func:`bags_for_infusion`, :func:`choose_kits` (random among usable kits), :func:`site_stock`,
:func:`plan_shipment` (mixed-arm blocks), :func:`short_message`.
"""

from gvhdtrial.supply.custody import (
    TRANSITIONS,
    CustodyAction,
    CustodyChange,
    CustodyEvent,
    CustodyRefusal,
    KitState,
    KitStatus,
    allowed_actions,
    apply_event,
)
from gvhdtrial.supply.dispensing import (
    DispenseRefusal,
    KitChoice,
    SiteStock,
    StockKit,
    bags_for_infusion,
    choose_kits,
    delivered_cells_per_kg,
    plan_shipment,
    short_message,
    site_stock,
)
from gvhdtrial.supply.kits import KitListParams, KitSpec, generate_kit_list
from gvhdtrial.supply.tracking import generate_tracking_numbers, is_valid, mod97_check_digits

__all__ = [
    "TRANSITIONS",
    "CustodyAction",
    "CustodyChange",
    "CustodyEvent",
    "CustodyRefusal",
    "DispenseRefusal",
    "KitChoice",
    "KitListParams",
    "KitSpec",
    "KitState",
    "KitStatus",
    "SiteStock",
    "StockKit",
    "allowed_actions",
    "apply_event",
    "bags_for_infusion",
    "choose_kits",
    "delivered_cells_per_kg",
    "generate_kit_list",
    "generate_tracking_numbers",
    "is_valid",
    "mod97_check_digits",
    "plan_shipment",
    "short_message",
    "site_stock",
]
