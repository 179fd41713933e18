"""`gvhdtrial randomization generate` writes canonical CSV plus metadata; regenerating matches."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from typer.testing import CliRunner

from gvhdtrial.cli import app

runner = CliRunner()


def test_generate_writes_csv_and_metadata_and_verify_regenerates(tmp_path: Path) -> None:
    out = tmp_path / "schedule.csv"
    args = ["randomization", "generate", "--seed", "42", "--out", str(out), "--per-stratum", "12"]
    args += ["--factor", "grade=II,III-IV", "--block-sizes", "2,4,6"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    meta = json.loads((tmp_path / "schedule.csv.meta.json").read_text())
    assert meta["seed"] == 42 and meta["block_sizes"] == [2, 4, 6] and len(meta["strata"]) == 14
    assert (
        meta["software_version"] and meta["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    )
    first = out.read_bytes()
    assert runner.invoke(app, args).exit_code == 0
    assert out.read_bytes() == first
    assert runner.invoke(app, ["randomization", "verify", str(out)]).exit_code == 0
    out.write_bytes(first.replace(b"MSC", b"placebo", 1))
    assert runner.invoke(app, ["randomization", "verify", str(out)]).exit_code == 1


def test_generate_refuses_block_sizes_that_do_not_fit_the_ratio(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["randomization", "generate", "--seed", "1", "--out", str(tmp_path / "x.csv"),
         "--ratio", "2:1", "--block-sizes", "2,4"],
    )  # fmt: skip
    assert result.exit_code != 0


def test_generate_without_a_seed_draws_one_from_the_csprng_and_records_it(tmp_path: Path) -> None:
    seeds = []
    for name in ("a.csv", "b.csv"):
        out = tmp_path / name
        result = runner.invoke(app, ["randomization", "generate", "--out", str(out)])
        assert result.exit_code == 0, result.output
        meta = json.loads((tmp_path / f"{name}.meta.json").read_text())
        seeds.append(meta["seed"])
        assert out.stat().st_mode & 0o777 == 0o600  # the file unblinds: statistician only
        assert runner.invoke(app, ["randomization", "verify", str(out)]).exit_code == 0
    assert seeds[0] != seeds[1] and min(seeds) > 2**64  # 128-bit draws (p < 2^-63 otherwise)


def test_validate_names_every_problem_of_a_schedule_made_elsewhere(tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text("stratum,sequence,block,block_size,arm\nC01,1,1,2,placebo\nC01,2,1,2,MSC\n")
    result = runner.invoke(app, ["randomization", "validate", str(good)])
    assert result.exit_code == 0 and "OK: 2 slots in 1 strata" in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text("stratum,sequence,block,block_size,arm\nC01,1,1,2,MSC\nC01,3,1,2,MSC\n")
    result = runner.invoke(app, ["randomization", "validate", str(bad)])
    assert result.exit_code == 1
    assert "positions 2 missing" in result.output
    assert "field arm: MSC 2, placebo 0; expected MSC 1, placebo 1" in result.output
