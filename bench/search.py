"""``python -m bench.search [--count N] [--rounds R]``: the list search's first page, both plans side by side.

The first page (100 keys, as the list asks) of bench.ui's queries over N customers (default 100k, bench.ui's
archive), timed in one process with the two plans interleaved: looking up every match and sorting them (the
plan of narrow terms and of the whole key list), and walking the list in its order to the page when every
term is broad (``app.storage.search.broad``). The first plan is had by setting ``search.BROAD`` beyond reach.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from bench.common import header, ms, percentile, temp_home
from bench.ui import PASSPHRASE, build_archive

PAGE = 100


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    from app.models.record import ListQuery
    from app.services import listing
    from app.services import session as ss
    from app.storage import search

    with temp_home():
        t = time.perf_counter()
        build_archive(args.count)
        print(f"built an archive of {args.count} customers in {time.perf_counter() - t:.1f} s")
        s = ss.unlock(passphrase=PASSPHRASE)
        rng = random.Random(5)
        queries = ["王", "李记", "烟酒店1", "南大街", "13", "1500", "碑林区南大街12号", "张伟"] + [
            f"{rng.randrange(10**5):05d}" for _ in range(20)
        ]
        plans = {"lookup": 10**12, "walk": search.BROAD}
        times: dict[str, list[float]] = {p: [] for p in plans}
        each: dict[tuple[str, str], list[float]] = {}
        for n in range(args.rounds):
            for q in queries:
                for name in list(plans) if n % 2 == 0 else list(plans)[::-1]:
                    search.BROAD = plans[name]
                    t = time.perf_counter()
                    listing.first_page(s, ListQuery(q), PAGE)
                    d = time.perf_counter() - t
                    times[name].append(d)
                    each.setdefault((q, name), []).append(d)
        search.BROAD = plans["walk"]
        s.close()
    header(f"first page of {PAGE} over {args.count} customers ({len(queries)} queries x {args.rounds})")
    for name in plans:
        print(f"{name:7s} p50 {ms(percentile(times[name], 0.5))}  p95 {ms(percentile(times[name], 0.95))}")
    print(
        f"p95 walk/lookup {percentile(times['walk'], 0.95) / percentile(times['lookup'], 0.95):.2f}x "
        "(the goal of the whole search, key to rows painted: p95 <= 100 ms)"
    )
    for q in queries[:8]:
        a, b = (statistics.median(each[(q, name)]) for name in plans)
        print(f"  {q:12s} lookup {ms(a)}  walk {ms(b)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
