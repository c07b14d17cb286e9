"""The Alembic migrations create exactly the tables of server/schema.py, on both databases, and
running them again is harmless (every command migrates before it runs)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text

import server.schema_admin  # noqa: F401  (the same)
import server.schema_integrations  # noqa: F401  (its tables register on the same metadata)
from app.models.catalogue import load_form
from server.migrate import HEAD, upgrade
from server.schema import feed_counter, forms, metadata


def test_migrated_schema_matches_the_tables(db):
    upgrade(db)  # idempotent
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(ctx, metadata) == []
        assert ctx.get_current_revision() == HEAD
        assert conn.execute(select(feed_counter.c.seq)).scalar_one() == 0
        # the bundled form, seeded once (version 2 since care_dates and satisfaction were retired)
        assert conn.execute(select(forms.c.version)).scalars().all() == [load_form().version] == [2]


def raw_collector(conn, now: float) -> None:
    """User 1, a collector, written as a migration under test finds the table (no model of today)."""
    conn.execute(
        text(
            "INSERT INTO users (id, name, display_name, role, password_hash, disabled, created_at) "
            "VALUES (1, 'c', 'c', 'collector', 'x', false, :at)"
        ),
        {"at": now},
    )


def _to(db, revision: str, down: bool = False) -> None:
    from alembic import command

    from server.migrate import alembic_config

    cfg = alembic_config()
    with db.engine.connect() as conn, conn.begin():
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, revision)


def test_0006_keeps_a_shared_device_id_with_its_first_account(db):
    """Before 0006 two accounts could register one device id (the attack); the migration keeps it
    with the first, renames and revokes the other, and carries the photos' uploaders over."""
    import time as _time

    from sqlalchemy import insert

    from server.schema import access_tokens, devices, photo_uploads, photos, users

    _to(db, "0004", down=True)
    now = _time.time()
    with db.engine.begin() as conn:
        for uid, name in ((1, "owner"), (2, "intruder")):
            conn.execute(
                insert(users).values(
                    id=uid,
                    name=name,
                    display_name=name,
                    role="collector",
                    password_hash="x",
                    disabled=False,
                    created_at=now,
                )
            )
        conn.execute(
            devices.insert().values(
                id=1, user_id=1, device_id="laptop-A", device_name="a", created_at=now, last_login_at=now
            )
        )
        conn.execute(
            devices.insert().values(
                id=2, user_id=2, device_id="laptop-A", device_name="b", created_at=now, last_login_at=now
            )
        )
        conn.execute(insert(access_tokens).values(token_hash="t" * 64, device_pk=2, expires_at=now + 900))
        conn.execute(insert(photos).values(sha256="f" * 64, size=1, data=b"x", uploaded_by_id=2, created_at=now))
    upgrade(db)
    with db.read() as conn:
        rows = conn.execute(
            select(devices.c.id, devices.c.user_id, devices.c.device_id, devices.c.revoked_at).order_by(devices.c.id)
        ).all()
        assert [(r.user_id, r.device_id, r.revoked_at is None) for r in rows] == [
            (1, "laptop-A", True),
            (2, "laptop-A~dup2", False),
        ]
        assert conn.execute(select(access_tokens.c.device_pk)).all() == []
        assert conn.execute(select(photo_uploads.c.sha256, photo_uploads.c.user_id)).all() == [("f" * 64, 2)]


def test_0008_fills_the_day_of_the_visits_already_stored(db):
    """Visits stored before 0008 had their day only inside their JSON: the migration copies it into the
    indexed column (in chunks), so the monthly report counts them by it."""
    import json as _json
    import time as _time

    from sqlalchemy import insert, text

    from server.schema import customers, users

    _to(db, "0006", down=True)
    now = _time.time()
    with db.engine.begin() as conn:
        conn.execute(
            insert(users).values(
                id=1, name="c", display_name="c", role="collector", password_hash="x", disabled=False, created_at=now
            )
        )
        conn.execute(
            insert(customers).values(
                id="r1",
                version=1,
                status="draft",
                code_official=False,
                form_version=1,
                data="{}",
                field_versions="{}",
                missing_photos="[]",
                owner_id=1,
                created_by_id=1,
                deleted=False,
                created_at=now,
                updated_at=now,
            )
        )
        for i, body in enumerate(({"visited_on": "2026-03-31"}, {"visited_on": "2026-04-01T00:00"}, {}, "not json")):
            conn.execute(
                text(
                    "INSERT INTO visits (id, customer_id, data, created_by_id, created_at) "
                    "VALUES (:id, 'r1', :data, 1, :at)"
                ),
                {"id": f"v{i}", "data": body if isinstance(body, str) else _json.dumps(body), "at": now},
            )
    upgrade(db)
    with db.read() as conn:
        rows = conn.execute(text("SELECT id, visited_on FROM visits ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [("v0", "2026-03-31"), ("v1", "2026-04-01"), ("v2", None), ("v3", None)]


def test_0025_fills_the_licence_number_column_from_the_values(db):
    """Customers stored before 0025 had their 许可证号 only inside their values: the migration copies it into
    the indexed column (a page at a time), which the licensee feed matches customers keyed by hand with."""
    import json as _json
    import time as _time

    from sqlalchemy import insert

    from server.schema import customers, users

    _to(db, "0023_onboarding", down=True)
    now = _time.time()
    with db.engine.begin() as conn:
        conn.execute(
            insert(users).values(
                id=1, name="c", display_name="c", role="collector", password_hash="x", disabled=False, created_at=now
            )
        )
        for rid, values in (("r1", {"licence_no": "610111100123"}), ("r2", {}), ("r3", {"licence_no": 7})):
            conn.execute(
                insert(customers).values(
                    id=rid,
                    version=1,
                    status="draft",
                    code_official=False,
                    form_version=1,
                    data=_json.dumps(values),
                    field_versions="{}",
                    missing_photos="[]",
                    owner_id=1,
                    created_by_id=1,
                    deleted=False,
                    created_at=now,
                    updated_at=now,
                )
            )
    upgrade(db)
    with db.read() as conn:
        rows = conn.execute(select(customers.c.id, customers.c.licence_no).order_by(customers.c.id)).all()
    assert [tuple(r) for r in rows] == [("r1", "610111100123"), ("r2", None), ("r3", None)]


def test_0027_stores_the_completeness_of_the_customers_already_stored(db):
    """Customers stored before 0027 have no stored completeness: the upgrade computes it for each (in
    batches of 1,000), as the catalogue's validation gives it, so the monthly report sums it in SQL."""
    import datetime as _dt
    import json as _json
    import time as _time

    from sqlalchemy import text

    from app.services.demo import generate
    from server import completeness
    from server.config import CHINA_TZ
    from server.forms import current_form
    from server.schema import customers

    _to(db, "0023_onboarding", down=True)
    now, today = _time.time(), _dt.datetime.now(CHINA_TZ).date()
    values = list(generate(50, seed=24, today=today))
    for i, v in enumerate(values[:25]):  # half of them lack one more value
        v.pop("contact_phone" if i % 2 else "shop_name", None)
    rows = [
        {"id": f"r{i:05d}", "data": _json.dumps(values[i % len(values)], ensure_ascii=False), "at": now}
        for i in range(2100)
    ]
    with db.engine.begin() as conn:
        raw_collector(conn, now)
        conn.execute(
            text(
                "INSERT INTO customers (id, version, status, code_official, form_version, data, field_versions, "
                "missing_photos, owner_id, created_by_id, deleted, created_at, updated_at) "
                "VALUES (:id, 1, 'draft', false, 1, :data, '{}', '[]', 1, 1, false, :at, :at)"
            ),
            rows,
        )
    upgrade(db)
    with db.read() as conn:
        form = current_form(conn)
        stored = conn.execute(select(customers).order_by(customers.c.id)).all()
    assert len(stored) == 2100
    for r in stored:
        want = completeness.stamp(form, _json.loads(r.data), today)
        assert {k: getattr(r, k) for k in completeness.STAMP_KEYS} == want, r.id
    assert len({(r.cmp_missing, r.cmp_mask0) for r in stored}) > 2  # the values differ in what they lack


def test_0029_gives_the_bulk_signature_to_the_market_managers_post_and_the_hand_overs_their_phone_notice(db):
    """Before 0029 any member of 市场部 signed a bulk batch: a batch still waiting for its signature gets the
    owner ``manager:market`` (one signed already keeps its history); the seeded city procedure's six hand-overs
    record their phone notice from then on, its closing step not; downgrading gives both back."""
    from sqlalchemy import text

    from server.schema_onboarding import onboarding_case_steps, onboarding_steps

    _to(db, "0028_filings", down=True)
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (id, name, display_name, role, password_hash, disabled, created_at) "
                "VALUES (1, 'c', 'c', 'collector', 'x', false, 0)"
            )
        )
        conn.execute(
            text(
                "INSERT INTO customers (id, version, status, code_official, form_version, data, field_versions, "
                "missing_photos, owner_id, created_by_id, deleted, created_at, updated_at) "
                "VALUES ('r1', 1, 'approved', true, 1, '{}', '{}', '[]', 1, 1, false, 0, 0)"
            )
        )
        for cid, done in (("waiting", None), ("signed", 5.0)):
            conn.execute(
                text(
                    "INSERT INTO onboarding_cases (id, kind, record_id, status, current, revision, source, "
                    "opened_at, late_feed) VALUES (:id, 'bulk', 'r1', 'open', 2, 2, 'bulk:c', 0, false)"
                ),
                {"id": cid},
            )
            conn.execute(
                text(
                    "INSERT INTO onboarding_case_steps (case_id, position, code, name, owner, hours, done_at, note) "
                    "VALUES (:id, 2, 'sign', '市场部经理审核签名', 'department:market', NULL, :done, '')"
                ),
                {"id": cid, "done": done},
            )
    upgrade(db)
    with db.read() as conn:
        owners = dict(conn.execute(select(onboarding_case_steps.c.case_id, onboarding_case_steps.c.owner)).all())
        phones = conn.execute(select(onboarding_steps.c.phone).order_by(onboarding_steps.c.position)).scalars()
        assert list(phones) == [True] * 6 + [False]
    assert owners == {"waiting": "manager:market", "signed": "department:market"}
    _to(db, "0028_filings", down=True)
    with db.engine.connect() as conn:
        back = conn.execute(text("SELECT case_id, owner FROM onboarding_case_steps ORDER BY case_id")).all()
    assert [tuple(r) for r in back] == [("signed", "department:market"), ("waiting", "department:market")]
    upgrade(db)


def test_0030_adds_the_sealed_values_and_goes_back_down(db):
    """0030 adds ``salt`` and ``vd`` to the audit copy (NULL for the entries already there: they keep the
    hash over their values); its downgrade drops them natively, then the upgrade adds them again."""
    from sqlalchemy import inspect

    _to(db, "0029_workflow_posts", down=True)
    with db.engine.connect() as conn:
        assert {"salt", "vd"}.isdisjoint(c["name"] for c in inspect(conn).get_columns("audit_entries"))
    upgrade(db)
    with db.engine.connect() as conn:
        assert {"salt", "vd"} <= {c["name"] for c in inspect(conn).get_columns("audit_entries")}


def test_0031_counts_existing_passwords_as_changed_at_the_upgrade_and_goes_down(db):
    """Accounts there before 0031 are not made to change their password on the first day: the upgrade dates
    their password then; the downgrade to 0030 removes the tables and the column again (SQLite too)."""
    import time as _time

    from sqlalchemy import inspect, text

    _to(db, "0030_audit_sealed", down=True)
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO users (name, display_name, role, password_hash, disabled, created_at) "
                "VALUES ('before', 'before', 'collector', 'x', false, 1.0)"
            )
        )
    started = _time.time()
    _to(db, "0031_access_guards")
    with db.engine.connect() as conn:
        changed = conn.execute(text("SELECT password_changed_at FROM users WHERE name = 'before'")).scalar_one()
    assert changed >= started - 1
    _to(db, "0030_audit_sealed", down=True)
    with db.engine.connect() as conn:
        names = set(inspect(conn).get_table_names())
        cols = {c["name"] for c in inspect(conn).get_columns("users")}
    assert not {"covers", "cover_events", "password_history", "alerts"} & names and "password_changed_at" not in cols
    upgrade(db)


def test_0033_lists_the_ids_each_destruction_already_recorded_removed_and_goes_down(db):
    """The destructions recorded before 0033 give ``destroyed_ids`` their record's id and the ids of its
    visits and entries (``removed["entries"]``), more than one page of them; an id two destructions name
    keeps the first; a destruction without entries gives its record alone. Down again: the table goes."""
    import json as _json

    from sqlalchemy import inspect

    from server.schema_admin import destroyed_ids

    _to(db, "0032_report_shop_name", down=True)
    rows = [
        {"record_id": f"r{i:04d}", "removed": _json.dumps({"entries": [f"v{i:04d}a", f"v{i:04d}b"]})}
        for i in range(600)
    ]
    rows.append({"record_id": "r9999", "removed": "{}"})
    rows.append({"record_id": "r0000", "removed": _json.dumps({"entries": ["v0000a", "w1"]})})
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO destructions (record_id, record_class, since, retention_days, approved_by, reason, "
                "at, removed) VALUES (:record_id, 'closed', 0, 0, 'admin', 'test', 0, :removed)"
            ),
            rows,
        )
    _to(db, "0033_destroyed_ids")
    with db.engine.connect() as conn:
        got = dict(conn.execute(select(destroyed_ids.c.id, destroyed_ids.c.destruction_id)).all())
        first = dict(conn.execute(text("SELECT record_id, MIN(id) FROM destructions GROUP BY record_id")).all())
        last = dict(conn.execute(text("SELECT record_id, MAX(id) FROM destructions GROUP BY record_id")).all())
    want = {f"r{i:04d}" for i in range(600)} | {f"v{i:04d}{s}" for i in range(600) for s in "ab"}
    assert set(got) == want | {"r9999", "w1"}
    assert got["r0000"] == got["v0000a"] == first["r0000"]  # the first destruction that names them
    assert got["w1"] == last["r0000"] != first["r0000"]  # the second destruction of r0000 names only w1 anew
    _to(db, "0032_report_shop_name", down=True)
    with db.engine.connect() as conn:
        assert "destroyed_ids" not in inspect(conn).get_table_names()
    upgrade(db)
