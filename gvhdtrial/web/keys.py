"""The trial's keys, held outside the database.

A double-blind trial's secrets must not live in the database they protect: whoever copies the
database file (a backup, an administrator, a curious data manager with shell access) must learn
no arm from it, and whoever can write to it must not be able to rewrite the audit trail without
it showing. The keys live in a folder of their own:

- ``GVHDTRIAL_KEYS`` (default ``$GVHDTRIAL_HOME/keys``), created ``0700``; every file ``0600``.
  In a deployment it belongs on another volume than the database, owned by the service account
  only, and is backed up separately (the web README's threat model says how a trial keeps it).
- ``seal.key``: 32 bytes from the operating system's CSPRNG; the AES-256-GCM key that seals
  schedule seeds, arms at rest and blinded audit values (:func:`seal` / :func:`unseal`).
- ``checkpoint_ed25519.pem`` / ``checkpoint_ed25519.pub.pem``: the Ed25519 key pair that signs
  audit-chain checkpoints; the public key is published with the trial.

Each is generated on first use. A sealed value is ``gvs1:`` + base64url(nonce || ciphertext ||
tag); its associated data (``aad``) binds it to its place (for example the randomization number
whose arm it holds), so a sealed value copied to another row fails to open.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SEALED_PREFIX = "gvs1:"
_SEAL_FILE = "seal.key"
_SIGNING_FILE = "checkpoint_ed25519.pem"
_PUBLIC_FILE = "checkpoint_ed25519.pub.pem"


class SealBroken(Exception):
    """A sealed value does not open: wrong key, wrong place (aad) or altered bytes."""


def keys_dir() -> Path:
    """The key folder (created 0700 on first use)."""
    if env := os.environ.get("GVHDTRIAL_KEYS"):
        path = Path(env)
    else:
        home = os.environ.get("GVHDTRIAL_HOME") or str(Path.cwd() / "var")
        path = Path(home) / "keys"
    path = path.resolve()
    if not path.exists():
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def _write_new(path: Path, data: bytes) -> None:
    """Create ``path`` 0600 with ``data``; if another process won the race, keep its file."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _seal_key() -> bytes:
    path = keys_dir() / _SEAL_FILE
    if not path.exists():
        _write_new(path, os.urandom(32))
    key = path.read_bytes()
    if len(key) != 32:
        raise SealBroken(f"{path}: expected a 32-byte key, found {len(key)} bytes")
    return key


#: key-folder settings -> (key file, its identity, cipher): sealing thousands of arms (a
#: schedule, a kit list, a site's stock) must not re-read and re-check the folder each time. The
#: key file is re-read when it changes (one stat per call).
_CIPHERS: dict[tuple[str | None, ...], tuple[str, tuple[int, int], AESGCM]] = {}


def _cipher() -> AESGCM:
    env = os.environ
    where = (env.get("GVHDTRIAL_KEYS"), env.get("GVHDTRIAL_HOME"), os.getcwd())
    cached = _CIPHERS.get(where)
    if cached is not None:
        try:
            st = os.stat(cached[0])
            if (st.st_ino, st.st_mtime_ns) == cached[1]:
                return cached[2]
        except OSError:
            pass
    key = _seal_key()
    path = str(keys_dir() / _SEAL_FILE)
    st = os.stat(path)
    cipher = AESGCM(key)
    _CIPHERS[where] = (path, (st.st_ino, st.st_mtime_ns), cipher)
    return cipher


def seal(text: str, aad: str) -> str:
    """Encrypt ``text`` (AES-256-GCM, random 96-bit nonce) bound to ``aad``."""
    nonce = os.urandom(12)
    ct = _cipher().encrypt(nonce, text.encode("utf-8"), aad.encode("utf-8"))
    return SEALED_PREFIX + base64.urlsafe_b64encode(nonce + ct).decode("ascii")


def unseal(token: str, aad: str) -> str:
    """Open a value made by :func:`seal` with the same ``aad``; :class:`SealBroken` otherwise."""
    if not is_sealed(token):
        raise SealBroken(f"not a sealed value: {token[:12]!r}")
    try:
        raw = base64.urlsafe_b64decode(token[len(SEALED_PREFIX) :].encode("ascii"))
        plain = _cipher().decrypt(raw[:12], raw[12:], aad.encode("utf-8"))
    except (InvalidTag, ValueError) as exc:
        raise SealBroken(f"sealed value for {aad!r} does not open (altered or moved)") from exc
    return plain.decode("utf-8")


def is_sealed(value: object) -> bool:
    return isinstance(value, str) and value.startswith(SEALED_PREFIX)


def signing_key() -> Ed25519PrivateKey:
    """The checkpoint signing key (generated, with its public key file, on first use)."""
    folder = keys_dir()
    path = folder / _SIGNING_FILE
    if not path.exists():
        key = Ed25519PrivateKey.generate()
        _write_new(
            path,
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
        )
    loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(loaded, Ed25519PrivateKey):
        raise SealBroken(f"{path}: not an Ed25519 private key")
    public = folder / _PUBLIC_FILE
    if not public.exists():
        _write_new(public, public_key_pem(loaded).encode("ascii"))
    return loaded


def public_key_pem(key: Ed25519PrivateKey | None = None) -> str:
    key = key or signing_key()
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


def verify_signature(public_pem: str, signature: bytes, message: bytes) -> bool:
    """True when ``signature`` is the Ed25519 signature of ``message`` under ``public_pem``."""
    loaded = serialization.load_pem_public_key(public_pem.encode("ascii"))
    if not isinstance(loaded, Ed25519PublicKey):
        return False
    try:
        loaded.verify(signature, message)
    except InvalidSignature:
        return False
    return True
