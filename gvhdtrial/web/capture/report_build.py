"""The analysis report, built once per data version in the background and served from disk.

A data version is fixed by the database lock and the trial-level unblinding: while the database
is locked nothing can change, so the report of a version is made once. Trial-level unblinding
starts the build (after its transaction commits); the report page starts it too if none is
under way (a server restarted mid-build, an older version), shows the build's progress while it
runs, and serves ``report.html`` from ``$GVHDTRIAL_HOME/reports/v-<version>/`` once it is done.

One builder per version across processes: the builder holds an exclusive ``flock`` on
``v-<version>.lock``; the progress is ``v-<version>.json`` (state, step, steps, started,
message), written atomically. ``settings.GVHDTRIAL_REPORT_BUILD``: ``"thread"`` (default: a
daemon thread in the process that asked) or ``"inline"`` (in the request, for tests).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils.translation import gettext_noop

from gvhdtrial.report.build import BUILD_STEPS, HTML_NAME
from gvhdtrial.web.lock.models import DatabaseLock
from gvhdtrial.web.unblinding.models import TrialUnblinding

log = logging.getLogger("gvhdtrial.report")


def data_version() -> str | None:
    """The version of the locked, unblinded data (None before lock and unblinding)."""
    lock = DatabaseLock.objects.filter(pk=1, locked=True).first()
    unblinding = TrialUnblinding.objects.order_by("at").first()
    if lock is None or unblinding is None or lock.changed_at is None:
        return None
    raw = f"locked {lock.changed_at.isoformat()} unblinded {unblinding.at.isoformat()}"
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def _root() -> Path:
    root = Path(settings.HOME) / "reports"
    root.mkdir(parents=True, exist_ok=True)
    return root


def report_dir(version: str) -> Path:
    return _root() / f"v-{version}"


def _status_path(version: str) -> Path:
    return _root() / f"v-{version}.json"


def status(version: str) -> dict[str, Any]:
    """The build's progress: ``state`` is absent, building, ready or failed."""
    if (report_dir(version) / HTML_NAME).exists():
        return {"state": "ready", "version": version}
    try:
        return dict(json.loads(_status_path(version).read_text(encoding="utf-8")))
    except (FileNotFoundError, json.JSONDecodeError):
        return {"state": "absent", "version": version}


def _write_status(version: str, **values: Any) -> None:
    values = {"version": version, "steps": len(BUILD_STEPS) + 2, **values}
    fd, tmp = tempfile.mkstemp(prefix=".status-", dir=_root())
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(values, f)
    os.replace(tmp, _status_path(version))


def _try_lock(version: str) -> IO[str] | None:
    handle = open(_root() / f"v-{version}.lock", "a+")  # noqa: SIM115 (held by the builder)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


def ensure_build(username: str, *, retry: bool = False) -> dict[str, Any]:
    """Start building the current version's report unless it is built or being built; return
    its status. A failed build is started again only when ``retry`` is asked for."""
    version = data_version()
    if version is None:
        return {"state": "unavailable"}
    current = status(version)
    if current["state"] == "ready" or (current["state"] == "failed" and not retry):
        return current
    handle = _try_lock(version)
    if handle is None:  # another thread or process builds it
        return status(version)
    if (report_dir(version) / HTML_NAME).exists():  # finished while we looked
        handle.close()
        return status(version)
    started = dt.datetime.now(dt.UTC).isoformat()
    _write_status(version, state="building", step=0, label=gettext_noop("Export the locked data"),
                  started=started)  # fmt: skip
    if getattr(settings, "GVHDTRIAL_REPORT_BUILD", "thread") == "inline":
        _build(version, username, handle, started, own_thread=False)
    else:
        threading.Thread(
            target=_build, args=(version, username, handle, started, True), daemon=True,
            name=f"report-{version}",
        ).start()  # fmt: skip
    return status(version)


def start_after_commit(username: str) -> None:
    """Called by trial-level unblinding: build the report once the unblinding is committed (in
    the background; not in ``inline`` mode, where the report page builds it)."""
    from django.db import transaction

    if getattr(settings, "GVHDTRIAL_REPORT_BUILD", "thread") == "inline":
        return
    transaction.on_commit(lambda: ensure_build(username))


def _build(version: str, username: str, handle: IO[str], started: str, own_thread: bool) -> None:
    from gvhdtrial.report.build import build_report
    from gvhdtrial.web.capture.exports import export_trial
    from gvhdtrial.web.sites.auth import actor_for

    staging = Path(tempfile.mkdtemp(prefix=f".v-{version}-", dir=_root()))
    try:
        actor = actor_for(get_user_model().objects.get(username=username))
        export_trial(actor, staging / "data", blinded=False)

        def on_step(label: str) -> None:
            step = BUILD_STEPS.index(label) + 1 if label in BUILD_STEPS else len(BUILD_STEPS) + 1
            _write_status(version, state="building", step=step, label=label, started=started)

        build_report(staging / "data", staging, pdf=False, on_step=on_step)
        on_step(gettext_noop("Chinese report"))
        build_report(staging / "data", staging / "zh", pdf=False, lang="zh")
        target = report_dir(version)
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
        _write_status(version, state="ready", step=len(BUILD_STEPS) + 2, label=gettext_noop("Done"),
                      started=started,
                      finished=dt.datetime.now(dt.UTC).isoformat())  # fmt: skip
    except Exception as exc:  # shown on the report page; the statistician can retry
        log.exception("analysis report build failed (version %s)", version)
        _write_status(version, state="failed", step=0, label=gettext_noop("Failed"),
                      started=started, message=f"{type(exc).__name__}: {exc}"[:2000])  # fmt: skip
        shutil.rmtree(staging, ignore_errors=True)
    finally:
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()
        if own_thread:
            connection.close()  # this thread's own database connection
