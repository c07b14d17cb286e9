"""``self-test``: open a temporary archive, exercise it, check the keyring and the translations.

Used by the command line and by the packaged app (``--self-test``) to prove an
installation works: SQLCipher is bundled, forms and translations are found.
"""

from __future__ import annotations

import secrets as pysecrets
import tempfile
from pathlib import Path

from app import secrets
from app.errors import AppError
from app.export.reading import read_sheet
from app.export.xlsx import Column, write_sheet
from app.i18n import translate
from app.models import times
from app.models.catalogue import load_form
from app.models.record import NewCustomer, Provenance, Quality, new_id
from app.storage.profile import Profile
from app.validation import validate_values


def run_self_test() -> list[str]:
    lines: list[str] = []
    form = load_form()
    lines.append(f"form: {form.form_id} v{form.version}, {len(form.fields)} fields")
    with tempfile.TemporaryDirectory(prefix="fieldarchive-selftest-") as tmp:
        profile = Profile("selftest", Path(tmp) / "profile")
        arc, key, _code = profile.create("self-test passphrase", "self-test")
        try:
            report = validate_values(
                form, {"shop_name": "自检商店", "contact_phone": "13800138000"}, today=times.today()
            )
            cid = new_id()
            arc.customers.insert(form, [NewCustomer(cid, report.values, Quality())], Provenance("self-test"))
            if arc.customers.get(cid) is None or arc.customers.search_pks("自检") == []:
                raise AppError("self-test: a saved record could not be read back")
            version = arc.db.raw.execute("PRAGMA cipher_version").fetchone()[0]
            problems = arc.integrity_problems() + arc.audit.verify_chain()
            if problems:
                raise AppError("self-test: " + "; ".join(problems))
        finally:
            arc.close()
        profile.open(profile.unlock("self-test passphrase")).close()
        lines.append(f"archive: SQLCipher {version}, create/save/search/reopen ok")
        sheet = Path(tmp) / "self-test.xlsx"
        write_sheet(sheet, [Column("店铺名称")], [["自检商店"]])
        header, rows = read_sheet(sheet)
        if header != ["店铺名称"] or [v for _n, v in rows] != [["自检商店"]]:
            raise AppError("self-test: a written spreadsheet could not be read back")
        lines.append("spreadsheets: write (openpyxl) and read (python-calamine) ok")
    if secrets.keyring_available():
        name, value = f"self-test/{pysecrets.token_hex(4)}", pysecrets.token_hex(16)
        secrets.set_secret(name, value)
        ok = secrets.get_secret(name) == value
        secrets.delete_secret(name)
        if not ok:
            raise AppError("self-test: the keyring did not return the stored secret")
        lines.append("keyring: ok")
    else:
        lines.append("keyring: none on this system (nothing is remembered on this device)")
    probe = "The passphrase is not correct."
    if translate(probe, "zh_CN") == probe:
        raise AppError("self-test: the zh_CN translations are missing")
    lines.append("translations: zh_CN ok")
    return lines
