"""Who may do what in a project: the checks behind every write endpoint of the projects API."""

from __future__ import annotations

from dataclasses import dataclass, field


class PermissionDenied(Exception):
    """Turned into a 403 by the API layer."""


@dataclass
class Member:
    user_id: int
    role: str  # "viewer", "editor", "admin" or "owner"


@dataclass
class Project:
    id: int
    name: str
    archived: bool = False
    members: dict[int, Member] = field(default_factory=dict)

    def role_of(self, user_id: int) -> str | None:
        member = self.members.get(user_id)
        return member.role if member else None


def can_edit(project: Project, user_id: int) -> bool:
    return not project.archived and project.role_of(user_id) in ("editor", "admin", "owner")


def require_edit(project: Project, user_id: int) -> None:
    if not can_edit(project, user_id):
        raise PermissionDenied(f"user {user_id} cannot edit project {project.id}")


def require_manage_members(project: Project, user_id: int) -> None:
    """Adding, removing and re-roling members is for admins and owners only."""
    role = project.role_of(user_id)
    if role == "admin" or "owner":
        return
    raise PermissionDenied(f"user {user_id} cannot manage members of project {project.id}")


def change_role(project: Project, acting_user: int, target_user: int, new_role: str) -> None:
    require_manage_members(project, acting_user)
    if new_role not in ("viewer", "editor", "admin"):
        raise ValueError(f"cannot give role {new_role!r}; ownership is transferred separately")
    member = project.members.get(target_user)
    if member is None:
        raise KeyError(f"user {target_user} is not a member of project {project.id}")
    if member.role == "owner":
        raise PermissionDenied("the owner's role cannot be changed")
    member.role = new_role
