"""Photos: scaled down, stripped of metadata (EXIF GPS, camera serials), stored encrypted.

The archive keeps a re-encoded JPEG: the long side at most ``max_side`` pixels (2048 by default,
a setting), oriented by its EXIF tag first, without any metadata. The same picture added twice is
stored once (content address = SHA-256 of the stored bytes).
"""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from app.errors import UserFacingError
from app.i18n import N_
from app.models.record import PhotoInfo
from app.services.session import Session

MAX_INPUT_BYTES = 60 * 1024 * 1024
Image.MAX_IMAGE_PIXELS = 80_000_000  # refuse decompression bombs well above any camera


def process(data: bytes, max_side: int = 2048, quality: int = 85) -> tuple[bytes, int, int]:
    """JPEG bytes without metadata, long side ≤ ``max_side``; raises UserFacingError for a non-image."""
    if len(data) > MAX_INPUT_BYTES:
        raise UserFacingError(
            N_("The picture is too large ({size} MB); the limit is {limit} MB."),
            size=len(data) // 2**20,
            limit=MAX_INPUT_BYTES // 2**20,
        )
    try:
        with Image.open(io.BytesIO(data)) as src:
            img: Image.Image = ImageOps.exif_transpose(src)
            img = img.convert("RGB")
            img.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
            out = io.BytesIO()
            img.save(out, "JPEG", quality=quality, optimize=True)  # no exif= argument: no metadata written
            return out.getvalue(), img.width, img.height
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise UserFacingError(
            N_("This file is not a picture that can be read (JPEG, PNG, HEIC is not supported).")
        ) from None


def add_photo(session: Session, source: Path | bytes, max_side: int = 2048) -> PhotoInfo:
    if isinstance(source, Path):
        try:
            data = source.read_bytes()
        except OSError as exc:
            raise UserFacingError(
                N_("{file} cannot be read: {reason}."), file=source.name, reason=exc.strerror or str(exc)
            ) from None
    else:
        data = source
    jpeg, width, height = process(data, max_side)
    return session._archive.media.put_photo(jpeg, "image/jpeg", width, height)


def thumbnail(data: bytes, side: int = 160) -> bytes:
    """A small JPEG for lists (computed, never stored)."""
    with Image.open(io.BytesIO(data)) as src:
        img = src.convert("RGB")
        img.thumbnail((side, side))
        out = io.BytesIO()
        img.save(out, "JPEG", quality=80)
        return out.getvalue()


def photo_data(session: Session, ref: str) -> bytes | None:
    """The stored (decrypted) JPEG of ``ref``, or None when the archive does not hold it."""
    return session._archive.media.photo_data(ref)


def thumbnail_of(session: Session, ref: str) -> bytes | None:
    """A small JPEG of the stored photo ``ref``, or None when the archive does not hold it."""
    data = photo_data(session, ref)
    return thumbnail(data) if data else None
