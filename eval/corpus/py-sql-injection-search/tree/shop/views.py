"""HTTP views of the storefront (a tiny WSGI app; the web server runs one per worker)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from urllib.parse import parse_qs

from shop.catalog import Product, connect, search

DATABASE = "/srv/shop/catalog.sqlite3"
StartResponse = Callable[[str, list[tuple[str, str]]], object]


def _product_json(product: Product) -> dict[str, object]:
    return {"id": product.id, "name": product.name, "price": product.price_cents / 100, "inStock": product.in_stock}


def search_view(environ: dict[str, object], start_response: StartResponse) -> Iterable[bytes]:
    """GET /search?q=red+shoes&max=50 -> JSON list of products."""
    query = parse_qs(str(environ.get("QUERY_STRING", "")))
    text = query.get("q", [""])[0]
    try:
        max_price = int(query["max"][0]) * 100 if "max" in query else None  # whole euros
    except ValueError:
        start_response("400 Bad Request", [("Content-Type", "application/json")])
        return [b'{"error": "max must be a whole number of euros"}']
    conn = connect(DATABASE)
    try:
        products = search(conn, text, max_price)
    finally:
        conn.close()
    body = json.dumps([_product_json(product) for product in products]).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
