"""Who may enter and see case report forms (roles are those of ``sites.roles``).

Site roles see and write their own site's patients only (404 otherwise, so another site's
patients are not revealed). The investigator enters every form; the pharmacist records
infusions; central roles read every site; the data manager raises and closes queries. The
monitor is read-only everywhere (issue 10; ``sites.roles.READ_ONLY_ROLES``).
"""

from __future__ import annotations

from typing import Final

from django.utils.translation import gettext as _

from gvhdtrial.web.errors import Forbidden
from gvhdtrial.web.sites.roles import Actor, Role

#: Which roles may write which form.
FORM_WRITERS: Final[dict[str, frozenset[Role]]] = {
    "baseline": frozenset({Role.INVESTIGATOR}),
    "steroids": frozenset({Role.INVESTIGATOR}),
    "assessments": frozenset({Role.INVESTIGATOR}),
    "infusions": frozenset({Role.INVESTIGATOR, Role.PHARMACIST}),
    "therapies": frozenset({Role.INVESTIGATOR}),
    "adverse-events": frozenset({Role.INVESTIGATOR}),
    "events": frozenset({Role.INVESTIGATOR}),
    "response": frozenset({Role.INVESTIGATOR}),
}
#: Queries: the site answers, the data manager raises by hand, closes and reopens. The monitor
#: reads them only (the monitor's findings reach the data manager, who raises the query).
QUERY_ANSWER: Final = frozenset({Role.INVESTIGATOR, Role.PHARMACIST})
QUERY_CLOSE: Final = frozenset({Role.DATA_MANAGER})
QUERY_RAISE: Final = frozenset({Role.DATA_MANAGER})


def may_write(actor: Actor, form: str) -> bool:
    return actor.role in FORM_WRITERS.get(form, frozenset())


def require_write(actor: Actor, form: str) -> None:
    if not may_write(actor, form):
        raise Forbidden(
            _("Your role (%(role)s) does not allow entering this form.")
            % {"role": actor.role.label}
        )
