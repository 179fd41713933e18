"""Template filters for translated display (issue 11): ``{% load gvhdtrial_i18n %}``."""

from __future__ import annotations

from django import template

from gvhdtrial import i18n
from gvhdtrial.web.labels import label as _label
from gvhdtrial.web.labels import visit_label as _visit_label

register = template.Library()


@register.filter
def label(code: object) -> str:
    """A code's label in the page's language (kit status, custody action, ...)."""
    return _label(code)


@register.filter
def core_translate(text: object) -> str:
    """A string of the data model, analysis or protocol in the page's language (also a text made
    from a ``%(name)s`` message: an edit check's finding, a computed response's reason)."""
    return i18n.translate_text(str(text)) if text is not None else ""


@register.filter
def visit(name: object) -> str:
    """A visit's name in the page's language (``d28`` -> Day 28 / 第28天)."""
    return _visit_label(name)


@register.filter
def lock_reason(reason: object) -> str:
    """A lock or signature reason with its recorded checklist items in the page's language."""
    from gvhdtrial.web.lock.checklist import reason_display

    return reason_display(str(reason)) if reason is not None else ""
