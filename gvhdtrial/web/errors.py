"""Errors a service raises; views show them as messages, the API as JSON with a status code.

No message names an arm: they are shown to blinded users.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from gvhdtrial.web.sites.roles import Actor, Permission


class ServiceError(Exception):
    status = 400
    code = "error"

    def __init__(self, message: str, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        #: The form field the error is about (a form shows it there), if any.
        self.field = field
        if code:
            self.code = code


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


class NotFound(ServiceError):
    status = 404
    code = "not_found"


class Refused(ServiceError):
    """The request is understood and allowed but the rules refuse it (409)."""

    status = 409
    code = "refused"


class Invalid(ServiceError):
    status = 422
    code = "invalid"


def require(actor: Actor, permission: Permission) -> None:
    if not actor.can(permission):
        what = permission.value.replace("_", " ")
        raise Forbidden(
            _("Your role (%(role)s) does not allow this (%(what)s).")
            % {"role": actor.role.label, "what": what}
        )
