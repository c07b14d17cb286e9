"""The key that signs the audit acknowledgements: where it comes from, made with mode 0600 when
missing, refused when others may read it or it is not a key; ``serve`` refuses to start without a
usable one (a one-line reason)."""

from __future__ import annotations

import os
import stat

import pytest

from server.config import AUDIT_KEY_FILE, AuditKeyError, load_audit_key


@pytest.fixture(autouse=True)
def _no_key_in_env(monkeypatch):
    monkeypatch.delenv("FIELDARCHIVE_AUDIT_KEY", raising=False)
    monkeypatch.delenv("FIELDARCHIVE_AUDIT_KEY_FILE", raising=False)


def test_a_missing_key_file_is_made_private_and_read_back(tmp_path):
    assert load_audit_key(tmp_path, None, create=False) is None
    key = load_audit_key(tmp_path, None, create=True)
    path = tmp_path / AUDIT_KEY_FILE
    assert len(key) == 32 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_audit_key(tmp_path, None, create=False) == key
    other = tmp_path / "elsewhere" / "k"
    assert load_audit_key(tmp_path, str(other), create=True) != key and other.exists()


def test_the_environment_wins(tmp_path, monkeypatch):
    monkeypatch.setenv("FIELDARCHIVE_AUDIT_KEY", "11" * 32)
    assert load_audit_key(tmp_path, None, create=True) == b"\x11" * 32
    assert not (tmp_path / AUDIT_KEY_FILE).exists()
    monkeypatch.setenv("FIELDARCHIVE_AUDIT_KEY", "11" * 8)
    with pytest.raises(AuditKeyError, match="shorter than 32 bytes"):
        load_audit_key(tmp_path, None, create=True)


def test_bad_key_files_are_refused(tmp_path):
    path = tmp_path / "k"
    path.write_text("not hex at all")
    os.chmod(path, 0o600)
    with pytest.raises(AuditKeyError, match="not hexadecimal"):
        load_audit_key(tmp_path, str(path), create=False)
    path.write_text("ab" * 32)
    os.chmod(path, 0o644)
    with pytest.raises(AuditKeyError, match="chmod 600"):
        load_audit_key(tmp_path, str(path), create=False)


def test_serve_refuses_a_key_file_others_may_read(tmp_path, db_url, db, capsys):
    from server.cli import main

    path = tmp_path / "k"
    path.write_text("ab" * 32)
    os.chmod(path, 0o640)
    code = main(["serve", "--database", db_url, "--audit-key-file", str(path), "--port", "1"])
    err = capsys.readouterr().err
    assert code == 2 and err.strip().count("\n") == 0 and "chmod 600" in err
