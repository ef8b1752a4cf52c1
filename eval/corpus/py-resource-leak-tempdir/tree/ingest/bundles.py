"""Import of the nightly partner bundles: a zip of CSV files, one per product feed.

Runs inside the long-lived ingest worker, which handles a few thousand bundles a day.
"""

from __future__ import annotations

import csv
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

REQUIRED_COLUMNS = {"sku", "title", "price"}


class BundleError(ValueError):
    """A bundle the partner must fix and resend."""


@dataclass(frozen=True)
class Product:
    sku: str
    title: str
    price_cents: int


def _read_feed(path: Path) -> list[Product]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = REQUIRED_COLUMNS - set(reader.fieldnames or [])
        if missing:
            raise BundleError(f"{path.name}: missing columns {sorted(missing)}")
        products = []
        for number, row in enumerate(reader, start=2):
            if None in row.values():
                raise BundleError(f"{path.name}:{number}: fewer fields than the header")
            try:
                price = round(float(row["price"]) * 100)
            except (ValueError, OverflowError):  # not a number, or nan/inf
                raise BundleError(f"{path.name}: bad price {row['price']!r} for {row['sku']}") from None
            products.append(Product(row["sku"].strip(), row["title"].strip(), price))
        return products


def import_bundle(bundle: Path) -> list[Product]:
    """Every product of every feed in the bundle; BundleError when a feed is malformed."""
    workdir = Path(tempfile.mkdtemp(prefix="bundle-"))
    with zipfile.ZipFile(bundle) as archive:
        for member in archive.namelist():
            if member.endswith(".csv") and "/" not in member:
                archive.extract(member, workdir)
    products: list[Product] = []
    for feed in sorted(workdir.glob("*.csv")):
        products.extend(_read_feed(feed))
    shutil.rmtree(workdir)
    return products
