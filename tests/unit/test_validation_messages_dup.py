"""A duplicate warning names the other customer, and leaves out an empty name (no "()" in the text)."""

from __future__ import annotations

from app.validation import Issue, Severity


def test_duplicate_message_with_and_without_a_name() -> None:
    named = Issue.make("contact_phone", Severity.WARNING, "duplicate", code="TMP-1", name="老王", customer_id="x")
    assert named.message("联系电话", "zh_CN") == "联系电话：与客户 TMP-1（老王）的登记信息相同。"
    unnamed = Issue.make("contact_phone", Severity.WARNING, "duplicate", code="TMP-2", name="", customer_id="y")
    assert unnamed.message("联系电话", "zh_CN") == "联系电话：与客户 TMP-2 的登记信息相同。"
    assert unnamed.message("Phone", "en") == "Phone: the same value is already used by customer TMP-2."
