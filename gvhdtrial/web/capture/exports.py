"""Export the service's database as a trial data folder: DB -> ``TrialData`` -> ``write_trial``.

The folder is what :func:`gvhdtrial.data.load_trial` reads, so ``gvhdtrial report`` runs on live
data unchanged. A blinded export has no ``arm`` column and ``trial.json`` says
``"blinded": true``; only the unblinded statistician after trial-level unblinding (or the
operator at the command line) gets the arms. Every export is logged (who, when, blinded or not,
SHA-256 of every file) in :class:`ExportLog` and in the audit trail.

Every text cell an export writes that a spreadsheet would run as a formula (it starts with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is prefixed with a single quote, as the
OWASP guidance on CSV injection says; a number written as text (``-1.5``) is left alone. The
pooled review reads its own unneutralized copy.

A patient whose baseline CRF is not entered yet is exported all the same, with the baseline
columns empty: the data model lets a row leave a whole form empty (``Table.forms``), the loader
lists it (``TrialData.missing_forms``) and the analysis treats it as missing data. No patient is
ever left out; the export log lists the patients with missing forms.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from gvhdtrial.data import SYNTHETIC_STATEMENT, TABLES, TrialData, TrialInfo, load_trial, table
from gvhdtrial.data import write_trial as write_folder
from gvhdtrial.data.model import SERVICE_STATEMENT, SERVICE_TITLE
from gvhdtrial.web.blinding import slot_arm
from gvhdtrial.web.capture import models as m
from gvhdtrial.web.capture.mapping import ANSWER_COLUMNS, ROW_MODELS, arm_to_data
from gvhdtrial.web.errors import Forbidden
from gvhdtrial.web.gateway import write
from gvhdtrial.web.patients.models import Patient
from gvhdtrial.web.randomization.models import Slot
from gvhdtrial.web.sites.models import Site
from gvhdtrial.web.sites.roles import READ_ONLY_ROLES, SITE_ROLES, Actor, Role
from gvhdtrial.web.unblinding.models import trial_is_unblinded

EXPORT_REASON = "export"

#: First characters that make a spreadsheet cell a formula (OWASP, "CSV Injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def neutralize_cell(value: Any) -> Any:
    """``value`` safe to open in a spreadsheet: a text that would start a formula gets a
    leading single quote; numbers (also ``"-1.5"`` as text) and other values are unchanged."""
    if not isinstance(value, str) or not value.startswith(FORMULA_START):
        return value
    if _NUMBER.fullmatch(value):
        return value
    return "'" + value


def neutralize(frame: pd.DataFrame) -> pd.DataFrame:
    """Every text cell of ``frame`` through :func:`neutralize_cell`."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object:
            out[column] = out[column].map(neutralize_cell)
    return out


def may_export_unblinded(actor: Actor) -> bool:
    """Arms leave the service only for the statistician, and only after trial-level unblinding."""
    return actor.role is Role.STATISTICIAN and trial_is_unblinded()


def _frame(name: str, rows: list[dict[str, Any]], blinded: bool) -> pd.DataFrame:
    columns = [c for c in table(name).columns if not (blinded and table(name).field(c).blinded)]
    return pd.DataFrame.from_records(rows, columns=columns).astype(object)


def _none(value: Any) -> Any:
    return None if value == "" else value


def _info(blinded: bool) -> TrialInfo:
    meta = m.TrialMetadata.objects.filter(pk=1).first()
    if meta is None:
        return TrialInfo(
            trial_id="gvhdtrial-service",
            title=SERVICE_TITLE,
            synthetic=True,
            statement=SERVICE_STATEMENT % {"statement": SYNTHETIC_STATEMENT},
            data_cutoff_date=timezone.now().date(),
            blinded=blinded,
            generator="gvhdtrial.web",
        )
    return TrialInfo(
        trial_id=meta.trial_id,
        title=meta.title,
        synthetic=meta.synthetic,
        statement=meta.statement,
        data_cutoff_date=meta.data_cutoff_date,
        blinded=blinded,
        generator=meta.generator or None,
        generator_version=meta.generator_version or None,
        seed=meta.seed,
    )


def database_tables(
    blinded: bool, site_code: str | None = None
) -> tuple[TrialInfo, dict[str, pd.DataFrame], list[str]]:
    """Every table as a DataFrame of plain Python values, and the patients whose baseline
    form is not entered (exported with those columns empty); with ``site_code``, that site's
    patients (and the site) only."""
    site_id = {
        s.code: (s.profile.data_site_id if hasattr(s, "profile") else s.code)
        for s in Site.objects.select_related("profile")
    }
    sites = [
        {
            "site_id": site_id[s.code],
            "name": s.name,
            "city": s.profile.city if hasattr(s, "profile") else "not recorded",
            "country": s.profile.country if hasattr(s, "profile") else "not recorded",
        }
        for s in Site.objects.select_related("profile")
        if site_code is None or s.code == site_code
    ]
    patients, missing = [], []
    baseline_fields = [
        f.name for f in m.Baseline._meta.concrete_fields if f.name not in ("id", "patient")
    ]
    qs = Patient.objects.select_related("site", "screening", "consent", "baseline")
    if site_code is not None:
        qs = qs.filter(site__code=site_code)
    for p in qs:
        baseline = getattr(p, "baseline", None)
        screening = getattr(p, "screening", None)
        if screening is None:  # never: a patient is created with its screening
            raise RuntimeError(f"patient {p.code} has no screening record")
        if baseline is None:
            missing.append(p.code)
        consent = getattr(p, "consent", None)
        row = {
            "patient_id": p.code,
            "site_id": site_id[p.site.code],
            "weight_kg": float(p.weight_kg),
            "consent_date": consent.consent_date if consent else None,
            **{c: screening.answers.get(c) for c in ANSWER_COLUMNS},
            **{
                f: None if baseline is None else _none(getattr(baseline, f))
                for f in baseline_fields
            },
        }
        patients.append(row)
    arms = arm_to_data()
    randomization = []
    slots = Slot.objects.filter(patient__isnull=False).select_related("patient")
    if site_code is not None:
        slots = slots.filter(patient__site__code=site_code)
    for slot in slots:
        centre = slot.stratum.split("|")[0]
        row = {
            "patient_id": slot.patient.code,
            "randomization_date": slot.allocated_at.astimezone(dt.UTC).date(),
            "stratum": site_id.get(centre, centre),
            "sequence_number": slot.sequence,
        }
        if not blinded:
            row["arm"] = arms[slot_arm(slot)]
        randomization.append(row)
    frames = {
        "sites": _frame("sites", sites, blinded),
        "patients": _frame("patients", patients, blinded),
        "randomization": _frame("randomization", randomization, blinded),
    }
    for name, label in ROW_MODELS.items():
        model = getattr(m, label.split(".")[1])
        columns = [c for c in table(name).columns if c not in ("patient_id", "kit_numbers")]
        qs = model.objects.select_related("patient")
        if site_code is not None:  # a site role's review: its own patients' rows only
            qs = qs.filter(patient__site__code=site_code)
        if name == "infusions":
            qs = qs.prefetch_related(
                Prefetch("kits", queryset=m.InfusionKit.objects.select_related("kit"))
            )
        rows = []
        for obj in qs:
            row = {"patient_id": obj.patient.code, **{c: _none(getattr(obj, c)) for c in columns}}
            if name == "infusions":
                bags = sorted(obj.kits.all(), key=lambda k: k.position)
                row["kit_numbers"] = ";".join(b.kit.tracking_number for b in bags)
            rows.append(row)
        frames[name] = _frame(name, rows, blinded)
    return _info(blinded), frames, missing


def write_export(
    folder: str | Path,
    blinded: bool,
    *,
    site_code: str | None = None,
    for_spreadsheets: bool = True,
) -> tuple[Path, list[str]]:
    """Write the database as a trial data folder (validated by ``write_trial``); formula cells
    neutralized unless ``for_spreadsheets`` is False (the service's own reading copy); also the
    patients whose baseline form is missing."""
    info, frames, missing = database_tables(blinded, site_code)
    if for_spreadsheets:
        frames = {name: neutralize(frame) for name, frame in frames.items()}
    data = TrialData(info, **{t.name: frames[t.name] for t in TABLES})
    return write_folder(data, folder), missing


def trial_data(blinded: bool) -> TrialData:
    """The database as a loaded, typed :class:`TrialData` (written and read back)."""
    with tempfile.TemporaryDirectory(prefix="gvhdtrial-export-") as tmp:
        folder, _ = write_export(Path(tmp) / "data", blinded, for_spreadsheets=False)
        return load_trial(folder)


def digests(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


def export_trial(
    actor: Actor | None, folder: str | Path, blinded: bool, username: str = ""
) -> m.ExportLog:
    """Export to ``folder`` and log it. ``actor`` None is the operator at the command line
    (``username`` names the account the export is logged under)."""
    if actor is not None:
        if actor.role in SITE_ROLES:
            raise Forbidden(_("Exports hold every site's data: site roles may not export."))
        if actor.role in READ_ONLY_ROLES:
            raise Forbidden(_("The monitor reviews data in the service and does not export it."))
        if not blinded and not may_export_unblinded(actor):
            raise Forbidden(
                _(
                    "Only the unblinded statistician, after trial-level unblinding, may export "
                    "allocations; export the blinded data instead."
                )
            )
        username = actor.username
    user = get_user_model().objects.get(username=username)
    path, missing = write_export(folder, blinded)
    from gvhdtrial.web.trialdef.services import write_versions

    write_versions(path)  # which definition version each patient is read under (logged below)
    files = digests(path)
    if missing:
        files = {**files, "baseline form missing (exported, values empty)": ";".join(missing)}
    # Logging an export changes no trial data, so it is recorded even when the database is locked.
    with write(actor, reason=EXPORT_REASON, when_locked=True, username=username) as audit:
        log = m.ExportLog.objects.create(
            at=audit.now, by=user, blinded=blinded, destination=str(path.resolve()), files=files
        )
        audit.created(log)
    return log
