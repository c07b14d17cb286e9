"""Published catalogue versions. Clients receive each new version through the feed.

Parsed forms are cached per process by version number: a published version never changes, so the
cache holds nothing another process would need.
"""

from __future__ import annotations

import json
import time
import weakref
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection, Engine

from app.models.catalogue import CatalogueError, FormDefinition, form_from_dict, load_form_file
from app.validation.secrecy import policy_problems
from server.db import FeedEntry, Tx
from server.schema import forms

#: Parsed forms by database and version: a version number is only unique within one database (two
#: databases in one process, as the tests have, each publish their own version 2).
_CACHE: dict[tuple[str, int], FormDefinition] = {}


class FormError(Exception):
    """The file cannot be published; the message says why."""


_CURRENT = select(func.max(forms.c.version))  # built once: read at every push
#: Each engine's database, as the cache keys name it (rendering the URL was a tenth of a millisecond a push).
_DATABASES: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()


def current_version(conn: Connection) -> int:
    return int(conn.execute(_CURRENT).scalar_one())


def form_by_version(conn: Connection, version: int) -> FormDefinition:
    database = _DATABASES.get(conn.engine)
    if database is None:
        database = _DATABASES[conn.engine] = conn.engine.url.render_as_string(hide_password=True)
    key = (database, version)
    form = _CACHE.get(key)
    if form is None:
        text = conn.execute(select(forms.c.definition).where(forms.c.version == version)).scalar_one()
        form = form_from_dict(json.loads(text), f"published form {version}")
        _CACHE[key] = form
    return form


def current_form(conn: Connection) -> FormDefinition:
    return form_by_version(conn, current_version(conn))


def definition(conn: Connection, version: int) -> dict[str, Any]:
    return form_by_version(conn, version).to_dict()


def publish(tx: Tx, path: Path, actor: str) -> FormDefinition:
    """Publish a form file as the next version; its ``version`` must be higher than the current one."""
    try:
        form = load_form_file(path)
    except CatalogueError as exc:
        raise FormError(str(exc)) from None
    current = form_by_version(tx.conn, current_version(tx.conn))
    if form.form_id != current.form_id:
        raise FormError(f"the form id is {form.form_id!r}, the server's form is {current.form_id!r}")
    if form.version <= current.version:
        raise FormError(f"the file's version {form.version} must be higher than the published {current.version}")
    problems = policy_problems(form)  # its secrecy rule (app/validation/secrecy.py) must make sense
    if problems:
        raise FormError("; ".join(problems))
    tx.conn.execute(
        insert(forms).values(
            version=form.version,
            form_id=form.form_id,
            definition=json.dumps(form.to_dict(), ensure_ascii=False),
            published_at=time.time(),
            published_by=actor,
        )
    )
    tx.emit(FeedEntry("form", None, None, form.version))
    return form
