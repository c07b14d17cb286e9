"""The archive's media part (``archive.media``): photos (encrypted blobs inside the archive,
content-addressed by SHA-256) and visits."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence

from sqlalchemy import select

from app.models.record import PhotoInfo, Provenance, Visit
from app.storage import schema
from app.storage.db import Part

P = schema.photo.c
V = schema.visit.c


class Media(Part):
    """``archive.media``: photos and visits."""

    def put_photo(self, data: bytes, mime: str, width: int, height: int) -> PhotoInfo:
        """Store a (processed) photo once; the same bytes twice give the same id."""
        sha = hashlib.sha256(data).hexdigest()
        with self.transaction() as tx:
            exists = tx.execute(select(P.sha256).where(P.sha256 == sha)).scalar()
            if not exists:
                tx.execute(
                    schema.photo.insert().values(
                        sha256=sha,
                        mime=mime,
                        width=width,
                        height=height,
                        size=len(data),
                        data=data,
                        created_at=self.clock(),
                    )
                )
        return PhotoInfo(sha, mime, width, height, len(data))

    def photo_data(self, sha: str) -> bytes | None:
        with self.reading() as c:
            return c.execute(select(P.data).where(P.sha256 == sha)).scalar()

    def known_photos(self, shas: Iterable[str]) -> set[str]:
        shas = list(shas)
        if not shas:
            return set()
        with self.reading() as c:
            return set(c.execute(select(P.sha256).where(P.sha256.in_(shas))).scalars())

    def photos_not_uploaded(self, shas: Sequence[str]) -> list[str]:
        """Of ``shas``, the photos held here that the server does not have yet."""
        with self.reading() as c:
            return list(c.execute(select(P.sha256).where(P.sha256.in_(list(shas)), P.uploaded_at.is_(None))).scalars())

    def mark_uploaded(self, sha: str) -> None:
        """The server has the photo (sent from here, or downloaded from it)."""
        with self.transaction() as tx:
            tx.execute(schema.photo.update().where(P.sha256 == sha).values(uploaded_at=self.clock()))

    def add_visit(self, visit: Visit, prov: Provenance) -> Visit:
        now = self.clock()
        row = {
            "id": visit.id,
            "customer_id": visit.customer_id,
            "visited_on": visit.visited_on,
            "purpose": visit.purpose,
            "notes": visit.notes,
            "sales_anomaly": visit.sales_anomaly,
            "photos": json.dumps(list(visit.photos)),
            "created_at": now,
            "created_by": prov.actor or self.actor,
            "updated_at": now,
            "deleted_at": None,
            "orders": visit.orders,
            "order_quantity": visit.order_quantity if visit.orders is not None else None,
            "order_amount": visit.order_amount if visit.orders is not None else None,
        }
        with self.transaction() as tx:
            tx.execute(schema.visit.insert().values(**row))
            last = tx.execute(
                select(schema.visit.c.visited_on)
                .where(V.customer_id == visit.customer_id, V.deleted_at.is_(None))
                .order_by(V.visited_on.desc())
                .limit(1)
            ).scalar()
            tx.execute(
                schema.customer.update().where(schema.customer.c.id == visit.customer_id).values(last_visit=last)
            )
            fields = {
                "visited_on": visit.visited_on,
                "purpose": visit.purpose,
                "notes": visit.notes,
                "sales_anomaly": visit.sales_anomaly,
                "photos": list(visit.photos),
                "customer_id": visit.customer_id,
                **visit.order_fields(),
            }
            self.arc.audit.append(tx, prov, [("visit", visit.id, "create", None, None, fields)])
            self.arc.outbox.queue(
                tx,
                "visit.create",
                visit.customer_id,
                {
                    "visit": {"id": visit.id, **{k: v for k, v in fields.items() if k != "customer_id"}},
                    "info_date": prov.info_date,
                },
            )
        return Visit(**{**visit.__dict__, "created_at": now, "created_by": row["created_by"]})

    def visits(self, customer_id: str) -> list[Visit]:
        with self.reading() as c:
            rows = (
                c.execute(
                    select(schema.visit)
                    .where(V.customer_id == customer_id, V.deleted_at.is_(None))
                    .order_by(V.visited_on.desc(), V.pk.desc())
                )
                .mappings()
                .all()
            )
        return [
            Visit(
                r["id"],
                r["customer_id"],
                r["visited_on"],
                r["purpose"],
                r["notes"],
                r["sales_anomaly"],
                tuple(json.loads(r["photos"])),
                r["created_at"],
                r["created_by"],
                r["orders"],
                r["order_quantity"],
                r["order_amount"],
            )
            for r in rows
        ]
