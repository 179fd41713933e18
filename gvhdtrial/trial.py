"""The trial definition: one TOML file says which trial gvhdtrial runs (docs/trial_definition.md).

:func:`load_definition` reads a file, validates it against the JSON Schema
(``gvhdtrial/protocol/trial.schema.json``) and against the rules a schema cannot say (block sizes
multiple of the ratio, endpoints naming defined visits, ...), and returns a frozen
:class:`TrialDefinition`. Every problem is reported at once, each naming the file, the line and
the key. The protocol engine's parameter objects (eligibility, response visits, dosing, visit
schedule), the randomization parameters, the supply and the analysis plan
(:class:`gvhdtrial.analysis.AnalysisConfig`) are all read from it.

``trials/jiang2024-phase2.toml`` (the default) is the phase 2 trial, today's behaviour;
``GVHDTRIAL_TRIAL`` names another file. The shipped definitions are package data
(``gvhdtrial/trials/``; the repository's ``trials/`` links there), so an installed gvhdtrial
finds them whatever the working directory: a name such as ``jiang-phase3-gut`` or a relative
``trials/jiang-phase3-gut.toml`` that does not exist where it is read resolves to the shipped file
(:func:`resolve_definition_path`).
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import math
import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Final, TypeVar

import jsonschema

from gvhdtrial.analysis.config import AnalysisConfig
from gvhdtrial.protocol.eligibility import EligibilityRules
from gvhdtrial.protocol.treatment import Dosing, VisitSchedule, VisitWindows
from gvhdtrial.protocol.visits import ResponseVisitRule
from gvhdtrial.randomization.schedule import ScheduleParams, stratum_key

__all__ = [
    "DEFAULT_TRIAL_FILE",
    "FIXED_AFTER_RANDOMIZATION",
    "PER_PATIENT_TABLES",
    "TRIALS_DIR",
    "TRIAL_WIDE_TABLES",
    "Arm",
    "Centre",
    "TrialDefinition",
    "TrialDefinitionError",
    "amendment_problems",
    "analysis_config_sources",
    "current_definition",
    "definition_diff",
    "load_definition",
    "parse_definition",
    "resolve_definition_path",
    "shipped_definitions",
]

#: The shipped definitions (package data; the repository's ``trials/`` is a link to it).
TRIALS_DIR: Final = Path(__file__).resolve().parent / "trials"
DEFAULT_TRIAL_FILE: Final = TRIALS_DIR / "jiang2024-phase2.toml"
ENV_VAR: Final = "GVHDTRIAL_TRIAL"

# How an amendment applies to each table of a definition (docs/trial_definition.md,
# "Amendments: what is per patient"; ICH E9 sections 4.2 and 5.1).
#: Read for each patient under the version in force at the patient's randomization: the rules
#: the patient was enrolled, treated, assessed and staged under.
PER_PATIENT_TABLES: Final = (
    "eligibility", "refractoriness", "staging", "response", "dosing", "visits",
)  # fmt: skip
#: One for the whole trial at analysis time, the version the analysis is run under: the
#: statistical analysis plan, the analysis sets, the endpoints and the trial's identity.
TRIAL_WIDE_TABLES: Final = (
    "schema_version", "version", "identity", "endpoints", "analysis_sets", "analysis",
)  # fmt: skip
#: Fixed once a patient is randomized: the arms, the ratio and the randomization (strata,
#: blocks); centres may be added, never removed or recoded (their patients' strata).
FIXED_AFTER_RANDOMIZATION: Final = ("arms", "randomization", "centres")


class TrialDefinitionError(ValueError):
    """The definition file is not valid; ``problems`` lists each (file:line: key: what)."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = list(problems)
        listed = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(
            f"{source}: {len(self.problems)} problem(s) in the trial definition; nothing was "
            f"loaded:\n{listed}"
        )


@dataclass(frozen=True)
class Arm:
    """One arm: service code (kits, schedule), data code (data sets, analysis), ratio, labels."""

    code: str
    data_code: str
    ratio: int
    label_en: str
    label_zh: str


@dataclass(frozen=True)
class Centre:
    code: str
    name: str
    name_zh: str = ""


@dataclass(frozen=True)
class TrialDefinition:
    """A validated trial definition (frozen). ``raw`` is the parsed TOML, ``sha256`` the hash
    of the file's bytes, ``source`` where it was read from."""

    raw: Mapping[str, Any]
    sha256: str
    source: str
    text: str = ""

    # -- identity ---------------------------------------------------------------------------
    @property
    def version(self) -> str:
        return str(self.raw["version"])

    @property
    def short_name(self) -> str:
        return str(self.raw["identity"]["short_name"])

    @property
    def registry_id(self) -> str:
        return str(self.raw["identity"]["registry_id"])

    def title(self, lang: str = "en") -> str:
        return str(self.raw["identity"]["title"][_lang(lang)])

    # -- arms, randomization, centres -------------------------------------------------------
    @property
    def arms(self) -> tuple[Arm, ...]:
        return tuple(
            Arm(a["code"], a["data_code"], a["ratio"], a["label"]["en"], a["label"]["zh"])
            for a in self.raw["arms"]
        )

    @property
    def arm_codes(self) -> tuple[str, ...]:
        return tuple(a.code for a in self.arms)

    @property
    def data_arms(self) -> tuple[str, ...]:
        return tuple(a.data_code for a in self.arms)

    @property
    def ratio(self) -> tuple[int, ...]:
        return tuple(a.ratio for a in self.arms)

    @property
    def block_sizes(self) -> tuple[int, ...]:
        return tuple(self.raw["randomization"]["block_sizes"])

    @property
    def stratification_factors(self) -> dict[str, dict[str, str]]:
        return {k: dict(v) for k, v in self.raw["randomization"]["factors"].items()}

    @property
    def centres(self) -> tuple[Centre, ...]:
        return tuple(
            Centre(c["code"], c["name"], c.get("name_zh", "")) for c in self.raw["centres"]
        )

    def strata(self) -> tuple[str, ...]:
        """Every stratum key: centre (if stratified by centre) crossed with the factors'
        levels, as :func:`gvhdtrial.randomization.stratum_key` writes them."""
        keys: list[list[tuple[str, str]]] = [[]]
        for name, levels in self.stratification_factors.items():
            keys = [[*k, (name, level)] for k in keys for level in sorted(set(levels.values()))]
        by_centre = self.raw["randomization"]["stratify_by_centre"]
        centres = [c.code for c in self.centres] if by_centre else ["ALL"]
        return tuple(stratum_key(c, k) for c in centres for k in keys)

    def schedule_params(self, seed: int, slots_per_stratum: int) -> ScheduleParams:
        """The randomization schedule's parameters (arms, ratio, strata, block sizes) from the
        definition; the seed and the length are the caller's."""
        return ScheduleParams(
            seed=seed,
            strata=self.strata(),
            slots_per_stratum=slots_per_stratum,
            arms=self.arm_codes,
            ratio=self.ratio,
            block_sizes=self.block_sizes,
        )

    # -- protocol engine parameters --------------------------------------------------------
    @property
    def eligibility(self) -> EligibilityRules:
        return _build(EligibilityRules, self.raw["eligibility"])

    @property
    def response_rule(self) -> ResponseVisitRule:
        return _build(ResponseVisitRule, self.raw["response"])

    @property
    def dosing(self) -> Dosing:
        extend = self.raw["dosing"]["extend_on_day28_response"]
        on = None if extend == "none" else extend
        return _build(Dosing, self.raw["dosing"], extend_on_day28_response=on)

    @property
    def visit_schedule(self) -> VisitSchedule:
        return _build(VisitSchedule, self.raw["visits"])

    @property
    def visit_windows(self) -> VisitWindows:
        return _build(
            VisitWindows, self.raw["visits"],
            renames={"frequent": "window_frequent_days", "weekly": "window_weekly_days",
                     "late": "window_late_days"},
        )  # fmt: skip

    @property
    def primary_endpoint(self) -> str:
        return str(self.raw["endpoints"]["primary"])

    # -- the analysis plan ------------------------------------------------------------------
    @property
    def analysis_config(self) -> AnalysisConfig:
        """Every :class:`AnalysisConfig` field, from the definition."""
        return _build(
            AnalysisConfig, *(self.raw[t] for t in _ANALYSIS_TABLES), renames=_ANALYSIS_RENAMES
        )

    def canonical_json(self) -> str:
        """The parsed definition as canonical JSON (sorted keys): what the database stores."""
        return json.dumps(self.raw, sort_keys=True, ensure_ascii=False, indent=1)


_T = TypeVar("_T")

#: The tables :class:`AnalysisConfig` is read from (first that has a key wins) and the fields
#: named otherwise in the file.
_ANALYSIS_TABLES: Final = ("staging", "response", "analysis_sets", "analysis", "refractoriness")
_ANALYSIS_RENAMES: Final = {
    "refractoriness_definition": "definition", "response_rules": "rules",
    "response_visits": "visits", "response_window_days": "window_days",
    "response_time_origin": "time_origin",
}  # fmt: skip


def analysis_config_sources(definition: TrialDefinition) -> dict[str, str]:
    """Each :class:`AnalysisConfig` field -> the table of ``definition`` it is read from (a
    field no table sets keeps its default and is left out)."""
    out = {}
    for f in dataclasses.fields(AnalysisConfig):
        key = _ANALYSIS_RENAMES.get(f.name, f.name)
        table = next((t for t in _ANALYSIS_TABLES if key in definition.raw[t]), None)
        if table is not None:
            out[f.name] = table
    return out


def _build(
    cls: type[_T],
    *tables: Mapping[str, Any],
    renames: Mapping[str, str] | None = None,
    **given: Any,
) -> _T:
    """A parameter object (a dataclass) from the definition's tables: each field from the key of
    its name (or ``renames[field]``) in the first table that has it, a TOML array as a tuple, a
    table as a dict, a whole number as a float where the field's default is a float; ``given``
    fields as given; a field no table names keeps its default."""
    values = dict(given)
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        key = (renames or {}).get(f.name, f.name)
        table = next((t for t in tables if key in t), None)
        if f.name in values or table is None:
            continue
        value = table[key]
        if isinstance(value, list):
            value = tuple(value)
        elif isinstance(value, Mapping):
            value = dict(value)
        elif isinstance(f.default, float) and type(value) is int:
            value = float(value)
        values[f.name] = value
    return cls(**values)


def _lang(lang: str) -> str:
    if lang not in ("en", "zh"):
        raise ValueError(f"lang: {lang!r}; expected en or zh")
    return lang


# ---------------------------------------------------------------------------------------------
# Loading and validation
# ---------------------------------------------------------------------------------------------
@cache
def _schema() -> dict[str, Any]:
    text = resources.files("gvhdtrial.protocol").joinpath("trial.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\-\" ]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\.\" ]+?)\s*=")


def _key_lines(text: str) -> dict[tuple[Any, ...], int]:
    """Line (1-based) of every table header and key of a TOML text, keyed by its path as
    jsonschema names it (array-of-tables entries by index). tomllib gives no positions."""
    lines: dict[tuple[Any, ...], int] = {}
    counters: dict[tuple[str, ...], int] = {}
    current: tuple[Any, ...] = ()
    for number, line in enumerate(text.splitlines(), start=1):
        if (m := _HEADER.match(line)) and not _KEY.match(line):
            parts = tuple(p.strip().strip('"') for p in m.group(2).split("."))
            if m.group(1) == "[[":
                index = counters.get(parts, -1) + 1
                counters[parts] = index
                current = (*parts, index)
            else:
                current = parts
            lines.setdefault(current, number)
            continue
        if m := _KEY.match(line):
            parts = tuple(p.strip().strip('"') for p in m.group(1).split("."))
            for i in range(1, len(parts) + 1):
                lines.setdefault((*current, *parts[:i]), number)
    return lines


def _line_of(lines: Mapping[tuple[Any, ...], int], path: Sequence[Any]) -> int | None:
    path = tuple(path)
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return None


def _where(source: str, lines: Mapping[tuple[Any, ...], int], path: Sequence[Any]) -> str:
    line = _line_of(lines, path)
    key = ".".join(str(p) for p in path) or "(top level)"
    return f"{source}:{line}: {key}" if line else f"{source}: {key}"


def _semantic_problems(raw: Mapping[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    """What the schema cannot say; (path, message) each."""
    out: list[tuple[tuple[Any, ...], str]] = []
    arms = raw["arms"]
    for field in ("code", "data_code"):
        codes = [a[field] for a in arms]
        if len(set(codes)) != len(codes):
            out.append((("arms",), f"arm {field}s {codes} are not distinct"))
    ratio = [a["ratio"] for a in arms]
    if math.gcd(*ratio) != 1:
        out.append((("arms",), f"ratio {':'.join(map(str, ratio))} is not in lowest terms"))
    unit = sum(ratio)
    for i, size in enumerate(raw["randomization"]["block_sizes"]):
        if size % unit:
            out.append(
                (
                    ("randomization", "block_sizes", i),
                    f"block size {size} is not a multiple of the ratio total {unit}",
                )
            )
    codes = [c["code"] for c in raw["centres"]]
    if len(set(codes)) != len(codes):
        out.append((("centres",), f"centre codes {codes} are not distinct"))
    e = raw["eligibility"]
    if e["min_age_years"] > e["max_age_years"]:
        out.append((("eligibility", "min_age_years"), "is above max_age_years"))
    if e.get("required_organs") and "I2e" not in e["criteria"]:
        out.append((("eligibility", "required_organs"), "needs criterion I2e in criteria"))
    if "I2e" in e["criteria"] and not e.get("required_organs"):
        out.append((("eligibility", "criteria"), "I2e (organ involvement) needs required_organs"))
    r = raw["response"]
    for name, day in r["visits"].items():
        if day <= r["window_days"]:
            out.append((("response", "visits", name), f"day {day} is within the window of day 0"))
    visits = {v.lower() for v in r["visits"]}
    named = [raw["endpoints"]["primary"], *raw["endpoints"]["secondary"]]
    for i, endpoint in enumerate(named):
        if "_" in endpoint and endpoint.split("_", 1)[0] in ("ORR", "CR"):
            visit = endpoint.split("_", 1)[1].lower()
            if visit not in visits:
                where = ("endpoints", "primary") if i == 0 else ("endpoints", "secondary", i - 1)
                out.append(
                    (where, f"{endpoint} names visit {visit.upper()}, not in [response] visits")
                )
    d = raw["dosing"]
    if d["extended_weeks"] < d["weeks"]:
        out.append((("dosing", "extended_weeks"), "is below weeks"))
    v = raw["visits"]
    if v["frequent_until_day"] > v["weekly_until_day"]:
        out.append((("visits", "frequent_until_day"), "is after weekly_until_day"))
    for i, day in enumerate(v["late_days"]):
        if day <= v["weekly_until_day"]:
            out.append((("visits", "late_days", i), f"day {day} is not after weekly_until_day"))
    for name, levels in raw["randomization"]["factors"].items():
        if not set(levels.values()):
            out.append((("randomization", "factors", name), "has no levels"))
    return out


def parse_definition(text: str, source: str = "<definition>") -> TrialDefinition:
    """Parse and validate definition text; raises :class:`TrialDefinitionError` naming file,
    line and key of every problem."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TrialDefinitionError(source, [f"{source}: not valid TOML: {exc}"]) from None
    lines = _key_lines(text)
    validator = jsonschema.Draft202012Validator(_schema())
    errors = sorted(validator.iter_errors(raw), key=lambda e: (list(map(str, e.path)), e.message))
    problems = [f"{_where(source, lines, list(e.path))}: {e.message}" for e in errors]
    if not problems:
        problems = [f"{_where(source, lines, p)}: {m}" for p, m in _semantic_problems(raw)]
    if not problems:
        definition = TrialDefinition(
            raw, hashlib.sha256(text.encode("utf-8")).hexdigest(), source, text
        )
        parts = {  # the protocol engine's own checks of each parameter object, by table
            "eligibility": "eligibility",
            "response": "response_rule",
            "dosing": "dosing",
            "visits": "visit_schedule",
            "analysis": "analysis_config",
        }
        for table, attribute in parts.items():
            try:
                getattr(definition, attribute)
            except ValueError as exc:
                problems.append(f"{_where(source, lines, (table,))}: {exc}")
        try:
            definition.visit_windows  # noqa: B018
        except ValueError as exc:
            problems.append(f"{_where(source, lines, ('visits',))}: {exc}")
    if problems:
        raise TrialDefinitionError(source, problems)
    return definition


def shipped_definitions() -> tuple[str, ...]:
    """The names of the definitions shipped with gvhdtrial (``gvhdtrial/trials/*.toml``)."""
    return tuple(sorted(p.stem for p in TRIALS_DIR.glob("*.toml")))


def resolve_definition_path(path: str | os.PathLike[str]) -> Path:
    """``path`` if it exists; else, for a bare name (``jiang-phase3-gut``, with or without
    ``.toml``) or a relative ``trials/NAME.toml``, the shipped definition of that name (so the
    defaults work from any working directory and from an installed package); else ``path``
    unchanged (reading it then fails with a clear error)."""
    file = Path(path)
    if file.exists() or file.is_absolute() or file.parent not in (Path("."), Path("trials")):
        return file
    name = file.name if file.suffix == ".toml" else f"{file.name}.toml"
    shipped = TRIALS_DIR / name
    return shipped if shipped.is_file() else file


def load_definition(path: str | os.PathLike[str]) -> TrialDefinition:
    """Read, validate and return the definition in ``path`` (see :func:`parse_definition`;
    ``path`` as :func:`resolve_definition_path` finds it)."""
    file = resolve_definition_path(path)
    try:
        data = file.read_bytes()
    except OSError as exc:
        shipped = ", ".join(shipped_definitions())
        raise TrialDefinitionError(
            str(file), [f"{file}: cannot be read: {exc.strerror} (shipped definitions: {shipped})"]
        ) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TrialDefinitionError(str(file), [f"{file}: not UTF-8: {exc}"]) from None
    return parse_definition(text, str(file))


def current_definition() -> TrialDefinition:
    """The definition this process runs: ``$GVHDTRIAL_TRIAL``, else the phase 2 trial (read
    and validated once per file and modification time)."""
    path = resolve_definition_path(os.environ.get(ENV_VAR) or DEFAULT_TRIAL_FILE)
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        stamp = -1
    return _load_cached(str(path), stamp)


@cache
def _load_cached(path: str, stamp: int) -> TrialDefinition:
    return load_definition(path)


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for k in value:
            out.update(_flatten(value[k], f"{prefix}.{k}" if prefix else str(k)))
        return out or {prefix: {}}
    if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
        out = {}
        for i, v in enumerate(value):
            out.update(_flatten(v, f"{prefix}[{i}]"))
        return out
    return {prefix: value}


def definition_diff(old: TrialDefinition, new: TrialDefinition) -> list[str]:
    """What changed from ``old`` to ``new``, one line per key: ``key: old -> new`` (added and
    removed keys say so). Empty when the two define the same trial."""
    a, b = _flatten(old.raw), _flatten(new.raw)
    out = []
    for key in sorted(set(a) | set(b)):
        if key not in a:
            out.append(f"{key}: (absent) -> {json.dumps(b[key], ensure_ascii=False)}")
        elif key not in b:
            out.append(f"{key}: {json.dumps(a[key], ensure_ascii=False)} -> (absent)")
        elif a[key] != b[key]:
            before = json.dumps(a[key], ensure_ascii=False)
            after = json.dumps(b[key], ensure_ascii=False)
            out.append(f"{key}: {before} -> {after}")
    return out


def amendment_problems(old: TrialDefinition, new: TrialDefinition) -> list[str]:
    """What ``new`` changes that an amendment made after the first randomization may not:
    the arms (codes, ratio), the randomization (strata, blocks), an existing centre, or the
    response visits' names (they are endpoints; a visit's day or window may move). One line
    per problem; empty when the amendment may be made."""
    out = []
    for table in ("arms", "randomization"):
        if old.raw[table] != new.raw[table]:
            out.append(
                f"[{table}] changed: the {table} are fixed once a patient is randomized "
                "(their allocation was made under them)"
            )
    new_centres = {c["code"]: c for c in new.raw["centres"]}
    for centre in old.raw["centres"]:
        if centre["code"] not in new_centres:
            out.append(
                f"centre {centre['code']} removed: centres may be added after the first "
                "randomization, not removed"
            )
    old_visits, new_visits = (
        list(old.raw["response"]["visits"]),
        list(new.raw["response"]["visits"]),
    )
    if old_visits != new_visits:
        out.append(
            f"response visits {old_visits} -> {new_visits}: the visits are endpoints; an "
            "amendment may move a visit's day or window, not add, remove or rename visits"
        )
    return out


def text_diff(old_text: str, new_text: str, old_name: str, new_name: str) -> str:
    """A unified diff of two definition texts (for the record of an amendment)."""
    return "".join(
        difflib.unified_diff(
            old_text.splitlines(keepends=True), new_text.splitlines(keepends=True),
            old_name, new_name,
        )
    )  # fmt: skip
