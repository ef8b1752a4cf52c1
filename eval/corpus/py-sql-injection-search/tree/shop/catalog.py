"""Product catalogue queries behind the storefront's search box and category pages."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

PAGE_SIZE = 24


@dataclass(frozen=True)
class Product:
    id: int
    name: str
    price_cents: int
    in_stock: bool


def _products(rows: list[sqlite3.Row]) -> list[Product]:
    return [Product(row["id"], row["name"], row["price_cents"], bool(row["stock"])) for row in rows]


def by_category(conn: sqlite3.Connection, category_id: int, page: int = 0) -> list[Product]:
    rows = conn.execute(
        "SELECT id, name, price_cents, stock FROM products WHERE category_id = ? "
        "ORDER BY name LIMIT ? OFFSET ?",
        (category_id, PAGE_SIZE, page * PAGE_SIZE),
    ).fetchall()
    return _products(rows)


def search(conn: sqlite3.Connection, text: str, max_price_cents: int | None = None) -> list[Product]:
    """Products whose name contains ``text`` (typed by the visitor), cheapest first."""
    text = text.strip()
    if not text:
        return []
    price_limit = max_price_cents if max_price_cents is not None else 2**62
    rows = conn.execute(
        f"SELECT id, name, price_cents, stock FROM products WHERE name LIKE '%{text}%' "
        "AND price_cents <= ? ORDER BY price_cents LIMIT ?",
        (price_limit, PAGE_SIZE),
    ).fetchall()
    return _products(rows)


def connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    return conn
