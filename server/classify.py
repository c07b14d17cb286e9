"""Business scale (经营规模) and the three-part classification code (客户分类), §3.10. Pure functions.

Scale, computed separately within each retail format (零售业态)::

    score_i = (qty_i / Σqty_format + amount_i / Σamount_format) / 2

Rules (the requirements leave them open; these are the ones built, see docs/classification.md):

* Scores are exact fractions (amounts in whole fen), so equal figures give exactly equal scores.
* Customers are sorted by score, highest first. With ``n`` customers in the format,
  ``n_top = round_half_up(0.2 * n)`` and ``n_bottom = round_half_up(0.2 * n)``: positions
  ``1 .. n_top`` are scale 1 (large), the last ``n_bottom`` positions scale 3 (small), the rest 2.
* Equal scores always get the same scale: a group of tied customers that straddles a boundary
  gets the best (smallest) scale any of its positions would get.
* Only customers with figures for the period take part. A customer without any figures is not
  ranked and keeps the scale it has (it is reported as "no figures"). A row of zeros is a figure.
* If one of the two sums is zero (say every amount is 0), that half of the score is 0 for
  everyone. If both sums are zero, nobody in the format can be ranked: every customer of that
  format keeps its scale and the format is reported as "no purchases".
* Customers without a retail format cannot be ranked; they keep their scale.

Classification code: market type letter + retail format letter + scale digit, e.g. ``CZ1``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

#: 市场类型 choice value -> first letter (C = 城镇 town, X = 乡村 village).
MARKET_CODES = {"urban": "C", "rural": "X"}
#: 零售业态 choice value -> second letter. Z/S/B/Y/F follow the public scheme quoted in §3.10;
#: that scheme gives no letters for 商场 and 其他, so D (大型商场) and Q (其他 qita) are ours.
FORMAT_CODES = {
    "grocery": "Z",
    "supermarket": "S",
    "convenience": "B",
    "tobacco_liquor": "Y",
    "entertainment": "F",
    "mall": "D",
    "other": "Q",
}
SCALES = ("1", "2", "3")


@dataclass(frozen=True)
class Figures:
    """One customer's purchases in the period: cartons and amount in fen (1 yuan = 100 fen)."""

    key: str
    qty: int
    amount_fen: int


def round_half_up(x: Fraction) -> int:
    """0.5 rounds up (Python's round() rounds half to even, which would make n=5·k+2.5 ambiguous)."""
    return int(x + Fraction(1, 2)) if x >= 0 else -round_half_up(-x)


def band_sizes(n: int) -> tuple[int, int]:
    """(n_top, n_bottom) for ``n`` ranked customers."""
    share = round_half_up(Fraction(n, 5))
    return share, share


def scores(figures: Iterable[Figures]) -> dict[str, Fraction] | None:
    """Exact scores of one format's customers, or None when both sums are zero (nothing to rank)."""
    items = list(figures)
    total_q = sum(f.qty for f in items)
    total_a = sum(f.amount_fen for f in items)
    if total_q == 0 and total_a == 0:
        return None
    out = {}
    for f in items:
        q = Fraction(f.qty, total_q) if total_q else Fraction(0)
        a = Fraction(f.amount_fen, total_a) if total_a else Fraction(0)
        out[f.key] = (q + a) / 2
    return out


def scale_within_format(figures: Iterable[Figures]) -> dict[str, str]:
    """Scale '1', '2' or '3' of every customer of one retail format (empty if nothing to rank)."""
    sc = scores(figures)
    if not sc:
        return {}
    order = sorted(sc, key=lambda k: (-sc[k], k))
    n = len(order)
    n_top, n_bottom = band_sizes(n)

    def by_position(i: int) -> str:  # i is 0-based
        if i < n_top:
            return "1"
        if i >= n - n_bottom:
            return "3"
        return "2"

    out: dict[str, str] = {}
    i = 0
    while i < n:  # walk groups of equal score; each group takes the best scale of its positions
        j = i
        while j + 1 < n and sc[order[j + 1]] == sc[order[i]]:
            j += 1
        best = min(by_position(k) for k in range(i, j + 1))
        for k in range(i, j + 1):
            out[order[k]] = best
        i = j + 1
    return out


def classification_code(market_type: str | None, retail_format: str | None, scale: str | None) -> str | None:
    """``CZ1`` and the like; None when a part is missing or has no code letter."""
    m, f = MARKET_CODES.get(market_type or ""), FORMAT_CODES.get(retail_format or "")
    if m is None or f is None or scale not in SCALES:
        return None
    return f"{m}{f}{scale}"
