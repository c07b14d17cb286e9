"""Tables of onboarding cases (issue 17, audit ON1–ON4, ON6, N2–N4), on the same ``metadata`` as
server/schema.py's tables (imported with ``server.db`` and by the migrations' env, like schema_admin).

``onboarding_steps`` is the deployment's step table (seeded by migration 0023_onboarding with the city
procedure of F3 L379–397); a case copies it when it opens (``onboarding_case_steps``), so a later change of
the table leaves open cases as they started."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Float, ForeignKey, Integer, String, Table, Text, false

from server.schema import metadata

onboarding_steps = Table(
    "onboarding_steps",
    metadata,
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("code", String(32), nullable=False, unique=True),
    Column("name", String(100), nullable=False),
    Column("owner", String(64), nullable=False),  # role:collector | role:supervisor | department:<code>
    Column("hours", Float, nullable=False),  # working hours (a working day is 8, half a day 4)
    Column("phone", Boolean, nullable=False, default=False, server_default=false()),  # records a phone notice
)
onboarding_cases = Table(
    "onboarding_cases",
    metadata,
    Column("id", String(36), primary_key=True),
    # onboarding | own | county | city | emergency | bulk (the change paths of server/changes.py)
    Column("kind", String(16), nullable=False, server_default="onboarding", default="onboarding"),
    Column("record_id", String(36), ForeignKey("customers.id"), nullable=False, index=True),  # a batch: its first
    Column("status", String(16), nullable=False),  # open | done
    Column("current", Integer, nullable=True),  # the position of the step waiting (None when done)
    Column("revision", Integer, nullable=False),  # 1 when opened, +1 per step done
    Column("source", String(120), nullable=False),  # collector | import | integration:<name> | office
    Column("opened_at", Float, nullable=False),  # when the licensee's information arrived
    Column("opened_by_id", Integer, ForeignKey("users.id"), nullable=True),
    Column("closed_at", Float, nullable=True),
    # a licensee of the licence system's feed (issue 19): when the licence was issued, when the message
    # arrived, and whether that was more than half a working day later (F3 L382–383)
    Column("issued_at", Float, nullable=True),
    Column("received_at", Float, nullable=True),
    Column("late_feed", Boolean, nullable=False, default=False, server_default=false()),
)
onboarding_case_steps = Table(
    "onboarding_case_steps",
    metadata,
    Column("case_id", String(36), ForeignKey("onboarding_cases.id"), primary_key=True),
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("code", String(32), nullable=False),
    Column("name", String(100), nullable=False),
    Column("owner", String(64), nullable=False, index=True),
    Column("hours", Float, nullable=True),  # None: no limit in the documents ("工作要求的时限")
    Column("started_at", Float, nullable=True),  # when it became the waiting step
    Column("deadline_at", Float, nullable=True),
    Column("done_at", Float, nullable=True),
    Column("done_by_id", Integer, ForeignKey("users.id"), nullable=True),
    Column("note", String(2000), nullable=False, default=""),
    Column("phone", Boolean, nullable=False, default=False, server_default=false()),  # records a phone notice
)

# A case's kind (``onboarding_cases.kind``): ``onboarding``, or a change path of server/changes.py (issue 17,
# audit CH1–CH5, EM1, BK1): the path's steps are copied into ``onboarding_case_steps`` like onboarding's.
change_items = Table(
    "change_items",
    metadata,
    Column("case_id", String(36), ForeignKey("onboarding_cases.id"), primary_key=True),
    Column("record_id", String(36), ForeignKey("customers.id"), primary_key=True, index=True),
    Column("changes", Text, nullable=False),  # JSON {field: new value}, canonical (the catalogue's validators)
    Column("applied_version", Integer, nullable=True),  # the customer's version the change made (None: not yet)
)
case_notices = Table(
    "case_notices",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", String(36), ForeignKey("onboarding_cases.id"), nullable=False, index=True),
    Column("position", Integer, nullable=False),  # the step it was recorded with
    Column("kind", String(16), nullable=False),  # phone (an emergency step's call) | customer (the customer told)
    Column("party", String(100), nullable=False),  # who was called / told
    Column("number", String(40), nullable=False),  # the number called ("" when told another way)
    Column("at", Float, nullable=False),  # when the call was made / the customer told
    Column("outcome", String(500), nullable=False),
    Column("recorded_by_id", Integer, ForeignKey("users.id"), nullable=False),
)
