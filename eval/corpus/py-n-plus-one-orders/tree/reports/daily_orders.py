"""The daily orders report mailed to the sales team (a few thousand orders on a busy day)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class OrderLine:
    order_id: int
    customer_name: str
    customer_email: str
    total_cents: int


def orders_on(conn: sqlite3.Connection, day: date) -> list[OrderLine]:
    """Every order placed on ``day`` (UTC), with its customer, biggest first."""
    start = day.isoformat()
    end = (day + timedelta(days=1)).isoformat()
    orders = conn.execute(
        "SELECT id, customer_id, total_cents FROM orders "
        "WHERE placed_at >= ? AND placed_at < ? ORDER BY total_cents DESC",
        (start, end),
    ).fetchall()
    lines = []
    for order_id, customer_id, total_cents in orders:
        customer = conn.execute(
            "SELECT name, email FROM customers WHERE id = ?", (customer_id,)
        ).fetchone()
        name, email = customer if customer is not None else ("(deleted customer)", "")
        lines.append(OrderLine(order_id, name, email, total_cents))
    return lines


def render(lines: list[OrderLine], day: date) -> str:
    total = sum(line.total_cents for line in lines)
    out = [f"Orders on {day:%A %d %B %Y}: {len(lines)}, total {total / 100:,.2f} EUR", ""]
    out += [
        f"{line.order_id:>8}  {line.total_cents / 100:>10,.2f}  {line.customer_name} <{line.customer_email}>"
        for line in lines
    ]
    return "\n".join(out) + "\n"
