"""Request guards that apply to every page and API route.

A NUL character can never be part of valid trial data, and PostgreSQL refuses to store or
even compare text containing one (SQLite accepts it), so a request carrying one would fail
deep inside a query with a server error on one database and pass on the other. It is
refused here, before any view runs, with one clear 400 naming where it was found.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django.http import HttpRequest, HttpResponse, JsonResponse

_NUL = b"\x00"
_JSON_NUL = b"\\u0000"


def _nul_place(request: HttpRequest) -> str | None:
    """Where the request carries a NUL character, or None."""
    if "\x00" in request.path:
        return "the URL path"
    if _NUL in unquote_to_bytes(request.META.get("QUERY_STRING", "")):
        return "the query string"
    content_type = request.META.get("CONTENT_TYPE", "")
    if request.method in {"POST", "PUT", "PATCH", "DELETE"} and not content_type.startswith(
        "multipart/"
    ):
        body = request.body
        if _NUL in body:
            return "the request body"
        if content_type.startswith("application/json") and _JSON_NUL in body.lower():
            return "the request body"
        if content_type.startswith("application/x-www-form-urlencoded") and _NUL in (
            unquote_to_bytes(body.replace(b"+", b" "))
        ):
            return "the request body"
    return None


class RejectNulCharacters:
    """Answer 400 to any request with a NUL character in its path, query or body."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        place = _nul_place(request)
        if place is not None:
            message = f"A NUL character (\\x00) in {place} is not accepted."
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": message}, status=400)
            return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")
        return self.get_response(request)


class UserLanguage:
    """A signed-in user's chosen language (``sites.Preference``) wins over the cookie and the
    browser's Accept-Language that ``LocaleMiddleware`` used; it runs after authentication. A
    user without a choice who picked a language before signing in keeps it as their own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings
        from django.utils import translation

        from gvhdtrial.web.sites.models import set_user_language, user_language

        user = getattr(request, "user", None)
        chosen = user_language(user) if user is not None and user.is_authenticated else None
        if chosen is None and user is not None and user.is_authenticated:
            # the language picked before signing in (cookie) becomes the user's own
            cookie = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
            if cookie in dict(settings.LANGUAGES):
                set_user_language(user, cookie)
                chosen = cookie
        if chosen and chosen != getattr(request, "LANGUAGE_CODE", None):
            translation.activate(chosen)
            request.LANGUAGE_CODE = chosen
        return self.get_response(request)


class IdleSessionTimeout:
    """Log out a web session left idle longer than ``settings.SESSION_IDLE_SECONDS``.

    The time of the last request is kept in the session, written at most once a minute (so a
    busy user does not write the session row on every click); the session row itself expires
    ``SESSION_COOKIE_AGE`` after that write. The logout is audited like any other, with the reason
    "idle timeout". Bearer-token API calls have no session and are not affected.
    """

    KEY = "gvhdtrial_last_activity"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings
        from django.contrib.auth import logout
        from django.contrib.auth.views import redirect_to_login

        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            last = request.session.get(self.KEY)
            if isinstance(last, int) and now - last > settings.SESSION_IDLE_SECONDS:
                request.idle_timeout = True  # type: ignore[attr-defined]  (audit: why)
                logout(request)
                if request.path.startswith("/api/"):
                    return JsonResponse(
                        {"code": "session_expired", "detail": "The session timed out: log in."},
                        status=401,
                    )
                return redirect_to_login(request.get_full_path())
            if not isinstance(last, int) or now - last >= 60:
                request.session[self.KEY] = now
        return self.get_response(request)
