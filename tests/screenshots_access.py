"""Screenshots of a customer's access log (查阅记录, issue 18) and of the customer's signature on its page, for
``make screenshots`` (tests/screenshots.py): the market manager's view of who opened, searched, printed and
exported the customer (no server here: the tab is given what the server would answer), and the customer page
with the signature drawn and its confirmation line."""

from __future__ import annotations

import io
from typing import Any


def drawn_signature() -> bytes:
    """A signature as the pad would give it: a PNG of a few strokes."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (420, 140), "white")
    ImageDraw.Draw(img).line((20, 100, 90, 30, 150, 110, 230, 40, 300, 100, 400, 50), fill=(20, 20, 60), width=5)
    png = io.BytesIO()
    img.save(png, "PNG")
    return png.getvalue()


def access_shots(shot: Any, ctx: Any, win: Any, lang: str, window: Any) -> None:
    from app.models.remote import AccessView, CustomerAccess
    from app.models.wire import UserRole
    from app.services import signatures

    zh = lang == "zh_CN"
    sess = ctx.session
    customer = next(sess._archive.customers.iterate())
    signatures.sign(sess, customer.id, drawn_signature())
    win.tabs.setCurrentIndex(0)
    role = win.panel.role
    win.panel.set_role(UserRole.SUPERVISOR)
    win.panel.show_customer(None)
    win.open_customer(customer.id)
    for _ in range(20):  # the page is read on the DB thread
        if win.panel.customer_id == customer.id:
            break
        win.thread().msleep(50)
        from PySide6.QtWidgets import QApplication

        QApplication.processEvents()
    shot(win, "34b-signature-on-record", window)
    access = win.panel.access
    access.customer_id = access.loaded_for = customer.id  # read already: showing the tab asks no server
    win.panel.tabs.setCurrentIndex(win.panel.access_tab)
    wang, li = ("王建国", "李经理") if zh else ("Wang Jianguo", "Li (market manager)")
    entries = (
        AccessView("2026-12-01T09:12:00+08:00", "open", "c1", "c1", wang, "laptop-wang-2024"),
        AccessView("2026-12-01T09:40:00+08:00", "print", "c1", "c1", wang, "laptop-wang-2024"),
        AccessView("2026-12-02T14:05:00+08:00", "open", "s1", "s1", li, "pc-market-01", "review"),
        AccessView("2026-12-03T10:30:00+08:00", "search", "c1", "c1", wang, "laptop-wang-2024"),
        AccessView("2026-12-05T16:45:00+08:00", "export", "s1", "s1", li, "pc-market-01"),
    )
    access._arrived(customer.id, CustomerAccess(customer.id, entries))
    shot(win, "21e-access-log", window)
    win.panel.tabs.setCurrentIndex(0)
    win.panel.set_role(role)
