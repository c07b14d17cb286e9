"""The work calendar as admin service functions, shared by the admin HTTP API and the command line, each
call in the admin log (server/administration.py): show, import a file or change a day (published at once,
or into the draft), and the draft stage (show what it changes, publish, discard; server/calendar.py)."""

from __future__ import annotations

from typing import Any

from server import calendar
from server.administration import Actor, read_logged, write_logged
from server.db import Database, Tx


def show_calendar(db: Database, actor: Actor) -> dict[str, Any]:
    return read_logged(db, actor, "calendar.show", "", {}, calendar.calendar_json)


def _changed(tx: Tx, years: list[int], in_draft: bool) -> dict[str, Any]:
    """What an import or a day change answers: the years and the version clients see (unchanged for a
    draft) with, for a draft, the number of days it would change."""
    out: dict[str, Any] = {"years": years, "version": calendar.calendar_json(tx.conn)["version"]}
    if in_draft:
        out["draft_changes"] = len(calendar.draft_json(tx.conn)["changes"])
    return out


def import_calendar(
    db: Database, actor: Actor, data: Any, source: str = "the calendar", in_draft: bool = False
) -> dict[str, Any]:
    """Replace every year ``data`` names, at once (clients fetch the new version) or in the draft."""

    def go(tx: Tx) -> dict[str, Any]:
        return _changed(tx, calendar.import_data(tx, data, source, in_draft), in_draft)

    action = "calendar.draft.import" if in_draft else "calendar.import"
    return write_logged(db, actor, action, source, {}, go, lambda r: dict(r))


def set_calendar_day(db: Database, actor: Actor, day: Any, kind: str, in_draft: bool = False) -> dict[str, Any]:
    def go(tx: Tx) -> dict[str, Any]:
        calendar.set_day(tx, day, kind, in_draft)
        return _changed(tx, [day.year], in_draft)

    action = "calendar.draft.set" if in_draft else "calendar.set"
    return write_logged(db, actor, action, str(day), {"kind": kind}, go, lambda r: {"version": r["version"]})


def show_draft(db: Database, actor: Actor) -> dict[str, Any]:
    """The draft's years and the days it would change (``{"years": [], "changes": []}``: no draft)."""
    return read_logged(db, actor, "calendar.draft.show", "", {}, calendar.draft_json)


def publish_draft(db: Database, actor: Actor) -> dict[str, Any]:
    """The draft becomes the published calendar: one new version, fetched by clients at their next sync."""

    def go(tx: Tx) -> dict[str, Any]:
        changes = len(calendar.draft_json(tx.conn)["changes"])
        years = calendar.publish(tx)
        return {"years": years, "version": calendar.calendar_json(tx.conn)["version"], "changed_days": changes}

    return write_logged(db, actor, "calendar.publish", "", {}, go, lambda r: dict(r))


def discard_draft(db: Database, actor: Actor) -> dict[str, Any]:
    def go(tx: Tx) -> dict[str, Any]:
        return {"years": calendar.discard(tx), "version": calendar.calendar_json(tx.conn)["version"]}

    return write_logged(db, actor, "calendar.discard", "", {}, go, lambda r: dict(r))
