"""The wire shapes of the customer's signature: the body of ``signature.add`` (its rules are checked when
applied, server.signatures, so that a bad value refuses that mutation, named, not the whole push) and the
signatures a ``Record`` carries in the feed."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

# as in server.wiremodels (which imports this module, so it cannot be imported from here)
UUID_RE = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


class SignatureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=UUID_RE)
    signed_on: str = Field(max_length=32)
    image: str = Field(max_length=64)
    fields: dict[str, Any] = Field(max_length=20)
    digest: str = Field(max_length=64)

    @field_validator("id")
    @classmethod
    def _lower(cls, v: str) -> str:
        return v.lower()


class SignatureOut(BaseModel):
    """A signature as the server keeps it; ``changed``: the signed fields whose value differs now (the
    confirmation is outdated when it is not empty)."""

    id: str
    signed_on: str
    image: str
    fields: dict[str, Any]
    digest: str
    version: int
    verified_by: str | None
    recorded_at: float
    changed: list[str]
