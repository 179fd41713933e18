"""Accounts: users, roles, passwords and API tokens, every change through the one gateway.

What the audit trail gets (issue 10):

- users, memberships (role, site) and API tokens are ordinary audited records
  (``auth.user:<id>``, ``sites.membership:<id>``, ``sites.apitoken:<id>``); the password hash
  and the token hash are never written (``gateway.SECRET_FIELDS``);
- account events are rows whose record is ``account:<username>``: ``login``, ``logout``
  (``why``: asked or idle timeout), ``login_failed`` (``purpose``: login, emergency
  unblinding, password change...), ``lockout``, ``password`` (changed, by whom),
  ``token_expired`` (seen at the first use after expiry or by the sweep). Never a password or
  a token.

Tokens: ``gvt_`` + 32 random bytes; only the SHA-256 is stored (a token is a random key, not a
password: a fast hash is enough). Each has an expiry (``settings.TOKEN_DEFAULT_DAYS`` by
default) and can be revoked; an expired or revoked token is refused with 401.
"""

from __future__ import annotations

import datetime as dt
import secrets
import string
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone

from gvhdtrial.web.errors import Invalid, NotFound, Refused
from gvhdtrial.web.gateway import record_event, snapshot, write
from gvhdtrial.web.sites.models import ApiToken, Membership, Site, hash_token
from gvhdtrial.web.sites.roles import SITE_ROLES, Role

TOKEN_PREFIX = "gvt_"
MAX_TOKEN_DAYS = 3650


def account_record(username: str) -> str:
    return f"account:{username[:110]}"


# ---------------------------------------------------------------- passwords
def generate_password(user: Any = None, length: int = 16) -> str:
    """A random password (CSPRNG) that passes every configured password validator."""
    alphabet = string.ascii_letters + string.digits + "-_"
    while True:
        password = "".join(secrets.choice(alphabet) for _ in range(length))
        try:
            validate_password(password, user)
        except ValidationError:
            continue
        return password


def check_new_password(password: str, user: Any = None) -> None:
    """Refuse a password the validators refuse, with their messages."""
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise Invalid(" ".join(exc.messages)) from None


def change_password(user: Any, new_password: str, by: str, validate: bool = True) -> None:
    """Set ``user``'s password (validated) and record that it changed, and by whom."""
    if validate:
        check_new_password(new_password, user)
    with write(None, reason="password changed", when_locked=True, username=by) as audit:
        user.set_password(new_password)
        user.save(update_fields=["password"])
        audit.event("password", account_record(user.get_username()), {"changed_by": by})


# ---------------------------------------------------------------- users and roles
def _site(role: Role, site_code: str | None) -> Site | None:
    if role in SITE_ROLES:
        if not site_code:
            raise Invalid(f"A {role.value} needs a site.")
        site = Site.objects.filter(code=site_code).first()
        if site is None:
            raise Invalid(f"No site {site_code!r}.")
        return site
    if site_code:
        raise Invalid(f"A {role.value} works for every site: give no site.")
    return None


def create_user(
    username: str,
    role: Role,
    site_code: str | None,
    *,
    by: str,
    password: str | None = None,
    email: str = "",
    validate: bool = True,
) -> tuple[Any, str]:
    """Create a user with one role; returns (user, password). A password not given is
    generated; ``""`` makes an API-token-only account (no usable password)."""
    user_model = get_user_model()
    username = (username or "").strip()
    if not username or len(username) > 150:
        raise Invalid("A username of 1 to 150 characters is required.")
    try:
        user_model.username_validator(username)
    except ValidationError as exc:
        raise Invalid(" ".join(exc.messages)) from None
    if user_model.objects.filter(username=username).exists():
        raise Refused(f"The user {username!r} already exists.")
    site = _site(role, site_code)
    user = user_model(username=username, email=email or f"{username}@example.invalid")
    if password is None:
        password = generate_password(user)
    elif password and validate:
        check_new_password(password, user)
    with write(None, reason=f"user created ({role.value})", when_locked=True, username=by) as audit:
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
        audit.created(user)
        membership = Membership.objects.create(user=user, role=role.value, site=site)
        audit.created(membership)
    return user, password


def change_role(user_id: int, role: Role, site_code: str | None, *, by: str, reason: str) -> None:
    membership = Membership.objects.filter(user_id=user_id).first()
    if membership is None:
        raise NotFound("No such user with a role.")
    site = _site(role, site_code)
    with write(None, reason=reason or "role changed", when_locked=True, username=by) as audit:
        before = snapshot(membership)
        membership.role, membership.site = role.value, site
        membership.save(update_fields=["role", "site"])
        audit.changed(membership, before)


def set_active(user_id: int, active: bool, *, by: str, reason: str) -> None:
    """Deactivate (no login, no token) or reactivate an account; users are never deleted."""
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        raise NotFound("No such user.")
    if user.get_username() == by and not active:
        raise Refused("You cannot deactivate your own account.")
    with write(None, reason=reason or "account status", when_locked=True, username=by) as audit:
        before = snapshot(user)
        user.is_active = active
        user.save(update_fields=["is_active"])
        audit.changed(user, before)


# ---------------------------------------------------------------- API tokens
def issue_token(user: Any, *, by: str, label: str = "", days: int | None = None) -> str:
    """A new bearer token for ``user`` (returned once; only its hash is stored)."""
    days = settings.TOKEN_DEFAULT_DAYS if days is None else days
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise Invalid(f"A token lives 1 to {MAX_TOKEN_DAYS} days, not {days}.")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with write(None, reason="API token created", when_locked=True, username=by) as audit:
        token = ApiToken.objects.create(
            user=user,
            key_hash=hash_token(raw),
            label=label[:100],
            expires_at=audit.now + dt.timedelta(days=days),
        )
        audit.created(token)
    return raw


def revoke_token(token_id: int, *, by: str, reason: str = "revoked") -> ApiToken:
    token = ApiToken.objects.select_related("user").filter(pk=token_id).first()
    if token is None:
        raise NotFound(f"No API token {token_id}.")
    if token.revoked_at is not None:
        raise Refused(f"API token {token_id} was already revoked ({token.revoke_reason}).")
    with write(None, reason=reason or "revoked", when_locked=True, username=by) as audit:
        before = snapshot(token)
        token.revoked_at, token.revoke_reason = audit.now, (reason or "revoked")[:200]
        token.save(update_fields=["revoked_at", "revoke_reason"])
        audit.changed(token, before)
    return token


def _expire(tokens: list[ApiToken], by: str) -> int:
    if not tokens:
        return 0
    with write(None, reason="API token expired", when_locked=True, username=by) as audit:
        for token in tokens:
            before = snapshot(token)
            token.revoked_at, token.revoke_reason = audit.now, "expired"
            token.save(update_fields=["revoked_at", "revoke_reason"])
            audit.changed(token, before)
            audit.event(
                "token_expired",
                account_record(token.user.get_username()),
                {"token": str(token.pk), "expired_at": token.expires_at.isoformat()},
            )
    return len(tokens)


def expire_tokens(by: str = "system") -> int:
    """Mark every token past its expiry as expired (audited); returns how many."""
    due = list(
        ApiToken.objects.select_related("user").filter(
            revoked_at__isnull=True, expires_at__lte=timezone.now()
        )
    )
    return _expire(due, by)


def note_expired_use(token_id: int) -> None:
    """An expired token was presented: record its expiry once (the request is refused)."""
    token = ApiToken.objects.select_related("user").filter(pk=token_id).first()
    if token is not None and token.revoked_at is None:
        _expire([token], "system")


# ---------------------------------------------------------------- login events (signals)
def _ip(request: HttpRequest | None) -> str:
    from gvhdtrial.web.sites.auth import client_ip

    if request is None:
        return "command line"
    return client_ip(request) or "unknown"


def _on_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    name = user.get_username()
    record_event(name, "login", account_record(name), {"ip": _ip(request)}, "login")


def _on_logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is None:
        return
    why = "idle timeout" if getattr(request, "idle_timeout", False) else "logged out"
    name = user.get_username()
    record_event(name, "logout", account_record(name), {"ip": _ip(request), "why": why}, why)


def _on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # Django replaces the password in ``credentials`` with stars; only the username is used.
    name = str(credentials.get("username") or "")[:150] or "(no username)"
    purpose = getattr(request, "password_purpose", "login")
    record_event(
        name,
        "login_failed",
        account_record(name),
        {"ip": _ip(request), "purpose": purpose},
        f"wrong password ({purpose})",
    )


def _on_locked_out(
    sender: Any, request: HttpRequest | None = None, username: str | None = None, **kwargs: Any
) -> None:
    name = str(username or "")[:150] or "(no username)"
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    record_event(
        name,
        "lockout",
        account_record(name),
        {"ip": _ip(request), "minutes": str(minutes)},
        "too many wrong passwords",
    )


def connect_signals() -> None:
    from axes.signals import user_locked_out
    from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

    user_logged_in.connect(_on_login, dispatch_uid="gvhdtrial-audit-login")
    user_logged_out.connect(_on_logout, dispatch_uid="gvhdtrial-audit-logout")
    user_login_failed.connect(_on_login_failed, dispatch_uid="gvhdtrial-audit-login-failed")
    user_locked_out.connect(_on_locked_out, dispatch_uid="gvhdtrial-audit-lockout")


__all__ = [
    "account_record",
    "change_password",
    "change_role",
    "create_user",
    "expire_tokens",
    "generate_password",
    "issue_token",
    "revoke_token",
    "set_active",
]
