"""Official customer codes, handed out when a new customer is approved.

A code is the record's 6-digit region code (``000000`` when it has none) followed by a 6-digit
sequence number of that region: 12 digits, like the codes tobacco bureaus already use. The next
number of each region is a row in ``code_sequences``, locked for the rest of the transaction on
PostgreSQL, so two approvals can never take the same number; a number already used by an imported
code is skipped. After a server restore, an approval sent again carries the code the client holds;
``keep_code`` keeps it (and moves the counter past it) unless another customer has it meanwhile.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import insert, select, update

from app.models.catalogue import FieldType, FormDefinition
from server.db import Tx
from server.schema import code_sequences, customers

REGION_RE = re.compile(r"[0-9]{6}")
NO_REGION = "000000"


class CodesExhausted(Exception):
    """A region has used all 999,999 numbers."""


def region_of(form: FormDefinition, values: dict[str, Any]) -> str:
    for spec in form.fields:
        if spec.type is FieldType.REGION_CODE:
            value = values.get(spec.key)
            if isinstance(value, str) and REGION_RE.fullmatch(value):
                return value
    return NO_REGION


def keep_code(
    tx: Tx, region: str, code: str | None, record_id: str, taken: frozenset[str] | set[str] = frozenset()
) -> str | None:
    """A code a client still holds for this record, given again after a server restore lost the approval
    that issued it: kept when it is of the record's region and no other customer has it, and the region's
    counter moves past it so it is never issued again. None: the caller issues the next code instead."""
    if not code or len(code) != 12 or not code.isdigit() or code[:6] != region or code in taken:
        return None
    other = tx.conn.execute(select(customers.c.id).where(customers.c.code == code, customers.c.id != record_id)).first()
    if other is not None:
        return None
    n = int(code[6:])
    q = select(code_sequences.c.next).where(code_sequences.c.region == region)
    if tx.db.is_postgres:
        q = q.with_for_update()
    row = tx.conn.execute(q).first()
    if row is None:
        tx.conn.execute(insert(code_sequences).values(region=region, next=n + 1))
    elif row.next <= n:
        tx.conn.execute(update(code_sequences).where(code_sequences.c.region == region).values(next=n + 1))
    return code


def next_code(tx: Tx, region: str, taken: frozenset[str] | set[str] = frozenset()) -> str:
    """The next free code of ``region``; ``taken`` holds codes given in this transaction but not yet written."""
    q = select(code_sequences.c.next).where(code_sequences.c.region == region)
    if tx.db.is_postgres:
        q = q.with_for_update()
    row = tx.conn.execute(q).first()
    n = row.next if row else 1
    while True:
        if n > 999_999:
            raise CodesExhausted(region)
        code = f"{region}{n:06d}"
        n += 1
        if (
            code not in taken
            and tx.conn.execute(select(customers.c.id).where(customers.c.code == code)).first() is None
        ):
            break
    if row is None:
        tx.conn.execute(insert(code_sequences).values(region=region, next=n))
    else:
        tx.conn.execute(update(code_sequences).where(code_sequences.c.region == region).values(next=n))
    return code
