"""The server's parsed forms are cached by database and version: a version number is unique only within one
database. Two databases in one process (as the tests run them) each publishing their own version 2 once
got each other's form from the cache, and a report validated against the other database's fields."""

from __future__ import annotations

import json
from pathlib import Path

from server import forms
from server.db import Database
from server.migrate import upgrade


def _publish(db: Database, tmp: Path, required: str) -> None:
    with db.read() as conn:
        doc = forms.current_form(conn).to_dict()
    doc["version"] += 1
    field = next(f for f in doc["fields"] if f["key"] == required)
    field["required"] = "provincial"
    path = tmp / f"form-{required}.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    db.write(lambda tx: forms.publish(tx, path, "admin"))


def test_two_databases_publishing_the_same_version_keep_their_own_form(db, tmp_path: Path) -> None:
    other = Database(f"sqlite:///{tmp_path / 'other.db'}")
    upgrade(other)
    try:
        with db.read() as conn:
            optional = [f.key for f in forms.current_form(conn).fields if not f.required.is_required]
        first, second = optional[0], optional[1]
        _publish(db, tmp_path, first)
        _publish(other, tmp_path, second)  # the same version number, another field required
        with db.read() as a, other.read() as b:
            mine, theirs = forms.current_form(a), forms.current_form(b)
        assert mine.version == theirs.version
        assert mine.get(first).required.is_required and not mine.get(second).required.is_required
        assert theirs.get(second).required.is_required and not theirs.get(first).required.is_required
    finally:
        other.dispose()
