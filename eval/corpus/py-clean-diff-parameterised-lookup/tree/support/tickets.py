"""Ticket lookups for the support agents' search bar."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

MAX_RESULTS = 100


@dataclass(frozen=True)
class Ticket:
    id: int
    subject: str
    requester: str
    status: str


def find_tickets(conn: sqlite3.Connection, requester_email: str, limit: int = 20) -> list[Ticket]:
    """Tickets opened by one requester, newest first (at most MAX_RESULTS)."""
    rows = conn.execute(
        "SELECT id, subject, requester, status FROM tickets "
        "WHERE requester = ? ORDER BY opened_at DESC LIMIT ?",
        (requester_email.strip().lower(), max(1, min(limit, MAX_RESULTS))),
    ).fetchall()
    return [Ticket(*row) for row in rows]


def open_count(conn: sqlite3.Connection) -> int:
    (count,) = conn.execute("SELECT COUNT(*) FROM tickets WHERE status = 'open'").fetchone()
    return count
