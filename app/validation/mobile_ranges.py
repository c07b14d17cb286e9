"""Mobile number ranges (号段) allocated for public mobile service in China: our own dated table.

Source: 工业和信息化部《电信网编号计划（2017年版）》及后续号段分配公告 (MIIT, the numbering plan of
2017 and the range allocations announced after it). Table as of 2023-12-31, compiled 2026-12-06.

Why our own table: the phone library's metadata lags behind the allocations (phonenumberslite 9.0.42
does not know 149, 1740[6-9], 1741[0-2] or 1749). A number is in a known range when this table *or*
the library lists its prefix, so that allocations made after this table's date are still recognised
once the library has them (tests/unit/test_validation.py pins where the two differ).

Each entry: prefix → (holder, use, certain). ``certain`` is False where the holder or use is not
confirmed from the announcement itself; the range is listed either way, since a warning on a real
number is the worse mistake for a collector in the field.

Not listed, on purpose (an 11-digit number there is not a personal mobile number and is warned):
140, 141, 144, 146, 148 (物联网, 13-digit IoT numbers), 154, 160, 163, 164, 168, 169, 179, 194
(not allocated), 1741[3-9] to 1748 (not allocated). 172 and 1610 are known to the library (mobile) but
their allocation for public mobile service is not confirmed here (172 is believed to be IoT): they are
accepted through the library only.
"""

from __future__ import annotations

AS_OF = "2023-12-31"
SOURCE = "工业和信息化部《电信网编号计划（2017年版）》及后续号段分配公告"

_MOBILE, _UNICOM, _TELECOM, _BROADNET = "中国移动", "中国联通", "中国电信", "中国广电"
_VOICE, _DATA, _MVNO, _SAT = "mobile", "data card (上网卡)", "virtual operator (转售)", "satellite"

RANGES: dict[str, tuple[str, str, bool]] = {
    "130": (_UNICOM, _VOICE, True),
    "131": (_UNICOM, _VOICE, True),
    "132": (_UNICOM, _VOICE, True),
    "133": (_TELECOM, _VOICE, True),
    "1340": (_MOBILE, _VOICE, True),
    "1341": (_MOBILE, _VOICE, True),
    "1342": (_MOBILE, _VOICE, True),
    "1343": (_MOBILE, _VOICE, True),
    "1344": (_MOBILE, _VOICE, True),
    "1345": (_MOBILE, _VOICE, True),
    "1346": (_MOBILE, _VOICE, True),
    "1347": (_MOBILE, _VOICE, True),
    "1348": (_MOBILE, _VOICE, True),
    "1349": ("中国卫通", _SAT, True),
    "135": (_MOBILE, _VOICE, True),
    "136": (_MOBILE, _VOICE, True),
    "137": (_MOBILE, _VOICE, True),
    "138": (_MOBILE, _VOICE, True),
    "139": (_MOBILE, _VOICE, True),
    "145": (_UNICOM, _DATA, True),
    "147": (_MOBILE, _DATA, True),
    "149": (_TELECOM, _DATA, True),
    "150": (_MOBILE, _VOICE, True),
    "151": (_MOBILE, _VOICE, True),
    "152": (_MOBILE, _VOICE, True),
    "153": (_TELECOM, _VOICE, True),
    "155": (_UNICOM, _VOICE, True),
    "156": (_UNICOM, _VOICE, True),
    "157": (_MOBILE, _VOICE, True),
    "158": (_MOBILE, _VOICE, True),
    "159": (_MOBILE, _VOICE, True),
    "162": (_TELECOM, _MVNO, True),
    "165": (_MOBILE, _MVNO, True),
    "166": (_UNICOM, _VOICE, True),
    "167": (_UNICOM, _MVNO, True),
    "170": ("转售企业", _MVNO, True),
    "171": (_UNICOM, _MVNO, True),
    "173": (_TELECOM, _VOICE, True),
    # 174: 17400-17405 天通 satellite (China Telecom); 17406-17412 工业和信息化部应急通信保障中心
    # (emergency communication); 1749 中国卫通 satellite. 17413-17489 are not allocated.
    "17400": (_TELECOM, _SAT, True),
    "17401": (_TELECOM, _SAT, True),
    "17402": (_TELECOM, _SAT, True),
    "17403": (_TELECOM, _SAT, True),
    "17404": (_TELECOM, _SAT, True),
    "17405": (_TELECOM, _SAT, True),
    "17406": ("工业和信息化部应急通信保障中心", "emergency communication", False),
    "17407": ("工业和信息化部应急通信保障中心", "emergency communication", False),
    "17408": ("工业和信息化部应急通信保障中心", "emergency communication", False),
    "17409": ("工业和信息化部应急通信保障中心", "emergency communication", False),
    "17410": ("工业和信息化部应急通信保障中心", "emergency communication", False),
    "17411": ("工业和信息化部应急通信保障中心", "emergency communication", False),
    "17412": ("工业和信息化部应急通信保障中心", "emergency communication", False),
    "1749": ("中国卫通", _SAT, True),
    "175": (_UNICOM, _VOICE, True),
    "176": (_UNICOM, _VOICE, True),
    "177": (_TELECOM, _VOICE, True),
    "178": (_MOBILE, _VOICE, True),
    "180": (_TELECOM, _VOICE, True),
    "181": (_TELECOM, _VOICE, True),
    "182": (_MOBILE, _VOICE, True),
    "183": (_MOBILE, _VOICE, True),
    "184": (_MOBILE, _VOICE, True),
    "185": (_UNICOM, _VOICE, True),
    "186": (_UNICOM, _VOICE, True),
    "187": (_MOBILE, _VOICE, True),
    "188": (_MOBILE, _VOICE, True),
    "189": (_TELECOM, _VOICE, True),
    "190": (_TELECOM, _VOICE, True),
    "191": (_TELECOM, _VOICE, True),
    "192": (_BROADNET, _VOICE, True),
    "193": (_TELECOM, _VOICE, True),
    "195": (_MOBILE, _VOICE, True),
    "196": (_UNICOM, _VOICE, True),
    "197": (_MOBILE, _VOICE, True),
    "198": (_MOBILE, _VOICE, True),
    "199": (_TELECOM, _VOICE, True),
}

_LENGTHS = sorted({len(p) for p in RANGES})


def allocated(number: str) -> bool:
    """Whether an 11-digit mobile number (or a prefix of at least 5 digits) lies in a range of the table."""
    return any(number[:n] in RANGES for n in _LENGTHS)
