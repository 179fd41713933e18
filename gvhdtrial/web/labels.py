"""Display labels of the codes the pages show (kit statuses, custody actions, ...), translated.

A code stays a code in the database, the API and the exports; a page shows its label in the
reader's language through the ``label`` template filter (``{{ kit.status|label }}``). A code
without a label here is shown as it is.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext
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
    # e-signed lifecycle acts (gvhdtrial.web.lock.services.MEANINGS)
    "lock": _("lock"),
    "unlock": _("unlock"),
    "trial_unblind": _("trial unblinding"),
    # audit actions
    "create": _("create"),
    "change": _("change"),
    "update": _("update"),
    "delete": _("delete"),
    # visit statuses (gvhdtrial.capture.calendar)
    "done": _("done"),
    "due": _("due"),
    "overdue": _("overdue"),
    "upcoming": _("upcoming"),
    "off study": _("off study"),
    # query statuses and severities
    "open": _("open"),
    "answered": _("answered"),
    "closed": _("closed"),
    "error": _("error"),
    "warning": _("warning"),
    "manual": _("raised by hand"),
    # arms (shown to the unblinded statistician only)
    "placebo": _("placebo"),
    "control": _("control"),
    # query thread actions
    "raise": _("raised"),
    "answer": _("answered"),
    "close": _("closed"),
    "reopen": _("reopened"),
    # day 0 of the visit calendar
    "first infusion": _("first infusion"),
    "randomization": _("randomization"),
    "randomization (provisional)": _("randomization (provisional)"),
    # record status cells (gvhdtrial.web.crf.status)
    "empty": _("empty"),
    "incomplete": _("incomplete"),
    "complete": _("complete"),
    "query": _("open query"),
    "locked": _("locked"),
    # fields of the investigator's response confirmation (not a data-model table)
    "responses.confirmed": _("confirmed response"),
    "responses.reason": _("reason for the override"),
    # kit places, token states
    "depot": _("depot"),
    "active": _("active"),
    "revoked": _("revoked"),
    # visits
    "screening": _("screening"),
    "steroid_start": _("steroid start"),
    "baseline": _("baseline"),
}

#: Django's form label suffix is ``gettext(":")``, which Django's own zh_Hans catalogue leaves
#: an ASCII colon; this catalogue (searched first) gives the full-width colon after a Chinese
#: label (GB/T 15834-2011). Marked here so that ``make messages`` extracts it.
LABEL_SUFFIX = _(":")

_DAY = re.compile(r"^(?:d|day )(\d+)$")
_INFUSION = re.compile(r"^infusion (\d+)$")


def label(code: object) -> str:
    """The label of ``code`` in the active language, or the code itself."""
    text = str(code) if code is not None else ""
    return str(LABELS.get(text, text))


def visit_label(visit: object) -> str:
    """A visit's name in the active language: ``d28`` -> "Day 28" / "第28天", ``infusion 3``
    -> "Infusion 3" / "第3次输注"; named visits through :data:`LABELS`."""
    text = str(visit) if visit is not None else ""
    if m := _DAY.match(text):
        return gettext("Day %(day)s") % {"day": m.group(1)}
    if m := _INFUSION.match(text):
        return gettext("Infusion %(number)s") % {"number": m.group(1)}
    return label(text)
