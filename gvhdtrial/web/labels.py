"""Display labels of the codes the pages show (kit statuses, custody actions, ...), translated.

A code stays a code in the database, the API and the exports; a page shows its label in the
reader's language through the ``label`` template filter (``{{ kit.status|label }}``). A code
without a label here is shown as it is.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

LABELS: dict[str, str] = {
    # kit statuses (gvhdtrial.supply.KitStatus)
    "created": _("created"),
    "shipped": _("shipped"),
    "received": _("received"),
    "dispensed": _("dispensed"),
    "infused": _("infused"),
    "returned": _("returned"),
    "destroyed": _("destroyed"),
    "quarantined": _("quarantined"),
    "expired": _("expired"),
    # custody actions (gvhdtrial.supply.CustodyAction)
    "ship": _("ship"),
    "receive": _("receive"),
    "dispense": _("dispense"),
    "infuse": _("infuse"),
    "return": _("return"),
    "destroy": _("destroy"),
    "quarantine": _("quarantine"),
    "release": _("release"),
    "expire": _("expire"),
    # audit actions
    "create": _("create"),
    "update": _("update"),
    "delete": _("delete"),
}


def label(code: object) -> str:
    """The label of ``code`` in the active language, or the code itself."""
    text = str(code) if code is not None else ""
    return str(LABELS.get(text, text))
