"""The form and the list fit the window (issue 16): no horizontal scrolling down to 1280×720 in Chinese
and English, labels beside or above the fields, check boxes and help texts that wrap, a section
navigator with live missing counts, list columns that fit and are remembered per user, readable
font sizes and one set of status colours."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from app import i18n
from app.models.record import CustomerStatus, Provenance
from app.services import records
from app.settings import Settings
from app.ui import style
from app.ui.context import UiContext
from app.ui.records.list_panel import CustomerListPanel
from app.ui.records.table_model import Column
from app.ui.tasks import TaskRunner

SIZES = [(1280, 720), (1400, 860), (1920, 1080)]


def settle(times: int = 6) -> None:
    for _ in range(times):
        QApplication.processEvents()


def main_window(qtbot, ctx, lang: str, size: tuple[int, int]):
    from app.ui.main_window import MainWindow

    i18n.set_language(lang)  # the autouse ``home`` fixture sets zh_CN back afterwards
    win = MainWindow(ctx, ctx.session.form, "tester")
    qtbot.addWidget(win)
    win.coordinator.stop()
    win.resize(*size)
    win.show()
    qtbot.waitExposed(win)
    win.panel.show_customer(None)
    settle()
    return win


def in_viewport(widget: QWidget, viewport: QWidget) -> QRect:
    """``widget``'s rectangle in ``viewport``'s coordinates."""
    return QRect(widget.mapTo(viewport, QPoint(0, 0)), widget.size())


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_form_never_scrolls_sideways_and_everything_wraps_inside(qtbot, ctx, lang, size) -> None:
    win = main_window(qtbot, ctx, lang, size)
    form = win.panel.form_widget
    viewport = form.scroll.viewport()
    assert form.scroll.horizontalScrollBar().maximum() == 0
    width = viewport.width()
    scope = form.rows["business_scope"].editor
    assert len(scope.boxes) >= 4
    for _value, box in scope.boxes:  # the multi-choice check boxes wrap instead of running off the right
        assert in_viewport(box, viewport).right() < width, box.text()
    for key, row in form.rows.items():
        for w in (row.label, row.editor) + ((row.hint,) if row.hint else ()):
            assert in_viewport(w, viewport).right() < width, (key, w)


def test_labels_go_above_the_fields_when_the_form_is_narrow(qtbot, ctx) -> None:
    win = main_window(qtbot, ctx, "en", (1920, 1080))
    form = win.panel.form_widget
    row = form.rows["shop_name"]
    assert form.labels_beside
    assert row.label.geometry().right() < row.editor.geometry().left()
    win.resize(1280, 720)
    settle()
    assert not form.labels_beside  # English labels are long: above the fields at 1280×720
    assert row.label.geometry().bottom() <= row.editor.geometry().top()
    assert form.scroll.horizontalScrollBar().maximum() == 0


def navigator_counts(form) -> dict[str, int]:
    counts: dict[str, int] = {}
    for i in range(form.missing_list.count()):
        key = form.missing_list.item(i).data(256)
        if key is None:  # a heading ("有错误的值" / "尚未填写的必填项")
            continue
        group = form.form[key].group
        counts[group] = counts.get(group, 0) + 1
    return counts


def test_the_section_navigator_counts_what_is_missing_live_and_scrolls_to_the_section(qtbot, ctx) -> None:
    win = main_window(qtbot, ctx, "zh_CN", (1280, 720))
    form = win.panel.form_widget
    groups = [g for g in form.form.groups if form.form.fields_in(g.key)]
    assert form.sections.count() == len(groups) >= 5
    shown = {form.sections.item(i).data(256): form.sections.item(i).text() for i in range(form.sections.count())}
    expected = navigator_counts(form)
    assert sum(expected.values()) == form.missing_list.count() > 0
    for g in groups:
        n = expected.get(g.key, 0)
        assert shown[g.key] == (f"{g.label('zh_CN')}  ({n})" if n else f"{g.label('zh_CN')}  ✓")
    # typing a shop name takes one off the "identification" section's count as soon as the form validates
    before = form.missing_by_group()["identification"]
    editor = form.rows["shop_name"].editor
    editor.edit.setText("南大街老王烟酒")
    editor.edit.textEdited.emit("南大街老王烟酒")
    qtbot.waitUntil(lambda: form.missing_by_group()["identification"] == before - 1, timeout=3000)
    ident = next(i for i in range(form.sections.count()) if form.sections.item(i).data(256) == "identification")
    assert f"({before - 1})" in form.sections.item(ident).text()
    assert {k: n for k, n in form.missing_by_group().items() if n} == navigator_counts(form)  # "other": none required
    # a click on the last section scrolls the form to it: its title at the top
    last = form.sections.item(form.sections.count() - 1)
    bar = form.scroll.verticalScrollBar()
    assert bar.value() == 0
    qtbot.mouseClick(
        form.sections.viewport(), Qt.MouseButton.LeftButton, pos=form.sections.visualItemRect(last).center()
    )
    box = form.group_boxes[last.data(256)]
    assert bar.value() > 0
    assert bar.value() == min(box.y(), bar.maximum())
    assert in_viewport(box, form.scroll.viewport()).top() <= form.scroll.viewport().height()
    assert form.sections.currentRow() == form.sections.count() - 1


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_jumping_from_the_missing_list_keeps_the_label_in_view(qtbot, ctx, lang) -> None:
    win = main_window(qtbot, ctx, lang, (1280, 720))
    form = win.panel.form_widget
    viewport = form.scroll.viewport()
    item = form.missing_list.item(form.missing_list.count() - 1)  # the last one: far down the form
    key = item.data(256)
    qtbot.mouseClick(
        form.missing_list.viewport(), Qt.MouseButton.LeftButton, pos=form.missing_list.visualItemRect(item).center()
    )
    settle()
    row = form.rows[key]
    assert form.scroll.verticalScrollBar().value() > 0
    for w in (row.label, row.editor):
        assert viewport.rect().contains(in_viewport(w, viewport)), (key, w)
    assert QApplication.focusWidget() is row.editor.focus_widget()


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
@pytest.mark.parametrize("size", [(1280, 720), (1400, 860)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_lists_status_completeness_and_last_visit_fit_and_the_empty_list_needs_no_scroll_bar(
    qtbot, ctx, lang, size
) -> None:
    win = main_window(qtbot, ctx, lang, size)
    table = win.list_panel.table
    header = table.horizontalHeader()
    assert win.list_panel.model.rowCount() == 0
    assert table.horizontalScrollBar().maximum() == 0
    width = table.viewport().width()
    for col in (Column.CODE, Column.SHOP, Column.STATUS, Column.COMPLETENESS, Column.LAST_VISIT, Column.ADDRESS):
        assert not header.isSectionHidden(col)
        assert header.sectionSize(col) >= header.fontMetrics().horizontalAdvance(
            str(win.list_panel.model.headerData(col, Qt.Orientation.Horizontal))
        ), col
        assert header.sectionViewportPosition(col) + header.sectionSize(col) <= width, col
    # the address takes what is left: the visible columns fill the viewport exactly
    visible = [c for c in Column if not header.isSectionHidden(c)]
    assert sum(header.sectionSize(c) for c in visible) == width


def test_column_widths_order_and_shown_columns_are_remembered_per_user(qtbot, ctx, home) -> None:
    panel = CustomerListPanel(ctx, None, "wangxm")
    qtbot.addWidget(panel)
    header = panel.table.horizontalHeader()
    default_code = header.sectionSize(Column.CODE)
    header.resizeSection(Column.CODE, default_code + 37)
    header.moveSection(header.visualIndex(Column.LAST_VISIT), 0)
    header.setSectionHidden(Column.PHONE, False)
    header.setSortIndicator(Column.SHOP, Qt.SortOrder.AscendingOrder)
    panel.save_columns()
    # a restart: the settings are read back from the file
    again = CustomerListPanel(UiContext(TaskRunner(inline=True), Settings()), None, "wangxm")
    again.ctx.session = ctx.session
    qtbot.addWidget(again)
    h2 = again.table.horizontalHeader()
    assert h2.sectionSize(Column.CODE) == default_code + 37
    assert h2.logicalIndex(0) == Column.LAST_VISIT
    assert not h2.isSectionHidden(Column.PHONE)
    assert again.model.query.sort == "shop_name" and not again.model.query.descending
    # another user of this computer keeps the defaults
    other = CustomerListPanel(UiContext(TaskRunner(inline=True), Settings()), None, "lisi")
    qtbot.addWidget(other)
    h3 = other.table.horizontalHeader()
    assert h3.sectionSize(Column.CODE) == default_code and h3.logicalIndex(0) == Column.CODE
    assert h3.isSectionHidden(Column.PHONE)


def test_default_widths_are_fitted_again_after_a_restart_in_a_smaller_window(qtbot, ctx) -> None:
    wide = main_window(qtbot, ctx, "en", (1920, 1080))
    wide.list_panel.table.horizontalHeader().setSortIndicator(Column.SHOP, Qt.SortOrder.AscendingOrder)
    wide.list_panel.save_columns()  # as on closing: the sorting is kept, the widths were never touched
    assert Settings().list_columns["tester"].startswith("d:")
    ctx.settings = Settings()
    small = main_window(qtbot, ctx, "en", (1280, 720))
    table = small.list_panel.table
    assert table.horizontalHeader().sortIndicatorSection() == Column.SHOP
    assert table.horizontalScrollBar().maximum() == 0
    assert table.horizontalHeader().sectionSize(Column.SHOP) < wide.list_panel.table.horizontalHeader().sectionSize(
        Column.SHOP
    )


def test_a_user_who_resizes_a_column_has_it_saved_without_closing(qtbot, ctx) -> None:
    panel = CustomerListPanel(ctx, None, "wangxm")
    qtbot.addWidget(panel)
    header = panel.table.horizontalHeader()
    header.resizeSection(Column.SHOP, 211)
    qtbot.waitUntil(lambda: "wangxm" in Settings().list_columns, timeout=3000)
    assert Settings().list_columns["wangxm"].startswith("c:")


def visible_widgets(root: QWidget) -> list[QWidget]:
    return [w for w in root.findChildren(QWidget) if w.isVisible() and isinstance(w, QLabel) and w.text()]


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_every_text_on_the_form_and_the_list_is_at_least_10_points(qtbot, ctx, lang) -> None:
    win = main_window(qtbot, ctx, lang, (1400, 860))
    labels = visible_widgets(win)
    assert any(w.property("role") == "hint" for w in labels)  # the help texts are among them
    small = [
        (w.text()[:20], w.font().pointSizeF()) for w in labels if w.font().pointSizeF() < style.MIN_POINT_SIZE - 0.01
    ]
    assert not small
    assert win.list_panel.table.font().pointSizeF() >= style.MIN_POINT_SIZE - 0.01
    assert QApplication.font().pointSizeF() >= style.MIN_POINT_SIZE - 0.01


def test_a_status_has_one_colour_in_the_list_the_form_and_the_review(qtbot, ctx) -> None:
    session = ctx.session
    customer, _report = records.save_draft(session, {"shop_name": "老王烟酒"}, None, Provenance("tester"))
    session._archive.customers.set_status([customer.id], CustomerStatus.PENDING, Provenance("tester"))
    win = main_window(qtbot, ctx, "zh_CN", (1400, 860))
    win.list_panel.apply()
    model = win.list_panel.model
    colour = model.data(model.index(0, Column.STATUS), Qt.ItemDataRole.ForegroundRole).color()
    assert colour == QColor(style.STATUS_COLORS[CustomerStatus.PENDING])
    win.open_customer(customer.id)
    settle()
    assert f"color:{style.STATUS_COLORS[CustomerStatus.PENDING]}" in win.panel.form_widget.badge.text()
    assert "待审核" in win.panel.form_widget.badge.text()
    session.role = "supervisor"
    win.set_role("supervisor")
    win.review.refresh()
    win.review.select(customer.id)
    settle()
    title = win.review.view.title.text()
    assert f"color:{style.STATUS_COLORS[CustomerStatus.PENDING]}" in title


def test_the_english_review_queue_keeps_the_shop_readable_at_1280(qtbot, ctx) -> None:
    from app.services.demo import generate
    from app.ui.review.panel import SHOP_MIN, ReviewPanel

    i18n.set_language("en")
    ctx.session.role = "supervisor"
    ids = [records.save_draft(ctx.session, v)[0].id for v in generate(4, seed=12)]
    records.submit(ctx.session, ids, note="four new shops")
    panel = ReviewPanel(ctx, ctx.session.form)
    qtbot.addWidget(panel)
    panel.resize(1280 - 16, 640)  # what the review tab gets in a 1280×720 window
    panel.show()
    qtbot.waitExposed(panel)
    panel.refresh()
    settle()
    assert panel.table.rowCount() == 4
    assert panel.table.columnWidth(2) >= SHOP_MIN
    assert panel.table.horizontalScrollBar().maximum() == 0
    assert all(panel.table.item(r, 5).toolTip() == panel.table.item(r, 5).text() for r in range(4))


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_a_long_shop_name_is_cut_with_an_ellipsis_in_the_form_header_at_1280(qtbot, ctx, lang) -> None:
    """At 1280×720 the header's badge, source and buttons leave the name little room: it is cut with "…"
    (the whole name in the tooltip), never clipped through a character; a short one shows whole."""
    win = main_window(qtbot, ctx, lang, (1280, 720))
    form = win.panel.form_widget
    long_name = "西安市碑林区南大街永辉便民超市连锁有限公司第十二分店"
    c, _report = records.save_draft(ctx.session, {"shop_name": long_name})
    win.panel.show_customer(c)
    qtbot.waitUntil(lambda: form.title.text() == long_name, timeout=10_000)
    settle()
    title = form.title
    assert title.fontMetrics().horizontalAdvance(long_name) > title.contentsRect().width()  # it does not fit
    shown = title.shown()
    assert shown.endswith("…") and long_name.startswith(shown[:-1]) and title.toolTip() == long_name
    assert title.fontMetrics().horizontalAdvance(shown) <= title.contentsRect().width()
    c2, _report = records.save_draft(ctx.session, {"shop_name": "永辉商行"})
    win.panel.show_customer(c2)
    qtbot.waitUntil(lambda: form.title.text() == "永辉商行", timeout=10_000)
    settle()
    assert title.shown() == "永辉商行"
