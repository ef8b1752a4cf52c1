"""Readers for the CSV drops that partners upload to the ETL bucket.

Drops can be several GB, so rows are streamed rather than loaded into memory.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path


@dataclass(frozen=True)
class Payment:
    reference: str
    account: str
    amount: Decimal
    currency: str


FIELDS = ("reference", "account", "amount", "currency")


class RowError(ValueError):
    pass


def _payment(row: dict[str, str | None], line: int) -> Payment:
    values = {name: (row.get(name) or "").strip() for name in FIELDS}
    missing = [name for name, value in values.items() if not value]
    if missing:
        raise RowError(f"line {line}: missing {', '.join(missing)}")
    try:
        amount = Decimal(values["amount"])
    except InvalidOperation:
        raise RowError(f"line {line}: bad amount {values['amount']!r}") from None
    currency = values["currency"].upper()
    if len(currency) != 3:
        raise RowError(f"line {line}: bad currency {currency!r}")
    return Payment(values["reference"], values["account"], amount, currency)


def payments(path: Path) -> Iterator[Payment]:
    """The payments of one drop, one at a time, in file order."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = csv.DictReader(handle)
        return (_payment(row, rows.line_num) for row in rows)


def total_by_currency(path: Path) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for payment in payments(path):
        totals[payment.currency] = totals.get(payment.currency, Decimal(0)) + payment.amount
    return totals
