"""The admin API's territory tree and departments (under /api/v1/admin, docs/server.md), over the service
functions of server/territories.py that the command line shares. Admin role only, every call in the admin
log; refusals answer in the one error shape (404 for a node, department or user that does not exist, 422
with the reason otherwise)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, Field

from server import administration as adm
from server import territories as terr
from server.admin_api import ADMIN, admin_caller, refusals
from server.api import CheckedRoute, db_of, errors
from server.wiremodels import NO_NUL, OkResponse, Strict

router = APIRouter(route_class=CheckedRoute, tags=["admin"])
Level = Literal["province", "city", "county", "team"]
NODE = Path(ge=1, le=2**31 - 1)
CODE = Path(min_length=1, max_length=32, pattern=r"^[a-z][a-z0-9_-]*$")
# names are checked by the service (control characters, broken characters, length after trimming)
NAME = Field(max_length=400, pattern=NO_NUL)


class NodeOut(BaseModel):
    id: int
    parent: int | None
    level: Level
    name: str
    supervisor: str | None = Field(description="a team's market manager")
    users: list[str] = Field(default=[], description="the users placed at this node")


class DepartmentOut(BaseModel):
    code: str
    name: str
    users: int
    fields: int = Field(description="fields of the form in force that this department owns")


class PlaceOut(BaseModel):
    user: str
    territory: int | None
    department: str | None
    manager: bool = Field(default=False, description="the department's manager (the bulk signature of 市场部)")


class TreeOut(BaseModel):
    nodes: list[NodeOut] = Field(description="depth first, siblings by name")
    departments: list[DepartmentOut]
    places: list[PlaceOut]


class NodeIn(Strict):
    name: str = NAME
    level: Level
    parent: int | None = Field(default=None, ge=1, le=2**31 - 1)
    supervisor: str | None = Field(default=None, max_length=64, pattern=NO_NUL)


class RenameIn(Strict):
    name: str = NAME


class MoveIn(Strict):
    parent: int | None = Field(default=None, ge=1, le=2**31 - 1)  # null: a root


class SupervisorIn(Strict):
    supervisor: str | None = Field(default=None, max_length=64, pattern=NO_NUL)


class DepartmentIn(Strict):
    code: str = Field(max_length=64, pattern=NO_NUL)  # its form is checked by the service, with the reason
    name: str = NAME


class PlaceIn(Strict):
    territory: int | None = Field(default=None, ge=1, le=2**31 - 1)
    department: str | None = Field(default=None, max_length=32, pattern=NO_NUL)
    manager: bool = Field(default=False, description="the department's manager (at most one a department)")


class MovedCustomers(BaseModel):
    customers: int = Field(description="customers that moved with collectors who joined a team")


@router.get("/territories", response_model=TreeOut, responses=errors(*ADMIN))
def tree(request: Request, actor: adm.Actor = Depends(admin_caller)) -> dict[str, Any]:
    """The whole tree, the departments and where each user stands."""
    return terr.show(db_of(request), actor)


@router.post("/territories", response_model=NodeOut, status_code=201, responses=errors(*ADMIN, 404))
def add_node(body: NodeIn, request: Request, actor: adm.Actor = Depends(admin_caller)) -> dict[str, Any]:
    with refusals():
        return terr.add_node(db_of(request), actor, body.name, body.level, body.parent, body.supervisor)


@router.put("/territories/{node}/name", response_model=OkResponse, responses=errors(*ADMIN, 404))
def rename_node(
    body: RenameIn, request: Request, node: int = NODE, actor: adm.Actor = Depends(admin_caller)
) -> dict[str, Any]:
    with refusals():
        terr.rename_node(db_of(request), actor, node, body.name)
    return {"ok": True}


@router.put("/territories/{node}/parent", response_model=OkResponse, responses=errors(*ADMIN, 404))
def move_node(
    body: MoveIn, request: Request, node: int = NODE, actor: adm.Actor = Depends(admin_caller)
) -> dict[str, Any]:
    """Under another node one level up (``null``: a root); never under itself or its own nodes."""
    with refusals():
        terr.move_node(db_of(request), actor, node, body.parent)
    return {"ok": True}


@router.put("/territories/{node}/supervisor", response_model=MovedCustomers, responses=errors(*ADMIN, 404))
def team_supervisor(
    body: SupervisorIn, request: Request, node: int = NODE, actor: adm.Actor = Depends(admin_caller)
) -> dict[str, Any]:
    """A team's market manager; the collectors placed in the team join their team (customers move too)."""
    with refusals():
        return {"customers": terr.set_supervisor(db_of(request), actor, node, body.supervisor)}


@router.delete("/territories/{node}", response_model=OkResponse, responses=errors(*ADMIN, 404))
def remove_node(request: Request, node: int = NODE, actor: adm.Actor = Depends(admin_caller)) -> dict[str, Any]:
    """Refused while the node has nodes under it, users placed in it or a market manager."""
    with refusals():
        terr.remove_node(db_of(request), actor, node)
    return {"ok": True}


@router.post("/departments", response_model=OkResponse, status_code=201, responses=errors(*ADMIN))
def add_department(body: DepartmentIn, request: Request, actor: adm.Actor = Depends(admin_caller)) -> dict[str, Any]:
    with refusals():
        terr.add_department(db_of(request), actor, body.code, body.name)
    return {"ok": True}


@router.put("/departments/{code}/name", response_model=OkResponse, responses=errors(*ADMIN, 404))
def rename_department(
    body: RenameIn, request: Request, code: str = CODE, actor: adm.Actor = Depends(admin_caller)
) -> dict[str, Any]:
    with refusals():
        terr.rename_department(db_of(request), actor, code, body.name)
    return {"ok": True}


@router.delete("/departments/{code}", response_model=OkResponse, responses=errors(*ADMIN, 404))
def remove_department(request: Request, code: str = CODE, actor: adm.Actor = Depends(admin_caller)) -> dict[str, Any]:
    """Refused while users belong to it or it owns fields of the form in force."""
    with refusals():
        terr.remove_department(db_of(request), actor, code)
    return {"ok": True}


@router.put("/users/{name}/place", response_model=MovedCustomers, responses=errors(*ADMIN, 404))
def place_user(
    body: PlaceIn,
    request: Request,
    name: str = Path(min_length=1, max_length=64, pattern=NO_NUL),
    actor: adm.Actor = Depends(admin_caller),
) -> dict[str, Any]:
    """The user's territory node and department (``null``: none), and whether they manage it."""
    with refusals():
        moved = terr.place_user(db_of(request), actor, name, body.territory, body.department, body.manager)
        return {"customers": moved}
