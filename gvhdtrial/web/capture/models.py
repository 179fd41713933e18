# ruff: noqa: RUF012  (Django declares Meta options and migrations as class-level lists)
"""The CRF tables of :data:`gvhdtrial.data.TABLES` not held by the existing apps.

Where each column of each table lives is listed in :data:`gvhdtrial.web.capture.mapping.LOCATIONS`:
the ``patients`` table is split between ``patients.Patient`` (identifier, site, weight),
``patients.Screening.answers`` (the eligibility facts, under the protocol engine's names),
``patients.Consent`` (consent date) and :class:`Baseline` here (demographics, transplant, aGVHD
onset); ``randomization`` is ``randomization.Slot``; the kits of an infusion are
``supply.Kit`` rows linked by :class:`InfusionKit`. Every CRF row belongs to a patient (site
isolation by ``patient.site``). Every write goes through :func:`gvhdtrial.web.gateway.write`
(the hash-chained audit trail is the one record of changes; no second history is kept).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from gvhdtrial.web.capture.fields import crf_field
from gvhdtrial.web.patients.models import Patient
from gvhdtrial.web.sites.models import Site
from gvhdtrial.web.supply.models import Kit


class TrialMetadata(models.Model):
    """Singleton (pk=1): ``trial.json`` of the trial held by this database (minus ``blinded``,
    which each export sets)."""

    trial_id = models.CharField(max_length=64)
    title = models.TextField()
    synthetic = models.BooleanField()
    statement = models.TextField()
    generator = models.CharField(max_length=200, blank=True)
    generator_version = models.CharField(max_length=64, blank=True)
    seed = models.BigIntegerField(null=True, blank=True)
    data_cutoff_date = models.DateField()


class SiteProfile(models.Model):
    """The data model's fields of a centre that ``sites.Site`` does not hold."""

    site = models.OneToOneField(Site, on_delete=models.PROTECT, related_name="profile")
    #: ``site_id`` of the data model (e.g. ``S1`` in the reference data); a centre created in the
    #: service without one exports its ``Site.code``. (``site_id`` would clash with the FK.)
    data_site_id = crf_field("sites", "site_id", max_length=32, unique=True)
    city = crf_field("sites", "city", max_length=120)
    country = crf_field("sites", "country", max_length=120)


class Baseline(models.Model):
    """Demographics, transplant and aGVHD onset: the ``patients`` columns that are neither the
    patient's identity (``Patient``), a screening answer (``Screening.answers``) nor consent."""

    patient = models.OneToOneField(Patient, on_delete=models.PROTECT, related_name="baseline")
    screening_date = crf_field("patients", "screening_date")
    sex = crf_field("patients", "sex")
    diagnosis = crf_field("patients", "diagnosis")
    hsct_date = crf_field("patients", "hsct_date")
    conditioning = crf_field("patients", "conditioning")
    donor_type = crf_field("patients", "donor_type")
    stem_cell_source = crf_field("patients", "stem_cell_source")
    cd34_dose_1e6_per_kg = crf_field("patients", "cd34_dose_1e6_per_kg")
    cmv_donor = crf_field("patients", "cmv_donor")
    cmv_recipient = crf_field("patients", "cmv_recipient")
    ebv_donor = crf_field("patients", "ebv_donor")
    ebv_recipient = crf_field("patients", "ebv_recipient")
    gvhd_prophylaxis = crf_field("patients", "gvhd_prophylaxis")
    agvhd_onset_date = crf_field("patients", "agvhd_onset_date")
    screening_notes = crf_field("patients", "screening_notes")


class SteroidDose(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="steroid_doses")
    date = crf_field("steroid_doses", "date")
    agent = crf_field("steroid_doses", "agent")
    dose_mg_per_day = crf_field("steroid_doses", "dose_mg_per_day")

    class Meta:
        ordering = ["patient", "date", "agent"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "date", "agent"], name="steroid_dose_unique")
        ]


class Assessment(models.Model):
    """Raw aGVHD measurements; field names are those of ``gvhdtrial.protocol.Measurements``."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="assessments")
    assessment_date = crf_field("assessments", "assessment_date")
    visit = crf_field("assessments", "visit", max_length=16)
    skin_bsa_percent = crf_field("assessments", "skin_bsa_percent")
    skin_bullae = crf_field("assessments", "skin_bullae")
    skin_desquamation_percent = crf_field("assessments", "skin_desquamation_percent")
    bilirubin = crf_field("assessments", "bilirubin")
    bilirubin_unit = crf_field("assessments", "bilirubin_unit")
    upper_gi_persistent = crf_field("assessments", "upper_gi_persistent")
    stool_ml_per_day = crf_field("assessments", "stool_ml_per_day")
    stool_episodes_per_day = crf_field("assessments", "stool_episodes_per_day")
    stool_mixed_with_urine = crf_field("assessments", "stool_mixed_with_urine")
    weight_kg = crf_field("assessments", "weight_kg")
    severe_abdominal_pain = crf_field("assessments", "severe_abdominal_pain")
    ileus = crf_field("assessments", "ileus")
    bloody_stool = crf_field("assessments", "bloody_stool")

    class Meta:
        ordering = ["patient", "assessment_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "assessment_date"], name="assessment_unique_date"
            )
        ]


class Infusion(models.Model):
    """One infusion of the investigational product; its bags are :class:`InfusionKit` rows."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="infusions")
    infusion_number = crf_field("infusions", "infusion_number")
    date = crf_field("infusions", "date")
    bags = crf_field("infusions", "bags")
    delivered_cells_1e6_per_kg = crf_field("infusions", "delivered_cells_1e6_per_kg")
    infusion_reaction = crf_field("infusions", "infusion_reaction")
    reaction_description = crf_field("infusions", "reaction_description")

    class Meta:
        ordering = ["patient", "infusion_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "infusion_number"], name="infusion_unique_number"
            )
        ]

    @property
    def kit_numbers(self) -> str:
        """The ``kit_numbers`` cell: tracking numbers in recorded order, ``;``-separated."""
        # .all(): the Meta ordering (infusion, position) is the recorded order, and a prefetch
        # (patient_record) serves it without a query per infusion.
        return ";".join(k.kit.tracking_number for k in self.kits.all())


class InfusionKit(models.Model):
    """One bag of an infusion: a supply kit (its chain of custody ends in ``infuse``)."""

    infusion = models.ForeignKey(Infusion, on_delete=models.PROTECT, related_name="kits")
    kit = models.OneToOneField(Kit, on_delete=models.PROTECT, related_name="infusion_bag")
    position = models.PositiveSmallIntegerField(help_text="Order in the kit_numbers cell (1-based)")

    class Meta:
        ordering = ["infusion", "position"]
        constraints = [
            models.UniqueConstraint(fields=["infusion", "position"], name="infusion_kit_position")
        ]


class Therapy(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="therapies")
    agent = crf_field("therapies", "agent")
    role = crf_field("therapies", "role")
    start_date = crf_field("therapies", "start_date")
    stop_date = crf_field("therapies", "stop_date")

    class Meta:
        ordering = ["patient", "start_date", "agent"]
        verbose_name_plural = "therapies"
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "agent", "start_date"], name="therapy_unique_start"
            )
        ]


class AdverseEvent(models.Model):
    """An AE graded with CTCAE v5.0 (terms and SOCs from ``gvhdtrial.data.ctcae``)."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="adverse_events")
    ae_id = crf_field("adverse_events", "ae_id")
    term = crf_field("adverse_events", "term")
    term_specify = crf_field("adverse_events", "term_specify")
    soc = crf_field("adverse_events", "soc")
    grade = crf_field("adverse_events", "grade")
    serious = crf_field("adverse_events", "serious")
    related_to_study_agent = crf_field("adverse_events", "related_to_study_agent")
    infusion_related = crf_field("adverse_events", "infusion_related")
    onset_date = crf_field("adverse_events", "onset_date")
    resolution_date = crf_field("adverse_events", "resolution_date")
    outcome = crf_field("adverse_events", "outcome")

    class Meta:
        ordering = ["patient", "ae_id"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "ae_id"], name="adverse_event_unique_id")
        ]


class Event(models.Model):
    """A dated outcome or disposition event (relapse, death, cGVHD onset, ...)."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="events")
    event_id = crf_field("events", "event_id")
    event_type = crf_field("events", "event_type")
    event_date = crf_field("events", "event_date")
    death_cause = crf_field("events", "death_cause")
    death_relapse_related = crf_field("events", "death_relapse_related")
    cgvhd_nih_severity = crf_field("events", "cgvhd_nih_severity")
    discontinuation_reason = crf_field("events", "discontinuation_reason")
    details = crf_field("events", "details")

    class Meta:
        ordering = ["patient", "event_id"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "event_id"], name="event_unique_id")
        ]


class ImportLog(models.Model):
    """One import of a trial data folder (all or nothing; its rows are audited as "import")."""

    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    trial_id = models.CharField(max_length=64)
    source = models.TextField(help_text="Folder imported")
    files = models.JSONField(help_text="file name -> SHA-256")
    counts = models.JSONField(help_text="table -> rows imported")

    class Meta:
        ordering = ["at", "id"]


class ExportLog(models.Model):
    """One export to a trial data folder: who, when, blinded or not, SHA-256 of each file."""

    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    blinded = models.BooleanField()
    destination = models.TextField(blank=True)
    files = models.JSONField(help_text="file name -> SHA-256")

    class Meta:
        ordering = ["at", "id"]
