"""The stored schedule: regenerates bit for bit from its recorded parameters; only the
unblinded statistician sees or downloads it."""

from __future__ import annotations

import hashlib

import pytest

from gvhdtrial import __version__
from gvhdtrial.randomization import ScheduleParams, generate_schedule
from gvhdtrial.web.randomization.models import Schedule, Slot

from .conftest import Trial

BLINDED = ("investigator", "pharmacist", "datamanager", "monitor", "admin")


def test_stored_schedule_regenerates_from_its_recorded_seed_and_parameters(trial: Trial) -> None:
    stored = Schedule.objects.get(active=True)
    p = stored.params
    assert p["algorithm"] == "stratified-permuted-blocks/1"
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
    assert regenerated.to_csv_bytes() == bytes(stored.csv)
    assert hashlib.sha256(bytes(stored.csv)).hexdigest() == stored.sha256 == regenerated.sha256
    assert Slot.objects.filter(schedule=stored).count() == len(regenerated.slots)


@pytest.mark.parametrize("role", BLINDED)
def test_blinded_roles_can_neither_see_nor_download_the_schedule(trial: Trial, role: str) -> None:
    client = trial.client(role)
    for url in (
        "/randomization/schedule/",
        "/randomization/schedule.csv",
        "/api/randomization/schedule",
        "/api/randomization/schedule.csv",
        "/api/randomization/allocations",
    ):
        assert client.get(url).status_code == 403, url


def test_the_statistician_downloads_the_exact_stored_bytes(trial: Trial) -> None:
    client = trial.client("statistician")
    stored = Schedule.objects.get(active=True)
    for url in ("/randomization/schedule.csv", "/api/randomization/schedule.csv"):
        response = client.get(url)
        assert response.status_code == 200
        assert response.content == bytes(stored.csv)
        assert stored.sha256[:12] in response["Content-Disposition"]
    meta = client.get("/api/randomization/schedule").json()
    assert meta["sha256"] == stored.sha256 and meta["params"]["seed"] == stored.params["seed"]
