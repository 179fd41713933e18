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
