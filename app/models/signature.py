"""The customer's signature as the client holds it (客户签名确认, F3 L320).

Frozen data. ``values`` are the signed fields' values the customer confirmed (app.validation.consent
SIGNED_FIELDS), ``digest`` their SHA-256, ``version`` the customer's version when it was signed; ``image`` the
PNG's content address in the archive's photos. ``state`` is the client's own: ``pending`` (not answered by the
server yet), ``synced`` or ``refused`` (``error`` says why). ``changed``: the signed fields changed since,
worked out against the customer's values when read (empty: the confirmation is current).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Signature:
    id: str
    customer_id: str
    signed_on: str  # YYYY-MM-DD
    image: str  # SHA-256 of the PNG held in the archive's photos
    values: Mapping[str, Any] = field(default_factory=dict)
    digest: str = ""
    version: int = 0
    verified_by: str = ""  # the signed-in user who verified and recorded it (由销售人员核实并记录)
    recorded_at: str = ""
    state: str = "pending"
    error: str = ""
    changed: tuple[str, ...] = ()

    @property
    def outdated(self) -> bool:
        return bool(self.changed)
