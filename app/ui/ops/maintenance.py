"""Operations on the archive as a whole: check it, back it up, the versions Help → About names."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.services import about, maintenance
from app.services.maintenance import ArchiveCheck
from app.ui.context import UiContext
from app.ui.tasks import DbOp


def check_archive(ctx: UiContext, parent: Any) -> DbOp[ArchiveCheck]:
    return ctx.op(maintenance.check_archive, parent)


def backup(ctx: UiContext, parent: Any, target: Path) -> DbOp[Path]:
    return ctx.op(lambda s: maintenance.backup(s, target), parent)


def versions(ctx: UiContext, parent: Any) -> DbOp[dict[str, str]]:
    return ctx.op(about.versions, parent)
