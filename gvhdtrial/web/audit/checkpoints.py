"""Signed checkpoints of the audit chain head, kept outside the database.

The hash chain alone proves nothing against someone who can write to the database: the chain
algorithm is public, so whoever deletes or edits rows can recompute every later hash and move
the chain head. A checkpoint is the chain head (sequence number and hash) at a moment, signed
with the trial's Ed25519 key (:func:`gvhdtrial.web.keys.signing_key`, held outside the
database), and appended to a file in another folder than the database:

- ``GVHDTRIAL_CHECKPOINTS`` (default ``$GVHDTRIAL_HOME/checkpoints``), created ``0700``; the
  file ``audit-checkpoints.log`` in it is opened ``O_APPEND`` and created ``0600``.
- One line per checkpoint: ``seq head_hash time signature`` (time ISO 8601 UTC, signature
  base64 of the Ed25519 signature of :func:`message`).

The gateway appends a checkpoint after each committed write (``transaction.on_commit``): a
crash between the commit and the append leaves the last rows unanchored, which verification
reports apart from tampering. Verification recomputes the chain from its first row and compares
it with every checkpoint: a signed head that the trail no longer yields means rows at or before
it were changed, removed or re-chained; a signed sequence number beyond the end of the trail
means rows were cut from the end. Without the private key nobody can sign a new head, so a
rewritten chain cannot be made to agree with the file. ``gvhdtrial audit checkpoint --export``
writes the checkpoints with the public key to a file the statistician keeps outside the system;
``gvhdtrial audit verify --against FILE`` checks the trail against such a copy too.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from gvhdtrial.web import keys

log = logging.getLogger(__name__)

CHECKPOINT_FILE = "audit-checkpoints.log"
_LINE = re.compile(r"^(\d{1,18}) ([0-9a-f]{64}) (\S+) ([A-Za-z0-9+/=_-]+)$")
_PEM = re.compile(r"-----BEGIN PUBLIC KEY-----.+?-----END PUBLIC KEY-----\n?", re.DOTALL)
_keys: dict[Path, Ed25519PrivateKey] = {}


_folders: dict[tuple[str | None, str | None], Path] = {}


def checkpoints_dir() -> Path:
    """The checkpoint folder (created 0700 on first use; resolved once per setting)."""
    setting = (os.environ.get("GVHDTRIAL_CHECKPOINTS"), os.environ.get("GVHDTRIAL_HOME"))
    path = _folders.get(setting)
    if path is None or not path.exists():
        if setting[0]:
            path = Path(setting[0])
        else:
            path = Path(setting[1] or str(Path.cwd() / "var")) / "checkpoints"
        path = path.resolve()
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        _folders[setting] = path
    return path


def checkpoints_path() -> Path:
    return checkpoints_dir() / CHECKPOINT_FILE


def message(seq: int, head: str, at: str) -> bytes:
    """The signed bytes of a checkpoint."""
    return f"gvhdtrial audit checkpoint v1|{seq}|{head}|{at}".encode("ascii")


_key_folders: dict[tuple[str | None, str | None], Path] = {}


def _signing_key() -> Ed25519PrivateKey:
    """The trial's signing key, loaded once per process and key folder."""
    setting = (os.environ.get("GVHDTRIAL_KEYS"), os.environ.get("GVHDTRIAL_HOME"))
    folder = _key_folders.get(setting)
    if folder is None:
        folder = _key_folders[setting] = keys.keys_dir()
    if folder not in _keys:
        _keys[folder] = keys.signing_key()
    return _keys[folder]


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    head: str
    at: str
    signature: str
    line: int = 0

    def text(self) -> str:
        return f"{self.seq} {self.head} {self.at} {self.signature}"


def sign(seq: int, head: str) -> Checkpoint:
    at = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    signature = _signing_key().sign(message(seq, head, at))
    return Checkpoint(seq, head, at, base64.b64encode(signature).decode("ascii"))


def append(seq: int, head: str) -> Checkpoint:
    """Sign ``(seq, head)`` and append it to the checkpoint file (one ``write`` per line)."""
    checkpoint = sign(seq, head)
    fd = os.open(checkpoints_path(), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, (checkpoint.text() + "\n").encode("ascii"))
    finally:
        os.close(fd)
    return checkpoint


def append_after_commit(seq: int, head: str) -> None:
    """The gateway's on-commit hook: a failure is logged, never raised (the data are stored)."""
    try:
        append(seq, head)
    except Exception:
        log.exception("audit checkpoint of seq %s could not be written", seq)


@dataclass(frozen=True)
class CheckpointFile:
    """The checkpoints of one file, those whose signature verifies, and the lines that fail."""

    path: str
    checkpoints: tuple[Checkpoint, ...]
    bad_lines: tuple[str, ...]
    public_key: str


def read(path: Path | None = None, public_pem: str | None = None) -> CheckpointFile:
    """Parse and check a checkpoint file (the live log, or an export with its public key).

    A line that does not parse or whose signature does not verify under the trial's public key
    is listed in ``bad_lines``; an export's own public key must be the trial's.
    """
    path = path or checkpoints_path()
    trial_pem = public_pem or keys.public_key_pem(_signing_key())
    good: list[Checkpoint] = []
    bad: list[str] = []
    if not path.exists():
        return CheckpointFile(str(path), (), (), trial_pem)
    text = path.read_text(encoding="ascii", errors="replace")
    exported = _PEM.search(text)
    if exported and exported.group(0).strip() != trial_pem.strip():
        bad.append(f"{path}: its public key is not this trial's checkpoint key")
        return CheckpointFile(str(path), (), tuple(bad), trial_pem)
    public = serialization.load_pem_public_key(trial_pem.encode("ascii"))
    assert isinstance(public, Ed25519PublicKey)
    for n, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip() or raw.startswith("#") or not raw[0].isdigit():
            continue
        m = _LINE.match(raw.strip())
        if m is None:
            bad.append(f"{path}:{n}: not a checkpoint line ({raw[:40]!r})")
            continue
        seq, head, at, sig = int(m.group(1)), m.group(2), m.group(3), m.group(4)
        try:
            public.verify(base64.b64decode(sig), message(seq, head, at))
        except Exception:
            bad.append(f"{path}:{n}: checkpoint of seq {seq} has no valid signature (forged)")
            continue
        good.append(Checkpoint(seq, head, at, sig, n))
    return CheckpointFile(str(path), tuple(good), tuple(bad), trial_pem)


def export(out: Path, extra: CheckpointFile | None = None) -> int:
    """Write the public key and every valid checkpoint to ``out`` (0600); returns the count."""
    current = extra or read()
    lines = [
        "# gvhdtrial audit-chain checkpoints: seq head_hash time signature (Ed25519, base64)",
        f"# exported {dt.datetime.now(dt.UTC):%Y-%m-%dT%H:%M:%SZ}; keep this file outside the",
        "# system; check the trail against it: gvhdtrial audit verify --against FILE",
        current.public_key.strip(),
        *(c.text() for c in sorted(current.checkpoints, key=lambda c: (c.seq, c.at))),
    ]
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write("\n".join(lines) + "\n")
    return len(current.checkpoints)
