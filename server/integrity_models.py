"""The wire shapes of the integrity archive: the bodies of ``integrity.add``, ``complaint.open`` and
``complaint.step`` (their rules are checked when applied, server.integrity, so that a bad value refuses
that mutation, named, and not the whole push), and the integrity file a ``Record`` carries in the feed."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

# as in server.wiremodels (which imports this module, so it cannot be imported from here)
UUID_RE = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
SHA_RE = r"^[0-9a-f]{64}$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EntryIn(Strict):
    id: str = Field(pattern=UUID_RE)
    kind: str = Field(max_length=32)
    source: str = Field(max_length=32)
    occurred_on: str = Field(max_length=32)
    text: str = Field(max_length=4000)
    handling: str = Field(default="", max_length=4000)
    photos: list[str] = Field(default=[], max_length=50)

    @field_validator("photos")
    @classmethod
    def _hashes(cls, v: list[str]) -> list[str]:
        if any(not re.fullmatch(SHA_RE, h) for h in v):
            raise ValueError("photos are SHA-256 hex digests in lower case")
        return v

    @field_validator("id")
    @classmethod
    def _lower(cls, v: str) -> str:
        return v.lower()


class ComplaintIn(Strict):
    id: str = Field(pattern=UUID_RE)
    channel: str = Field(max_length=32)
    received_on: str = Field(max_length=32)
    content: str = Field(max_length=4000)
    complainant_name: str = Field(default="", max_length=200)
    complainant_phone: str = Field(default="", max_length=64)

    @field_validator("id")
    @classmethod
    def _lower(cls, v: str) -> str:
        return v.lower()


class StepIn(Strict):
    complaint_id: str = Field(pattern=UUID_RE)
    action: str = Field(max_length=32)
    revision: int = Field(ge=0, le=2**31 - 1)
    assignee: str | None = Field(default=None, max_length=200)
    deadline: str | None = Field(default=None, max_length=32)
    text: str = Field(default="", max_length=4000)

    @field_validator("complaint_id")
    @classmethod
    def _lower(cls, v: str) -> str:
        return v.lower()


class EntryOut(BaseModel):
    id: str
    kind: str
    source: str
    occurred_on: str
    text: str
    handling: str
    photos: list[str]
    recorded_by: str | None
    recorded_at: float


class ComplaintOut(BaseModel):
    id: str
    channel: str
    received_on: str
    content: str
    complainant_name: str
    complainant_phone: str
    status: str
    assignee: str | None
    deadline: str
    handling: str
    answer: str
    response: str
    closed_on: str | None
    revision: int
    created_by: str | None


class IntegrityFileOut(BaseModel):
    """A customer's integrity file, whole (in the feed's records; absent from push answers)."""

    entries: list[EntryOut]
    complaints: list[ComplaintOut]


class NoticeOut(BaseModel):
    """One outlet under public notice (公示, F3 L177)."""

    record_id: str
    code: str | None
    shop_name: str | None
    owner: str | None
    grade: str
    status: str
    rated_on: str
    notice_start: str
    notice_end: str
    appeal_on: str | None


class NoticeList(BaseModel):
    on: str
    notices: list[NoticeOut]
