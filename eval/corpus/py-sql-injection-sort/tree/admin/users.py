"""Queries behind the admin console's user list."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

STATUSES = ("active", "invited", "suspended")


@dataclass(frozen=True)
class UserRow:
    id: int
    email: str
    status: str
    last_login: str | None


def list_users(
    conn: sqlite3.Connection,
    status: str | None = None,
    limit: int = 50,
    sort: str = "created_at",
    descending: bool = True,
) -> list[UserRow]:
    """Users, optionally only those with one status, sorted by the column the admin clicked
    (the console sends the column name from the table header as ?sort=...)."""
    if status is not None and status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    sql = "SELECT id, email, status, last_login FROM users"
    params: list[object] = []
    if status is not None:
        sql += " WHERE status = ?"
        params.append(status)
    direction = "DESC" if descending else "ASC"
    sql += f" ORDER BY {sort} {direction} LIMIT ?"
    params.append(limit)
    return [UserRow(*row) for row in conn.execute(sql, params)]


def count_by_status(conn: sqlite3.Connection) -> dict[str, int]:
    counts = dict.fromkeys(STATUSES, 0)
    for status, count in conn.execute("SELECT status, COUNT(*) FROM users GROUP BY status"):
        counts[status] = count
    return counts
