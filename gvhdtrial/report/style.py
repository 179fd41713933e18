"""One look for every figure and table: arm colours and labels, endpoint names, number formats.

The arm colours are from the Okabe-Ito palette (readable with the common colour-vision
deficiencies, and in greyscale print the MSC blue is darker than the control orange).
"""

from __future__ import annotations

import math
from functools import cache
from typing import Any

import pandas as pd

from gvhdtrial.i18n import N_, current, gettext


class _Labels(dict[str, str]):
    """Labels kept in English (marked for the catalogue), read in the report's language."""

    def __getitem__(self, key: str) -> str:
        return gettext(super().__getitem__(key))

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        return self[key] if key in self else default  # noqa: SIM401 (self.get would recurse)


#: Fonts with Chinese glyphs, in order of preference (Debian: fonts-noto-cjk,
#: fonts-wqy-microhei, fonts-droid-fallback).
CJK_FONTS: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Droid Sans Fallback",
    "AR PL UMing CN",
)


@cache
def cjk_font() -> str | None:
    """The first installed font of :data:`CJK_FONTS`, or None (Chinese text then shows as
    boxes in the figures; the report says so in a warning)."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def font_families() -> list[str]:
    """matplotlib's font.family for the current language: DejaVu Sans first (Latin glyphs,
    digits), then a Chinese font for a Chinese report."""
    families = ["DejaVu Sans"]
    if current() == "zh":
        font = cjk_font()
        if font is None:
            import warnings

            warnings.warn(
                "no Chinese font found (install fonts-noto-cjk or fonts-wqy-microhei): "
                "Chinese labels in the figures will not render",
                stacklevel=2,
            )
        else:
            families.append(font)
    return families


#: The arms in the order every figure and table shows them: experimental first.
ARMS: tuple[str, str] = ("msc", "control")
ARM_LABELS: dict[str, str] = _Labels(
    {"msc": N_("MSC"), "control": N_("Control"), "pooled": N_("All patients")}
)
ARM_COLOURS: dict[str, str] = {"msc": "#0072B2", "control": "#D55E00", "pooled": "#4D4D4D"}

POPULATION_LABELS: dict[str, str] = _Labels(
    {
        "ITT": N_("intention-to-treat set"),
        "PP": N_("per-protocol set"),
        "safety": N_("safety set"),
        "all": N_("all patients"),
    }
)

#: Endpoint codes (as the analysis writes them) -> what a clinician reads.
ENDPOINT_LABELS: dict[str, str] = _Labels(
    {
        "ORR_D28": N_("ORR at d28"),
        "ORR_D56": N_("ORR at d56"),
        "DCR": N_("DCR"),
        "CR_D28": N_("CR at d28"),
        "CR_D56": N_("CR at d56"),
        "cGVHD": N_("Chronic GVHD"),
        "CGVHD": N_("Chronic GVHD"),
        "cGVHD_mod_sev": N_("Moderate-to-severe chronic GVHD"),
        "CGVHD_MOD_SEV": N_("Moderate-to-severe chronic GVHD"),
        "cGVHD_moderate_severe": N_("Moderate-to-severe chronic GVHD"),
        "mod_sev_cGVHD": N_("Moderate-to-severe chronic GVHD"),
        "NRM": N_("Non-relapse mortality"),
        "relapse": N_("Relapse"),
        "RELAPSE": N_("Relapse"),
        "OS": N_("Overall survival"),
        "FFS": N_("Failure-free survival"),
    }
)

#: Survival endpoints drawn as survival (Kaplan-Meier) rather than cumulative incidence.
SURVIVAL_ENDPOINTS: frozenset[str] = frozenset({"OS", "FFS"})

SUBGROUP_LABELS: dict[str, str] = _Labels(
    {
        "all": N_("All patients"),
        "grade:II": N_("Grade II"),
        "grade:III-IV": N_("Grade III-IV"),
        "grade:III": N_("Grade III"),
        "grade:IV": N_("Grade IV"),
        "organ:skin": N_("Skin involved"),
        "organ:gut": N_("Gut involved"),
        "organ:liver": N_("Liver involved"),
        "organs:1": N_("1 organ"),
        "organs:>=2": N_("≥ 2 organs"),
        "steroid:dependence": N_("Steroid dependence"),
        "steroid:resistance": N_("Steroid resistance"),
    }
)


def arm_key(arm: Any) -> str:
    """Normalise an arm name as written by the analysis ("MSC", "msc", "Control"...)."""
    text = str(arm).strip().lower()
    if text in ("msc", "mscs", "experimental", "a"):
        return "msc"
    if text in ("control", "placebo", "b"):
        return "control"
    return "pooled"


def endpoint_label(code: Any) -> str:
    text = str(code)
    return ENDPOINT_LABELS.get(text, ENDPOINT_LABELS.get(text.upper(), text.replace("_", " ")))  # type: ignore[no-any-return]


def subgroup_label(code: Any) -> str:
    text = str(code)
    return SUBGROUP_LABELS.get(text, text.replace(":", ": "))  # type: ignore[no-any-return]


def is_missing(x: Any) -> bool:
    if x is None or (isinstance(x, str) and not x.strip()):
        return True
    if x is pd.NA or x is pd.NaT:
        return True
    try:
        return bool(math.isnan(float(x)))
    except (TypeError, ValueError):
        return False


def format_p(p: Any) -> str:
    """A p-value as clinical papers print it: three decimals, "< 0.001" below that."""
    if is_missing(p):
        return "p = " + gettext("n/a")
    try:
        p = float(p)
    except (TypeError, ValueError):
        return f"p = {p}"
    if p < 0.001:
        return "p < 0.001"
    return f"p = {p:.3f}"


def as_fraction(x: Any) -> float:
    """An estimate as a fraction in [0, 1] whether it was given as a fraction or a percent."""
    if is_missing(x):
        return math.nan
    value = float(x)
    return value / 100.0 if value > 1.0 + 1e-9 else value


def format_pct(x: Any, digits: int = 1) -> str:
    if is_missing(x):
        return gettext("n/a")
    return f"{100.0 * as_fraction(x):.{digits}f}%"


#: Ratios beyond these bounds come from a monotone likelihood (a zero cell, no events in one
#: arm): the fit "converges" to a meaningless number, so the report says "not estimable".
_RATIO_BOUNDS = (1e-3, 1e3)


def not_estimable() -> str:
    return gettext("not estimable")


def format_ratio(est: Any, low: Any, high: Any) -> str:
    if is_missing(est):
        return gettext("n/a")
    value = float(est)
    if not (math.isfinite(value) and _RATIO_BOUNDS[0] < value < _RATIO_BOUNDS[1]):
        return not_estimable()
    if is_missing(low) or is_missing(high):
        return f"{float(est):.2f}"
    return f"{float(est):.2f} ({float(low):.2f}-{float(high):.2f})"


_TEST_LABELS = {
    "fisher": "Fisher",
    "pearson": "Pearson",
    "yates": "Yates",
    "wilcoxon": "Wilcoxon",
    "t": N_("t-test"),
    "t-test": N_("t-test"),
    "cmh": "CMH",
    "log-rank": "log-rank",
    "logrank": "log-rank",
    "gray": "Gray",
}


def test_label(name: Any) -> str:
    """A test's name as printed ("fisher" -> "Fisher")."""
    if is_missing(name):
        return ""
    text = str(name)
    return gettext(_TEST_LABELS.get(text.lower(), text))
