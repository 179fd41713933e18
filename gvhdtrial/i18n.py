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
import re
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
    note made with an f-string could never be found in a catalogue).

    One way to show a text in the reader's language: :func:`translate_text`. For a ``Msg`` (a
    live object: a report note) it translates by the template it carries; for a plain English
    text kept in the database (a query's message, a computed response's reason) it recognises
    the catalogue message the text was made from. Make new texts with values as ``Msg``."""

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

_PERCENT = re.compile(r"%\((\w+)\)[sdr]|%%")
_BRACES = re.compile(r"\{(\w+)\}")


@cache
def _templates(lang: str) -> tuple[tuple[str, bool, re.Pattern[str]], ...]:
    """The catalogue's messages with placeholders (``%(name)s``, or ``{name}`` for
    ``str.format``) as (message, percent style, pattern), most specific (longest fixed text)
    first; a message with less than three letters of fixed text is too loose to recognise."""
    out = []
    for msgid in getattr(catalogue(lang), "_catalog", {}):
        if not isinstance(msgid, str):
            continue
        percent = "%(" in msgid
        placeholder = _PERCENT if percent else _BRACES
        parts, fixed, pos, seen = [], "", 0, set()
        for m in placeholder.finditer(msgid):
            parts.append(re.escape(msgid[pos : m.start()]))
            fixed += msgid[pos : m.start()]
            name = m.group(1)
            if name is None:
                parts.append("%")
            elif name in seen:
                parts.append(f"(?P={name})")
            else:
                seen.add(name)
                parts.append(f"(?P<{name}>.+?)")
            pos = m.end()
        if not seen:
            continue
        parts.append(re.escape(msgid[pos:]))
        fixed += msgid[pos:]
        if sum(ch.isalpha() for ch in fixed) >= 3:
            out.append((len(fixed), msgid, percent, re.compile("".join(parts), re.DOTALL)))
    out.sort(key=lambda t: -t[0])
    return tuple((msgid, percent, pattern) for _n, msgid, percent, pattern in out)


def translate_text(text: str) -> str:
    """``text`` in the current language: its own translation, else, for an English text made
    from a ``%(name)s`` (or ``{name}``) message of the catalogue (an edit check's finding stored
    in a query, a computed response's reason, a failed eligibility criterion), that message's
    translation with the same values (each translated too when the catalogue has it: ``not
    confirmed``), else ``text`` unchanged. So texts kept in English (the record's language) are
    shown in the reader's."""
    lang = current()
    if not text or lang == "en":
        return text
    found = gettext(text)  # a Msg: by its own template and values
    if isinstance(text, Msg):
        return found
    if found != text:
        return found
    for template, percent, pattern in _templates(lang):
        m = pattern.fullmatch(text)
        if m is not None:
            values = {k: translate_text(v) for k, v in m.groupdict().items()}
            translated = catalogue(lang).gettext(template)
            return translated % values if percent else translated.format(**values)
    return text


def gettext_lazy(message: str) -> str:
    """A Django lazy string translated when shown (form labels, model help text, choices)."""
    from django.utils.functional import lazy

    return lazy(gettext, str)(message)  # type: ignore[no-any-return]
