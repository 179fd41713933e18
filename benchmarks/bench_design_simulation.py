"""Trial simulation: gvhdtrial.design against rpact's getSimulationRates, on one run.

    .venv/bin/python benchmarks/bench_design_simulation.py
    .venv/bin/python benchmarks/bench_design_simulation.py --ours 4000000 --rpact 50000

1. The same 3-look binary design (asOF alpha spending, bsOF beta spending, one-sided
   alpha 0.025, non-binding futility; 60/120/180 patients, ORR 55 % vs 35 %) simulated by
   ``rpact::getSimulationRates`` (Rscript subprocess, timed with ``system.time`` around
   the call) and by ``gvhdtrial.design.simulate_rates`` (one process). Both rejection
   probabilities are printed next to the exact one (enumeration), trials per second and
   their ratio.
2. The same simulation as a sweep on a ``dask.distributed.LocalCluster`` with 2 worker
   processes (started and warmed up before the clock starts), checked bit-identical to the
   single-process sweep.
3. Patient-level trials (day-28 response through the protocol engine, ORR by the analysis
   plan's rule, a competing-risks endpoint by Gray's test): trials per second in one
   process and on the 2-worker cluster; and, on the same seed in the same run, the
   simulator as it was before batching (each trial drawn alone and tested with
   ``gray_test``) against the batched one (trials x patients arrays, ``gray_test_batch``),
   with their rejection counts. ``--patients-only`` runs just this comparison (no R, no
   cluster).

R (with rpact) is needed only here; the test suite never calls it.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from dask.distributed import Client, LocalCluster
from rich.console import Console
from rich.table import Table

from gvhdtrial.design import exact_rates, group_sequential, simulate_rates
from gvhdtrial.design.exact import sap_p_value
from gvhdtrial.design.patients import PatientTrialScenario
from gvhdtrial.design.sweep import RatesScenario, run_counts, sweep_rates
from gvhdtrial.stats import gray_test

PI1, PI2 = 0.55, 0.35
PLANNED = (60, 120, 180)

R_SCRIPT = r"""
suppressPackageStartupMessages(library(rpact))
args <- commandArgs(trailingOnly = TRUE)
n <- as.integer(args[1])
d <- getDesignGroupSequential(kMax = 3, alpha = 0.025, beta = 0.2, typeOfDesign = "asOF",
                              typeBetaSpending = "bsOF")
tm <- system.time(
  s <- getSimulationRates(d, pi1 = 0.55, pi2 = 0.35, plannedSubjects = c(60, 120, 180),
                          maxNumberOfIterations = n, seed = 12345)
)
cat(sprintf("%.17g", c(tm[["elapsed"]], s$overallReject, as.numeric(s$rejectPerStage))),
    sep = "\n", file = args[2])
cat(as.character(packageVersion("rpact")), "\n", file = args[3])
"""


def run_rpact(n: int) -> tuple[float, float, str]:
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "sim.R"
        script.write_text(R_SCRIPT)
        out, ver = Path(tmp) / "out.txt", Path(tmp) / "ver.txt"
        subprocess.run(["Rscript", str(script), str(n), str(out), str(ver)], check=True)
        vals = [float(x) for x in out.read_text().split()]
        return vals[0], vals[1], ver.read_text().strip()


def one_at_a_time(scenario: PatientTrialScenario, iterations: int, seed: int) -> np.ndarray:
    """The simulator before batching: each trial drawn alone, Gray's test by gray_test."""
    rng = np.random.default_rng(seed)
    n = scenario.n_subjects
    out = np.zeros(2, dtype=np.int64)
    for _ in range(iterations):
        x1, n1, x2, time, status, arm = scenario.draw_trials(rng, 1)
        a, m, b = int(x1[0]), int(n1[0]), int(x2[0])
        out[0] += sap_p_value(a, m, b, n - m) <= scenario.alpha and a * (n - m) > b * m
        if (status[0] == 1).any():
            out[1] += gray_test(time[0], status[0], arm[0]).p_value <= scenario.alpha
    return out


def patients_before_after(console: Console, iterations: int) -> None:
    """Trials per second one at a time (before) and batched (after), same seed, one run."""
    patient = PatientTrialScenario(n_subjects=120, label="patients")
    # the analysis plan's p-values are cached per table: warm the cache for both sides
    patient.block(iterations, np.random.SeedSequence(11))
    one_at_a_time(patient, iterations, 11)
    t0 = time.perf_counter()
    before = one_at_a_time(patient, iterations, 11)
    t_before = time.perf_counter() - t0
    t0 = time.perf_counter()
    after = patient.block(iterations, np.random.SeedSequence(11))
    t_after = time.perf_counter() - t0
    table = Table(title=f"patient-level trials, 120 patients, {iterations:,} trials, 1 process")
    for col in ("simulator", "seconds", "trials/s", "ORR rejects", "Gray rejects"):
        table.add_column(col, justify="right")
    table.add_row(
        "one trial at a time, gray_test (before)",
        f"{t_before:.2f}",
        f"{iterations / t_before:,.0f}",
        f"{before[0]}",
        f"{before[1]}",
    )
    table.add_row(
        "batched, gray_test_batch (after)",
        f"{t_after:.2f}",
        f"{iterations / t_after:,.0f}",
        f"{after[0]}",
        f"{after[1]}",
    )
    console.print(table)
    console.print(f"ratio batched / one at a time, trials per second: {t_before / t_after:.1f}x")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ours", type=int, default=2_000_000, help="trials simulated by gvhdtrial")
    ap.add_argument("--rpact", type=int, default=20_000, help="trials simulated by rpact")
    ap.add_argument("--patients", type=int, default=2000, help="patient-level trials")
    ap.add_argument(
        "--patients-only", action="store_true", help="only the patient-level before/after"
    )
    args = ap.parse_args()
    console = Console()
    patients_before_after(console, args.patients)
    if args.patients_only:
        return 0
    design = group_sequential(k_max=3, type_of_design="asOF", type_beta_spending="bsOF")
    exact = exact_rates(design, pi1=PI1, pi2=PI2, planned_subjects=PLANNED).overall_reject

    r_time, r_power, r_version = run_rpact(args.rpact)
    simulate_rates(
        design, pi1=PI1, pi2=PI2, planned_subjects=PLANNED, max_number_of_iterations=100_000, seed=1
    )  # warm-up
    t0 = time.perf_counter()
    ours = simulate_rates(
        design,
        pi1=PI1,
        pi2=PI2,
        planned_subjects=PLANNED,
        max_number_of_iterations=args.ours,
        seed=12345,
    )
    t_ours = time.perf_counter() - t0

    scen = [RatesScenario(design, PI1, PI2, PLANNED, label="bench")]
    single = sweep_rates(scen, iterations=args.ours, seed=7, n_workers=0, progress=False)
    patient = PatientTrialScenario(n_subjects=120, label="patients", block_size=50)
    t0 = time.perf_counter()
    pat1 = run_counts([patient], iterations=args.patients, seed=3, n_workers=0, progress=False)
    t_pat1 = time.perf_counter() - t0

    # the cluster is started and warmed up (imports, first task) before the timed runs
    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    client = Client(cluster)
    try:
        sweep_rates(scen, iterations=1000, seed=1, client=client, progress=False)
        run_counts([patient], iterations=4, seed=1, client=client, progress=False)
        t0 = time.perf_counter()
        on_dask = sweep_rates(scen, iterations=args.ours, seed=7, client=client)
        t_dask = time.perf_counter() - t0
        t0 = time.perf_counter()
        pat2 = run_counts([patient], iterations=args.patients, seed=3, client=client)
        t_pat2 = time.perf_counter() - t0
    finally:
        client.close()
        cluster.close()
    identical = single.equals(on_dask) and all(
        np.array_equal(a, b) for a, b in zip(pat1, pat2, strict=True)
    )
    pd.testing.assert_frame_equal(single, on_dask, check_exact=True)

    table = Table(title="3-look binary design (asOF/bsOF), ORR 55 % vs 35 %, N = 60/120/180")
    for col in ("run", "trials", "seconds", "trials/s", "P(reject H0)"):
        table.add_column(col, justify="right")
    r_rate = args.rpact / r_time
    table.add_row(
        f"rpact {r_version} getSimulationRates",
        f"{args.rpact:,}",
        f"{r_time:.2f}",
        f"{r_rate:,.0f}",
        f"{r_power:.4f}",
    )
    o_rate = args.ours / t_ours
    table.add_row(
        "gvhdtrial simulate_rates, 1 process",
        f"{args.ours:,}",
        f"{t_ours:.2f}",
        f"{o_rate:,.0f}",
        f"{ours.overall_reject:.4f}",
    )
    d_rate = args.ours / t_dask
    table.add_row(
        "gvhdtrial sweep, LocalCluster 2 workers",
        f"{args.ours:,}",
        f"{t_dask:.2f}",
        f"{d_rate:,.0f}",
        f"{on_dask['overall_reject'].iloc[0]:.4f}",
    )
    table.add_row("exact (enumeration of the counts)", "", "", "", f"{exact:.4f}")
    console.print(table)
    console.print(
        f"ratio gvhdtrial (1 process) / rpact, trials per second: {o_rate / r_rate:,.0f}x"
    )
    console.print(
        f"ratio gvhdtrial (2 workers) / rpact, trials per second: {d_rate / r_rate:,.0f}x"
    )
    console.print(
        f"LocalCluster (2 worker processes) results bit-identical to one process: {identical}"
    )
    console.print(
        f"patient-level trials (120 patients, protocol engine, SAP rule, Gray's test): "
        f"{args.patients / t_pat1:,.0f} trials/s in 1 process, "
        f"{args.patients / t_pat2:,.0f} trials/s on 2 workers"
    )
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
