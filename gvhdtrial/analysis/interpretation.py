"""Which rules each patient's data are read under when the trial definition was amended.

A trial definition (:mod:`gvhdtrial.trial`) has two kinds of parts (docs/trial_definition.md,
"Amendments: what is per patient"):

- **per patient**: the rules a patient was enrolled, treated and assessed under, read for each
  patient under the definition version in force at the patient's randomization. In the
  analysis these are the :data:`PER_PATIENT_FIELDS` of :class:`AnalysisConfig` (the
  definition's ``[staging]``, ``[refractoriness]`` and ``[response]`` tables) and the
  eligibility criteria (``[eligibility]``);
- **trial-wide**: the statistical analysis plan's choices, the analysis sets and the endpoints,
  one for all patients: those of the definition the analysis is run under (ICH E9 section 5.1:
  the plan is fixed before unblinding and applied to the whole trial).

:class:`Interpretation` holds both: the trial-wide analysis plan and, for each patient whose
version differs, the analysis plan with that version's per-patient fields. Without a
per-patient mapping every patient is read under the one definition (the reference report).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Final, Protocol

from gvhdtrial.analysis.config import DEFAULT_CONFIG, AnalysisConfig
from gvhdtrial.protocol.eligibility import EligibilityRules

__all__ = ["PER_PATIENT_FIELDS", "DefinitionLike", "Interpretation"]

#: The analysis plan's fields read per patient, under the version in force at randomization:
#: staging and grading (``[staging]``), the refractoriness definition (``[refractoriness]``),
#: the response rule set, visits, window, time origin and durable CR (``[response]``).
#: ``tests/protocol/test_definition_scope.py`` checks this is exactly what those tables set.
PER_PATIENT_FIELDS: Final = (
    "grading_system",
    "lower_gi_rule",
    "refractoriness_definition",
    "response_rules",
    "response_visits",
    "response_window_days",
    "response_time_origin",
    "dcr_min_duration_days",
    "dcr_within_days",
)


class DefinitionLike(Protocol):
    """What the analysis reads of a trial definition (:class:`gvhdtrial.trial.TrialDefinition`)."""

    @property
    def version(self) -> str: ...

    @property
    def analysis_config(self) -> AnalysisConfig: ...

    @property
    def eligibility(self) -> EligibilityRules: ...


@dataclass(frozen=True)
class Interpretation:
    """The trial-wide analysis plan and the per-patient rules of patients under other versions.

    ``patients`` maps a patient id to the :class:`AnalysisConfig` and eligibility rules that
    patient's data are read under; ``labels`` names each patient's definition version (for the
    report). A patient not in ``patients`` is read under ``trial_wide`` and ``eligibility``.
    """

    trial_wide: AnalysisConfig = DEFAULT_CONFIG
    eligibility: EligibilityRules | None = None
    patients: Mapping[str, tuple[AnalysisConfig, EligibilityRules | None]] = field(
        default_factory=dict
    )
    labels: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        config: AnalysisConfig | Interpretation,
        eligibility: EligibilityRules | None = None,
    ) -> Interpretation:
        """``config`` itself when it is an interpretation, else everyone under ``config``."""
        if isinstance(config, Interpretation):
            return config
        return cls(config, eligibility)

    @classmethod
    def by_patient(
        cls,
        trial_wide: DefinitionLike,
        definitions: Mapping[str, DefinitionLike],
        labels: Mapping[str, str] | None = None,
    ) -> Interpretation:
        """Each patient in ``definitions`` under that definition's per-patient parts; the
        analysis plan's trial-wide choices from ``trial_wide``. ``labels`` name each patient's
        version in the report (default: the definition's ``version``)."""
        config = trial_wide.analysis_config
        visits = tuple(config.response_visits)
        merged: dict[int, tuple[AnalysisConfig, EligibilityRules | None]] = {}
        patients = {}
        for pid, definition in definitions.items():
            key = id(definition)
            if key not in merged:
                own = definition.analysis_config
                if tuple(own.response_visits) != visits:
                    raise ValueError(
                        f"patient {pid}: the definition version they fall under names response "
                        f"visits {list(own.response_visits)}, the trial-wide one {list(visits)}; "
                        "the response visits are endpoints (trial-wide): an amendment may move "
                        "a visit's day or window, not add, remove or rename visits"
                    )
                merged[key] = (
                    replace(config, **{f: getattr(own, f) for f in PER_PATIENT_FIELDS}),
                    definition.eligibility,
                )
            patients[str(pid)] = merged[key]
        named = {str(p): d.version for p, d in definitions.items()}
        named.update({str(p): label for p, label in (labels or {}).items()})
        return cls(config, trial_wide.eligibility, patients, named)

    def config(self, patient_id: object) -> AnalysisConfig:
        """The analysis plan ``patient_id``'s data are read under."""
        own = self.patients.get(str(patient_id))
        return self.trial_wide if own is None else own[0]

    def eligibility_for(self, patient_id: object) -> EligibilityRules | None:
        """The eligibility criteria ``patient_id`` was screened under."""
        own = self.patients.get(str(patient_id))
        return self.eligibility if own is None else own[1]

    @property
    def per_patient(self) -> bool:
        """Whether patients are read under the versions they fall under (a mapping was given)."""
        return bool(self.patients)
