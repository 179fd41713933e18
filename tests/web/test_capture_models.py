"""The CRF models follow the one data model (gvhdtrial.data.model) field for field."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import models

from gvhdtrial.data import TABLES
from gvhdtrial.web.capture.fields import optional
from gvhdtrial.web.capture.mapping import ANSWER_COLUMNS, LOCATIONS
from gvhdtrial.web.patients.eligibility import BOOL_ANSWERS, FLOAT_ANSWERS, INT_ANSWERS

KINDS = {
    "int": (models.IntegerField,),
    "float": (models.FloatField, models.DecimalField),
    "bool": (models.BooleanField,),
    "date": (models.DateField, models.DateTimeField),
    "str": (models.CharField, models.TextField, models.ForeignKey, models.OneToOneField),
    "enum": (models.CharField,),
}

COLUMNS = [(t.name, f) for t in TABLES for f in t.fields]


def test_every_column_of_every_table_has_a_home() -> None:
    assert {(t, f.name) for t, f in COLUMNS} == set(LOCATIONS)


@pytest.mark.parametrize(("table", "field"), COLUMNS, ids=[f"{t}.{f.name}" for t, f in COLUMNS])
def test_column_maps_to_a_model_field_of_the_same_kind(table: str, field: object) -> None:
    label, name = LOCATIONS[(table, field.name)]  # type: ignore[attr-defined]
    model = apps.get_model(label)
    if name.startswith("answers:"):
        key = name.removeprefix("answers:")
        kind = field.type  # type: ignore[attr-defined]
        assert key in {"bool": BOOL_ANSWERS, "int": INT_ANSWERS, "float": FLOAT_ANSWERS}[kind]
        return
    django_field = model._meta.get_field(name)
    if field.name == "randomization_date":  # type: ignore[attr-defined]
        assert isinstance(django_field, models.DateTimeField)
        return
    if field.blinded:  # type: ignore[attr-defined]
        # An arm is sealed at rest (issue 10): ciphertext text, opened by gvhdtrial.web.blinding.
        assert isinstance(django_field, models.TextField)
        return
    assert isinstance(django_field, KINDS[field.type])  # type: ignore[attr-defined]
    if label.startswith("capture.") and not isinstance(django_field, models.ForeignKey):
        assert django_field.name == field.name or name == "data_site_id"  # type: ignore[attr-defined]
        if field.type == "enum":  # type: ignore[attr-defined]
            assert [c for c, _ in django_field.choices] == list(field.allowed)  # type: ignore[attr-defined]
        if field.type not in ("str", "enum"):  # type: ignore[attr-defined]
            assert django_field.null == optional(field)  # type: ignore[arg-type]


def test_screening_answers_cover_the_engine_facts_only() -> None:
    assert "age_years" in ANSWER_COLUMNS and "consent_date" not in ANSWER_COLUMNS


def test_assessment_fields_are_the_protocol_measurements() -> None:
    from dataclasses import fields

    from gvhdtrial.protocol.staging import Measurements

    names = {f.name for f in apps.get_model("capture.Assessment")._meta.concrete_fields}
    assert {f.name for f in fields(Measurements)} <= names


def test_every_crf_row_belongs_to_a_patient() -> None:
    from gvhdtrial.web.capture.mapping import ROW_MODELS

    for label in [*ROW_MODELS.values(), "capture.Baseline"]:
        fk = apps.get_model(label)._meta.get_field("patient")
        assert fk.related_model is apps.get_model("patients.Patient")
