"""Load and crash runs against the real server on loopback (used by the benchmark and tests).

:class:`LiveServer` runs ``gunicorn`` (gthread workers) in its own process group on
127.0.0.1 with its own database (a SQLite file under its home, or a fresh PostgreSQL database
when ``DATABASE_URL`` is set), seeded through the ``gvhdtrial web`` commands.
:func:`run_load` creates patients and randomizes them from N concurrent clients, timing each
randomization; :func:`check` asks the server's database for the consistency report.
Only loopback addresses are used; every loop is bounded in count and time.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ELIGIBLE_ANSWERS = {
    "age_years": 40,
    "agvhd_grade": 3,
    "haematologic_malignancy": True,
    "first_allo_hsct": True,
    "steroid_refractory": True,
}


class HttpError(Exception):
    """The connection failed (server down, reset): the request's outcome is unknown."""


@dataclass
class Response:
    status_code: int
    text: str

    def json(self) -> Any:
        return json.loads(self.text)


class Client:
    """A minimal keep-alive HTTP/1.1 client (stdlib ``http.client``): light on CPU, so the load
    generator does not take the server's cores on a small machine."""

    def __init__(self, base_url: str, timeout: float = 30) -> None:
        host_port = base_url.split("://", 1)[1]
        self.host, port = host_port.rsplit(":", 1)
        self.port, self.timeout = int(port), timeout
        self.conn: http.client.HTTPConnection | None = None

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(
        self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None
    ) -> Response:
        data = json.dumps(body).encode() if body is not None else b""
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            self.conn.request(method, path, body=data, headers=hdrs)
            r = self.conn.getresponse()
            text = r.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise HttpError(type(exc).__name__) from exc
        if r.getheader("Connection", "").lower() == "close":
            self.close()
        return Response(r.status, text)

    def get(self, path: str, headers: dict[str, str] | None = None) -> Response:
        return self.request("GET", path, None, headers)

    def post(self, path: str, json: Any = None, headers: dict[str, str] | None = None) -> Response:
        return self.request("POST", path, {} if json is None else json, headers)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    def __init__(
        self,
        home: Path,
        *,
        workers: int = 2,
        threads: int = 8,
        base_database_url: str | None = None,
    ) -> None:
        self.home = Path(home)
        self.home.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers, self.threads = workers, threads
        self.proc: subprocess.Popen[bytes] | None = None
        self.env = {**os.environ, "GVHDTRIAL_HOME": str(self.home)}
        self.env.pop("GVHDTRIAL_TEST_SQLITE_PATH", None)
        # Notification e-mails into files under the server's home (kept 0600), not its log.
        self.env.setdefault(
            "GVHDTRIAL_EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend"
        )
        self._pg_admin_url: str | None = None
        self._pg_db: str | None = None
        base_database_url = base_database_url or os.environ.get("DATABASE_URL")
        if base_database_url:
            self._create_pg_database(base_database_url)
        else:
            self.env.pop("DATABASE_URL", None)

    # -------------------------------------------------------------- database
    def _create_pg_database(self, base_url: str) -> None:
        import psycopg

        name = f"gvh_live_{uuid.uuid4().hex[:10]}"
        admin = base_url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        self._pg_admin_url, self._pg_db = admin, name
        self.env["DATABASE_URL"] = base_url.rsplit("/", 1)[0] + "/" + name

    def drop_database(self) -> None:
        if self._pg_admin_url and self._pg_db:
            import psycopg

            with psycopg.connect(self._pg_admin_url, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{self._pg_db}" WITH (FORCE)')
            self._pg_db = None

    @property
    def vendor(self) -> str:
        return "postgresql" if "DATABASE_URL" in self.env else "sqlite"

    # -------------------------------------------------------------- commands
    def cli(self, *args: str, check: bool = True) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "gvhdtrial.cli", *args],
            env=self.env, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        if check and result.returncode != 0:
            raise RuntimeError(
                f"gvhdtrial {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
            )
        return result.stdout

    def seed(self, slots_per_stratum: int, kits_per_site: int = 4) -> dict[str, str]:
        self.cli(
            "web", "seed", "--quiet", "--slots-per-stratum", str(slots_per_stratum),
            "--kits-per-site", str(kits_per_site),
        )  # fmt: skip
        tokens: dict[str, str] = json.loads(self.cli("web", "load-users").strip().splitlines()[-1])
        return tokens

    def check(self) -> dict[str, Any]:
        out = self.cli("web", "check", check=False)
        report: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
        return report

    # -------------------------------------------------------------- process
    def start(self, timeout: float = 60) -> None:
        log = open(self.home / "server.log", "ab")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(
            [
                sys.executable, "-m", "gunicorn", "gvhdtrial.web.wsgi:application",
                "--bind", f"127.0.0.1:{self.port}", "--workers", str(self.workers),
                "--threads", str(self.threads), "--worker-class", "gthread",
                "--graceful-timeout", "5", "--backlog", "2048",
                "--keep-alive", os.environ.get("GVHDTRIAL_KEEPALIVE", "2"),
            ],
            env={**self.env, "DJANGO_SETTINGS_MODULE": "gvhdtrial.web.settings"},
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: see {self.home / 'server.log'}")
            try:
                with Client(self.url, timeout=2) as c:
                    if c.get("/api/openapi.json").status_code == 200:
                        return
            except HttpError:
                pass
            time.sleep(0.2)
        raise RuntimeError("server did not start in time")

    def kill9(self) -> None:
        """SIGKILL the server's whole process group (master and workers) at once."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.proc = None

    def stop(self) -> None:
        if self.proc is None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=15)
        self.proc = None


# ------------------------------------------------------------------ load
@dataclass
class LoadResult:
    patients: dict[int, str]  # patient id -> site
    acknowledged: dict[int, str] = field(default_factory=dict)  # patient -> randomization no.
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    unknown: set[int] = field(default_factory=set)  # sent, no answer (crash)
    elapsed: float = 0.0
    repeats_ok: bool | None = None

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def percentile(self, q: float) -> float:
        data = sorted(self.latencies)
        if not data:
            return float("nan")
        k = min(len(data) - 1, max(0, round(q / 100 * (len(data) - 1))))
        return data[k]


def _run_clients(
    url: str, n_clients: int, work: list[Any], fn: Callable[[Client, Any], None]
) -> None:
    lock = threading.Lock()
    items = list(work)

    def worker() -> None:
        with Client(url) as client:
            while True:
                with lock:
                    if not items:
                        return
                    item = items.pop()
                fn(client, item)

    threads = [threading.Thread(target=worker) for _ in range(n_clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=900)


def create_patients(
    url: str, tokens: dict[str, str], n_patients: int, n_clients: int, seed: int = 1
) -> dict[int, str]:
    sites = sorted(k for k in tokens if k.startswith("C"))
    rng = random.Random(seed)
    plan = [(sites[i % len(sites)], rng.uniform(35, 95)) for i in range(n_patients)]
    created: dict[int, str] = {}
    lock = threading.Lock()

    def create(client: Client, item: tuple[str, float]) -> None:
        site, weight = item
        body = {
            "weight_kg": round(weight, 1),
            "answers": ELIGIBLE_ANSWERS,
            "consent_date": "2024-01-02",
        }
        for _ in range(5):
            try:
                r = client.post("/api/patients", json=body,
                                headers={"Authorization": f"Bearer {tokens[site]}"})  # fmt: skip
            except HttpError:
                time.sleep(0.2)
                continue
            if r.status_code == 201:
                with lock:
                    created[r.json()["id"]] = site
                return
        raise RuntimeError(f"could not create a patient at {site}")

    _run_clients(url, n_clients, plan, create)
    return created


def randomize_all(
    url: str,
    tokens: dict[str, str],
    patients: dict[int, str],
    n_clients: int,
    on_ack: Callable[[int], None] | None = None,
    stop: threading.Event | None = None,
    seed: int = 2,
) -> LoadResult:
    result = LoadResult(patients=dict(patients))
    order = list(patients)
    random.Random(seed).shuffle(order)
    lock = threading.Lock()
    stop = stop or threading.Event()

    def one(client: Client, pid: int) -> None:
        if stop.is_set():
            return
        headers = {"Authorization": f"Bearer {tokens[patients[pid]]}"}
        t0 = time.perf_counter()
        try:
            r = client.post(f"/api/patients/{pid}/randomize", headers=headers)
        except HttpError as exc:
            with lock:
                result.unknown.add(pid)
                result.failures.append(f"{pid}: {type(exc).__name__}")
            return
        dt_ = time.perf_counter() - t0
        with lock:
            if r.status_code == 200:
                result.acknowledged[pid] = r.json()["randomization_number"]
                result.latencies.append(dt_)
                n = len(result.acknowledged)
            else:
                result.failures.append(f"{pid}: HTTP {r.status_code} {r.text[:200]}")
                n = -1
        if on_ack is not None and n > 0:
            on_ack(n)

    t0 = time.perf_counter()
    _run_clients(url, n_clients, order, one)
    result.elapsed = time.perf_counter() - t0
    return result


def repeat_some(
    url: str, tokens: dict[str, str], result: LoadResult, n: int, n_clients: int
) -> bool:
    """Randomize ``n`` already-randomized patients again: each must get its first number back."""
    sample = random.Random(3).sample(sorted(result.acknowledged), min(n, len(result.acknowledged)))
    ok = True
    lock = threading.Lock()

    def again(client: Client, pid: int) -> None:
        nonlocal ok
        headers = {"Authorization": f"Bearer {tokens[result.patients[pid]]}"}
        r = client.post(f"/api/patients/{pid}/randomize", headers=headers)
        good = (
            r.status_code == 200
            and r.json()["already_randomized"]
            and r.json()["randomization_number"] == result.acknowledged[pid]
        )
        if not good:
            with lock:
                ok = False

    _run_clients(url, n_clients, sample, again)
    return ok


def verify(server: LiveServer, result: LoadResult, expect_all: bool) -> dict[str, Any]:
    """Compare the server's stored allocations with what the clients were told."""
    report = server.check()
    stored: dict[str, str] = report["allocation_by_patient"]
    lost = [pid for pid, number in result.acknowledged.items() if stored.get(str(pid)) != number]
    missing = [pid for pid in result.patients if str(pid) not in stored] if expect_all else []
    return {
        "ok": report["ok"] and not lost and not missing,
        "allocations": report["allocations"],
        "duplicate_patients": report["duplicate_patients"],
        "skipped_slots": report["skipped"],
        "incomplete": report["incomplete"],
        "unaudited": report["unaudited"],
        "audit_chain_ok": report["audit_chain_ok"],
        "acknowledged_lost": lost,
        "patients_never_randomized": missing,
    }


def summary(result: LoadResult, label: str) -> str:
    return (
        f"{label}: {len(result.latencies)} randomizations in {result.elapsed:.2f} s = "
        f"{result.throughput:.0f}/s; latency p50 {1000 * result.percentile(50):.1f} ms, "
        f"p99 {1000 * result.percentile(99):.1f} ms, max {1000 * max(result.latencies or [0]):.1f}"
        f" ms; failures {len(result.failures)}"
    )
