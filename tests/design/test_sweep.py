"""Sweeps: identical tables whatever runs the blocks (in process, or a 2-worker Dask
LocalCluster), rates that agree with the exact enumeration, and the plots."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from gvhdtrial.design import exact_rates, group_sequential
from gvhdtrial.design.simulation import BLOCK
from gvhdtrial.design.sweep import grid, plot_sweep, sweep_rates

DESIGN = group_sequential(k_max=3, type_of_design="asOF", type_beta_spending="bsOF")
SCENARIOS = grid(DESIGN, [0.35, 0.55], [0.35], [40, 80, 120])
ITERATIONS = BLOCK + 5_000  # two blocks per scenario


@pytest.fixture(scope="module")
def local_table() -> pd.DataFrame:
    return sweep_rates(SCENARIOS, iterations=ITERATIONS, seed=3, n_workers=0, progress=False)


@pytest.mark.slow
def test_dask_two_workers_bit_identical_to_single_process(local_table):
    dask_table = sweep_rates(
        SCENARIOS, iterations=ITERATIONS, seed=3, n_workers=2, processes=False, progress=False
    )
    pd.testing.assert_frame_equal(dask_table, local_table, check_exact=True)


def test_sweep_is_tidy_and_agrees_with_exact(local_table):
    assert list(local_table["look"]) == [1, 2, 3, 1, 2, 3]
    for sc in SCENARIOS:
        rows = local_table[local_table["pi1"] == sc.pi1]
        ex = exact_rates(DESIGN, pi1=sc.pi1, pi2=sc.pi2, planned_subjects=sc.planned_subjects)
        p = rows["overall_reject"].iloc[0]
        se = math.sqrt(ex.overall_reject * (1 - ex.overall_reject) / ITERATIONS)
        assert abs(p - ex.overall_reject) <= 4 * se


def test_plot_is_written(local_table, tmp_path):
    out = tmp_path / "sweep.png"
    plot_sweep(local_table, out)
    assert out.stat().st_size > 5_000
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_empty_sweep_is_refused():
    with pytest.raises(ValueError, match="no scenarios"):
        sweep_rates([], iterations=10, n_workers=0, progress=False)


@pytest.mark.slow
def test_scheduler_address_runs_on_that_scheduler(local_table):
    """``scheduler_address`` connects to an existing scheduler (here a local one)."""
    from dask.distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        table = sweep_rates(
            SCENARIOS,
            iterations=ITERATIONS,
            seed=3,
            scheduler_address=cluster.scheduler_address,
            progress=False,
        )
    pd.testing.assert_frame_equal(table, local_table, check_exact=True)


def test_stopping_probabilities_add_up_to_one(local_table):
    """Every simulated trial stops at exactly one look."""
    totals = local_table.groupby("scenario")["stop"].sum()
    assert totals.to_numpy() == pytest.approx(1.0, abs=1e-12)
