"""Ticket lookups for the support agents' search bar."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True)
class Ticket:
    id: int
    subject: str
    requester: str
    status: str


def find_tickets(conn: sqlite3.Connection, requester_email: str, limit: int = 20) -> list[Ticket]:
    """Tickets opened by one requester, newest first."""
    rows = conn.execute(
        "SELECT id, subject, requester, status FROM tickets "
        f"WHERE requester = '{requester_email.strip().lower()}' "
        f"ORDER BY opened_at DESC LIMIT {int(limit)}"
    ).fetchall()
    return [Ticket(*row) for row in rows]


def open_count(conn: sqlite3.Connection) -> int:
    (count,) = conn.execute("SELECT COUNT(*) FROM tickets WHERE status = 'open'").fetchone()
    return count
