"""Languages: English (the source) and Simplified Chinese (issue 11).

The web pages use Django's own translation machinery (catalogue ``gvhdtrial/web/locale``). The
parts that run without Django (the data model's labels, the analysis tables, the report and its
figures) read the catalogue ``gvhdtrial/locale/<lang>/LC_MESSAGES/gvhdtrial.mo`` through this
module: mark a string with ``_("...")`` (translated now) or ``N_("...")`` (only marked, translated
where it is shown with ``_(value)``), choose the language with ``with language("zh"):``. Inside a
Django request, the request's language applies unless a ``language`` block says otherwise.

Catalogues are built with ``make messages`` (``python -m gvhdtrial.i18n extract`` and
``compile``): Babel extracts and compiles, Django's ``makemessages`` extracts the pages, so
neither the tests nor ``make run`` need GNU gettext.
"""

from __future__ import annotations

import gettext as _gettext
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

#: The report's language codes (``gvhdtrial report --lang``) and their gettext locale folder.
LANGUAGES: dict[str, str] = {"en": "en", "zh": "zh_Hans"}
LANGUAGE_NAMES: dict[str, str] = {"en": "English", "zh": "简体中文"}
PACKAGE = Path(__file__).resolve().parent
LOCALE_DIR = PACKAGE / "locale"
WEB_LOCALE_DIR = PACKAGE / "web" / "locale"
DOMAIN = "gvhdtrial"

_current: ContextVar[str | None] = ContextVar("gvhdtrial_language", default=None)


def normalize(lang: str | None) -> str:
    """``"zh"`` for any Chinese code (zh, zh-hans, zh_Hans, zh-CN), else ``"en"``."""
    if lang and lang.lower().replace("_", "-").split("-")[0] == "zh":
        return "zh"
    return "en"


def check_language(lang: str) -> str:
    """``en`` or ``zh`` for ``lang`` (also a regional code: zh-hans, en-gb), else a ValueError
    naming the choices."""
    primary = lang.lower().replace("_", "-").split("-")[0] if lang else ""
    if primary not in LANGUAGES:
        raise ValueError(f"language {lang!r}: expected one of {', '.join(LANGUAGES)}")
    return primary


@contextmanager
def language(lang: str) -> Iterator[str]:
    """Translate into ``lang`` (``en`` or ``zh``) inside the block."""
    code = check_language(lang)
    token = _current.set(code)
    try:
        yield code
    finally:
        _current.reset(token)


def current() -> str:
    """The language in force: a ``language`` block, else Django's active language, else en."""
    chosen = _current.get()
    if chosen is not None:
        return chosen
    if "django.conf" in sys.modules:
        from django.conf import settings

        if settings.configured and settings.USE_I18N:
            from django.utils.translation import get_language

            return normalize(get_language())
    return "en"


@cache
def catalogue(lang: str) -> _gettext.NullTranslations:
    """The compiled catalogue of ``lang`` (a no-op for English or a missing file)."""
    if lang == "en":
        return _gettext.NullTranslations()
    return _gettext.translation(DOMAIN, LOCALE_DIR, languages=[LANGUAGES[lang]], fallback=True)


class Msg(str):
    """A message with values (patient ids, counts): the text is its English form, made now; it
    is translated when shown, by looking up ``template`` and filling in ``params`` again (a
    note made with an f-string could never be found in a catalogue)."""

    template: str
    params: dict[str, object]

    def __new__(cls, template: str, **params: object) -> Msg:
        self = super().__new__(cls, template % params if params else template)
        self.template = template
        self.params = params
        return self


def gettext(message: str) -> str:
    """``message`` in the current language (itself when there is no translation); a
    :class:`Msg` is translated by its template and filled in with its values."""
    if not message:
        return message
    if isinstance(message, Msg):
        return catalogue(current()).gettext(message.template) % message.params
    return catalogue(current()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return catalogue(current()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    return catalogue(current()).pgettext(context, message)


def N_(message: str) -> str:
    """Mark ``message`` for the catalogue without translating it here (gettext_noop)."""
    return message


_ = gettext


def gettext_lazy(message: str) -> str:
    """A Django lazy string translated when shown (form labels, model help text, choices)."""
    from django.utils.functional import lazy

    return lazy(gettext, str)(message)  # type: ignore[no-any-return]
