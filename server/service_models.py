"""The wire shapes of the service records: the bodies of ``service.add`` and ``service.step`` (their rules are
checked when applied, server.service, so that a bad value refuses that mutation, named, not the whole push)
and the service records a ``Record`` carries in the feed."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

# as in server.wiremodels (which imports this module, so it cannot be imported from here)
UUID_RE = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


class ServiceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=UUID_RE)
    kind: str = Field(max_length=16)
    on_date: str = Field(max_length=32)
    body: dict[str, Any] = Field(max_length=40)

    @field_validator("id")
    @classmethod
    def _lower(cls, v: str) -> str:
        return v.lower()


class ServiceStepIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    record_id: str = Field(pattern=UUID_RE)
    action: str = Field(max_length=16)
    revision: int = Field(ge=0, le=2**31 - 1)
    done_on: str | None = Field(default=None, max_length=32)
    visit_id: str | None = Field(default=None, max_length=64)
    reason: str | None = Field(default=None, max_length=400)

    @field_validator("record_id")
    @classmethod
    def _lower(cls, v: str) -> str:
        return v.lower()


class ServiceOut(BaseModel):
    """A service record as the server keeps it."""

    id: str
    kind: str
    on_date: str
    body: dict[str, Any]
    status: str
    revision: int
    recorded_by: str | None
    recorded_at: float
