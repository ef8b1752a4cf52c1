"""The admin console's order search: filters from the form, sort column from the table header.

Column names cannot be bound as SQL parameters, so the sort key is looked up in SORT_COLUMNS and
only the fixed SQL text found there is ever put into the query; every value is a bound parameter.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

SORT_COLUMNS = {
    "placed": "placed_at",
    "total": "total_cents",
    "customer": "customer_name",
}
MAX_LIMIT = 200


@dataclass(frozen=True)
class OrderFilter:
    customer: str | None = None
    min_total_cents: int | None = None
    sort: str = "placed"
    descending: bool = True
    limit: int = 50


def build_query(flt: OrderFilter) -> tuple[str, list[object]]:
    column = SORT_COLUMNS.get(flt.sort)
    if column is None:
        raise ValueError(f"cannot sort by {flt.sort!r}; choose one of {', '.join(SORT_COLUMNS)}")
    where: list[str] = []
    params: list[object] = []
    if flt.customer:
        where.append("customer_name LIKE ? ESCAPE '\\'")
        escaped = flt.customer.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params.append(f"%{escaped}%")
    if flt.min_total_cents is not None:
        where.append("total_cents >= ?")
        params.append(flt.min_total_cents)
    sql = "SELECT id, customer_name, total_cents, placed_at FROM orders"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += f" ORDER BY {column} {'DESC' if flt.descending else 'ASC'}, id LIMIT ?"
    params.append(max(1, min(flt.limit, MAX_LIMIT)))
    return sql, params


def search_orders(conn: sqlite3.Connection, flt: OrderFilter) -> list[tuple[int, str, int, str]]:
    sql, params = build_query(flt)
    return conn.execute(sql, params).fetchall()
