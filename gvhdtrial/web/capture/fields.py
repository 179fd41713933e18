"""Django model fields built from the trial data model, so there is one data model.

``crf_field(table, column)`` reads the :class:`gvhdtrial.data.Field` and returns the Django field
with the same type, allowed values (``choices``), bounds (validators), pattern, unit (help text)
and nullability (a field that is not required, or applies only ``when`` a condition holds, may be
empty). Text is stored as ``""`` when empty, everything else as NULL.
"""

from __future__ import annotations

from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.text import format_lazy

from gvhdtrial.data import table
from gvhdtrial.data.model import Field
from gvhdtrial.i18n import gettext_lazy


def _help(f: Field) -> str:
    """The field's meaning (in the reader's language, from the data model's catalogue)."""
    meaning = gettext_lazy(f.meaning)
    return format_lazy("{} ({})", meaning, f.unit) if f.unit else meaning  # type: ignore[return-value]


def _validators(f: Field) -> list[Any]:
    out: list[Any] = []
    if f.minimum is not None:
        out.append(MinValueValidator(f.minimum))
    if f.maximum is not None:
        out.append(MaxValueValidator(f.maximum))
    if f.pattern is not None:
        out.append(RegexValidator(rf"\A(?:{f.pattern})\Z", f"expected {f.expected()}"))
    return out


def field_label(table_name: str, column: str) -> str:
    """The data dictionary's label of a column (its ``meaning``, in the current language): what
    a form and a message call the field, never its raw name."""
    from gvhdtrial import i18n

    return i18n.gettext(table(table_name).field(column).meaning)


def optional(f: Field) -> bool:
    """True when a cell of this field may be empty on some row."""
    return not f.required or f.when is not None


def crf_field(table_name: str, column: str, **overrides: Any) -> models.Field:
    """The Django field for ``table_name.column`` of the data model."""
    f = table(table_name).field(column)
    empty = optional(f)
    kw: dict[str, Any] = {"help_text": _help(f), "validators": _validators(f)}
    if f.type in ("str", "enum"):
        if f.type == "enum":
            kw["choices"] = [(code, gettext_lazy(label)) for code, label in f.choices.items()]
            kw["max_length"] = max(len(code) for code in f.choices) + 8
        kw["blank"] = empty
        if empty:
            kw["default"] = ""
        kw.update(overrides)
        if f.type == "str" and "max_length" not in kw:
            return _with_data_field(models.TextField(**kw), f)
        return _with_data_field(models.CharField(**kw), f)
    kw.update({"null": empty, "blank": empty})
    kw.update(overrides)
    return _with_data_field(_number_or_date(f, kw), f)


def _with_data_field(field: models.Field, f: Field) -> models.Field:
    field.data_field = f  # type: ignore[attr-defined]  (forms label the field from it)
    return field


def _number_or_date(f: Field, kw: dict[str, Any]) -> models.Field:
    if f.type == "int":
        return models.IntegerField(**kw)
    if f.type == "float":
        return models.FloatField(**kw)
    if f.type == "bool":
        return models.BooleanField(**kw)
    return models.DateField(**kw)
