"""Search-as-you-type over name, shop name, address, phone, licence and customer code.

Two contentless FTS5 indexes over the same folded text:

* ``customer_trgm`` (trigram tokenizer): any substring of 3 or more characters,
  in any script: "碑林区", "8123", "610102".
* ``customer_gram`` (unicode61 over pre-split grams, ``detail=none``): every
  Chinese character and every pair of adjacent Chinese characters, plus every
  Latin/digit word for prefix matching. It answers 1–2 character queries such as
  "王" or "烟酒", which a trigram index cannot.

Both are keyed by the customer's ``pk`` and rewritten together with the row.

A first page of a broad search ("南大街" on 100k customers: every row) is found by walking the list in
its order and keeping the matching keys until the page is full, not by looking up every match and
sorting them (``broad``: issue 21, 0.2–0.7 s → 30–50 ms at 100k).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.engine import Connection

from app.validation.normalize import search_text

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]+")
_WORD = re.compile(r"[0-9a-z]+")
#: A search condition matching at least this many customers is broad: a first page of 100 walks about
#: 100 / share of the list's rows (share = matches / customers) where looking up the matches costs one
#: read each and a sort; the two meet near sqrt(100 × customers), about 3,000 at 100k.
BROAD = 2000


def body(parts: Iterable[object]) -> str:
    """The folded text that is indexed: the parts joined by a separator that never matches."""
    return search_text(" | ".join(str(p) for p in parts if p))


def grams(text: str) -> str:
    """Space-separated 1- and 2-character Chinese grams and whole Latin/digit words."""
    out: set[str] = set(_WORD.findall(text))
    for run in _CJK.findall(text):
        out.update(run)
        out.update(map(operator.add, run, run[1:]))
    return " ".join(out)


def _quote(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def plan(query: str) -> list[tuple[str, str]]:
    """The (index, MATCH expression) pairs that must all match for ``query``; [] for an empty query.

    Every whitespace-separated term must match (AND). Terms of 3+ characters go to the
    trigram index; 1–2 character terms go to the gram index (the exact Chinese gram, or
    a prefix of a Latin/digit word).
    """
    long_terms: list[str] = []
    short_exprs: list[str] = []
    for term in search_text(query).replace('"', " ").split():
        if len(term) >= 3:
            long_terms.append(_quote(term))
            continue
        for part in _CJK.findall(term):
            short_exprs.append(_quote(part))
        for word in _WORD.findall(term):
            short_exprs.append(_quote(word) + " *")
    conditions = []
    if long_terms:
        conditions.append(("customer_trgm", " AND ".join(long_terms)))
    if short_exprs:
        conditions.append(("customer_gram", " AND ".join(short_exprs)))
    return conditions


def broad(c: Connection, conditions: list[tuple[str, str]]) -> bool:
    """Every condition matches at least ``BROAD`` customers (each counted over its first ``BROAD`` matches
    only, a fraction of a millisecond); False for no condition."""
    for table, expr in conditions:
        count = text(f"SELECT count(*) FROM (SELECT rowid FROM {table} WHERE {table} MATCH :m LIMIT {BROAD})")
        if c.execute(count, {"m": expr}).scalar_one() < BROAD:
            return False
    return bool(conditions)
