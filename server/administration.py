"""Administration as service functions, shared by the admin HTTP API (server/admin_api.py) and the command
line (server/cli_admin.py): users, teams and handovers of customers, devices, purchase
figures and classification runs, the audit copy (the work calendar: server/calendar_admin.py).

Every call is written to the admin log (``admin_log``): who (an admin's user name, or the system user who
ran the command line), through what (``api`` or ``cli``), what, on what, when and how it ended. A change
and its log row are one transaction; a refused call is logged on its own with the reason. Reads are
logged too (who looked at the users, who exported the audit copy). Passwords and reset codes never are.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Connection

from app.export.sheetfile import SheetError
from server import accounts, admin, audit, calendar, classify_run, lifecycle, purchases
from server.accounts import AccountError, NoSuchUser
from server.backup import made_before
from server.config import Settings
from server.db import Database, Tx
from server.schema import admin_log, audit_entries, customers, devices, password_resets, users
from server.schema_admin import departments, user_places

T = TypeVar("T")
#: How long a one-time reset code is good for, and how many wrong tries kill it.
RESET_SECONDS = 24 * 3600
RESET_TRIES = 5
#: Crockford-like alphabet without 0/O, 1/I/L: a code read out over the phone is not misheard.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 16  # about 79 bits


@dataclass(frozen=True)
class Actor:
    """Who makes an administrative call, and through what."""

    name: str
    via: str  # api | cli

    @classmethod
    def cli(cls) -> Actor:
        try:
            who = getpass.getuser()
        except (OSError, KeyError):  # no user name for this uid (a container)
            who = "unknown"
        return cls(who[:64] or "unknown", "cli")


class AdminError(Exception):
    """A refused administrative call; the message is one English line."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.status = status


#: What a refused call raises (the API answers 4xx with the message, the command line one line).
REFUSED: tuple[type[Exception], ...] = (
    AccountError,
    calendar.CalendarError,
    purchases.PeriodError,
    AdminError,
    lifecycle.LifecycleError,
)


class _Rollback(Exception):
    def __init__(self, result: Any) -> None:
        super().__init__("dry run")
        self.result = result


def log(conn: Connection, actor: Actor, action: str, target: str, outcome: str, detail: dict[str, Any]) -> None:
    conn.execute(
        insert(admin_log).values(
            at=time.time(),
            actor=actor.name[:64],
            via=actor.via,
            action=action,
            target=target[:200],
            outcome=outcome,
            detail=json.dumps(detail, ensure_ascii=False, default=str, sort_keys=True),
        )
    )


def write_logged(
    db: Database,
    actor: Actor,
    action: str,
    target: str,
    params: dict[str, Any],
    fn: Callable[[Tx], T],
    summary: Callable[[T], dict[str, Any]] | None = None,
    *,
    dry_run: bool = False,
) -> T:
    """``fn`` and its log row in one transaction; a dry run is rolled back and logged on its own."""

    def go(tx: Tx) -> T:
        result = fn(tx)
        if dry_run:
            raise _Rollback(result)
        log(tx.conn, actor, action, target, "ok", {**params, **(summary(result) if summary else {})})
        return result

    try:
        return db.write(go)
    except _Rollback as rb:  # a dry run, or a check that found problems: nothing written but the log row
        result: T = rb.result
        outcome = "refused" if getattr(result, "problems", None) else "ok"
        detail = {**params, **(summary(result) if summary else {})}
        db.write(lambda tx: log(tx.conn, actor, action, target, outcome, detail))
        return result
    except REFUSED as exc:
        refused = {**params, "error": str(exc)}
        db.write(lambda tx: log(tx.conn, actor, action, target, "refused", refused))
        raise


def read_logged(
    db: Database, actor: Actor, action: str, target: str, params: dict[str, Any], fn: Callable[[Connection], T]
) -> T:
    try:
        with db.read() as conn:
            result = fn(conn)
    except REFUSED as exc:
        refused = {**params, "error": str(exc)}
        db.write(lambda tx: log(tx.conn, actor, action, target, "refused", refused))
        raise
    db.write(lambda tx: log(tx.conn, actor, action, target, "ok", params))
    return result


def refuse(db: Database, actor: Actor, action: str, target: str, reason: str) -> None:
    """Log a call refused before it ran (a caller without the admin role)."""
    db.write(lambda tx: log(tx.conn, actor, action, target, "refused", {"error": reason}))


# ------------------------------------------------------------------------------------------- users


def _user_rows(conn: Connection) -> list[dict[str, Any]]:
    rows = conn.execute(select(users).order_by(users.c.name)).all()
    names = {r.id: r.name for r in rows}
    owned: dict[int, int] = dict(
        conn.execute(
            select(customers.c.owner_id, func.count())
            .where(customers.c.deleted.is_(False))
            .group_by(customers.c.owner_id)
        ).all()
    )
    active: dict[int, int] = dict(
        conn.execute(
            select(devices.c.user_id, func.count()).where(devices.c.revoked_at.is_(None)).group_by(devices.c.user_id)
        ).all()
    )
    return [
        {
            "name": r.name,
            "display_name": r.display_name,
            "role": r.role,
            "supervisor": names.get(r.supervisor_id),
            "disabled": bool(r.disabled),
            "created_at": r.created_at,
            "customers": int(owned.get(r.id, 0)),
            "devices": int(active.get(r.id, 0)),
        }
        for r in rows
    ]


def list_users(db: Database, actor: Actor) -> list[dict[str, Any]]:
    return read_logged(db, actor, "users.list", "", {}, _user_rows)


def _hash_code(code: str) -> str:
    canonical = "".join(ch for ch in code.upper() if ch.isalnum())
    return hashlib.sha256(canonical.encode()).hexdigest()


def _issue_code(tx: Tx, user_id: int) -> tuple[str, float]:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    code = "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))
    now = time.time()
    tx.conn.execute(delete(password_resets).where(password_resets.c.user_id == user_id))
    tx.conn.execute(
        insert(password_resets).values(
            user_id=user_id, code_hash=_hash_code(code), expires_at=now + RESET_SECONDS, attempts=0, created_at=now
        )
    )
    return code, now + RESET_SECONDS


def add_user(
    db: Database,
    settings: Settings,
    actor: Actor,
    name: str,
    role: str,
    *,
    display_name: str | None = None,
    supervisor: str | None = None,
    password: str | None = None,
    department: str | None = None,
) -> dict[str, Any]:
    """A new user. Without a password (the admin area) the user gets a one-time code instead, with which
    they choose their own password (``redeem``): the admin never knows it. ``department``: placed in that
    department at once (a department user, 部门人员: a viewer placed in a department, docs/domain.md)."""

    def go(tx: Tx) -> dict[str, Any]:
        secret = password if password is not None else secrets.token_urlsafe(32)
        dep = None
        if department:
            dep = tx.conn.execute(select(departments.c.id).where(departments.c.code == department)).scalar()
            if dep is None:
                raise AdminError(f"there is no department {department!r}", 404)
        user = accounts.add_user(
            tx, settings, name, role, secret, display_name=display_name, supervisor=supervisor or None
        )
        if dep is not None:
            tx.conn.execute(insert(user_places).values(user_id=user.id, territory_id=None, department_id=dep))
        out: dict[str, Any] = {"name": user.name, "code": None, "code_expires_at": None}
        if password is None:
            out["code"], out["code_expires_at"] = _issue_code(tx, user.id)
        return out

    params = {"role": role, "display_name": display_name, "supervisor": supervisor, "department": department}
    return write_logged(db, actor, "users.add", name, params, go, lambda r: {"with_code": r["code"] is not None})


def set_disabled(db: Database, actor: Actor, name: str, disabled: bool) -> None:
    write_logged(
        db,
        actor,
        "users.disable" if disabled else "users.enable",
        name,
        {},
        lambda tx: accounts.set_disabled(tx, name, disabled),
    )


def set_password(db: Database, settings: Settings, actor: Actor, name: str, password: str) -> None:
    write_logged(db, actor, "users.password", name, {}, lambda tx: accounts.set_password(tx, settings, name, password))


def reset_password(db: Database, actor: Actor, name: str) -> dict[str, Any]:
    """A one-time code the user sets a new password with (``redeem``); the old password keeps working
    until then. A new code replaces an earlier one."""

    def go(tx: Tx) -> dict[str, Any]:
        user = accounts.require_user(tx.conn, name)
        code, expires = _issue_code(tx, user.id)
        return {"name": user.name, "code": code, "code_expires_at": expires}

    return write_logged(db, actor, "users.reset", name, {}, go, lambda r: {"expires_at": r["code_expires_at"]})


WRONG_CODE = "The code is wrong, used or expired: ask an administrator for a new one."


def redeem(db: Database, settings: Settings, name: str, code: str, password: str) -> None:
    """Set a new password with a one-time code: once, before it expires, within a few tries. The new
    password logs the user out everywhere (server.accounts.set_password)."""
    accounts.check_password_strength(password)

    def go(tx: Tx) -> bool:
        user = accounts.get_user(tx.conn, name)
        if user is None:
            return False
        pr = password_resets.c
        mine = pr.user_id == user.id
        # Take one of the code's tries before comparing, by a conditional update: concurrent guesses each
        # need a try of their own (PostgreSQL re-checks the condition after the row lock), so the code
        # never answers more than RESET_TRIES guesses, however many arrive at once.
        took = tx.conn.execute(
            update(password_resets)
            .where(mine, pr.attempts < RESET_TRIES, pr.expires_at >= time.time())
            .values(attempts=pr.attempts + 1)
            .returning(pr.code_hash, pr.attempts)
        ).first()
        if took is None or user.disabled:
            tx.conn.execute(delete(password_resets).where(mine))  # expired, used up or no code at all
            return False
        if not secrets.compare_digest(took.code_hash, _hash_code(code)):
            if took.attempts >= RESET_TRIES:
                tx.conn.execute(delete(password_resets).where(mine))
            log(tx.conn, Actor(name, "api"), "password.redeem", name, "refused", {"error": "wrong code"})
            return False
        tx.conn.execute(delete(password_resets).where(mine))
        accounts.set_password(tx, settings, name, password)
        log(tx.conn, Actor(name, "api"), "password.redeem", name, "ok", {})
        return True

    if not db.write(go):
        raise AdminError(WRONG_CODE, 401)


def set_role(db: Database, actor: Actor, name: str, role: str) -> int:
    return write_logged(
        db, actor, "users.role", name, {"role": role}, lambda tx: admin.set_role(tx, name, role), _changed
    )


def _changed(n: int) -> dict[str, Any]:
    return {"customers": n}


def set_team(db: Database, actor: Actor, name: str, supervisor: str | None) -> int:
    """Move a user to a supervisor's team (None: no team); their customers move with them."""
    return write_logged(
        db,
        actor,
        "users.team",
        name,
        {"supervisor": supervisor},
        lambda tx: admin.set_team(tx, name, supervisor),
        _changed,
    )


# ------------------------------------------------------------------------------- devices, handovers


def list_devices(db: Database, actor: Actor, user: str | None = None) -> list[dict[str, Any]]:
    return read_logged(db, actor, "devices.list", user or "", {}, lambda conn: accounts.list_devices(conn, user))


def revoke_device(db: Database, actor: Actor, user: str, device_id: str) -> None:
    write_logged(
        db, actor, "devices.revoke", f"{user}/{device_id}", {}, lambda tx: accounts.revoke_device(tx, user, device_id)
    )


def handover(
    db: Database, actor: Actor, to: str, refs: list[str], *, from_user: str | None = None, note: str = ""
) -> dict[str, Any]:
    """Give customers (ids or official codes, or every customer ``from_user`` holds) to ``to`` in one
    transaction. The handover record (who gave what from whom to whom, when, why) is the log row; each
    customer's history shows the change of owner with the handover as its source."""
    if not refs and not from_user:
        raise AdminError("name the customers to hand over, or the user whose customers they are")

    def go(tx: Tx) -> dict[str, Any]:
        if from_user:
            accounts.require_user(tx.conn, from_user)
        ids = list(refs) + (admin.owned_by(tx, from_user) if from_user else [])
        if not ids:
            raise AdminError(f"{from_user!r} holds no customers")
        ref = f"by {actor.name}" + (f": {note}" if note else "")
        moved = admin.assign_many(tx, ids, to, {"source": "handover", "source_ref": ref[:4000]})
        return {"to": to, "from_user": from_user, "note": note, "moved": [asdict(m) for m in moved]}

    params = {"from_user": from_user, "note": note, "customers": refs}
    return write_logged(db, actor, "customers.handover", to, params, go, lambda r: {"moved": r["moved"]})


def handovers(db: Database, actor: Actor, limit: int = 100) -> list[dict[str, Any]]:
    """The newest handover records, newest first."""
    return read_logged(db, actor, "handovers.list", "", {}, lambda conn: log_rows(conn, "customers.handover", limit))


def log_rows(
    conn: Connection, action: str | None = None, limit: int = 200, who: str | None = None
) -> list[dict[str, Any]]:
    q = select(admin_log).order_by(admin_log.c.id.desc()).limit(limit)
    if action:
        q = q.where(admin_log.c.action == action)
    if who:
        q = q.where(admin_log.c.actor == who)
    return [
        {
            "at": r.at,
            "actor": r.actor,
            "via": r.via,
            "action": r.action,
            "target": r.target,
            "outcome": r.outcome,
            "detail": json.loads(r.detail),
        }
        for r in conn.execute(q).all()
    ]


def admin_log_rows(
    db: Database, actor: Actor, *, action: str | None = None, who: str | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    return read_logged(
        db, actor, "log.list", "", {"action": action, "who": who}, lambda c: log_rows(c, action, limit, who)
    )


# ------------------------------------------------------------------------- purchases, classification


def import_purchases(
    db: Database,
    actor: Actor,
    path: Path,
    period: str | None,
    *,
    sheet: str | None = None,
    dry_run: bool = False,
    source: str = "",
) -> purchases.ImportReport:
    """All or nothing; a report with problems wrote nothing. A dry run checks every row and rolls back."""

    def go(tx: Tx) -> purchases.ImportReport:
        try:
            report = purchases.import_purchases(tx, path, period, actor.name, sheet=sheet)
        except SheetError as exc:
            params = {**exc.params, **({"file": source or "the file"} if "file" in exc.params else {})}
            raise AdminError("The file cannot be read: " + SheetError(exc.msgid, **params).message("en")) from None
        if report.problems:
            raise _Rollback(report)
        return report

    params = {"period": period, "file": source or str(path), "dry_run": dry_run}
    return write_logged(db, actor, "purchases.import", period or "", params, go, _import_summary, dry_run=dry_run)


def _import_summary(r: purchases.ImportReport) -> dict[str, Any]:
    return {"imported": r.imported, "replaced": r.replaced, "periods": sorted(r.periods), "problems": len(r.problems)}


def classify(db: Database, actor: Actor, period: str, *, dry_run: bool = False) -> classify_run.RunReport:
    """Rank every retail format on the period's figures; a dry run writes nothing (the table of changes)."""
    return write_logged(
        db,
        actor,
        "classify.run",
        period,
        {"dry_run": dry_run},
        lambda tx: classify_run.run_classification(tx, purchases.parse_period(period), dry_run=dry_run),
        lambda r: {"changed": r.changed, "ranked": r.ranked, "unchanged": r.unchanged},
        dry_run=False,
    )


def run_report_json(r: classify_run.RunReport) -> dict[str, Any]:
    return {
        "period": r.period,
        "applied": r.applied,
        "ranked": r.ranked,
        "unchanged": r.unchanged,
        "changed": r.changed,
        "no_figures": r.no_figures,
        "no_format": r.no_format,
        "no_code_letter": r.no_code_letter,
        "formats_without_purchases": r.formats_without_purchases,
        "first_quarter": r.first_quarter,
        "reassessed": r.reassessed,
        "changes": [
            {
                "record_id": c.record_id,
                "code": c.code,
                "shop": c.shop,
                "retail_format": c.retail_format,
                "score": float(c.score) if c.score is not None else None,
                "old_scale": c.old_scale,
                "new_scale": c.new_scale,
                "old_class": c.old_class,
                "new_class": c.new_class,
            }
            for c in r.changes
        ],
    }


# --------------------------------------------------------------------------------------- audit copy


def audit_list(db: Database, actor: Actor, **filters: Any) -> list[dict[str, Any]]:
    target = filters.get("device") or filters.get("user") or ""
    return read_logged(
        db, actor, "audit.list", target, {k: v for k, v in filters.items() if v}, lambda c: audit.listing(c, **filters)
    )


def audit_verify(db: Database, actor: Actor, key: bytes | None, checkpoint: dict[str, Any] | None = None) -> list[str]:
    """Every problem of the uploaded audit trails, one line each (none: intact)."""
    problems = read_logged(db, actor, "audit.verify", "", {}, lambda c: audit.verify(c, key or None, checkpoint))
    return problems


EXPORT_COLUMNS = tuple(c.name for c in audit_entries.columns if c.name not in ("id", "uploaded_by_id"))


def audit_export(db: Database, actor: Actor, out: IO[str], device: str | None = None) -> int:
    """Write the audit copy to ``out`` as JSON lines, device by device in trail order, each entry with its
    hashes (so the chain can be checked elsewhere) and the account that uploaded it; read in one
    snapshot, in chunks. Returns how many entries were written."""
    q = (
        select(audit_entries, users.c.name.label("uploaded_by"))
        .join(users, users.c.id == audit_entries.c.uploaded_by_id)
        .order_by(audit_entries.c.device, audit_entries.c.seq, audit_entries.c.id)
    )
    if device:
        q = q.where(audit_entries.c.device == device)
    n = 0
    with db.read() as conn:
        for r in conn.execute(q.execution_options(yield_per=2000)).mappings():
            row = {k: r[k] for k in EXPORT_COLUMNS}
            row["uploaded_by"] = r["uploaded_by"]
            out.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
            n += 1
    db.write(lambda tx: log(tx.conn, actor, "audit.export", device or "", "ok", {"entries": n}))
    return n


def is_not_found(exc: Exception) -> bool:
    return isinstance(exc, NoSuchUser) or (isinstance(exc, AdminError) and exc.status == 404)


# ------------------------------------------------------------------------------ retention, destruction


def retention_due(db: Database, actor: Actor, settings: Settings) -> list[dict[str, Any]]:
    """The records past their retention (docs/domain.md, "The archive's lifecycle"); the read is logged."""
    return read_logged(
        db,
        actor,
        "retention.due",
        "",
        {"retention": lifecycle.retention(settings)},
        lambda conn: [d.as_json() for d in lifecycle.due(conn, settings)],
    )


def destroy_records(
    db: Database,
    actor: Actor,
    settings: Settings,
    record_ids: list[str],
    approved_by: str,
    reason: str,
    backup_folder: str | None = None,
) -> list[dict[str, Any]]:
    """Destroy records past their retention, all or none, on an admin's approval (``approved_by``); the
    backups in ``backup_folder`` made before are named in each destruction (they still hold the record)."""
    backups = made_before(backup_folder, time.time())
    return write_logged(
        db,
        actor,
        "retention.destroy",
        ",".join(record_ids)[:200],
        {"records": list(record_ids), "approved_by": approved_by, "reason": reason},
        lambda tx: lifecycle.destroy(tx, settings, list(record_ids), approved_by, reason, backups=backups),
        lambda done: {"destroyed": len(done), "kept_in_backups": backups},
    )
