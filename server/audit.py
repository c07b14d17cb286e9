"""The clients' audit trails, uploaded at sync (``POST /audit``) and kept as a copy the laptop
cannot change afterwards; read by administrators (``python -m server audit list|verify``).

A client sends its entries in order, from the first one the server has not acknowledged. Each
entry is checked with the client's own chain function (``app.models.audit_chain``): its hash must
match its content and the hash before it; the first one must follow an entry the server holds
(or be the first of the trail); every entry must be of the caller's device. An entry the server
already holds is skipped (a retry changes nothing). An entry at a position that already holds
another is kept too and both are marked as a fork: an archive restored from a backup and used
again, or a trail rewritten on the laptop. Nothing is overwritten, and the auditor sees it.

Who and when (docs/server.md, "What the audit copy proves"): a device id belongs to the account
that first signed in with it (``server.auth.login``), so a session uploads only its own device's
trail. An entry's actor is the signed-in user's name or the archive's own user name (the local
name the archive was created with: a trail written before the archive was bound to the server, and
entries the sync itself writes, name it); that local name is pinned to the device at its first
upload and may not be another account's name. There is no ``system`` or server actor in a device's
trail: the server's own actions are in its tables, not in a device's trail. An entry dated before
the one before it (beyond ``CLOCK_SLACK``) or more than ``FUTURE`` ahead of the server's clock is
refused.

Tamper evidence against the database itself: every upload that stores entries appends a signed
acknowledgement (``audit_acks``: device, number, head position and hash, owner, time, and the
previous acknowledgement's signature; HMAC-SHA256 with a key kept outside the database).
``verify`` checks the signatures and the chain of acknowledgements, that every acknowledged head
is held and chains back to the start, and that every held entry is covered by an acknowledgement;
``--checkpoint FILE`` also keeps the newest acknowledgement of each device outside the database,
so deleting the newest acknowledgements with their entries is found at the next verify.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, NamedTuple

from sqlalchemy import Connection, func, select, update

from app.models.audit_chain import FIELDS, GENESIS, SEALING, entry_hash, is_redacted, redacted
from app.models.wire import EXPORT_ENTITY, ErrorCode
from server import alert_count
from server.accounts import Caller
from server.config import Settings
from server.db import Database, Tx, pages
from server.errors import ApiError
from server.lifecycle import destroyed_among
from server.schema import audit_acks, audit_entries, devices, users

A = audit_entries.c
K = audit_acks.c
CLOCK_SLACK = dt.timedelta(minutes=5)  # a clock set back this much (NTP) is not a back-dated entry
FUTURE = dt.timedelta(days=1)  # an entry further ahead of the server's clock is refused
NO_SIG = "0" * 64  # the "previous signature" of a device's first acknowledgement


def _device_of(conn: Connection, who: Caller, lock: bool) -> Any:
    """The caller's device row (locked on PostgreSQL: one upload per device at a time)."""
    q = select(devices.c.device_id, devices.c.user_id, devices.c.actor).where(devices.c.id == who.device_pk)
    return conn.execute(q.with_for_update() if lock else q).one()


def ack_signature(
    key: bytes, device: str, n: int, seq: int, head_hash: str, user_id: int, at: float, prev_sig: str
) -> str:
    msg = "\x1f".join(
        ("fieldarchive-audit-ack/1", device, str(n), str(seq), head_hash, str(user_id), f"{at:.3f}", prev_sig)
    )
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).hexdigest()


def _when(text: str) -> dt.datetime | None:
    try:
        t = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


def _refused(i: int, field: str, code: str, message: str) -> ApiError:
    return ApiError(
        422,
        ErrorCode.VALIDATION,
        message,
        fields=[{"field": f"entries[{i}].{field}", "code": code, "message": message}],
    )


def check_actors(conn: Connection, who: Caller, pinned: str | None, entries: list[dict[str, Any]]) -> str | None:
    """Each actor is the caller or the device's local name (pinned now if not yet); the name to pin."""
    local = pinned
    for i, e in enumerate(entries):
        actor = e["actor"]
        if actor == who.user.name or actor == local:
            continue
        if local is None:
            other = conn.execute(select(users.c.name).where(func.lower(users.c.name) == actor.lower())).first()
            if other is None:
                local = actor
                continue
        raise _refused(
            i,
            "actor",
            "audit.actor",
            f"Entry {e['seq']} names {actor!r} as its actor: a trail names only "
            "the signed-in user and the archive's own user.",
        )
    return local if local != pinned else None


def check_times(conn: Connection, device: str, entries: list[dict[str, Any]]) -> None:
    """No entry dated before the one before it (beyond the slack) or far ahead of the server's clock."""
    latest = dt.datetime.now(dt.UTC) + FUTURE
    before: dt.datetime | None = None
    first = entries[0]
    if not _starts_trail(first):
        prev_at = conn.execute(select(A.at).where(A.device == device, A.hash == first["prev_hash"])).scalar()
        before = _when(prev_at) if prev_at else None
    for i, e in enumerate(entries):
        t = _when(e["at"])
        if t is None:
            raise _refused(i, "at", "audit.time", f"Entry {e['seq']} has no readable time.")
        if t > latest:
            raise _refused(i, "at", "audit.time", f"Entry {e['seq']} is dated in the future ({e['at']}).")
        if before is not None and t < before - CLOCK_SLACK:
            raise _refused(i, "at", "audit.time", f"Entry {e['seq']} is dated before the entry before it ({e['at']}).")
        before = t


def _head(conn: Connection, device: str) -> int:
    return int(conn.execute(select(func.max(A.seq)).where(A.device == device)).scalar() or 0)


def _starts_trail(e: dict[str, Any]) -> bool:
    return bool(e["seq"] == 1 and e["prev_hash"] == GENESIS)


def _broken(i: int, field: str, message: str) -> ApiError:
    return ApiError(
        422,
        ErrorCode.AUDIT_BROKEN,
        message,
        fields=[{"field": f"entries[{i}].{field}", "code": ErrorCode.AUDIT_BROKEN.value, "message": message}],
    )


def check_chain(entries: list[dict[str, Any]], device: str) -> None:
    """Every entry of the caller's device, its hash right, each one following the one before it."""
    for i, e in enumerate(entries):
        if e["device"] != device:
            raise ApiError(
                422,
                ErrorCode.VALIDATION,
                "These entries were written on another device.",
                fields=[
                    {
                        "field": f"entries[{i}].device",
                        "code": "audit.device",
                        "message": "not the device this session signed in from",
                    }
                ],
            )
        if entry_hash(e["prev_hash"], e) != e["hash"]:
            raise _broken(i, "hash", f"Entry {e['seq']} does not match its hash.")
        if i and (e["seq"] != entries[i - 1]["seq"] + 1 or e["prev_hash"] != entries[i - 1]["hash"]):
            raise _broken(i, "prev_hash", f"Entry {e['seq']} does not follow entry {entries[i - 1]['seq']}.")


def _upload(tx: Tx, who: Caller, entries: list[dict[str, Any]], key: bytes) -> dict[str, Any]:
    conn = tx.conn
    row = _device_of(conn, who, lock=tx.db.is_postgres)  # the fork marks and acknowledgements see each other
    device = row.device_id
    check_chain(entries, device)
    pin = check_actors(conn, who, row.actor, entries)
    check_times(conn, device, entries)
    hashes = [e["hash"] for e in entries]
    known = set(conn.execute(select(A.hash).where(A.device == device, A.hash.in_(hashes))).scalars())
    first = entries[0]
    if first["hash"] not in known:
        follows = (
            _starts_trail(first)
            or conn.execute(
                select(A.id).where(A.device == device, A.hash == first["prev_hash"], A.seq == first["seq"] - 1)
            ).first()
        )
        if not follows:
            head = _head(conn, device)
            raise ApiError(
                409,
                ErrorCode.AUDIT_GAP,
                f"Entry {first['seq']} does not follow an entry the server holds (it holds up to {head}).",
                extra={"offset": head},
            )
    new = [e for e in entries if e["hash"] not in known]
    taken: set[int] = set()
    if new:
        taken.update(
            conn.execute(select(A.seq).where(A.device == device, A.seq.in_([e["seq"] for e in new]))).scalars()
        )
    if taken:
        conn.execute(update(audit_entries).where(A.device == device, A.seq.in_(sorted(taken))).values(forked=True))
    now = time.time()
    if new:
        # a trail sent after its record was destroyed: kept without the values
        gone = destroyed_among(conn, (e["entity_id"] for e in new if e["action"] != "erase" and not is_redacted(e)))
        new = [
            {**e, **redacted(e)} if e["entity_id"] in gone and e["action"] != "erase" and not is_redacted(e) else e
            for e in new
        ]
        if not key:
            raise RuntimeError("no audit key: the server cannot acknowledge audit entries")
        conn.execute(
            audit_entries.insert(),
            [
                {
                    **{k: e[k] for k in FIELDS},
                    **{k: e.get(k) for k in SEALING},
                    "prev_hash": e["prev_hash"],
                    "hash": e["hash"],
                    "forked": e["seq"] in taken,
                    "uploaded_by_id": who.user.id,
                    "received_at": now,
                }
                for e in new
            ],
        )
        _acknowledge(conn, key, device, row.user_id, entries[-1], round(now, 3))
        if pin is not None:
            conn.execute(update(devices).where(devices.c.id == who.device_pk).values(actor=pin))
    return {"stored": len(new), "known": len(entries) - len(new), "forked": len(taken), "head": entries[-1]["seq"]}


def _acknowledge(conn: Connection, key: bytes, device: str, owner: int, head: dict[str, Any], at: float) -> None:
    last = conn.execute(select(K.n, K.sig).where(K.device == device).order_by(K.n.desc()).limit(1)).first()
    n, prev = (last.n + 1, last.sig) if last else (1, NO_SIG)
    sig = ack_signature(key, device, n, head["seq"], head["hash"], owner, at, prev)
    conn.execute(
        audit_acks.insert().values(
            device=device, n=n, seq=head["seq"], head_hash=head["hash"], user_id=owner, at=at, prev_sig=prev, sig=sig
        )
    )


def upload(
    db: Database, who: Caller, entries: list[dict[str, Any]], key: bytes, settings: Settings | None = None
) -> dict[str, Any]:
    """Store the entries; with ``settings``, the customers their exports wrote count towards the day's export
    volume alert (server/alerts.py), in the same transaction."""

    def go(tx: Tx) -> dict[str, Any]:
        known = set(tx.conn.execute(select(A.hash).where(A.hash.in_([e["hash"] for e in entries]))).scalars())
        out = _upload(tx, who, entries, key)
        if settings is not None:
            for at, rows in exported(e for e in entries if e["hash"] not in known):
                alert_count.add(tx, settings, alert_count.EXPORT_VOLUME, who.user.name, rows, at)
        return out

    return db.write(go)


def exported(entries: Iterable[dict[str, Any]]) -> list[tuple[float, int]]:
    """(when, how many customers) of each export among ``entries`` (an ``export`` entry's ``rows``)."""
    out = []
    for e in entries:
        if e.get("entity") != EXPORT_ENTITY or not e.get("new"):
            continue
        try:
            rows = json.loads(e["new"]).get("rows")
            at = dt.datetime.fromisoformat(str(e["at"]).replace("Z", "+00:00")).timestamp()
        except (ValueError, AttributeError, TypeError):
            continue
        if isinstance(rows, int) and not isinstance(rows, bool) and rows > 0:
            out.append((at, rows))
    return out


def listing(
    conn: Connection,
    *,
    device: str | None = None,
    user: str | None = None,
    entity: str | None = None,
    action: str | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """The newest ``limit`` entries (oldest first) matching the filters; ``user`` is who uploaded them."""
    q = select(audit_entries, users.c.name.label("uploaded_by")).join(users, users.c.id == A.uploaded_by_id)
    for col, value in ((A.device, device), (users.c.name, user), (A.entity, entity), (A.action, action)):
        if value:
            q = q.where(col == value)
    rows = conn.execute(q.order_by(A.at.desc(), A.id.desc()).limit(limit)).mappings().all()
    keep = (*FIELDS, "forked", "uploaded_by")  # the chain's fields, then what the server adds
    return [{k: r[k] for k in keep} for r in reversed(rows)]


def _day(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


class _Held(NamedTuple):
    """What ``verify`` keeps of an entry once its hash is checked (a few hundred bytes, not the row)."""

    seq: int
    prev_hash: str
    hash: str
    uploaded_by_id: int


def _starts(e: _Held) -> bool:
    return e.seq == 1 and e.prev_hash == GENESIS


#: Entries read per round trip by ``verify``.
VERIFY_CHUNK = 2000


def verify(conn: Connection, key: bytes | None = None, checkpoint: dict[str, Any] | None = None) -> list[str]:
    """Everything wrong with the copy, one line each, naming the device and the position: entries
    that do not match their hash or miss the one before them, forks, entries uploaded by another
    account than the device's, and — against the signed acknowledgements — rewritten, deleted or
    added entries, altered or deleted acknowledgements, and those missing since ``checkpoint``.

    One device at a time, its entries streamed in order and each hashed as it arrives: memory holds
    one device's positions and hashes (``_Held``), not the table's rows."""
    problems: list[str] = []
    if not key and conn.execute(select(K.id).limit(1)).first() is not None:
        problems.append(
            "no audit key: the signed acknowledgements cannot be checked "
            "(FIELDARCHIVE_AUDIT_KEY, --audit-key-file or audit.key in --data)"
        )
    for device, owner in _devices(conn):
        held: dict[str, _Held] = {}
        # a redacted entry is fine when a destruction names its entity (looked up by key once the device's
        # entries are read): its place in ``problems`` is kept, with what to say either way
        redacted_at: list[tuple[int, str, str, str | None]] = []
        q = select(audit_entries).where(A.device == device).order_by(A.seq, A.id)
        for r in conn.execute(q.execution_options(yield_per=VERIFY_CHUNK)).mappings():
            h = r["hash"]
            e = held[h] = _Held(r["seq"], r["prev_hash"], h, r["uploaded_by_id"])
            follows = _starts(e) or (e.prev_hash in held and held[e.prev_hash].seq == e.seq - 1)
            gap = None if follows else f"{device} #{e.seq}: the entry before it is missing"
            if entry_hash(e.prev_hash, r) != h:  # entries come by position: the one before is already held
                problems.append(f"{device} #{e.seq}: the entry does not match its hash")
            elif is_redacted(r):
                lost = f"{device} #{e.seq}: the entry lost its values and no destruction names its record"
                redacted_at.append((len(problems), r["entity_id"], lost, gap))
                problems.append("")
            elif gap:
                problems.append(gap)
        if redacted_at:
            destroyed = destroyed_among(conn, (entity for _i, entity, _lost, _gap in redacted_at))
            for i, entity, lost, gap in redacted_at:
                problems[i] = (gap or "") if entity in destroyed else lost
            problems[:] = [p for p in problems if p]
        at = Counter(e.seq for e in held.values())
        problems.extend(f"{device} #{seq}: {n} different entries (fork)" for seq, n in sorted(at.items()) if n > 1)
        strangers = sorted(e.seq for e in held.values() if owner is not None and e.uploaded_by_id != owner)
        if strangers:
            name = conn.execute(select(users.c.name).where(users.c.id == owner)).scalar()
            problems.append(
                f"{device} #{strangers[0]}: {len(strangers)} entries uploaded by another account than the "
                f"device's ({name if name is not None else owner})"
            )
        acks = conn.execute(select(audit_acks).where(K.device == device).order_by(K.n)).all()
        problems.extend(_check_acks(device, held, acks, key))
    for device, mark in sorted(((checkpoint or {}).get("devices") or {}).items()):
        a = conn.execute(select(audit_acks).where(K.device == device, K.n == int(mark["n"]))).first()
        if a is None:
            problems.append(
                f"{device}: acknowledgement {mark['n']} (#{mark.get('seq')}), in the checkpoint, is missing: "
                "acknowledgements were deleted since the checkpoint"
            )
        elif a.sig != mark["sig"]:
            problems.append(f"{device}: acknowledgement {mark['n']} is not the one in the checkpoint (replaced)")
    return problems


def _device_pages(conn: Connection, column: Any) -> Iterator[list[str]]:
    """The devices in ``column`` in order, a page at a time along its index (never all at once)."""
    for page in pages(conn, select(column).distinct(), column, DEVICE_PAGE):
        yield [r[0] for r in page]


def _devices(conn: Connection) -> Iterator[tuple[str, int | None]]:
    """Each device with entries, then each with acknowledgements and no entries, with the account it belongs
    to (None: not in ``devices``): memory holds a page of them, not the province's devices (issue 21)."""

    def owned(page: list[str]) -> list[tuple[str, int | None]]:
        q = select(devices.c.device_id, devices.c.user_id).where(devices.c.device_id.in_(page))
        owners = {r.device_id: r.user_id for r in conn.execute(q)}
        return [(d, owners.get(d)) for d in page]

    for page in _device_pages(conn, A.device):
        yield from owned(page)
    for page in _device_pages(conn, K.device):
        held = set(conn.execute(select(A.device).where(A.device.in_(page)).distinct()).scalars())
        yield from owned([d for d in page if d not in held])


#: Devices ``verify`` finds per round trip: what it holds besides one device's trail is a page of device ids
#: and their accounts. 100, not 500: at 500,000 customers (2,000 devices) the peak above the process's
#: resident memory went from 1.8 MB to 1.4 MB (1.1 MB at 50,000 either way), for 40 page queries instead
#: of 8 beside the 4,000 of the devices themselves (bench.report, 2026-12-07).
DEVICE_PAGE = 100


def _check_acks(device: str, held: dict[str, _Held], acks: Sequence[Any], key: bytes | None) -> list[str]:
    out: list[str] = []
    if not acks:
        if held:
            out.append(
                f"{device}: {len(held)} entries held and no signed acknowledgement (uploaded before "
                "acknowledgements were kept, or the acknowledgements were deleted)"
            )
        return out
    if not held:
        last = acks[-1]
        return [
            f"{device}: the server acknowledged entries up to #{last.seq} ({_day(last.at)}) and holds none: "
            "the trail was deleted"
        ]
    good = []
    prev, expect = NO_SIG, 1
    for a in acks:
        if a.n != expect:
            out.append(f"{device}: acknowledgements {expect}–{a.n - 1} are missing (deleted)")
        elif a.prev_sig != prev:
            out.append(f"{device}: acknowledgement {a.n} does not follow acknowledgement {a.n - 1}")
        prev, expect = a.sig, a.n + 1
        if key is None:
            continue
        if not hmac.compare_digest(
            a.sig, ack_signature(key, device, a.n, a.seq, a.head_hash, a.user_id, a.at, a.prev_sig)
        ):
            out.append(f"{device} #{a.seq}: acknowledgement {a.n} does not match its signature (altered)")
            continue
        good.append(a)
    reached: set[str] = set()
    for a in good:
        e: _Held | None = held.get(a.head_hash)
        if e is None or e.seq != a.seq:
            now_at = sorted(x.hash[:12] for x in held.values() if x.seq == a.seq)
            what = (
                f"was rewritten (acknowledged {a.head_hash[:12]}, held {', '.join(now_at)})"
                if now_at
                else "is missing (deleted)"
            )
            out.append(f"{device} #{a.seq}: the entry acknowledged on {_day(a.at)} {what}")
            continue
        while e is not None and e.hash not in reached:  # bounded: each entry is added once
            reached.add(e.hash)
            e = None if _starts(e) else held.get(e.prev_hash)
    if key is not None:
        loose = sorted(x.seq for x in held.values() if x.hash not in reached)
        if loose:
            out.append(
                f"{device} #{loose[0]}–#{loose[-1]}: {len(loose)} entries that no acknowledgement covers "
                "(rewritten or added in the database, or their acknowledgements deleted)"
            )
    return out


def sign_legacy(tx: Tx, key: bytes) -> list[str]:
    """Acknowledge the trails uploaded before acknowledgements were kept (devices with entries and no
    acknowledgement), once their entries check out: one acknowledgement per branch tip. Returns the
    lines of what was signed or left alone. Run it once after the upgrade, after a clean look at the
    copy: it vouches for what the database holds now."""
    conn = tx.conn
    done = set(conn.execute(select(K.device).distinct()).scalars())
    owners = {r.device_id: r.user_id for r in conn.execute(select(devices.c.device_id, devices.c.user_id))}
    by_device: dict[str, dict[str, dict[str, Any]]] = {}
    for r in conn.execute(
        select(audit_entries)
        .where(A.device.not_in(done) if done else A.device.is_not(None))
        .order_by(A.device, A.seq, A.id)
    ).mappings():
        by_device.setdefault(r["device"], {})[r["hash"]] = dict(r)
    lines = []
    for device, held in sorted(by_device.items()):
        bad = [
            e["seq"]
            for h, e in held.items()
            if entry_hash(e["prev_hash"], e) != h or not (_starts_trail(e) or e["prev_hash"] in held)
        ]
        if bad:
            lines.append(f"{device}: not signed, entry #{min(bad)} does not check out")
            continue
        parents = {e["prev_hash"] for e in held.values()}
        tips = sorted((e for h, e in held.items() if h not in parents), key=lambda e: (e["seq"], e["id"]))
        owner = owners.get(device) or tips[-1]["uploaded_by_id"]
        for tip in tips:
            _acknowledge(conn, key, device, owner, tip, round(time.time(), 3))
        lines.append(f"{device}: signed up to #{tips[-1]['seq']}")
    return lines


def newest_acks(conn: Connection) -> dict[str, Any]:
    """The checkpoint ``verify --checkpoint`` keeps outside the database: each device's newest acknowledgement."""
    out: dict[str, Any] = {}
    for a in conn.execute(select(audit_acks).order_by(K.device, K.n)).all():
        out[a.device] = {"n": a.n, "seq": a.seq, "sig": a.sig}
    return {"written_at": _day(time.time()), "devices": out}
