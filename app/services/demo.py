"""Realistic generated customers (valid IDs, licences, credit codes, phones) for demos, screenshots,
benchmarks and tests. Deterministic for a given seed; never real people.

``open_demo`` is the "try it" path (``make run ARGS=--demo``): a separate profile, ``demo``, with its own
archive (a fixed passphrase: it holds nothing real), filled once with a few hundred generated customers
and marked as demo data (meta ``demo``); such an archive is never synced (services.syncing refuses it).
The user's own profile is not touched."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from stdnum import luhn
from stdnum.cn import ric, uscc

from app.models import times
from app.models.record import NewCustomer, Provenance, Source, new_id

if TYPE_CHECKING:
    from app.services.session import Session

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉梅建国建华志强文斌海燕红梅国庆春梅晓东丽华"
SHOP_WORDS = [
    "便民",
    "鑫源",
    "福满",
    "顺发",
    "兴隆",
    "金鼎",
    "万家",
    "佳佳",
    "好又多",
    "百信",
    "旺角",
    "和平",
    "东方",
    "华联",
    "老街",
    "红星",
    "新世纪",
    "康乐",
    "富民",
    "永辉",
]
SHOP_KINDS = [
    ("烟酒店", "tobacco_liquor"),
    ("便利店", "convenience"),
    ("超市", "supermarket"),
    ("商店", "grocery"),
    ("食杂店", "grocery"),
    ("副食店", "grocery"),
    ("商行", "tobacco_liquor"),
    ("购物中心", "mall"),
]
DISTRICTS = [
    ("610102", "新城区", 34.266, 108.953),
    ("610103", "碑林区", 34.256, 108.940),
    ("610104", "莲湖区", 34.265, 108.933),
    ("610111", "灞桥区", 34.272, 109.064),
    ("610112", "未央区", 34.293, 108.946),
    ("610113", "雁塔区", 34.213, 108.948),
    ("610116", "长安区", 34.158, 108.907),
    ("610122", "蓝田县", 34.151, 109.323),
]
STREETS = [
    "东大街",
    "西大街",
    "南大街",
    "北大街",
    "解放路",
    "长乐路",
    "友谊路",
    "含光路",
    "太白路",
    "朱雀大街",
    "凤城路",
    "纬二街",
    "建设路",
    "咸宁路",
    "电子正街",
    "长安路",
]
MOBILE_PREFIXES = [
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "155",
    "157",
    "158",
    "159",
    "166",
    "177",
    "180",
    "181",
    "186",
    "187",
    "188",
    "189",
    "191",
    "199",
]


def _id_number(rng: random.Random, region: str, born: dt.date, male: bool) -> str:
    seq = rng.randrange(0, 50) * 2 + (1 if male else 0)
    body = f"{region}{born:%Y%m%d}{rng.randrange(0, 10)}{seq:02d}"
    return body + ric.calc_check_digit(body + "0")


def _uscc(rng: random.Random, region: str) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    body = "92" + region + "".join(rng.choice(alphabet) for _ in range(9))
    return body + uscc.calc_check_digit(body + "0")


def _bank(rng: random.Random) -> str:
    body = "622202" + "".join(str(rng.randrange(10)) for _ in range(12))
    return body + luhn.calc_check_digit(body)


def _more_values(x: random.Random, v: dict[str, Any], district: str, region: str, issued: dt.date) -> dict[str, Any]:
    """The rest of the mandatory fields a collector keeps (the documents' 68, docs/domain.md), from their
    own random stream so that the values above stay what they were for a given seed."""
    out: dict[str, Any] = {
        "customer_nature": x.choice(["independent", "independent", "chain", "franchise"]),
        "registered_capital": str(x.choice([0, 1, 3, 5, 10, 50])),
        "taxpayer_no": v["uscc"],  # 三证合一: the credit code is the taxpayer number
        "tax_type": x.choice(["small", "small", "general", "none"]),
        "issuing_bureau": f"西安市{district}烟草专卖局",
        "annual_review_date": min(issued + dt.timedelta(days=365), issued + dt.timedelta(days=364 * 5)).isoformat(),
        "home_address": f"陕西省西安市{district}{x.choice(STREETS)}{x.randrange(1, 400)}号{x.randrange(1, 30)}栋",
        "invoice_type": x.choice(["ordinary", "ordinary", "none"]),
        "business_scale": x.choice(["1", "2", "2", "2", "3"]),  # the collector's first estimate
        "display_form": x.choice(["counter", "shelf", "cabinet", "back_wall"]),
        "sales_structure": x.choice(["high", "mid", "mid", "low", "balanced"]),
        "law_abiding": x.choice(["good"] * 8 + ["minor"]),
        "order_phone": v["contact_phone"] if x.random() < 0.8 else f"029-{x.randrange(8000_0000, 8999_9999)}",
        "delivery_section": f"{district}{x.choice(STREETS)}段",
        "delivery_sequence": x.randrange(1, 200),
        "order_batch": f"周{'一二三四五'[x.randrange(5)]}批",
        "visit_batch": f"第{x.randrange(1, 5)}批",
        "visit_cycle": x.choice(["weekly", "biweekly"]),
    }
    if v["order_method"] == "online":
        out["newshangmeng_account"] = f"{region}{x.randrange(10**7, 10**8)}"
    return out


def customer_values(rng: random.Random, n: int, today: dt.date, complete: bool = False) -> dict[str, Any]:
    region, district, lat, lon = rng.choice(DISTRICTS)
    surname = rng.choice(SURNAMES)
    name = surname + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
    word, (kind, retail_format) = rng.choice(SHOP_WORDS), rng.choice(SHOP_KINDS)
    male = rng.random() < 0.6
    born = dt.date(1955, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 45))
    issued = today - dt.timedelta(days=rng.randrange(30, 365 * 4))
    phone = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(0, 10**8):08d}"
    v: dict[str, Any] = {
        "licence_no": f"{region}{1 if rng.random() < 0.9 else 2}{n % 100000:05d}",
        "licence_type": "individual" if rng.random() < 0.85 else "enterprise",
        "legal_person": name,
        "id_card": _id_number(rng, region, born, male),
        "uscc": _uscc(rng, region),
        "customer_type": "ordinary",
        "binding_date": (issued + dt.timedelta(days=rng.randrange(1, 20))).isoformat(),
        "shop_name": f"{word}{kind}" if rng.random() < 0.5 else f"{surname}记{word}{kind}",
        "address": f"陕西省西安市{district}{rng.choice(STREETS)}{rng.randrange(1, 400)}号",
        "region_code": region,
        "postal_code": "710" + f"{rng.randrange(0, 200):03d}",
        "retail_format": retail_format,
        "business_scope": ["cigarettes"] + rng.sample(["liquor", "food", "beverages", "daily_goods"], 2),
        "business_nature": "individual",
        "market_type": "urban" if rng.random() < 0.8 else "rural",
        "customer_status": "active",
        "order_method": rng.choice(["online", "online", "online", "phone", "mobile_app"]),
        "settlement_method": "electronic" if rng.random() < 0.9 else "cash",
        "bank_name": rng.choice(["icbc", "abc", "psbc"]),
        "bank_account": _bank(rng),
        "order_frequency": "weekly",
        "order_cycle": [rng.choice(["mon", "tue", "wed", "thu", "fri"])],
        "delivery_route": f"{district}{rng.randrange(1, 12)}号线",
        "location": f"{lat + rng.uniform(-0.03, 0.03):.6f},{lon + rng.uniform(-0.03, 0.03):.6f}",
        "licence_issue_date": issued.isoformat(),
        "licence_expiry_date": (issued + dt.timedelta(days=365 * 5)).isoformat(),
        "business_area": str(rng.randrange(8, 300)),
        "brand_count": rng.randrange(20, 160),
        "contact_name": name,
        "contact_phone": phone,
        "gender": "male" if male else "female",
        "consent_signed": True,
        "consent_date": issued.isoformat(),
    }
    if rng.random() < 0.3:
        v["landline"] = f"029-{rng.randrange(8000_0000, 8999_9999)}"
    if rng.random() < 0.2:
        v["service_notes"] = rng.choice(["店主希望增加高端品牌", "周末客流较大", "需要更换烟柜", "曾反映送货延迟"])
    more = _more_values(random.Random(f"{n}:{v['id_card']}:{v['licence_no']}"), v, district, region, issued)
    if complete:  # every mandatory field a person keeps, but the photos (which the caller adds)
        return v | more | _consent(v)
    consent = _consent(v)
    drop = rng.sample(sorted(v), rng.choice((0, 0, 1, 3, 6)))  # some archives are not complete yet
    for k in drop:
        v.pop(k, None)
    return v | more | consent  # every generated customer gave its consent (it can be submitted, F3 L211)


def _consent(v: dict[str, Any]) -> dict[str, Any]:
    """The recorded consent with its form (the form added after the draws: the same seed, the same customers)."""
    keys = ("consent_signed", "consent_date")
    return {k: v[k] for k in keys} | {"consent_form": "written"} if v.get("consent_signed") is True else {}


def generate(
    count: int, seed: int = 42, today: dt.date | None = None, complete: bool = False
) -> Iterator[dict[str, Any]]:
    """``count`` customers; some with a few fields left empty, unless ``complete``."""
    rng = random.Random(seed)
    today = today or times.today()
    for n in range(count):
        yield customer_values(rng, n, today, complete)


DEMO_PROFILE = "demo"
DEMO_PASSPHRASE = "FieldArchive demo archive: generated customers only"  # not a secret: nothing real inside
DEMO_USER = "演示用户"
DEMO_CUSTOMERS = 300
DEMO_FLAG = "demo"  # meta key: "1" in a demo archive


def open_demo(count: int = DEMO_CUSTOMERS) -> Session:
    """The demo profile's session: created and filled with ``count`` generated customers the first
    time (and filled again if an earlier start stopped before), opened as it is afterwards."""
    from app.services import session as ss  # noqa: PLC0415  # demo.py is also imported by benches and tests without the storage
    from app.services.startup import profile_exists  # noqa: PLC0415

    if profile_exists(DEMO_PROFILE):
        session = ss.unlock(DEMO_PROFILE, passphrase=DEMO_PASSPHRASE)
    else:
        session, _code = ss.create(DEMO_PROFILE, passphrase=DEMO_PASSPHRASE, actor=DEMO_USER)
    arc = session._archive
    arc.meta.set(DEMO_FLAG, "1")
    if arc.customers.count() == 0:
        fill(session, count)
    return session


def fill(session: Session, count: int, seed: int = 2026) -> None:
    """``count`` generated customers as drafts, in one transaction (validated like any entry)."""
    from app.services import records  # noqa: PLC0415
    from app.validation import validate_values  # noqa: PLC0415

    today = session.today()
    items = []
    for values in generate(count, seed=seed, today=today):
        report = validate_values(session.form, values, today=today)
        items.append(NewCustomer(new_id(), records.clean_values(report), records.quality(report)))
    session._archive.customers.insert(session.form, items, Provenance(session.user, Source.MANUAL, "demo"))
