"""Roles and what each may do (issue 6, "Blinding, unblinding, lock, audit").

Only the unblinded statistician sees arms before trial-level unblinding; every other role is
blinded. Site roles see their own site only.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.utils.translation import gettext_lazy as _


class Role(StrEnum):
    INVESTIGATOR = "investigator"
    PHARMACIST = "pharmacist"
    DATA_MANAGER = "data_manager"
    MONITOR = "monitor"
    STATISTICIAN = "statistician"
    ADMINISTRATOR = "administrator"

    @property
    def label(self) -> str:
        return str(ROLE_LABELS[self])


ROLE_LABELS = {
    Role.INVESTIGATOR: _("Site investigator (own site, blinded)"),
    Role.PHARMACIST: _("Site pharmacist (own site, blinded)"),
    Role.DATA_MANAGER: _("Data manager (all sites, blinded)"),
    Role.MONITOR: _("Monitor (read-only, blinded)"),
    Role.STATISTICIAN: _("Unblinded statistician"),
    Role.ADMINISTRATOR: _("Administrator (blinded)"),
}

SITE_ROLES = frozenset({Role.INVESTIGATOR, Role.PHARMACIST})
#: Roles that change nothing: the gateway refuses any write made as them (issue 10).
READ_ONLY_ROLES = frozenset({Role.MONITOR})


class Permission(StrEnum):
    SCREEN = "screen"
    CONSENT = "consent"
    RANDOMIZE = "randomize"
    DISPENSE = "dispense"
    SITE_CUSTODY = "site_custody"  # receive, infuse, return, quarantine, release, expire
    CENTRAL_CUSTODY = "central_custody"  # ship, destroy
    EMERGENCY_UNBLIND = "emergency_unblind"
    VIEW_SCHEDULE = "view_schedule"
    VIEW_AUDIT = "view_audit"
    VERIFY_AUDIT = "verify_audit"
    LOCK = "lock"
    UNLOCK = "unlock"
    TRIAL_UNBLIND = "trial_unblind"
    MANAGE_USERS = "manage_users"


P = Permission
GRANTS: dict[Role, frozenset[Permission]] = {
    Role.INVESTIGATOR: frozenset(
        {P.SCREEN, P.CONSENT, P.RANDOMIZE, P.DISPENSE, P.SITE_CUSTODY, P.EMERGENCY_UNBLIND}
    ),
    Role.PHARMACIST: frozenset({P.DISPENSE, P.SITE_CUSTODY}),
    Role.DATA_MANAGER: frozenset({P.VIEW_AUDIT, P.VERIFY_AUDIT, P.LOCK}),
    Role.MONITOR: frozenset({P.VIEW_AUDIT}),
    Role.STATISTICIAN: frozenset({P.VIEW_SCHEDULE, P.VIEW_AUDIT, P.TRIAL_UNBLIND}),
    Role.ADMINISTRATOR: frozenset(
        {P.CENTRAL_CUSTODY, P.VIEW_AUDIT, P.VERIFY_AUDIT, P.LOCK, P.UNLOCK, P.MANAGE_USERS}
    ),
}


@dataclass(frozen=True)
class Actor:
    """Who is acting: user id and name, role, own site (site roles), and blinding."""

    user_id: int
    username: str
    role: Role
    site_code: str | None
    trial_unblinded: bool = False

    @property
    def blinded(self) -> bool:
        return self.role is not Role.STATISTICIAN and not self.trial_unblinded

    def can(self, permission: Permission) -> bool:
        return permission in GRANTS[self.role]

    def sees_site(self, site_code: str) -> bool:
        return self.role not in SITE_ROLES or self.site_code == site_code
