"""Governed access in the archive (docs/domain.md "Access to personal data"): opening, searching and
exporting are logged in the audit trail (not in a customer's history); exports mask ID and bank
numbers (first 6 / last 4), an unmasked one or an admin's export of personal fields is refused
without an approved request and logs the request, the file's SHA-256 and its rows; a masked export
imported back leaves the numbers as they were."""

from __future__ import annotations

import hashlib
import time

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.errors import UserFacingError
from app.models.record import ListQuery
from app.models.remote import ExportRequest
from app.models.wire import UserRole
from app.services import listing, records, review
from app.services.demo import generate
from app.services.exporting import export_archive, mask, usable_requests
from app.services.sheets import ImportMode, sheet_in_archive


def fill(session, n=4):
    return [records.save_draft(session, v)[0] for v in generate(n, seed=7, today=session.today(), complete=True)]


def column(path, header):
    ws = openpyxl.load_workbook(path).worksheets[0]
    heads = [c.value for c in ws[1]]
    i = heads.index(header)
    return [row[i] for row in ws.iter_rows(min_row=2, values_only=True)]


@given(st.text(alphabet="0123456789X", min_size=0, max_size=30))
def test_mask_keeps_the_first_6_and_last_4_and_hides_the_rest(v) -> None:
    m = mask(v)
    assert len(m) == len(v)
    if len(v) > 10:
        assert m == v[:6] + "*" * (len(v) - 10) + v[-4:]
    else:
        assert "*" in m or v == ""  # something is always hidden
        assert m.endswith(v[-4:]) or len(v) <= 4


def test_the_documents_example() -> None:
    assert mask("610103199001011007") == "610103********1007"
    assert mask("6217000010012345678") == "621700*********5678"


def test_opening_and_searching_are_logged_and_not_in_the_history(session) -> None:
    a, b, _c, _d = fill(session)
    records.open_customer(session, a.id)
    review_sub = review.open_submission(session, b.id)  # a draft is not in the queue: nothing shown, nothing logged
    assert review_sub is None
    listing.pks(session, ListQuery(text="王"))
    listing.pks(session, ListQuery(text="王"))  # the list refreshed (a sync, a filter): the same search
    listing.pks(session, ListQuery(text=""))
    records.open_customer(session, b.id)
    log = session._archive.access.entries()
    assert [(e.action, e.entity_id if e.action == "open" else e.new["query"]) for e in log] == [
        ("open", a.id),
        ("search", "王"),
        ("open", b.id),
    ]
    assert all(e.actor == "tester" and e.entity == "access" for e in log)
    assert [e.action for e in session._archive.access.entries(a.id)] == ["open"]
    assert all(e.entity == "customer" for e in records.history(session, a.id))
    assert not session._archive.audit.verify_chain() and not session._archive.audit.verify_records()


def test_exports_mask_id_and_bank_numbers_by_default(session, tmp_path) -> None:
    made = fill(session)
    out = tmp_path / "list.xlsx"
    assert export_archive(session, out, lang="zh_CN") == len(made)
    ids = column(out, session.form.get("id_card").label("zh_CN"))
    banks = column(out, session.form.get("bank_account").label("zh_CN"))
    real = {c.values["id_card"] for c in made}
    assert sorted(ids) == sorted(mask(v) for v in real) and not set(ids) & real
    stored_banks = {mask(c.values["bank_account"]) for c in made if c.values.get("bank_account")}
    assert {b for b in banks if b} == stored_banks
    entry = session._archive.access.entries()[-1]
    assert entry.action == "export" and entry.new["masked"] is True and "request" not in entry.new
    assert entry.new["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest() and entry.new["rows"] == len(made)

    # the masked file imported back: the ID and bank numbers stay as they were
    result = sheet_in_archive(session, out, mode=ImportMode.WRITE)
    assert not result.has_errors, result.to_dict()
    for c in made:
        again = records.get(session, c.id)
        assert again.values["id_card"] == c.values["id_card"]
        assert again.values.get("bank_account") == c.values.get("bank_account")


def _request(session, **kw) -> ExportRequest:
    base = dict(
        id="9b0c8f4e-0000-4000-8000-000000000001",
        applicant=session.user,
        applicant_name=session.user,
        target="本人客户",
        purpose="核对",
        reason="结算账户变更",
        unmasked=True,
        state="approved",
        created_at=time.time() - 60,
        approver="s1",
        decided_at=time.time() - 30,
        valid_until=time.time() + 3600,
    )
    return ExportRequest(**{**base, **kw})


def test_an_unmasked_export_needs_an_approved_request(session, tmp_path) -> None:
    made = fill(session, 2)
    out = tmp_path / "full.xlsx"
    with pytest.raises(UserFacingError) as refused:
        export_archive(session, out, unmasked=True)
    assert "approved export request" in refused.value.message("en") and "审批" in refused.value.message("zh_CN")
    assert not out.exists() and not session._archive.access.entries()
    for bad in (
        _request(session, state="pending", valid_until=None),
        _request(session, state="refused", valid_until=None),
        _request(session, applicant="someone-else"),
        _request(session, valid_until=time.time() - 1),
        _request(session, unmasked=False),
    ):
        session._archive.access.keep_requests([bad])
        with pytest.raises(UserFacingError):
            export_archive(session, out, unmasked=True, request_id=bad.id)
    good = _request(session)
    session._archive.access.keep_requests([good])
    assert export_archive(session, out, unmasked=True, request_id=good.id) == 2
    assert sorted(column(out, session.form.get("id_card").label("zh_CN"))) == sorted(c.values["id_card"] for c in made)
    entry = session._archive.access.entries()[-1]
    assert (entry.new["request"], entry.new["masked"], entry.new["rows"]) == (good.id, False, 2)
    assert entry.new["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()


def test_an_admins_export_of_personal_fields_needs_a_request(session, tmp_path) -> None:
    fill(session, 1)
    session.role = UserRole.ADMIN
    with pytest.raises(UserFacingError) as refused:
        export_archive(session, tmp_path / "a.xlsx")
    assert "beyond your own team" in refused.value.message("en")
    assert export_archive(session, tmp_path / "b.xlsx", groups=["operating_level"]) == 1  # no personal fields
    session._archive.access.keep_requests([_request(session, unmasked=False)])
    assert export_archive(session, tmp_path / "c.xlsx", request_id=_request(session).id) == 1
    assert session._archive.access.entries()[-1].new["masked"] is True


def test_a_named_request_that_cannot_be_used_says_why_and_what_to_do(session, tmp_path) -> None:
    fill(session, 1)
    out = tmp_path / "full.xlsx"
    cases = [
        (None, "not on this computer", "请先同步"),
        (_request(session, state="pending", valid_until=None), "still waiting for approval", "仍在等待"),
        (_request(session, state="refused", valid_until=None, note="范围太大"), "was refused (范围太大)", "已被驳回"),
        (_request(session, applicant="someone-else"), "someone else's", "申请人本人"),
        (_request(session, valid_until=time.time() - 1), "has expired", "已过期"),
        (_request(session, unmasked=False), "does not allow ID and bank numbers in full", "不允许完整导出"),
    ]
    for request, en, zh in cases:
        session._archive.access.keep_requests([request] if request else [])
        with pytest.raises(UserFacingError) as refused:
            export_archive(session, out, unmasked=True, request_id=_request(session).id)
        assert en in refused.value.message("en") and zh in refused.value.message("zh_CN"), en
        assert _request(session).id in refused.value.message("en")
    assert not out.exists()


def test_the_applicant_is_the_account_signed_in_not_the_archives_own_name(session, tmp_path) -> None:
    """The archive was made as ``tester`` and signs in as ``c1``: c1's approved request is usable here."""
    fill(session, 1)
    session._archive.meta.set("sync_user", "c1")
    theirs = _request(session, applicant="c1")
    session._archive.access.keep_requests([theirs, _request(session, id="9b0c8f4e-0000-4000-8000-000000000002")])
    assert [r.id for r in usable_requests(session)] == [theirs.id]  # the one made as "tester" is not c1's
    assert export_archive(session, tmp_path / "full.xlsx", unmasked=True, request_id=theirs.id) == 1
