"""The customer's signature on its basic information (客户签名确认, F3 L318–320): the use cases.

``sign`` takes the PNG drawn on the pad, refuses an empty or unreadable one, keeps it in the archive's
photos (content-addressed, encrypted, uploaded at the next sync like a photo) and records the signature:
the day, the values of the signed fields (app.validation.consent.SIGNED_FIELDS) as saved, their digest,
the customer's version and the signed-in user who verified it. ``of_customer`` lists them with what changed
since (outdated: 已过期). Every refusal is a UserFacingError with its message.
"""

from __future__ import annotations

import io

from PIL import Image, UnidentifiedImageError

from app.errors import UserFacingError
from app.models.record import Provenance, Source, new_id
from app.models.signature import Signature
from app.services.session import Session
from app.validation.consent import MESSAGES, digest, signed_values

MAX_PNG_BYTES = 4 * 1024 * 1024


def _refuse(code: str) -> UserFacingError:
    return UserFacingError(MESSAGES[code])


def _png_size(png: bytes) -> tuple[int, int]:
    """The PNG's width and height; a signature that is not a readable PNG, or that is blank, is refused."""
    if not png:
        raise _refuse("signature.empty")
    if len(png) > MAX_PNG_BYTES:
        raise _refuse("signature.image")
    try:
        with Image.open(io.BytesIO(png)) as img:
            if img.format != "PNG":
                raise _refuse("signature.image")
            img.load()
            # a blank pad: every pixel the same (one colour, or fully transparent)
            lo, hi = img.convert("L").getextrema()  # a band's (min, max)
            if lo == hi:
                raise _refuse("signature.empty")
            return img.width, img.height
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise _refuse("signature.image") from None


def sign(session: Session, customer_id: str, png: bytes) -> Signature:
    """Record the customer's signature over its saved basic information."""
    arc = session._archive
    customer = arc.customers.get(customer_id)
    if customer is None or customer.deleted:
        raise _refuse("signature.unsaved")
    fields = signed_values(customer.values)
    if not fields:
        raise _refuse("signature.nothing")
    if not session.user:
        raise _refuse("signature.verifier")
    width, height = _png_size(png)
    image = arc.media.put_photo(png, "image/png", width, height)
    today = session.today().isoformat()
    sig = Signature(new_id(), customer_id, today, image.sha256, fields, digest(fields), customer.version)
    return arc.signatures.add(sig, Provenance(session.user, Source.VISIT, info_date=today))


def of_customer(session: Session, customer_id: str) -> list[Signature]:
    """The customer's signatures, newest first, each saying which signed fields changed since."""
    customer = session._archive.customers.get(customer_id)
    if customer is None:
        return []
    return session._archive.signatures.of_customer(customer_id, customer.values)
