"""Randomization schedules: stratified permuted blocks of randomly chosen sizes.

The paper (Methods, "Randomization and double-blind design") used a "multi-centre sub-block
randomization" generated once in SAS: 1:1, stratified by centre, blocks ("sub-blocks") of randomly
varying size. docs/protocol.md section 9 adds that the schedule is generated once from a recorded
seed and can be regenerated bit for bit.

Algorithm (``ALGORITHM``; changing it changes the bytes, so it carries a version):

- Each stratum gets its own generator ``numpy.random.Generator(PCG64(SeedSequence(seed,
  spawn_key=(i,))))`` where ``i`` is the stratum's position in the declared order. Strata are
  therefore independent streams and adding a stratum at the end leaves the others unchanged.
- Within a stratum, blocks are drawn until at least ``slots_per_stratum`` slots exist: the block
  size is chosen uniformly from ``block_sizes``; the block holds ``size / sum(ratio)`` copies of
  each arm's ratio share, in an order drawn by ``Generator.permutation``. Only whole blocks are
  generated, so a stratum may hold slightly more than ``slots_per_stratum`` slots.

The canonical form is a CSV (LF line ends, UTF-8, fixed column order); its SHA-256 digest is the
schedule's identity. The parameters, algorithm and software version are recorded beside it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import secrets
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from math import gcd

import numpy as np

from gvhdtrial import __version__

ALGORITHM = "stratified-permuted-blocks/1"
CSV_COLUMNS = ("stratum", "sequence", "block", "block_size", "arm")
DEFAULT_ARMS: tuple[str, ...] = ("MSC", "placebo")
DEFAULT_BLOCK_SIZES: tuple[int, ...] = (2, 4)


SEED_BITS = 128


class ScheduleError(ValueError):
    """The schedule parameters are inconsistent (message says which and why)."""


class ScheduleProblems(ScheduleError):
    """A schedule file breaks rules; ``problems`` names each (file, row, field, value, expected)."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__(
            "\n".join([f"{len(self.problems)} problem(s); nothing was loaded:", *self.problems])
        )


def fresh_seed() -> int:
    """A new schedule's seed: 128 bits from the operating system's CSPRNG (``secrets``).

    Every schedule, continuation and kit list gets its own; the seed is never written in the
    source. The service seals it (only the unblinded statistician reads it) and exports it with
    the schedule for the trial master file.
    """
    return secrets.randbits(SEED_BITS)


@dataclass(frozen=True)
class ScheduleParams:
    """Everything that determines a schedule; recorded with it.

    ``strata`` are stratum keys such as ``"C01"`` or ``"C01|grade=III-IV"`` (centre plus optional
    factors, see :func:`stratum_key`). ``ratio`` gives each arm's share, e.g. ``(1, 1)``.
    """

    seed: int
    strata: tuple[str, ...]
    slots_per_stratum: int
    arms: tuple[str, ...] = DEFAULT_ARMS
    ratio: tuple[int, ...] = (1, 1)
    block_sizes: tuple[int, ...] = DEFAULT_BLOCK_SIZES

    def __post_init__(self) -> None:
        if self.seed < 0:
            raise ScheduleError("seed must be a non-negative integer")
        if not self.strata:
            raise ScheduleError("at least one stratum is needed")
        if len(set(self.strata)) != len(self.strata):
            raise ScheduleError("stratum keys must be unique")
        if self.slots_per_stratum < 1:
            raise ScheduleError("slots_per_stratum must be at least 1")
        if len(self.arms) < 2 or len(set(self.arms)) != len(self.arms):
            raise ScheduleError("at least two distinct arms are needed")
        if len(self.ratio) != len(self.arms) or any(r < 1 for r in self.ratio):
            raise ScheduleError("ratio needs one positive integer per arm")
        if not self.block_sizes or any(b < 1 for b in self.block_sizes):
            raise ScheduleError("block sizes must be positive integers")
        unit = sum(self.ratio)
        bad = [b for b in self.block_sizes if b % unit]
        if bad:
            raise ScheduleError(
                f"block sizes {bad} are not multiples of the ratio total {unit} "
                f"(ratio {':'.join(map(str, self.ratio))})"
            )
        if gcd(*self.ratio) != 1:
            raise ScheduleError("ratio must be in lowest terms (e.g. 1:1, not 2:2)")

    def as_dict(self) -> dict[str, object]:
        return {
            "algorithm": ALGORITHM,
            "seed": self.seed,
            "strata": list(self.strata),
            "slots_per_stratum": self.slots_per_stratum,
            "arms": list(self.arms),
            "ratio": list(self.ratio),
            "block_sizes": sorted(set(self.block_sizes)),
        }


@dataclass(frozen=True)
class Slot:
    """One row of the schedule: the ``sequence``-th allocation (1-based) within ``stratum``."""

    stratum: str
    sequence: int
    block: int
    block_size: int
    arm: str


@dataclass(frozen=True)
class Schedule:
    params: ScheduleParams
    slots: tuple[Slot, ...]
    software_version: str = field(default=__version__)

    def to_csv_bytes(self) -> bytes:
        return schedule_csv_bytes(self.slots)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.to_csv_bytes()).hexdigest()

    def metadata(self) -> dict[str, object]:
        """Parameters, software version and digest: what is recorded beside the CSV."""
        return {
            **self.params.as_dict(),
            "software": "gvhdtrial",
            "software_version": self.software_version,
            "numpy_bit_generator": "PCG64",
            "slots": len(self.slots),
            "sha256": self.sha256,
        }

    def metadata_json(self) -> str:
        return json.dumps(self.metadata(), indent=2, sort_keys=True) + "\n"

    def stratum_slots(self, stratum: str) -> tuple[Slot, ...]:
        return tuple(s for s in self.slots if s.stratum == stratum)


def stratum_key(centre: str, factors: Sequence[tuple[str, str]] = ()) -> str:
    """The stratum key of a centre plus optional stratification factors, in a stable form.

    >>> stratum_key("C01", [("grade", "III-IV")])
    'C01|grade=III-IV'
    """
    parts = [centre, *(f"{name}={value}" for name, value in sorted(factors))]
    for p in parts:
        if "," in p or "\n" in p or '"' in p:
            raise ScheduleError(f"stratum part {p!r} may not contain commas, quotes or newlines")
    return "|".join(parts)


def _stratum_generator(seed: int, index: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(index,))))


def generate_schedule(params: ScheduleParams) -> Schedule:
    """Generate the schedule for ``params`` (pure: the same params give the same bytes)."""
    sizes = np.array(sorted(set(params.block_sizes)), dtype=np.int64)
    unit = sum(params.ratio)
    slots: list[Slot] = []
    for index, stratum in enumerate(params.strata):
        gen = _stratum_generator(params.seed, index)
        sequence = 0
        block = 0
        while sequence < params.slots_per_stratum:
            size = int(gen.choice(sizes))
            block += 1
            copies = size // unit
            content = [
                arm
                for arm, share in zip(params.arms, params.ratio, strict=True)
                for _ in range(share * copies)
            ]
            order = gen.permutation(len(content))
            for position in order:
                sequence += 1
                slots.append(Slot(stratum, sequence, block, size, content[int(position)]))
    return Schedule(params=params, slots=tuple(slots))


def schedule_csv_bytes(slots: Sequence[Slot]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for s in slots:
        writer.writerow((s.stratum, s.sequence, s.block, s.block_size, s.arm))
    return buf.getvalue().encode("utf-8")


def validate_schedule_csv(
    data: bytes,
    source: str,
    arms: Sequence[str],
    ratio: Sequence[int],
    strata: Sequence[str] | None = None,
) -> tuple[Slot, ...]:
    """Check a schedule made elsewhere (e.g. in SAS) and return its slots, or raise
    :class:`ScheduleProblems` naming every problem (file, row, field, value, expectation).

    The file is a CSV with the canonical columns (``stratum,sequence,block,block_size,arm``).
    Rules: every cell present and well formed; ``arm`` one of ``arms``; ``stratum`` one of
    ``strata`` (when given); each (stratum, sequence) once and sequences 1..n in each stratum
    (nothing missing); each block's rows agree on ``block_size``, there are ``block_size`` of
    them and they hold the arms in ``ratio`` (``block_size / sum(ratio)`` copies of each share).
    """
    problems: list[str] = []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScheduleProblems(
            [f"{source}: not UTF-8 text ({exc.reason} at byte {exc.start})"]
        ) from None
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or tuple(c.strip() for c in rows[0]) != CSV_COLUMNS:
        got = rows[0] if rows else []
        raise ScheduleProblems(
            [f"{source}, row 1 (header): got {got}; expected the columns {list(CSV_COLUMNS)}"]
        )
    arm_set, stratum_set = set(arms), (set(strata) if strata is not None else None)
    unit = sum(ratio)
    slots: list[Slot] = []
    line_of: dict[tuple[str, int], int] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        where = f"{source}, row {line}"
        if len(row) != len(CSV_COLUMNS):
            problems.append(f"{where}: {len(row)} fields; expected {len(CSV_COLUMNS)}")
            continue
        cells = dict(zip(CSV_COLUMNS, (c.strip() for c in row), strict=True))
        ok = True
        numbers: dict[str, int] = {}
        for name in ("sequence", "block", "block_size"):
            value = cells[name]
            if not value.isdigit() or int(value) < 1:
                problems.append(f"{where}, field {name}: value {value!r}; expected an integer >= 1")
                ok = False
            else:
                numbers[name] = int(value)
        if cells["arm"] not in arm_set:
            problems.append(
                f"{where}, field arm: value {cells['arm']!r}; expected one of {sorted(arm_set)}"
            )
            ok = False
        known = stratum_set is None or cells["stratum"] in stratum_set
        if not cells["stratum"] or not known:
            expected = sorted(stratum_set) if stratum_set is not None else "a stratum key"
            problems.append(
                f"{where}, field stratum: value {cells['stratum']!r}; expected one of {expected}"
            )
            ok = False
        if "block_size" in numbers and numbers["block_size"] % unit:
            problems.append(
                f"{where}, field block_size: value {numbers['block_size']}; expected a multiple "
                f"of the ratio total {unit} (ratio {':'.join(map(str, ratio))})"
            )
            ok = False
        if "sequence" in numbers:
            key = (cells["stratum"], numbers["sequence"])
            if key in line_of:
                problems.append(
                    f"{where}, field sequence: value {key[1]}; duplicate position in stratum "
                    f"{key[0]!r} (also row {line_of[key]}); expected each position once"
                )
                ok = False
            else:
                line_of[key] = line
        if ok:
            slots.append(Slot(cells["stratum"], arm=cells["arm"], **numbers))
    by_stratum: dict[str, list[int]] = defaultdict(list)
    for s in slots:
        by_stratum[s.stratum].append(s.sequence)
    for stratum, seqs in sorted(by_stratum.items()):
        missing = sorted(set(range(1, max(seqs) + 1)) - set(seqs))
        if missing:
            shown = ", ".join(map(str, missing[:20])) + (" ..." if len(missing) > 20 else "")
            problems.append(
                f"{source}, stratum {stratum!r}, field sequence: positions {shown} missing; "
                "expected 1..n without gaps"
            )
    blocks: dict[tuple[str, int], list[Slot]] = defaultdict(list)
    for s in slots:
        blocks[(s.stratum, s.block)].append(s)
    for (stratum, block), members in sorted(blocks.items()):
        first = line_of[(stratum, members[0].sequence)]
        where = f"{source}, row {first}, stratum {stratum!r}, block {block}"
        sizes = {m.block_size for m in members}
        if len(sizes) != 1:
            problems.append(
                f"{where}, field block_size: values {sorted(sizes)}; expected one size per block"
            )
            continue
        (size,) = sizes
        if len(members) != size:
            problems.append(
                f"{where}, field block_size: value {size}; the block has {len(members)} rows"
            )
            continue
        counts = Counter(m.arm for m in members)
        want = {arm: share * (size // unit) for arm, share in zip(arms, ratio, strict=True)}
        if any(counts.get(arm, 0) != n for arm, n in want.items()):
            got = ", ".join(f"{arm} {counts.get(arm, 0)}" for arm in arms)
            exp = ", ".join(f"{arm} {n}" for arm, n in want.items())
            problems.append(
                f"{where}, field arm: {got}; expected {exp} (balanced to the ratio "
                f"{':'.join(map(str, ratio))})"
            )
    if not slots and not problems:
        problems.append(f"{source}: no rows; expected at least one slot")
    if problems:
        raise ScheduleProblems(problems)
    return tuple(sorted(slots, key=lambda s: (s.stratum, s.sequence)))


def read_schedule_csv(data: bytes) -> tuple[Slot, ...]:
    """Parse canonical CSV bytes back into slots (used to verify a stored schedule)."""
    reader = csv.reader(io.StringIO(data.decode("utf-8")))
    header = next(reader)
    if tuple(header) != CSV_COLUMNS:
        raise ScheduleError(f"unexpected CSV header {header}, expected {list(CSV_COLUMNS)}")
    slots = []
    for lineno, row in enumerate(reader, start=2):
        if len(row) != len(CSV_COLUMNS):
            raise ScheduleError(f"line {lineno}: expected {len(CSV_COLUMNS)} columns")
        slots.append(Slot(row[0], int(row[1]), int(row[2]), int(row[3]), row[4]))
    return tuple(slots)
