"""The first row of each value seen in a sheet, kept compact for the in-file duplicate checks.

A 100,000-row import check remembers, for each duplicate-checked field, every value and the first row
it was on (to say 与本文件第 N 行的内容相同). Kept as a dict of the values' texts that cost some 90
bytes a value (the text, the row number's int, the dict's slot); ``FirstRows`` keeps each value's
64-bit hash and first row in two flat arrays (an open-addressed table, no object per value): 18–36
bytes a value, whatever its length. Two values are taken for one when their 64-bit hashes are equal:
distinct values with one hash are, at 100,000 values, about 1 chance in 3·10⁹ (n²/2⁶⁵).
"""

from __future__ import annotations

from array import array

_START = 1024  # slots of a new table (a power of two)


class FirstRows:
    """``add(text, row)``: the row the text ``value`` was first seen on, or 0 when it is new (``row`` is then
    kept as its first). Rows are numbers from 1 up to 2³¹ − 1."""

    __slots__ = ("_count", "_hashes", "_mask", "_rows")

    def __init__(self) -> None:
        self._hashes = array("q", bytes(8 * _START))
        self._rows = array("i", bytes(4 * _START))  # 0: an empty slot
        self._mask = _START - 1
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def add(self, value: str, row: int) -> int:
        if not 0 < row < 1 << 31:
            raise ValueError(f"row number out of range: {row}")
        h = hash(value)
        hashes, rows, mask = self._hashes, self._rows, self._mask
        i = h & mask
        while True:  # linear probing; the table is at most two-thirds full
            r = rows[i]
            if not r:
                hashes[i], rows[i] = h, row
                self._count += 1
                if self._count * 3 > (mask + 1) * 2:
                    self._grow()
                return 0
            if hashes[i] == h:
                return r
            i = (i + 1) & mask

    def _grow(self) -> None:
        old_hashes, old_rows = self._hashes, self._rows
        size = (self._mask + 1) * 2
        hashes, rows, mask = array("q", bytes(8 * size)), array("i", bytes(4 * size)), size - 1
        for h, r in zip(old_hashes, old_rows, strict=True):
            if r:
                i = h & mask
                while rows[i]:
                    i = (i + 1) & mask
                hashes[i], rows[i] = h, r
        self._hashes, self._rows, self._mask = hashes, rows, mask
