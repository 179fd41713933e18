"""Registry-scale models: this engine, R and the Python peers side by side, ratios printed.

    .venv/bin/pip install -e '.[bench]'                # lifelines, scikit-survival, comprisk
    .venv/bin/python benchmarks/bench_registry.py      # n = 1,000,000 (issue 14's targets)
    .venv/bin/python benchmarks/bench_registry.py --n 50000 --peer-max-n 50000

Two fits on the same simulated data (5 covariates, continuous times), each timed around
the fit only:

* Cox, Efron ties, 4 strata and a cluster-robust (sandwich) variance with clusters of ~5
  rows: ``gvhdtrial.stats.cox(strata=, cluster=)`` against R ``coxph(... + strata(s),
  cluster = id)``, lifelines ``CoxPHFitter(strata=, cluster_col=)``, and scikit-survival's
  ``CoxPHSurvivalAnalysis`` (which has neither strata nor a robust variance: timed on the
  plain model, marked so). Targets: <= 0.5 x coxph's time, >= 10 x faster than lifelines.
* Fine-Gray with crr's exact sandwich standard errors: ``gvhdtrial.stats.fine_gray`` at n
  (target: <= 3 s at n = 1,000,000) and comprisk's ``FineGrayRegression`` (robust_se=True,
  its per-subject approximation) on the same data; R ``cmprsk::crr`` is O(n^2) per
  iteration and cannot fit 10^6 rows, so it and ours are also timed on the first
  ``--crr-n`` rows (default 4,000), where the ratio is printed.

Both sides run with timefix off (R: ``timefix = FALSE``) so that the same times are
compared. Peers that are not installed, or n above ``--peer-max-n``, are reported as
"not run". Coefficients are checked against R (1e-6 relative). R with survival and cmprsk is
needed only here.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from gvhdtrial.stats import cox, fine_gray

COV = ["x1", "x2", "x3", "x4", "x5"]
BETA = np.array([0.5, -0.3, 0.2, 0.0, 0.1])

R_COX = r"""
suppressPackageStartupMessages(library(survival))
a <- commandArgs(trailingOnly = TRUE)
d <- read.csv(a[1])
tm <- system.time(fit <- coxph(Surv(time, event) ~ x1 + x2 + x3 + x4 + x5 + strata(s),
  cluster = id, data = d, ties = "efron",
  control = coxph.control(eps = 1e-11, iter.max = 100, timefix = FALSE)))
cat(sprintf("%.17g", c(tm[["elapsed"]], coef(fit), sqrt(diag(vcov(fit))))), sep = "\n",
    file = a[2])
"""
R_CRR = r"""
suppressPackageStartupMessages(library(cmprsk))
a <- commandArgs(trailingOnly = TRUE)
d <- read.csv(a[1])
cv <- as.matrix(d[, c("x1", "x2", "x3", "x4", "x5")])
tm <- system.time(fit <- crr(d$time, d$status, cv, gtol = 1e-13, maxiter = 200))
cat(sprintf("%.17g", c(tm[["elapsed"]], fit$coef, sqrt(diag(fit$var)))), sep = "\n",
    file = a[2])
"""


def simulate(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, len(COV)))
    x[:, 1] = rng.binomial(1, 0.4, size=n)
    s = rng.integers(1, 5, size=n)
    t1 = rng.exponential(np.exp(-x @ BETA) * (1 + 0.2 * s))
    t2 = rng.exponential(3.0, size=n)
    c = rng.exponential(2.5, size=n)
    time_ = np.minimum(np.minimum(t1, t2), c)
    status = np.where(time_ == c, 0, np.where(t1 < t2, 1, 2))
    d = pd.DataFrame(np.round(x, 8), columns=COV)
    d.insert(0, "s", s)
    d.insert(0, "id", np.arange(n) // 5)
    d.insert(0, "status", status)
    d.insert(0, "event", (status == 1).astype(int))
    d.insert(0, "time", np.round(time_, 10))
    return d


def run_r(script: str, csv: Path, work: Path) -> tuple[float, np.ndarray]:
    f, out = work / "fit.R", work / "out.txt"
    f.write_text(script)
    subprocess.run(["Rscript", str(f), str(csv), str(out)], check=True)
    v = np.array([float(x) for x in out.read_text().split()])
    return float(v[0]), v[1 : 1 + len(COV)]


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    res = fn()
    return time.perf_counter() - start, res


def timed_cpu(fn: Callable[[], object]) -> tuple[float, float, object]:
    """Wall-clock and CPU seconds of this process (CPU time is what a shared, loaded
    machine does not inflate; with BLAS threads it can exceed the wall-clock)."""
    start, cpu = time.perf_counter(), time.process_time()
    res = fn()
    return time.perf_counter() - start, time.process_time() - cpu, res


def lifelines_cox(d: pd.DataFrame) -> float | None:
    try:
        from lifelines import CoxPHFitter
    except ImportError:
        return None
    df = d[["time", "event", "s", "id", *COV]]
    sec, _ = timed(lambda: CoxPHFitter().fit(df, "time", "event", strata=["s"], cluster_col="id"))
    return sec


def sksurv_cox(d: pd.DataFrame) -> float | None:
    try:
        from sksurv.linear_model import CoxPHSurvivalAnalysis
        from sksurv.util import Surv
    except ImportError:
        return None
    y = Surv.from_arrays(d["event"].astype(bool).to_numpy(), d["time"].to_numpy())
    sec, _ = timed(lambda: CoxPHSurvivalAnalysis(ties="efron").fit(d[COV].to_numpy(), y))
    return sec


def comprisk_fg(d: pd.DataFrame) -> float | None:
    try:
        from comprisk import FineGrayRegression
    except ImportError:
        return None
    X = d[COV].to_numpy()
    sec, _ = timed(
        lambda: FineGrayRegression(max_iter=50, robust_se=True).fit(
            X, time=d["time"].to_numpy(), event=d["status"].to_numpy()
        )
    )
    return sec


def ratio(a: float, b: float | None) -> str:
    return "not run" if b is None else f"{a / b:.3f}"


def secs(v: float | None) -> str:
    return "not run" if v is None else f"{v:.2f}"


def bench(
    n: int,
    seed: int,
    peer_max_n: int,
    crr_n: int,
    progress: Progress,
    *,
    lifelines_full: bool = False,
    with_r: bool = True,
    with_fg: bool = True,
    with_cox: bool = True,
) -> dict[str, object]:
    task = progress.add_task(f"n = {n:,}: simulating", total=None)
    d = simulate(n, seed)
    out: dict[str, object] = {"n": n}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        csv = work / "d.csv"
        d.to_csv(csv, index=False, float_format="%.17g")
        d = pd.read_csv(csv, float_precision="round_trip")
        X = d[COV]
        out["cox_ours"] = out["cox_ours_cpu"] = out["cox_r"] = out["cox_rel"] = None
        out["cox_lifelines"] = out["cox_sksurv"] = None
        if with_cox:
            progress.update(task, description=f"n = {n:,}: gvhdtrial cox (strata, cluster)")
            out["cox_ours"], out["cox_ours_cpu"], fit = timed_cpu(
                lambda: cox(d["time"], d["event"], X, strata=d["s"], cluster=d["id"], timefix=False)
            )
        if with_cox and with_r:
            progress.update(task, description=f"n = {n:,}: R coxph (strata, cluster)")
            out["cox_r"], coef_r = run_r(R_COX, csv, work)
            out["cox_rel"] = float(np.max(np.abs(fit.coef - coef_r) / np.abs(coef_r)))  # type: ignore[attr-defined]
        peers = n <= peer_max_n
        if with_cox:
            progress.update(task, description=f"n = {n:,}: lifelines (strata, cluster)")
            out["cox_lifelines"] = lifelines_cox(d) if peers or lifelines_full else None
            progress.update(task, description=f"n = {n:,}: scikit-survival")
            out["cox_sksurv"] = sksurv_cox(d) if peers else None
        out["fg_ours"] = out["fg_ours_cpu"] = out["fg_small_ours"] = None
        out["fg_r"] = out["fg_rel"] = None
        out["crr_n"], out["fg_comprisk"] = 0, None
        if not with_fg:
            progress.remove_task(task)
            return out
        progress.update(task, description=f"n = {n:,}: gvhdtrial fine_gray (crr SEs)")
        out["fg_ours"], out["fg_ours_cpu"], _ = timed_cpu(
            lambda: fine_gray(d["time"], d["status"], X)
        )
        progress.update(task, description=f"n = {n:,}: R cmprsk::crr on {crr_n:,} rows")
        small = d.iloc[:crr_n]
        csv_small = work / "small.csv"
        small.to_csv(csv_small, index=False, float_format="%.17g")
        out["fg_small_ours"], fg_small = timed(
            lambda: fine_gray(small["time"], small["status"], small[COV])
        )
        out["fg_r"], coef_fg = run_r(R_CRR, csv_small, work)
        out["fg_rel"] = float(np.max(np.abs(fg_small.coef - coef_fg) / np.abs(coef_fg)))  # type: ignore[attr-defined]
        out["crr_n"] = len(small)
        progress.update(task, description=f"n = {n:,}: comprisk")
        out["fg_comprisk"] = comprisk_fg(d) if peers else None
    progress.remove_task(task)
    return out


def opt(v: object, fmt: str) -> str:
    return "not run" if v is None else format(v, fmt)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, nargs="*", default=[1_000_000])
    parser.add_argument("--peer-max-n", type=int, default=1_000_000)
    parser.add_argument("--crr-n", type=int, default=4_000)
    parser.add_argument("--seed", type=int, default=1414)
    parser.add_argument(
        "--lifelines-full",
        action="store_true",
        help="run lifelines at every n, above --peer-max-n too (about half an hour at 10^6)",
    )
    parser.add_argument("--no-r", action="store_true", help="skip R's coxph (42 min at 10^6)")
    parser.add_argument("--cox-only", action="store_true", help="skip the Fine-Gray fits")
    parser.add_argument("--fg-only", action="store_true", help="skip the Cox fits")
    args = parser.parse_args()
    console = Console(width=160)
    rows = []
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
    ) as progress:
        for n in args.n:
            rows.append(
                bench(
                    n,
                    args.seed + n,
                    args.peer_max_n,
                    args.crr_n,
                    progress,
                    lifelines_full=args.lifelines_full,
                    with_r=not args.no_r,
                    with_fg=not args.cox_only,
                    with_cox=not args.fg_only,
                )
            )
            r = rows[-1]
            progress.console.print(
                f"n = {n:,}: cox ours {secs(r['cox_ours'])} s (CPU {secs(r['cox_ours_cpu'])}), "  # type: ignore[arg-type]
                f"R {secs(r['cox_r'])}, lifelines {secs(r['cox_lifelines'])}, "  # type: ignore[arg-type]
                f"sksurv {secs(r['cox_sksurv'])}; fine_gray ours {secs(r['fg_ours'])} s "  # type: ignore[arg-type]
                f"(CPU {secs(r['fg_ours_cpu'])}), comprisk {secs(r['fg_comprisk'])}"  # type: ignore[arg-type]
            )
    cox_t = Table(title="Cox, Efron, 5 covariates, 4 strata, cluster-robust SE (seconds)")
    for c in [
        "n",
        "gvhdtrial",
        "R coxph",
        "ours/R",
        "lifelines",
        "ours/lifelines",
        "sksurv (no strata/cluster)",
        "ours/sksurv",
        "max rel coef vs R",
    ]:
        cox_t.add_column(c, justify="right")
    fg_t = Table(title="Fine-Gray, 5 covariates, crr's exact sandwich SE (seconds)")
    for c in [
        "n",
        "gvhdtrial",
        "gvhdtrial CPU",
        "comprisk",
        "ours/comprisk",
        "crr rows",
        "gvhdtrial there",
        "R crr there",
        "ours/R",
        "max rel coef vs R",
    ]:
        fg_t.add_column(c, justify="right")
    for r in rows:
        cr, ll, sk = r["cox_r"], r["cox_lifelines"], r["cox_sksurv"]
        co = float(r["cox_ours"] or "nan")  # type: ignore[arg-type]
        cox_t.add_row(
            f"{r['n']:,}",
            f"{co:.2f}",
            secs(cr),  # type: ignore[arg-type]
            ratio(co, cr),  # type: ignore[arg-type]
            secs(ll),  # type: ignore[arg-type]
            ratio(co, ll),  # type: ignore[arg-type]
            secs(sk),  # type: ignore[arg-type]
            ratio(co, sk),  # type: ignore[arg-type]
            opt(r["cox_rel"], ".1e"),
        )
        if r["fg_ours"] is None:
            continue
        fo, fs, fr = (float(r[k]) for k in ("fg_ours", "fg_small_ours", "fg_r"))  # type: ignore[arg-type]
        cp = r["fg_comprisk"]
        fg_t.add_row(
            f"{r['n']:,}",
            f"{fo:.2f}",
            f"{float(r['fg_ours_cpu']):.2f}",  # type: ignore[arg-type]
            secs(cp),  # type: ignore[arg-type]
            ratio(fo, cp),  # type: ignore[arg-type]
            f"{r['crr_n']:,}",
            f"{fs:.3f}",
            f"{fr:.3f}",
            f"{fs / fr:.3f}",
            f"{r['fg_rel']:.1e}",
        )
    if not args.fg_only:
        console.print(cox_t)
    if fg_t.row_count:
        console.print(fg_t)
    ran = [(int(r["n"]), float(r["cox_lifelines"])) for r in rows if r["cox_lifelines"]]  # type: ignore[arg-type]
    for (n1, t1), (n2, t2) in pairwise(ran):
        k = np.log(t2 / t1) / np.log(n2 / n1)
        console.print(f"lifelines measured scaling {n1:,} -> {n2:,}: time ~ n^{k:.2f}")
    if len(ran) >= 2:
        (n1, t1), (n2, t2) = ran[-2], ran[-1]
        k = np.log(t2 / t1) / np.log(n2 / n1)
        for r in rows:
            n = int(r["n"])  # type: ignore[call-overload]
            if n > n2 and r["cox_lifelines"] is None:
                est = t2 * (n / n2) ** k
                console.print(
                    f"lifelines at {n:,} EXTRAPOLATED (not measured) as {t2:.1f} s x "
                    f"({n:,} / {n2:,})^{k:.2f} = {est:.0f} s; ours measured "
                    f"{float(r['cox_ours']):.2f} s there: ours/lifelines ~ "  # type: ignore[arg-type]
                    f"{float(r['cox_ours']) / est:.4f} (extrapolated)"  # type: ignore[arg-type]
                )
    console.print(
        "targets (n = 1,000,000): Cox ours/R <= 0.5 and ours/lifelines <= 0.1; "
        "Fine-Gray <= 3 s. Times depend on the machine: compare ratios."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
