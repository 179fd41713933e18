"""Write transactions that serialize correctly on SQLite and PostgreSQL.

SQLite: every ``atomic()`` block starts with ``BEGIN IMMEDIATE`` (settings ``transaction_mode``),
so a writer takes the database's write lock before reading what it will change. Threads and
processes of the server also queue on an advisory ``flock`` beside the database file first, so a
waiting writer is woken as soon as the lock is free instead of polling in SQLite's busy handler
(which sleeps in growing steps and would ruin tail latency).

PostgreSQL: the gateway locks the rows it changes with ``SELECT ... FOR UPDATE``.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction

_local = threading.local()


def is_sqlite() -> bool:
    return connection.vendor == "sqlite"


def _lock_fd() -> int | None:
    name = str(connection.settings_dict["NAME"])
    if not name or name == ":memory:" or name.startswith("file:"):
        return None
    fds: dict[str, int] = getattr(_local, "fds", None) or {}
    _local.fds = fds
    if name not in fds:
        fds[name] = os.open(name + ".writelock", os.O_RDWR | os.O_CREAT, 0o600)
    return fds[name]


@contextmanager
def write_transaction() -> Iterator[None]:
    """One serialized write transaction (nested calls join the outer one)."""
    if connection.in_atomic_block:
        with transaction.atomic():
            yield
        return
    fd = _lock_fd() if is_sqlite() else None
    if fd is not None:
        fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        with transaction.atomic():
            yield
    finally:
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
