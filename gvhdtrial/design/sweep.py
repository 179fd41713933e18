"""Sweeps of simulated trials over a grid of scenarios, on Dask.

Each scenario gets the i-th child of ``SeedSequence(seed)``; its trials are simulated in
blocks (the scenario's ``block_size``, by default ``gvhdtrial.design.simulation.BLOCK``
trials), block b with the b-th child of the
scenario's seed. A block's result is a vector of integer counts, and a scenario's result
is their sum, so the table is the same bit for bit whether the blocks run in this process
(``n_workers=0``), on a ``dask.distributed.LocalCluster`` (the default, ``n_workers``
processes) or on any scheduler (``scheduler_address``), with any number of workers.

The result is a tidy table (one row per scenario and look) and :func:`plot_sweep` draws
the power curves and the stopping probabilities.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from gvhdtrial.design.group_sequential import TrialDesign
from gvhdtrial.design.simulation import (
    BLOCK,
    _arm_sizes,
    _decision_tables,
    _simulate_block,
)


@dataclass(frozen=True)
class RatesScenario:
    """One point of a sweep of two-rate trials."""

    design: TrialDesign
    pi1: float
    pi2: float
    planned_subjects: tuple[float, ...]
    allocation_ratio_planned: float = 1.0
    label: str = ""

    def block(self, size: int, seed: np.random.SeedSequence) -> np.ndarray:
        n1, n2 = _arm_sizes(self.planned_subjects, self.design.k_max, self.allocation_ratio_planned)
        tables = _decision_tables(self.design, n1, n2)
        r, f = _simulate_block(self.design, n1, n2, self.pi1, self.pi2, size, seed, tables)
        return np.concatenate([r, f])

    def row(self) -> dict[str, Any]:
        return {
            "scenario": self.label,
            "design": self.design.type_of_design,
            "k_max": self.design.k_max,
            "pi1": self.pi1,
            "pi2": self.pi2,
            "max_number_of_subjects": self.planned_subjects[-1],
        }


def _run_block(scenario: Any, size: int, seed: np.random.SeedSequence) -> np.ndarray:
    return scenario.block(size, seed)


def _tasks(scenarios: Sequence[Any], iterations: int, seed: int):
    children = np.random.SeedSequence(seed).spawn(len(scenarios))
    tasks = []
    for i, child in enumerate(children):
        block = getattr(scenarios[i], "block_size", BLOCK)
        n_blocks = -(-iterations // block)
        block_seeds = child.spawn(n_blocks)
        for b in range(n_blocks):
            size = block if b < n_blocks - 1 else iterations - block * (n_blocks - 1)
            tasks.append((i, size, block_seeds[b]))
    return tasks


def run_counts(
    scenarios: Sequence[Any],
    *,
    iterations: int,
    seed: int,
    n_workers: int = 2,
    scheduler_address: str | None = None,
    processes: bool = True,
    progress: bool = True,
    client: Any = None,
) -> list[np.ndarray]:
    """Summed count vectors of every scenario (module docstring)."""
    if iterations <= 0:
        raise ValueError(f"iterations must be > 0, got {iterations}")
    if not scenarios:
        raise ValueError("no scenarios to run")
    tasks = _tasks(scenarios, iterations, seed)
    totals: list[np.ndarray | None] = [None] * len(scenarios)

    def add(i: int, counts: np.ndarray) -> None:
        totals[i] = counts if totals[i] is None else totals[i] + counts

    with Progress(
        TextColumn("simulating"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        disable=not progress,
        transient=True,
    ) as bar:
        job = bar.add_task("blocks", total=len(tasks))
        if client is not None:
            _submit_all(client, scenarios, tasks, add, lambda: bar.advance(job))
        elif n_workers == 0 and scheduler_address is None:
            for i, size, s in tasks:
                add(i, _run_block(scenarios[i], size, s))
                bar.advance(job)
        else:
            _run_on_dask(
                scenarios,
                tasks,
                add,
                lambda: bar.advance(job),
                n_workers,
                scheduler_address,
                processes,
            )
    return [t for t in totals if t is not None]


def _submit_all(client, scenarios, tasks, add, tick) -> None:
    from dask.distributed import as_completed

    futures = {}
    scattered = client.scatter(list(scenarios), broadcast=True)
    for i, size, s in tasks:
        futures[client.submit(_run_block, scattered[i], size, s, pure=False)] = i
    for fut in as_completed(futures):
        add(futures[fut], fut.result())
        tick()


def _run_on_dask(scenarios, tasks, add, tick, n_workers, scheduler_address, processes) -> None:
    from dask.distributed import Client, LocalCluster

    cluster = None
    if scheduler_address is None:
        cluster = LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=processes,
            dashboard_address=None,
        )
        client = Client(cluster)
    else:
        client = Client(scheduler_address)
    try:
        _submit_all(client, scenarios, tasks, add, tick)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def sweep_rates(
    scenarios: Sequence[RatesScenario],
    *,
    iterations: int = 100_000,
    seed: int = 20240101,
    n_workers: int = 2,
    scheduler_address: str | None = None,
    processes: bool = True,
    progress: bool = True,
    client: Any = None,
) -> pd.DataFrame:
    """Simulate every scenario; a tidy table with one row per scenario and look.

    ``client``: an existing ``dask.distributed.Client`` to run on (else one is made).
    """
    counts = run_counts(
        scenarios,
        iterations=iterations,
        seed=seed,
        n_workers=n_workers,
        scheduler_address=scheduler_address,
        processes=processes,
        progress=progress,
        client=client,
    )
    rows = []
    for sc, c in zip(scenarios, counts, strict=True):
        k = sc.design.k_max
        reject = c[:k] / iterations
        stop_other = c[k:] / iterations
        total = np.asarray(sc.planned_subjects, dtype=float)
        expected_n = float(np.dot(total, reject + stop_other))
        for look in range(k):
            rows.append(
                {
                    **sc.row(),
                    "look": look + 1,
                    "subjects": total[look],
                    "reject": reject[look],
                    "futility": stop_other[look] if look < k - 1 else 0.0,
                    # the trial ends here: rejection, futility, or the last look's acceptance
                    "stop": reject[look] + stop_other[look],
                    "cumulative_reject": float(reject[: look + 1].sum()),
                    "overall_reject": float(reject.sum()),
                    "expected_number_of_subjects": expected_n,
                    "iterations": iterations,
                }
            )
    return pd.DataFrame(rows)


def plot_sweep(table: pd.DataFrame, path, x: str = "pi1", by: str = "pi2") -> None:
    """Power curve (overall rejection against ``x``) and stopping probabilities by look."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    per = table[table["look"] == 1].copy()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    groups = per.groupby(by) if by in per else [("", per)]
    for name, g in groups:
        g = g.sort_values(x)
        ax1.plot(g[x], g["overall_reject"], marker="o", label=f"{by} = {name}")
    ax1.set_xlabel(x)
    ax1.set_ylabel("probability of rejecting H0")
    ax1.axhline(0.8, color="grey", lw=0.5, ls="--")
    ax1.set_ylim(0, 1)
    if by in per:
        ax1.legend(fontsize=8)
    labels = list(dict.fromkeys(table["scenario"]))
    bottoms = None
    for look in sorted(table["look"].unique()):
        sub = table[table["look"] == look].set_index("scenario")
        vals = sub["stop"].reindex(labels).to_numpy()
        ax2.bar(range(len(vals)), vals, bottom=bottoms, label=f"look {look}")
        bottoms = vals if bottoms is None else bottoms + vals
    ax2.set_xticks(range(len(labels)), labels, rotation=60, ha="right", fontsize=7)
    ax2.set_ylabel("probability of stopping at the look")
    ax2.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def grid(
    design: TrialDesign,
    pi1_values: Sequence[float],
    pi2_values: Sequence[float],
    planned_subjects: Sequence[float],
    allocation_ratio_planned: float = 1.0,
) -> list[RatesScenario]:
    """Every (pi1, pi2) pair of the two lists as a scenario."""
    return [
        RatesScenario(
            design,
            float(p1),
            float(p2),
            tuple(float(n) for n in planned_subjects),
            allocation_ratio_planned,
            f"pi1={p1:g} pi2={p2:g}",
        )
        for p2 in pi2_values
        for p1 in pi1_values
    ]


__all__: list[str] = ["RatesScenario", "grid", "plot_sweep", "run_counts", "sweep_rates"]
