"""Customers that can be approved: every mandatory field a person keeps, with the required photos held
by the archive (a new customer is approved only when complete; docs/domain.md "The mandatory-field set")."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image

from app.services.demo import generate
from app.services.photos import add_photo

PHOTOS = ("photo_storefront", "photo_counter", "photo_owner", "photo_licence")


def with_photos(session: Any, values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with the required photos, added to ``session``'s archive."""
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (40, 120, 200)).save(buf, "JPEG")
    ref = add_photo(session, buf.getvalue()).sha256
    return {**values, **{k: [ref] for k in PHOTOS}}


def complete_customers(session: Any, n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` generated customers, complete and with their photos in ``session``'s archive."""
    return [with_photos(session, v) for v in generate(n, seed=seed, complete=True)]
