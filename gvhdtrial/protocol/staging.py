"""Organ staging of acute GVHD from raw measurements (MAGIC, Harris et al., BBMT 2016).

Stages are derived from what was measured, never typed in (docs/protocol.md section 1). Each organ's
thresholds live in one table below; every stage is defined by comparing the value with the
upper bound of the band below it, so there is no gap between printed thresholds (a bilirubin of
3.05 mg/dL lies between "2.0 - 3.0" and "3.1 - 6.0" on paper and is stage 2 here).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Final, Literal, NamedTuple

from gvhdtrial.protocol._validation import (
    require_bool,
    require_choice,
    require_int,
    require_non_negative,
    require_percent,
    require_positive,
)

ORGANS: Final = ("skin", "liver", "upper_gi", "lower_gi")
"""The four organs staged by MAGIC, in the order they are reported."""

# Largest stage of each organ (MAGIC, Harris et al., BBMT 2016, Table 1: upper GI has no stage 2+).
MAX_STAGE: Final[Mapping[str, int]] = {"skin": 4, "liver": 4, "upper_gi": 1, "lower_gi": 4}


class StageBand(NamedTuple):
    """One row of a staging table: ``stage`` applies when value < ``upper`` (<= if ``closed``)."""

    stage: int
    upper: float
    closed: bool


# Skin, active erythema as % body surface area (MAGIC, Harris et al., BBMT 2016, Table 1).
# 0: no active rash; 1: < 25 %; 2: 25 - 50 % (both ends stage 2); 3: > 50 %.
SKIN_BSA_BANDS: Final = (
    StageBand(stage=0, upper=0.0, closed=True),
    StageBand(stage=1, upper=25.0, closed=False),
    StageBand(stage=2, upper=50.0, closed=True),
)
SKIN_STAGE_ABOVE_BANDS: Final = 3
# Stage 4: generalized erythroderma (> 50 % BSA) with bullous formation and desquamation > 5 % BSA
# (MAGIC, Harris et al., BBMT 2016, Table 1). Both bounds are strict.
SKIN_STAGE4_BSA_OVER: Final = 50.0
SKIN_STAGE4_DESQUAMATION_OVER: Final = 5.0

# Liver, total serum bilirubin in mg/dL (MAGIC, Harris et al., BBMT 2016, Table 1).
# 0: < 2.0; 1: 2.0 - 3.0; 2: 3.1 - 6.0; 3: 6.1 - 15.0; 4: > 15.0. Closed as docs/protocol.md
# section 1 says: 3.0 is stage 1 and 3.05 is stage 2.
LIVER_BILIRUBIN_BANDS: Final = (
    StageBand(stage=0, upper=2.0, closed=False),
    StageBand(stage=1, upper=3.0, closed=True),
    StageBand(stage=2, upper=6.0, closed=True),
    StageBand(stage=3, upper=15.0, closed=True),
)
LIVER_STAGE_ABOVE_BANDS: Final = 4

# Bilirubin unit conversion: 1 mg/dL = 17.1 umol/L (docs/protocol.md section 1).
UMOL_PER_L_PER_MG_DL: Final = 17.1
BILIRUBIN_UNITS: Final = ("mg/dL", "umol/L")
# Converted values are rounded so that e.g. 51.3 umol/L is exactly 3.0 mg/dL, not 2.9999999.
_CONVERTED_BILIRUBIN_DECIMALS: Final = 6

# Lower GI, by population and by measure (MAGIC, Harris et al., BBMT 2016, Table 1).
# Adult (> 50 kg): stool mL/day 0: < 500; 1: 500 - 999; 2: 1000 - 1500; 3: > 1500;
#                  episodes/day 0: < 3; 1: 3 - 4; 2: 5 - 7; 3: > 7.
# Child (<= 50 kg): stool mL/kg/day 0: < 10; 1: 10 - 19.9; 2: 20 - 30; 3: > 30;
#                  episodes/day 0: < 4; 1: 4 - 6; 2: 7 - 10; 3: > 10.
# Stage 4 (both populations): severe abdominal pain with or without ileus, or grossly bloody
# stool, whatever the volume.
LOWER_GI_BANDS: Final[Mapping[tuple[str, str], tuple[StageBand, ...]]] = {
    ("adult", "volume"): (
        StageBand(stage=0, upper=500.0, closed=False),
        StageBand(stage=1, upper=1000.0, closed=False),
        StageBand(stage=2, upper=1500.0, closed=True),
    ),
    ("adult", "episodes"): (
        StageBand(stage=0, upper=3.0, closed=False),
        StageBand(stage=1, upper=5.0, closed=False),
        StageBand(stage=2, upper=7.0, closed=True),
    ),
    ("child", "volume"): (
        StageBand(stage=0, upper=10.0, closed=False),
        StageBand(stage=1, upper=20.0, closed=False),
        StageBand(stage=2, upper=30.0, closed=True),
    ),
    ("child", "episodes"): (
        StageBand(stage=0, upper=4.0, closed=False),
        StageBand(stage=1, upper=7.0, closed=False),
        StageBand(stage=2, upper=10.0, closed=True),
    ),
}
LOWER_GI_STAGE_ABOVE_BANDS: Final = 3
LOWER_GI_STAGE_SEVERE: Final = 4
# Child thresholds apply at or below this weight (docs/protocol.md section 1; MAGIC uses 50 kg).
CHILD_MAX_WEIGHT_KG: Final = 50.0
# Stool mixed with urine counts as half stool (docs/protocol.md section 1).
MIXED_STOOL_FRACTION: Final = 0.5

LowerGiRule = Literal["volume_first", "episodes_first", "worst"]
LOWER_GI_RULES: Final = ("volume_first", "episodes_first", "worst")
"""How to stage lower GI when both volume and episodes are measured (*configurable*).

- ``volume_first`` (default, docs/protocol.md section 1): the volume when measured, else episodes.
- ``episodes_first``: the episode count when measured, else the volume.
- ``worst``: the higher of the two stages.
"""


def _stage_from_bands(value: float, bands: tuple[StageBand, ...], stage_above: int) -> int:
    for band in bands:
        if value < band.upper or (band.closed and value == band.upper):
            return band.stage
    return stage_above


@dataclass(frozen=True)
class OrganStages:
    """The MAGIC stage of each organ at one assessment (Harris et al., BBMT 2016)."""

    skin: int = 0
    liver: int = 0
    upper_gi: int = 0
    lower_gi: int = 0

    def __post_init__(self) -> None:
        for organ in ORGANS:
            stage = require_int(organ, getattr(self, organ), "a MAGIC stage")
            if not 0 <= stage <= MAX_STAGE[organ]:
                raise ValueError(
                    f"{organ}: {stage!r} is out of range; "
                    f"expected a MAGIC stage 0-{MAX_STAGE[organ]}"
                )
            # Store a plain int even when given a numpy integer, so stages compare and print alike.
            object.__setattr__(self, organ, stage)

    @property
    def involved(self) -> tuple[str, ...]:
        """The organs with a stage above 0, in MAGIC order."""
        return tuple(organ for organ in ORGANS if getattr(self, organ) > 0)

    @property
    def any_involved(self) -> bool:
        """Whether any organ has a stage above 0."""
        return bool(self.involved)

    @property
    def gut(self) -> int:
        """Gut stage for Glucksberg and IBMTR: lower GI, or 1 for upper GI alone (Keystone 1994)."""
        return max(self.lower_gi, self.upper_gi)

    def as_dict(self) -> dict[str, int]:
        """The stages as ``{"skin": ..., "liver": ..., "upper_gi": ..., "lower_gi": ...}``."""
        return asdict(self)


def skin_stage(bsa_percent: float, bullae: bool = False, desquamation_percent: float = 0.0) -> int:
    """MAGIC skin stage from active erythema (% BSA), bullae and desquamation (% BSA).

    Criterion: MAGIC (Harris et al., BBMT 2016, Table 1), closed as docs/protocol.md section 1:
    0 no active rash; 1 < 25 %; 2 25-50 %; 3 > 50 %; 4 > 50 % with bullae and desquamation > 5 %.
    Desquamation is part of the involved skin, so it cannot exceed the erythema BSA.
    """
    bsa = require_percent("skin_bsa_percent", bsa_percent)
    require_bool("skin_bullae", bullae)
    desquamation = require_percent("skin_desquamation_percent", desquamation_percent)
    if desquamation > bsa:
        raise ValueError(
            f"skin_desquamation_percent: {desquamation_percent!r} is over the erythema BSA "
            f"({bsa_percent!r}); expected desquamation within the involved skin"
        )
    if bsa > SKIN_STAGE4_BSA_OVER and bullae and desquamation > SKIN_STAGE4_DESQUAMATION_OVER:
        return 4
    return _stage_from_bands(bsa, SKIN_BSA_BANDS, SKIN_STAGE_ABOVE_BANDS)


def bilirubin_mg_dl(value: float, unit: str = "mg/dL") -> float:
    """Total bilirubin in mg/dL from a value in ``mg/dL`` or ``umol/L`` (1 mg/dL = 17.1 umol/L)."""
    require_choice("bilirubin_unit", unit, BILIRUBIN_UNITS)
    expected = f"a total bilirubin >= 0 {unit}"
    bilirubin = require_non_negative("bilirubin", value, expected)
    if unit == "umol/L":
        return round(bilirubin / UMOL_PER_L_PER_MG_DL, _CONVERTED_BILIRUBIN_DECIMALS)
    return bilirubin


def liver_stage(bilirubin_mg_dl: float) -> int:
    """MAGIC liver stage from total bilirubin in mg/dL.

    Criterion: MAGIC (Harris et al., BBMT 2016, Table 1): 0 < 2.0; 1 2.0-3.0; 2 > 3.0-6.0;
    3 > 6.0-15.0; 4 > 15.0 (bilirubin 3.0 is stage 1, 3.05 stage 2; docs/protocol.md section 1).
    """
    bilirubin = require_non_negative("bilirubin", bilirubin_mg_dl, "a total bilirubin >= 0 mg/dL")
    return _stage_from_bands(bilirubin, LIVER_BILIRUBIN_BANDS, LIVER_STAGE_ABOVE_BANDS)


def upper_gi_stage(persistent_symptoms: bool) -> int:
    """MAGIC upper GI stage: 1 for persistent nausea, vomiting or anorexia, else 0.

    Criterion: MAGIC (Harris et al., BBMT 2016, Table 1); intermittent symptoms are stage 0.
    """
    return 1 if require_bool("upper_gi_persistent", persistent_symptoms) else 0


def lower_gi_stage(
    stool_ml_per_day: float | None = None,
    episodes_per_day: float | None = None,
    weight_kg: float | None = None,
    severe_pain: bool = False,
    bloody_stool: bool = False,
    *,
    ileus: bool = False,
    mixed_with_urine: bool = False,
    rule: LowerGiRule = "volume_first",
) -> int:
    """MAGIC lower GI stage from stool volume and/or episode count.

    Criterion: MAGIC (Harris et al., BBMT 2016, Table 1) with docs/protocol.md section 1:

    - Stage 4 for severe abdominal pain (needing opioids) with or without ileus, or grossly
      bloody stool, whatever the volume. Ileus is recorded but, as in MAGIC, does not by itself
      make stage 4: it qualifies only together with severe pain.
    - Otherwise the volume (adult mL/day; child mL/kg/day) and episode bands; child thresholds
      apply when ``weight_kg`` <= 50, adult thresholds above 50 kg or when no weight is given.
    - Stool mixed with urine counts as 50 % stool.
    - When both volume and episodes are measured, ``rule`` decides (see ``LOWER_GI_RULES``).
    - Nothing measured: stage 0.
    """
    require_choice("lower_gi_rule", rule, LOWER_GI_RULES)
    require_bool("severe_abdominal_pain", severe_pain)
    require_bool("bloody_stool", bloody_stool)
    require_bool("ileus", ileus)
    require_bool("stool_mixed_with_urine", mixed_with_urine)
    weight = None if weight_kg is None else require_positive("weight_kg", weight_kg, "kg > 0")
    volume = (
        None
        if stool_ml_per_day is None
        else require_non_negative("stool_ml_per_day", stool_ml_per_day, "a stool volume >= 0 mL")
    )
    episodes = (
        None
        if episodes_per_day is None
        else require_non_negative(
            "stool_episodes_per_day", episodes_per_day, "a number of episodes >= 0"
        )
    )
    if severe_pain or bloody_stool:
        return LOWER_GI_STAGE_SEVERE

    population = "child" if weight is not None and weight <= CHILD_MAX_WEIGHT_KG else "adult"
    volume_stage: int | None = None
    if volume is not None:
        stool = volume * MIXED_STOOL_FRACTION if mixed_with_urine else volume
        # Children are staged per kg of body weight (MAGIC, Harris et al., BBMT 2016).
        measure = stool / weight if population == "child" and weight is not None else stool
        volume_stage = _stage_from_bands(
            measure, LOWER_GI_BANDS[(population, "volume")], LOWER_GI_STAGE_ABOVE_BANDS
        )
    episode_stage: int | None = None
    if episodes is not None:
        episode_stage = _stage_from_bands(
            episodes, LOWER_GI_BANDS[(population, "episodes")], LOWER_GI_STAGE_ABOVE_BANDS
        )

    if volume_stage is None:
        return 0 if episode_stage is None else episode_stage
    if episode_stage is None:
        return volume_stage
    if rule == "volume_first":
        return volume_stage
    if rule == "episodes_first":
        return episode_stage
    return max(volume_stage, episode_stage)


@dataclass(frozen=True)
class Measurements:
    """The raw measurements of one aGVHD assessment, validated on construction.

    Field names are shared with the trial data model and the reference-data generator.
    """

    skin_bsa_percent: float = 0.0
    skin_bullae: bool = False
    skin_desquamation_percent: float = 0.0
    bilirubin: float = 0.0
    bilirubin_unit: str = "mg/dL"
    upper_gi_persistent: bool = False
    stool_ml_per_day: float | None = None
    stool_episodes_per_day: float | None = None
    stool_mixed_with_urine: bool = False
    weight_kg: float | None = None
    severe_abdominal_pain: bool = False
    ileus: bool = False
    bloody_stool: bool = False

    def __post_init__(self) -> None:
        # Staging validates every field, so a Measurements that exists can always be staged.
        _stage_measurements(self, lower_gi_rule="volume_first")

    @property
    def bilirubin_mg_dl(self) -> float:
        """Total bilirubin converted to mg/dL."""
        return bilirubin_mg_dl(self.bilirubin, self.bilirubin_unit)

    @classmethod
    def from_mapping(cls, values: Mapping[str, object]) -> Measurements:
        """Build from a mapping with the field names above; missing keys take their defaults."""
        known = {field.name for field in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(
                f"measurements: unknown key(s) {', '.join(map(repr, unknown))}; "
                f"expected some of {', '.join(sorted(known))}"
            )
        return cls(**values)  # type: ignore[arg-type]

    @classmethod
    def from_record(cls, row: Mapping[str, object]) -> Measurements:
        """Build from a stored record (a CRF row, a CSV row read by pandas): keys other than the
        field names are ignored; a missing value (None, "", NaN) takes the field's default;
        booleans and numbers are converted to Python ``bool`` and ``float``. The one reader of
        an assessment row for data capture, the analysis and the reference verifier."""
        values: dict[str, object] = {}
        for f in fields(cls):
            value = row.get(f.name)
            if _missing(value):
                continue
            if f.name == "bilirubin_unit":
                values[f.name] = str(value)
            elif f.type == "bool":
                values[f.name] = bool(value)
            else:
                values[f.name] = float(value)  # type: ignore[arg-type]
        return cls(**values)  # type: ignore[arg-type]


def _missing(value: object) -> bool:
    """None, blank text, NaN/NaT, or pandas' NA (which refuses to be a truth value)."""
    if value is None or (isinstance(value, str) and value.strip() == ""):
        return True
    try:
        return bool(value != value)
    except TypeError:
        return True


def _stage_measurements(measurements: Measurements, lower_gi_rule: LowerGiRule) -> OrganStages:
    return OrganStages(
        skin=skin_stage(
            measurements.skin_bsa_percent,
            measurements.skin_bullae,
            measurements.skin_desquamation_percent,
        ),
        liver=liver_stage(bilirubin_mg_dl(measurements.bilirubin, measurements.bilirubin_unit)),
        upper_gi=upper_gi_stage(measurements.upper_gi_persistent),
        lower_gi=lower_gi_stage(
            measurements.stool_ml_per_day,
            measurements.stool_episodes_per_day,
            measurements.weight_kg,
            measurements.severe_abdominal_pain,
            measurements.bloody_stool,
            ileus=measurements.ileus,
            mixed_with_urine=measurements.stool_mixed_with_urine,
            rule=lower_gi_rule,
        ),
    )


def stage_organs(
    measurements: Measurements | Mapping[str, object],
    *,
    lower_gi_rule: LowerGiRule = "volume_first",
) -> OrganStages:
    """Stage every organ from one assessment's raw measurements (MAGIC, Harris et al., BBMT 2016).

    ``measurements`` is a ``Measurements`` or a mapping with its field names.
    """
    if not isinstance(measurements, Measurements):
        measurements = Measurements.from_mapping(measurements)
    return _stage_measurements(measurements, lower_gi_rule)
