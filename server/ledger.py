"""The modification ledger (客户信息修改台帐, F3 L440): every completed modification of a customer in a
period, one row per changed field, from the version history (``customer_versions``).

"各相关部门对所有修改维护完成后的客户档案信息进行登记、汇总,并建立相应的客户信息修改台帐": the documents
name the ledger but give no layout, so its columns are those of issue 17: when (the completion, in China
time on the client), collector (the customer's 客户经理), customer (code, shop name), field, old → new,
the path it took, who changed it and who approved it.

A modification is *completed* when it took effect on a customer that was approved before it:

- ``own_save``: a collector's save of fields they change directly (the record stayed approved);
- ``review``: changes that waited for approval (a collector's save of an ``approval`` field turns the
  customer back to a draft) and were approved: one row per field whose value differs between the last
  approved state and the approval (a value changed and changed back is no modification); the approver
  is the one who decided, the changer the last one who saved that field;
- ``bulk``: the same, where the field's last save came from a spreadsheet (the client's bulk
  maintenance, 大批量维护, sends its saves with provenance ``import``), approved or direct;
- ``system``: a change the server made itself (classification, credit grade: kind ``system.*``);
- ``other``: any other completed change: a market manager's or an admin's own edit (their saves need
  no approval) and a handover to another collector (kind ``assign``, field ``owner``).

What the history cannot tell apart: the documents' county-initiated, city-initiated and emergency
paths when a change arrives as a save and an approval (``review``), and who stood behind a save made on
another person's behalf. A change request (server/changes.py) is applied as ``system.change`` and listed
with its own path (``county``, ``city``, ``emergency``; ``own`` as ``own_save``, ``bulk`` as ``bulk``),
changed by the system and approved by whoever did the path's approving step. A rejected change is not completed; if
it is corrected and approved later, it appears then, with its net effect. A new customer's first
approval is onboarding (入网), not a modification, and saves before it are not listed.

Scope: the customers the caller may see (:func:`server.scope.visible_clause_indexed`; a viewer: those of
the teams below their place in the territory tree, :func:`server.scope.for_reports`), optionally one
collector's. The events are read by time through ``ix_customer_versions_at``; an approval reads the
versions of its customer since the previous approval through the primary key (record, version).
Pages follow the events (``limit`` events, a keyset cursor), so a large period is read a page at a time;
the summary streams over the period with counters only.

Personal numbers (resident ID, bank account) are masked to their first 6 and last 4 characters
unless the caller's role is in :data:`UNMASKED_ROLES`: the ledger is a summary that leaves the desk
(printed, filed, sent on), while the full value stays in the customer's record for whoever may see it.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import Select, and_, or_, select, tuple_

from app.models.catalogue import FieldType, FormDefinition
from app.models.owners import field_owner
from app.models.wire import MutationKind, UserRole
from server.accounts import User
from server.config import CHINA_TZ, iso
from server.errors import ApiError
from server.reports import FIRST_YEAR, LAST_YEAR, collectors_of
from server.schema import customer_versions, customers
from server.scope import Directory, for_reports, visible_clause_indexed
from server.secrecy import view_of
from server.territories import department_names

SAVE, DECIDE, ASSIGN = MutationKind.SAVE.value, MutationKind.DECIDE.value, "assign"
PATHS = ("own_save", "review", "bulk", "system", "other", "county", "city", "emergency")
#: a change request's version (kind ``system.change``) and its path -> the ledger's path
CHANGE = "system.change"
CHANGE_PATHS = {"own": "own_save", "county": "county", "city": "city", "emergency": "emergency", "bulk": "bulk"}
#: roles that see personal numbers whole in the ledger (a deployment's choice: docs/domain.md)
UNMASKED_ROLES = frozenset({UserRole.ADMIN.value})
MASKED_TYPES = frozenset({FieldType.ID_CARD, FieldType.BANK_ACCOUNT})
#: the handover's "field": the customer's collector, not a field of the form
OWNER = ("owner", "客户经理", "Customer manager")
DEFAULT_LIMIT, MAX_LIMIT = 500, 2000
CHUNK = 2000
RECORD_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _bad(field: str, code: str, message: str) -> ApiError:
    return ApiError(
        422,
        "bad_period" if field in ("start", "end") else f"bad_{field}",
        message,
        fields=[{"field": field, "code": code, "message": message}],
    )


def _date(text: str, field: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(text.strip())
    except ValueError:
        raise _bad(field, "date.format", f"The {field} must be a date given as YYYY-MM-DD.") from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise _bad(field, "date.range", f"The {field} must lie between {FIRST_YEAR} and {LAST_YEAR}.")
    return day


def period(start: str, end: str, now: float) -> tuple[dt.date, dt.date]:
    """The period's first and last day (China time, inclusive); 422 naming what is wrong."""
    first, last = _date(start, "start"), _date(end, "end")
    if last < first:
        raise _bad("end", "period.order", "The end of the period comes before its start.")
    if first > dt.datetime.fromtimestamp(now, CHINA_TZ).date():
        raise _bad("start", "period.future", "That period has not begun yet.")
    return first, last


def _ts(day: dt.date) -> float:
    return dt.datetime(day.year, day.month, day.day, tzinfo=CHINA_TZ).timestamp()


def _collector(user: User, d: Directory, name: str | None) -> User | None:
    """The collector the ledger is limited to (None: everyone in scope); 422 when not in the caller's scope."""
    if not name:
        return None
    found = next((u for u in collectors_of(user, d) if u.name == name), None)
    if found is None:
        raise _bad("collector", "collector.scope", f"{name!r} is not a customer manager whose customers you see.")
    return found


def _cursor(text: str | None) -> tuple[float, str, int] | None:
    if not text:
        return None
    try:
        at, rid, version = text.rsplit(":", 2)
        found = float(at), rid, int(version)
    except ValueError:
        found = None
    if found is None or not math.isfinite(found[0]) or not RECORD_ID.fullmatch(rid) or not 0 < found[2] < 2**31:
        raise _bad("cursor", "cursor.format", "The cursor is not one this server gave.")
    return found


def events_query(
    visible: Any, first: dt.date, last: dt.date, owner: User | None, after: tuple[float, str, int] | None
) -> Select[Any]:
    """The period's completing events of visible customers, by time (indexed on ``at``): saves that left
    the customer approved, approvals, the system's changes and handovers of approved customers."""
    v = customer_versions.c
    completing = or_(
        and_(v.kind.in_([SAVE, DECIDE]), v.status == "approved"),
        and_(or_(v.kind == ASSIGN, v.kind.like("system.%")), customers.c.code_official.is_(True)),
    )
    q = (
        select(
            v.record_id,
            v.version,
            v.kind,
            v.changes,
            v.actor_id,
            v.provenance,
            v.at,
            customers.c.code,
            customers.c.data,
            customers.c.owner_id,
            customers.c.created_by_id,
        )
        .join(customers, customers.c.id == v.record_id)
        .where(visible, v.at >= _ts(first), v.at < _ts(last + dt.timedelta(days=1)), v.prev_version > 0, completing)
    )
    if owner is not None:
        q = q.where(customers.c.owner_id == owner.id)
    if after is not None:
        q = q.where(tuple_(v.at, v.record_id, v.version) > tuple_(*after))
    return q.order_by(v.at, v.record_id, v.version)


def _json(text: str | None) -> dict[str, Any]:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def mask(value: Any) -> Any:
    """'610102199001011234' -> '610102********1234' (short values: all stars)."""
    if value in (None, ""):
        return value
    text = str(value)
    return text[:6] + "*" * (len(text) - 10) + text[-4:] if len(text) > 10 else "*" * len(text)


class _Ledger:
    """Turns events into rows for one caller (the directory, the form and the masking rule held once)."""

    def __init__(self, conn: Any, user: User, form: FormDefinition, d: Directory) -> None:
        self.conn, self.form, self.d = conn, form, d
        self.masked = user.role not in UNMASKED_ROLES
        self.view = view_of(conn, user, form)  # secrecy marks and the masked view (server.secrecy)
        self.order = {s.key: i for i, s in enumerate(form.fields)}  # an event's rows in the form's order

    def _person(self, uid: int | None) -> tuple[str | None, str | None]:
        u = self.d.get(uid) if uid is not None else None
        return (u.name, u.display_name or u.name) if u else (None, None)

    def _shown(self, key: str, value: Any, gone: Mapping[str, str]) -> Any:
        if key in gone and value not in (None, "", []):
            return self.view.apply(gone, {key: value})[key]
        spec = self.form.get(key)
        if self.masked and spec is not None and spec.type in MASKED_TYPES:
            return mask(value)
        return value

    def rows(self, e: Any) -> list[dict[str, Any]]:
        changes = _json(e.changes)
        if e.kind == DECIDE:
            if (changes.get("decision") or {}).get("action") != "approve":
                return []
            return self._approved(e)
        prov = _json(e.provenance)
        approver = None
        if e.kind == CHANGE:  # a change request's applying step (server/changes.py): its path and approver
            path = CHANGE_PATHS.get(str(prov.get("path")), "other")
            approver = prov.get("approved_by_id") if isinstance(prov.get("approved_by_id"), int) else None
        elif e.kind.startswith("system."):
            path = "system"
        elif e.kind == ASSIGN:
            path = "other"
        elif prov.get("source") == "import":
            path = "bulk"
        else:
            actor = self.d.get(e.actor_id)
            path = "own_save" if actor is not None and actor.role == UserRole.COLLECTOR.value else "other"
        fields = {
            k: (ch.get("old"), ch.get("new"), e.actor_id, prov.get("source"))
            for k, ch in changes.items()
            if isinstance(ch, dict) and ch.get("old") != ch.get("new")
        }
        return self._make(e, path, fields, approver)

    def _approved(self, e: Any) -> list[dict[str, Any]]:
        """The net changes of the saves since the customer last stood approved (none: a first approval)."""
        v = customer_versions.c
        saves: list[Any] = []
        found = False
        q = (
            select(v.version, v.kind, v.status, v.changes, v.actor_id, v.provenance)
            .where(v.record_id == e.record_id, v.version < e.version)
            .order_by(v.version.desc())
        )
        for r in self.conn.execute(q):
            if r.status == "approved":
                found = True
                break
            if r.kind == SAVE:
                saves.append(r)
        if not found:
            return []
        net: dict[str, list[Any]] = {}
        for r in reversed(saves):
            src = _json(r.provenance).get("source")
            for k, ch in _json(r.changes).items():
                if not isinstance(ch, dict):
                    continue
                if k in net:
                    net[k][1:] = [ch.get("new"), r.actor_id, src]
                else:
                    net[k] = [ch.get("old"), ch.get("new"), r.actor_id, src]
        fields = {k: tuple(x) for k, x in net.items() if x[0] != x[1]}
        return self._make(e, "review", fields, e.actor_id)

    def _make(self, e: Any, path: str, fields: dict[str, Any], approver: int | None) -> list[dict[str, Any]]:
        if not fields:
            return []
        values = _json(e.data)
        gone = self.view.hidden(e.owner_id, e.created_by_id, values, self.d)
        owner, owner_name = self._person(e.owner_id)
        by, by_name = self._person(approver)
        out = []
        for key in sorted(fields, key=lambda k: (self.order.get(k, len(self.order)), k)):
            old, new, actor, source = fields[key]
            spec = self.form.get(key)
            if key == OWNER[0]:
                label_zh, label_en, group = OWNER[1], OWNER[2], None
            else:
                label_zh = spec.label_zh if spec else key
                label_en = spec.label_en if spec else key
                group = spec.group if spec else None
            changer, changer_name = self._person(actor)
            out.append(
                {
                    "completed_at": iso(e.at),
                    "path": "bulk" if source == "import" and path == "review" else path,
                    "record_id": e.record_id,
                    "code": e.code,
                    "shop_name": values.get("shop_name"),
                    "collector": owner,
                    "collector_name": owner_name,
                    "field": key,
                    "field_label_zh": label_zh,
                    "field_label_en": label_en,
                    "group": group,
                    "old": self._shown(key, old, gone),
                    "new": self._shown(key, new, gone),
                    "changed_by": changer,
                    "changed_by_name": changer_name,
                    "approved_by": by,
                    "approved_by_name": by_name,
                    "source": source,
                }
            )
        return out


def _scope(user: User, d: Directory, first: dt.date, last: dt.date, owner: User | None, now: float) -> dict[str, Any]:
    people = collectors_of(user, d)
    return {
        "start": first.isoformat(),
        "end": last.isoformat(),
        "generated_at": iso(now),
        "collector": owner.name if owner else None,
        "scope": {
            "user": user.name,
            "display_name": user.display_name,
            "role": user.role,
            "collectors": [{"name": u.name, "display_name": u.display_name or u.name} for u in people],
        },
    }


def page(
    conn: Any,
    user: User,
    form: FormDefinition,
    start: str,
    end: str,
    collector: str | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
    now: float | None = None,
) -> dict[str, Any]:
    """One page of the ledger: the rows of at most ``limit`` events after ``cursor``, oldest first, and
    the cursor of the next page (None: this was the last)."""
    now = time.time() if now is None else now
    first, last = period(start, end, now)
    after = _cursor(cursor)
    limit = max(1, min(limit, MAX_LIMIT))
    user = for_reports(conn, user)  # a viewer: the teams of their subtree as the tree stands now
    d = Directory.load(conn)
    owner = _collector(user, d, collector)
    ledger = _Ledger(conn, user, form, d)
    rows: list[dict[str, Any]] = []
    n, last_key, more = 0, None, False
    q = events_query(visible_clause_indexed(user, d), first, last, owner, after).limit(limit + 1)
    for e in conn.execute(q):
        if n == limit:
            more = True  # one event beyond the page: there is a next one
            break
        n += 1
        last_key = f"{e.at!r}:{e.record_id}:{e.version}"
        rows.extend(ledger.rows(e))
    return {
        **_scope(user, d, first, last, owner, now),
        "masked": ledger.masked,
        "rows": rows,
        "next_cursor": last_key if more else None,
    }


def iter_rows(
    conn: Any, user: User, form: FormDefinition, d: Directory, first: dt.date, last: dt.date, owner: User | None
) -> Iterator[dict[str, Any]]:
    """Every row of the period, streamed (the summary's pass)."""
    ledger = _Ledger(conn, user, form, d)
    q = events_query(visible_clause_indexed(user, d), first, last, owner, None)
    for e in conn.execute(q.execution_options(yield_per=CHUNK)):
        yield from ledger.rows(e)


def summary(
    conn: Any,
    user: User,
    form: FormDefinition,
    start: str,
    end: str,
    collector: str | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """Counts of the period's ledger rows per field group, per collector (with their paths) and per path.
    and per owning department (F3 L440: 各相关部门…登记、汇总): a row counts for the department that owns its
    field in the form's metadata (app/models/owners.py; a handover for the default owner)."""
    now = time.time() if now is None else now
    first, last = period(start, end, now)
    user = for_reports(conn, user)  # a viewer: the teams of their subtree as the tree stands now
    d = Directory.load(conn)
    owner = _collector(user, d, collector)
    groups: Counter[str | None] = Counter()
    owners: Counter[str] = Counter()
    paths: Counter[str] = Counter()
    people: dict[str | None, Counter[str]] = {}
    customers_changed: set[str] = set()
    for row in iter_rows(conn, user, form, d, first, last, owner):
        groups[row["group"]] += 1
        owners[field_owner(form, row["field"])] += 1
        paths[row["path"]] += 1
        people.setdefault(row["collector"], Counter())[row["path"]] += 1
        customers_changed.add(row["record_id"])
    names = {u.name: u.display_name or u.name for u in d.by_id.values()}
    return {
        **_scope(user, d, first, last, owner, now),
        "total": sum(paths.values()),
        "customers": len(customers_changed),
        "by_group": [
            {
                "group": g.key,
                "label_zh": g.label_zh,
                "label_en": g.label_en,
                "count": groups[g.key],
            }
            for g in form.groups
            if groups[g.key]
        ]
        + (
            [{"group": None, "label_zh": OWNER[1], "label_en": OWNER[2], "count": groups[None]}] if groups[None] else []
        ),
        "by_collector": [
            {
                "collector": name,
                "display_name": names.get(name or "", name),
                "count": sum(c.values()),
                "by_path": {p: c[p] for p in PATHS if c[p]},
            }
            for name, c in sorted(people.items(), key=lambda kv: kv[0] or "")
        ],
        "by_path": {p: paths[p] for p in PATHS if paths[p]},
        "by_department": by_department(conn, owners),
    }


def by_department(conn: Any, owners: Counter[str]) -> list[dict[str, Any]]:
    """The counts per owning department, in the departments' order (a code no department has any more
    is shown by its code, last)."""
    names = department_names(conn)
    known = [{"department": c, "name": n, "count": owners[c]} for c, n in names.items() if owners[c]]
    return known + [{"department": c, "name": c, "count": n} for c, n in sorted(owners.items()) if c not in names]
