"""The stored schedule: sealed at rest, regenerates bit for bit from its sealed seed and
parameters; only the unblinded statistician sees or downloads it (with its seed, for the trial
master file); a schedule made elsewhere is validated before it is loaded."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from gvhdtrial import __version__
from gvhdtrial.randomization import ScheduleParams, ScheduleProblems, generate_schedule
from gvhdtrial.web.blinding import schedule_record, slot_arm
from gvhdtrial.web.keys import is_sealed
from gvhdtrial.web.randomization.models import Schedule, Slot
from gvhdtrial.web.randomization.services import load_external_schedule

from .conftest import Trial, screen

BLINDED = ("investigator", "pharmacist", "datamanager", "monitor", "admin")


def test_stored_schedule_regenerates_from_its_sealed_seed_and_parameters(trial: Trial) -> None:
    stored = Schedule.objects.get(active=True)
    assert is_sealed(stored.sealed)
    p, csv = schedule_record(stored.pk, stored.sealed)
    assert p["algorithm"] == "stratified-permuted-blocks/1" and p["seed"].bit_length() > 64
    assert stored.software_version == __version__
    regenerated = generate_schedule(
        ScheduleParams(
            seed=p["seed"],
            strata=tuple(p["strata"]),
            slots_per_stratum=p["slots_per_stratum"],
            arms=tuple(p["arms"]),
            ratio=tuple(p["ratio"]),
            block_sizes=tuple(p["block_sizes"]),
        )
    )
    assert regenerated.to_csv_bytes() == csv
    assert hashlib.sha256(csv).hexdigest() == p["sha256"] == regenerated.sha256
    slots = list(Slot.objects.filter(schedule=stored).order_by("stratum", "sequence"))
    assert len(slots) == len(regenerated.slots)
    assert [slot_arm(s) for s in slots[:50]] == [s.arm for s in regenerated.slots[:50]]
    assert all(is_sealed(s.arm) for s in slots)


@pytest.mark.parametrize("role", BLINDED)
def test_blinded_roles_can_neither_see_nor_download_the_schedule(trial: Trial, role: str) -> None:
    client = trial.client(role)
    for url in (
        "/randomization/schedule/",
        "/randomization/schedule.csv",
        "/randomization/schedule.meta.json",
        "/api/randomization/schedule",
        "/api/randomization/schedule.csv",
        "/api/randomization/allocations",
    ):
        assert client.get(url).status_code == 403, url


def test_the_statistician_downloads_the_schedule_and_its_seed_for_the_master_file(
    trial: Trial,
) -> None:
    client = trial.client("statistician")
    stored = Schedule.objects.get(active=True)
    record, csv = schedule_record(stored.pk, stored.sealed)
    for url in ("/randomization/schedule.csv", "/api/randomization/schedule.csv"):
        response = client.get(url)
        assert response.status_code == 200
        assert response.content == csv
        assert record["sha256"][:12] in response["Content-Disposition"]
    meta = client.get("/api/randomization/schedule").json()
    assert meta["sha256"] == record["sha256"] and meta["params"]["seed"] == record["seed"]
    tmf = json.loads(client.get("/randomization/schedule.meta.json").content)
    assert tmf["seed"] == record["seed"] and tmf["sha256"] == record["sha256"]
    page = client.get("/randomization/schedule/")
    assert page.status_code == 200 and record["sha256"].encode() in page.content


def _external(rows: list[str]) -> bytes:
    return ("stratum,sequence,block,block_size,arm\n" + "\n".join(rows) + "\n").encode()


def test_a_schedule_made_elsewhere_loads_sealed_and_randomizes(trial: Trial) -> None:
    rows = [f"C0{c},{i},{(i + 1) // 2},2,{'MSC' if i % 2 else 'placebo'}"
            for c in range(1, 8) for i in range(1, 11)]  # fmt: skip
    stored = load_external_schedule(trial.actor("statistician"), _external(rows), "sas.csv")
    assert stored.active and Slot.objects.filter(schedule=stored).count() == 70
    record, _ = schedule_record(stored.pk, stored.sealed)
    assert record["source"] == "sas.csv" and record["seed"] is None
    from gvhdtrial.web.randomization.services import randomize

    patient = screen(trial)
    result = randomize(trial.actor("investigator"), patient.pk)
    assert result.randomization_number == "C01-R0001"
    assert slot_arm(Slot.objects.get(patient=patient)) == "MSC"


def test_a_schedule_with_problems_loads_nothing(trial: Trial) -> None:
    before = list(Schedule.objects.values_list("pk", "active"))
    bad = _external(["C01,1,1,2,MSC", "C01,2,1,2,MSC", "C99,1,1,2,placebo"])
    with pytest.raises(ScheduleProblems) as err:
        load_external_schedule(trial.actor("statistician"), bad, "sas.csv")
    text = str(err.value)
    assert "sas.csv, row 4, field stratum: value 'C99'" in text
    assert "stratum 'C01', block 1, field arm: MSC 2, placebo 0; expected MSC 1, placebo 1" in text
    assert list(Schedule.objects.values_list("pk", "active")) == before
    from gvhdtrial.web.errors import Forbidden

    with pytest.raises(Forbidden):
        load_external_schedule(trial.actor("admin"), _external(["C01,1,1,2,MSC"]), "x.csv")


def test_schedule_commands_export_for_the_master_file_and_refuse_a_bad_file(
    trial: Trial, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from gvhdtrial.cli import app

    runner = CliRunner()
    out = tmp_path / "tmf"
    result = runner.invoke(app, ["web", "schedule", "export", "--out", str(out)])
    assert result.exit_code == 0, result.output
    stored = Schedule.objects.get(active=True)
    record, csv = schedule_record(stored.pk, stored.sealed)
    assert (out / "schedule.csv").read_bytes() == csv
    assert json.loads((out / "schedule.meta.json").read_text())["seed"] == record["seed"]
    assert (out / "schedule.csv").stat().st_mode & 0o777 == 0o600
    bad = tmp_path / "sas.csv"
    bad.write_bytes(_external(["C01,1,1,2,MSC", "C01,2,1,2,Verum"]))
    result = runner.invoke(app, ["web", "schedule", "load", str(bad)])
    assert result.exit_code == 1
    assert f"{bad}, row 3, field arm: value 'Verum'" in result.output
    assert Schedule.objects.get(active=True).pk == stored.pk
