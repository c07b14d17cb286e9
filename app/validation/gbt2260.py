"""Administrative division codes (GB/T 2260), past and present, from python-stdnum's bundled history.

python-stdnum ships ``stdnum/cn/loc.dat`` (the code history compiled from the published tables): a
province line ``61 province="陕西省"`` followed by indented 4-digit suffixes, each with the names the
code has carried and the years, e.g. ``  0111 county="[1983-1986]郊区,[1987-]白云区"``. A code is
*known* if it appears there at all, whatever its years: an ID number keeps the code of the place that
issued it, often registered years after birth, and a code is never reused for another place.

The division codes of the residence permits for residents of Hong Kong, Macao and Taiwan
(810000, 820000, 830000; 国务院办公厅《港澳台居民居住证申领发放办法》, 2018) are not GB/T 2260
codes of a place on the mainland; ``RESIDENCE_PERMIT_CODES`` lists them for the ID number check.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import stdnum

#: Address codes of the residence permits for Hong Kong, Macao and Taiwan residents (8x0000).
RESIDENCE_PERMIT_CODES = frozenset({"810000", "820000", "830000"})

_PROVINCE = re.compile(r"([0-9]{2}) ")
_COUNTY = re.compile(r"  ([0-9]{4}) ")


def loc_dat_path() -> Path:
    return Path(stdnum.__file__).resolve().parent / "cn" / "loc.dat"


@lru_cache(maxsize=1)
def known_codes() -> frozenset[str]:
    """Every 6-digit division code that GB/T 2260 has ever listed (about 6,900; read once, ~5 ms)."""
    codes: set[str] = set()
    province = ""
    with open(loc_dat_path(), encoding="utf-8") as f:
        for line in f:
            m = _PROVINCE.match(line)
            if m:
                province = m.group(1)
                continue
            m = _COUNTY.match(line)
            if m and province:
                codes.add(province + m.group(1))
    return frozenset(codes)


def is_known(code: str) -> bool:
    """Whether ``code`` (6 ASCII digits) is a GB/T 2260 division code, current or withdrawn."""
    return code in known_codes()
