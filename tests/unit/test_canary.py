"""No plaintext from a saved record appears in any file of the home folder: archive, WAL, keys,
backups, logs, settings (the encrypted archive is the only place it lives)."""

from __future__ import annotations

import os
import subprocess
import sys
import zlib
from pathlib import Path

from app.models.record import Provenance, Source, Visit, new_id
from app.services import records
from app.services import session as ss
from app.services.sheet_results import ImportMode
from app.services.sheets import process_sheet
from app.settings import Settings
from tests.conftest import PASSPHRASE
from tests.consent import CONSENT

CANARIES = ["CANARY7f3a9e", "金丝雀测试路", "13912398765", "610103199001011234"[:17], "6222029876543210"]


def _variants(s: str) -> list[bytes]:
    return [s.encode("utf-8"), s.encode("utf-16-le")]


def _scan(home) -> list[str]:
    hits = []
    for path in home.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        blobs = [data]
        try:
            blobs.append(zlib.decompress(data))
        except zlib.error:
            pass
        for blob in blobs:
            for c in CANARIES:
                if any(v in blob for v in _variants(c)):
                    hits.append(f"{path.relative_to(home)}: {c}")
    return hits


def test_no_plaintext_in_the_home_folder(home, tmp_path) -> None:
    s, _ = ss.create(passphrase=PASSPHRASE, actor="tester")
    values = {
        "shop_name": CANARIES[0] + "烟酒店",
        "address": CANARIES[1] + "99号",
        "contact_phone": CANARIES[2],
        "service_notes": " ".join(CANARIES),
        "bank_account": CANARIES[4],
        **CONSENT,
    }
    c, _ = records.save_draft(s, values)
    records.save_draft(s, {**values, "email": "canary7f3a9e@example.com"}, c.id, Provenance("tester", Source.PHONE))
    photo = s._archive.media.put_photo(b"\xff\xd8" + CANARIES[0].encode() * 50, "image/jpeg", 1, 1)
    s._archive.media.add_visit(
        Visit(new_id(), c.id, "2026-11-20", CANARIES[0], CANARIES[1], CANARIES[2], (photo.sha256,)),
        Provenance("tester", Source.VISIT),
    )
    s._profile.backup(s._archive)
    # a failing import with the canaries in it must not leak them into the log
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["店铺名称", "联系电话", "发证日期"])
    wb.active.append([CANARIES[0], CANARIES[2] + "0", "2099-01-01"])
    sheet = tmp_path / "bad.xlsx"
    wb.save(sheet)
    result = process_sheet(sheet, s.form, s._archive, actor="tester", mode=ImportMode.WRITE)
    assert result.has_errors and not result.written
    settings = Settings()
    settings.server_url = "https://example.invalid"
    settings.save()
    s.close()
    s2 = ss.unlock(passphrase=PASSPHRASE)  # reopen: WAL replay, checkpoint
    assert s2._archive.customers.get(c.id).values["shop_name"].startswith(CANARIES[0])
    s2.close()
    # the command line, with its real logging to <home>/logs, on the same home folder
    env = dict(
        os.environ,
        FIELDARCHIVE_HOME=str(home),
        FIELDARCHIVE_PASSPHRASE=PASSPHRASE,
        PYTHONPATH=str(Path(__file__).resolve().parents[2]),
    )
    for args in (
        ["import", str(sheet)],
        ["list", "--search", CANARIES[0]],
        ["export", str(tmp_path / "out.xlsx")],
        ["check"],
        ["backup"],
        ["validate", str(tmp_path / "missing.xlsx")],
    ):
        subprocess.run([sys.executable, "-m", "app", *args], env=env, capture_output=True, timeout=120)
    assert list((home / "logs").glob("*.log")), "the command line should have logged"
    assert (tmp_path / "out.xlsx").exists()
    assert _scan(home) == []
