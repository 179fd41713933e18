"""A SIMULATED data set for the phase 3 gut-involvement definition (trials/jiang-phase3-gut.toml).

There are no phase 3 data: this is the synthetic phase 2 reference trial (``data/reference/``,
itself a reconstruction from published aggregates, not the trial's patients) cut to the trial the
phase 3 file defines: every screened candidate is kept, and the randomized patients the phase 3
eligibility rules exclude (no gut involvement at screening, criterion I2e) are left out with all
their rows, as if they had not been randomized. Who is excluded is decided by the analysis's own
screening under the definition (:func:`gvhdtrial.analysis.derive.screen_patients` with the
definition's rules), not by a rule of this module. ``make run`` with
``TRIAL=trials/jiang-phase3-gut.toml`` writes it into the trial's ``var`` folder and imports it.

    python -m reference.phase3_gut --out var/jiang-phase3-gut/data
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from gvhdtrial.analysis import derive
from gvhdtrial.data import TrialData, load_trial, write_trial
from gvhdtrial.trial import load_definition

REFERENCE = Path(__file__).resolve().parent.parent / "data" / "reference"
STATEMENT = (
    "SYNTHETIC reconstruction — not the trial's patients. SIMULATED data for the assumed phase 3 "
    "gut-involvement trial (trials/jiang-phase3-gut.toml): the synthetic phase 2 reference "
    "reconstruction without the randomized patients that trial's eligibility excludes (no gut "
    "involvement). No real patient's data are included."
)


def gut_trial(data: TrialData, definition_name: str = "jiang-phase3-gut") -> TrialData:
    """``data`` without the randomized patients the definition's eligibility rules exclude."""
    definition = load_definition(definition_name)
    config = definition.analysis_config
    staged = derive.stage_assessments(data.assessments, config)
    verdicts = derive.screen_patients(
        data.patients, data.steroid_doses, staged, config, definition.eligibility
    )
    excluded = set(verdicts.loc[~verdicts["eligible"].astype(bool), "patient_id"].astype(str))
    drop = excluded & set(data.randomization["patient_id"].astype(str))
    tables = {
        f.name: (
            frame[~frame["patient_id"].astype(str).isin(drop)]
            if "patient_id" in frame.columns
            else frame
        )
        for f in dataclasses.fields(data)
        if f.name != "info" and (frame := getattr(data, f.name)) is not None
    }
    info = dataclasses.replace(
        data.info,
        title=f"{definition.title('en')} (simulated from the phase 2 reference reconstruction)",
        statement=STATEMENT,
        generator="reference.phase3_gut",
    )
    return dataclasses.replace(data, info=info, **tables)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--data", type=Path, default=REFERENCE)
    args = parser.parse_args()
    out = write_trial(gut_trial(load_trial(args.data)), args.out)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
