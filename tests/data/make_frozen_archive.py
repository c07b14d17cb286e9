"""Freeze an archive of the *current* schema under tests/data/archives/v<N>/.

Run once per released schema version (``python -m tests.data.make_frozen_archive``), commit the
result, and never regenerate an old one: test_migrations.py upgrades every frozen archive to
the current schema and checks its contents (Electrum's tests/test_storage_upgrade idea).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PASSPHRASE = "frozen archive passphrase"
TODAY = dt.date(2026, 11, 22)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["FIELDARCHIVE_HOME"] = tmp
        from app.models.record import CustomerStatus, Provenance, Source, Visit
        from app.services import records
        from app.services import session as ss
        from app.services.demo import generate
        from app.storage import migrations

        s, code = ss.create(passphrase=PASSPHRASE, actor="冻结测试")
        s.today = lambda: TODAY  # type: ignore[method-assign]
        full = next(generate(1, seed=1, today=TODAY))
        c1, _ = records.save_draft(s, full, "01900000-0000-7000-8000-000000000001")
        c2, _ = records.save_draft(
            s, {"shop_name": "老王烟酒店", "contact_phone": "12345"}, "01900000-0000-7000-8000-000000000002"
        )
        c3, _ = records.save_draft(
            s, {"shop_name": "李记便利店", "contact_phone": "13987654321"}, "01900000-0000-7000-8000-000000000003"
        )
        records.save_draft(
            s,
            {"shop_name": "李记便利店", "contact_phone": "13987654322"},
            c3.id,
            Provenance("冻结测试", Source.PHONE, "电话核实", "2026-11-20"),
        )
        s._archive.customers.set_status([c3.id], CustomerStatus.PENDING, Provenance("冻结测试"))
        photo = s._archive.media.put_photo(b"\xff\xd8frozen-photo", "image/jpeg", 4, 3)
        s._archive.media.add_visit(
            Visit(
                "01900000-0000-7000-8000-0000000000a1",
                c1.id,
                "2026-11-15",
                "月度走访",
                "店主在",
                "销量下降",
                (photo.sha256,),
                orders=1,  # v6: an order collected on the visit
                order_quantity=20,
                order_amount="850.00",
            ),
            Provenance("冻结测试", Source.VISIT),
        )
        version = migrations.SCHEMA_VERSION
        s.close()
        target = HERE / "archives" / f"v{version}"
        if target.exists():
            sys.stderr.write(f"{target} exists: a frozen archive is never regenerated\n")
            return 2
        target.mkdir(parents=True)
        for name in ("archive.db", "keys.json"):
            shutil.copy2(Path(tmp) / "profiles" / "default" / name, target / name)
        (target / "README.md").write_text(
            f"Frozen archive of schema v{version}, made by tests/data/make_frozen_archive.py.\n\n"
            f"- passphrase: `{PASSPHRASE}`\n- recovery code: `{code}`\n"
            f"- customers: {c1.id} (complete demo values, draft), {c2.id} (draft with an error: only shop name "
            f"stored),\n"
            f"  {c3.id} (pending, phone changed once by phone call)\n"
            f"- one visit with one photo on the first customer (from v6: and an order, 1 order, 20 cartons, 850.00)\n",
            encoding="utf-8",
        )
        print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
