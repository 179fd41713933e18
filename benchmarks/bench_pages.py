"""Page budgets on the reference trial (issue 11): dashboard, patient list, audit trail, kit
list and the analysis report page, each served in < 300 ms p95 on SQLite.

Builds what ``make run`` builds, in a throw-away ``GVHDTRIAL_HOME``: migrate, seed the 7
reference centres and the demo users, import ``data/reference`` (SYNTHETIC), then requests each
page ``--repeat`` times as the role that uses it (Django's test client in this process, the
real SQLite file, every middleware) and prints p50/p95 and the ratio to the budget. Side by
side for the report page: one build of the report (what the page did on every visit before it
was built once per data version) against the page serving the built report.

    .venv/bin/python benchmarks/bench_pages.py [--repeat 30]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
BUDGET_MS = 300.0


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, min(len(ordered) - 1, round(0.95 * len(ordered)) - 1))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="gvhdtrial-bench-pages-")
    os.environ["GVHDTRIAL_HOME"] = home
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gvhdtrial.web.settings")
    os.environ["GVHDTRIAL_REPORT_BUILD"] = "inline"
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client

    from gvhdtrial.web.capture import report_build
    from gvhdtrial.web.capture.imports import import_trial
    from gvhdtrial.web.lock.services import lock_database
    from gvhdtrial.web.seed import seed
    from gvhdtrial.web.sites.auth import actor_for
    from gvhdtrial.web.unblinding.services import trial_unblind

    console = Console()
    with console.status("migrate, seed, import the reference trial (as `make run`)"):
        call_command("migrate", verbosity=0)
        seed()
        started = time.perf_counter()
        import_trial(ROOT / "data" / "reference", "admin")
        console.print(f"reference trial imported in {time.perf_counter() - started:.1f} s")
    users = get_user_model().objects

    def client(username: str) -> Client:
        c = Client()
        c.force_login(users.get(username=username))
        return c

    pages = [
        ("record status dashboard", "datamanager", "/records/"),
        ("patient list", "datamanager", "/patients/"),
        ("audit trail", "datamanager", "/audit/"),
        ("kit list", "admin", "/supply/kits/"),
    ]
    rows: list[tuple[str, str, list[float]]] = []
    for name, user, url in pages:
        c = client(user)
        assert c.get(url).status_code == 200, url  # warm: templates, caches
        samples = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            response = c.get(url)
            samples.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, (url, response.status_code)
        rows.append((name, url, samples))

    def signed(fn, *a, **kw):  # the lock and unblinding may ask for the signer's password
        import inspect

        if "password" in inspect.signature(fn).parameters:
            return fn(*a, password=os.environ.get("BENCH_PASSWORD", ""), **kw)  # e-signed acts
        return fn(*a, **kw)

    stat = users.get(username="statistician")
    stat.set_password("bench-password")
    stat.save()
    admin = users.get(username="admin")
    admin.set_password("bench-password")
    admin.save()
    os.environ["BENCH_PASSWORD"] = "bench-password"
    signed(lock_database, actor_for(admin), "benchmark: lock for the report", confirmed=True)
    signed(trial_unblind, actor_for(stat), "benchmark: unblind for the report")
    with console.status("build the report once (what every visit used to do)"):
        t0 = time.perf_counter()
        state = report_build.ensure_build("statistician")
        build_ms = (time.perf_counter() - t0) * 1000
    assert state["state"] == "ready", state
    c = client("statistician")
    samples = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        response = c.get("/report/")
        b"".join(response.streaming_content)  # type: ignore[attr-defined]
        samples.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200
    rows.append(("analysis report page", "/report/", samples))

    table = Table(title=f"Page times on the reference trial, SQLite, {args.repeat} requests each")
    for col in ("page", "url", "p50 ms", "p95 ms", "budget ms", "p95 / budget", "ok"):
        table.add_column(col)
    ok = True
    for name, url, s in rows:
        p95 = _p95(s)
        ok &= p95 < BUDGET_MS
        table.add_row(name, url, f"{statistics.median(s):.1f}", f"{p95:.1f}", f"{BUDGET_MS:.0f}",
                      f"{p95 / BUDGET_MS:.2f}", "yes" if p95 < BUDGET_MS else "NO")  # fmt: skip
    console.print(table)
    report_p95 = _p95(rows[-1][2])
    console.print(
        f"report: one build {build_ms / 1000:.1f} s (the old page, every visit) vs served p95 "
        f"{report_p95:.1f} ms: ratio {build_ms / report_p95:,.0f}x"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
