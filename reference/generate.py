"""Generate the synthetic reference trial: ``python -m reference.generate --out data/reference``.

SYNTHETIC reconstruction — not the trial's patients. The pipeline, each step seeded:

1. ``reference.solve``: the MILP (HiGHS) for the categorical patient-level attributes that
   reproduce every count of Tables 1-2, the per-protocol results, CONSORT and salvage;
2. ``reference.assemble``: continuous values (Table 1 medians and ranges), centres,
   randomization schedule and dates, and the day-level plan of each patient;
3. ``reference.realize``: raw CRF rows (measurements, doses, infusions, therapies);
4. ``reference.outcomes`` / ``reference.safety``: events (relapse, deaths, chronic GVHD,
   follow-up) and adverse events (Table 3);
5. ``reference.verify``: everything derived again through the protocol engine and compared
   with the targets; any mismatch stops the generator, naming patient and quantity;
6. ``gvhdtrial.data.write_trial``: byte-reproducible CSV files plus ``trial.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from gvhdtrial import __version__
from gvhdtrial.data import (
    SYNTHETIC_STATEMENT,
    TABLES,
    TrialData,
    TrialInfo,
    load_trial,
    write_trial,
)
from reference.attributes import solve_attributes
from reference.realize import realize
from reference.verify import verify_trial

__all__ = ["DEFAULT_SEED", "STATEMENT", "build_trial", "main"]

DEFAULT_SEED = 20200601
DATA_CUTOFF = dt.date(2024, 2, 29)
STATEMENT = (
    f"{SYNTHETIC_STATEMENT}. A synthetic, patient-level reconstruction of the phase 2 trial "
    "ChiCTR2000035740 (Jiang et al., BMC Med 2024) made by `python -m reference.generate` from "
    "the paper's published aggregates only: an integer program (scipy.optimize.milp / HiGHS) "
    "chose patient attributes so that every count-based number of Tables 1-3 and of the text "
    "comes out exactly, and raw visit-level measurements were then generated from which the "
    "protocol engine derives stages, grades, SR categories and responses. No real patient's "
    "data are included."
)


class GenerationError(RuntimeError):
    """A re-derived value differs from its target (the message lists patient and quantity)."""


def _frame(name: str, rows: list[dict] | pd.DataFrame) -> pd.DataFrame:
    table = next(t for t in TABLES if t.name == name)
    frame = pd.DataFrame(rows) if not isinstance(rows, pd.DataFrame) else rows
    for col in table.columns:
        if col not in frame.columns:
            frame[col] = None
    return frame[list(table.columns)].reset_index(drop=True)


def _events_and_aes(attributes: pd.DataFrame, seed: int) -> tuple[list[dict], list[dict]]:
    """Events and adverse events from ``reference.outcomes`` / ``reference.safety``."""
    try:
        from reference import outcomes, safety
    except ImportError:  # pragma: no cover - hook: the other generators are not there yet
        return [], []
    events = outcomes.generate_outcomes(attributes, np.random.default_rng([seed, 5]))
    aes = safety.generate_adverse_events(attributes, events, np.random.default_rng([seed, 6]))
    return events, aes


def _drop_after_follow_up(assessments: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """No assessment after death, loss to follow-up or the last contact."""
    ends = events[events["event_type"].isin(["death", "lost_to_follow_up", "last_contact"])]
    end = ends.groupby("patient_id")["event_date"].min()
    keep = [
        pid not in end.index or pd.Timestamp(d) <= pd.Timestamp(end[pid])
        for pid, d in zip(assessments["patient_id"], assessments["assessment_date"], strict=True)
    ]
    return assessments[keep].reset_index(drop=True)


def build_trial(seed: int = DEFAULT_SEED) -> tuple[TrialData, pd.DataFrame]:
    """The reference trial data and the attribute table it realizes (verified)."""
    attributes = solve_attributes(seed)
    raw, _bases = realize(attributes, seed)
    events, aes = _events_and_aes(attributes, seed)
    events_df = _frame("events", events)
    assessments = raw.assessments
    if len(events_df):
        assessments = _drop_after_follow_up(assessments, events_df)
    data = TrialData(
        info=TrialInfo(
            trial_id="ChiCTR2000035740",
            title=(
                "UC-MSCs vs placebo added to second-line therapy for steroid-refractory acute "
                "GVHD (synthetic reference reconstruction)"
            ),
            synthetic=True,
            statement=STATEMENT,
            data_cutoff_date=DATA_CUTOFF,
            blinded=False,
            generator="reference.generate",
            generator_version=__version__,
            seed=seed,
        ),
        sites=_frame("sites", raw.sites),
        patients=_frame("patients", raw.patients),
        steroid_doses=_frame("steroid_doses", raw.steroid_doses),
        randomization=_frame("randomization", raw.randomization),
        infusions=_frame("infusions", raw.infusions),
        assessments=_frame("assessments", assessments),
        therapies=_frame("therapies", raw.therapies),
        adverse_events=_frame("adverse_events", aes),
        events=events_df,
    )
    with tempfile.TemporaryDirectory() as tmp:
        loaded = load_trial(write_trial(data, Path(tmp) / "trial"))
    problems = verify_trial(loaded, attributes)
    if problems:
        raise GenerationError(
            f"{len(problems)} derived values differ from their targets:\n  " + "\n  ".join(problems)
        )
    return data, attributes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="data/reference", help="output folder")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    data, _ = build_trial(args.seed)
    folder = write_trial(data, Path(args.out))
    print(f"wrote {folder} (seed {args.seed}): {SYNTHETIC_STATEMENT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
