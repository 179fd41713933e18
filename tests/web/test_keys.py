"""The key folder (gvhdtrial.web.keys): sealed values open only in their place, files are private,
and checkpoint signatures verify only for the signed bytes."""

from __future__ import annotations

import stat

import pytest

from gvhdtrial.web import keys


def test_sealed_value_opens_only_with_its_aad_and_is_randomized(tmp_path, monkeypatch):
    monkeypatch.setenv("GVHDTRIAL_KEYS", str(tmp_path / "k"))
    a = keys.seal("MSC", "randomization.slot:C01-R0001:arm")
    b = keys.seal("MSC", "randomization.slot:C01-R0001:arm")
    assert a != b  # random nonce: equal arms give unequal sealed values
    assert keys.unseal(a, "randomization.slot:C01-R0001:arm") == "MSC"
    with pytest.raises(keys.SealBroken):
        keys.unseal(a, "randomization.slot:C01-R0002:arm")  # moved to another row
    tampered = a[:-4] + ("AAAA" if a[-4:] != "AAAA" else "BBBB")
    with pytest.raises(keys.SealBroken):
        keys.unseal(tampered, "randomization.slot:C01-R0001:arm")


def test_key_folder_and_files_are_private(tmp_path, monkeypatch):
    monkeypatch.setenv("GVHDTRIAL_KEYS", str(tmp_path / "k"))
    keys.seal("x", "y")
    keys.signing_key()
    folder = tmp_path / "k"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for name in ("seal.key", "checkpoint_ed25519.pem", "checkpoint_ed25519.pub.pem"):
        assert stat.S_IMODE((folder / name).stat().st_mode) == 0o600


def test_signature_verifies_only_for_the_signed_message(tmp_path, monkeypatch):
    monkeypatch.setenv("GVHDTRIAL_KEYS", str(tmp_path / "k"))
    sig = keys.signing_key().sign(b"seq=10;hash=ab")
    pub = keys.public_key_pem()
    assert keys.verify_signature(pub, sig, b"seq=10;hash=ab")
    assert not keys.verify_signature(pub, sig, b"seq=9;hash=ab")
