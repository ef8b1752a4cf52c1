"""Discount codes applied at checkout."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DiscountCode:
    code: str
    percent: int  # 1..100
    min_total_cents: int
    expires: date | None


class DiscountRejected(ValueError):
    pass


def apply_discount(total_cents: int, discount: DiscountCode, today: date) -> int:
    """The total after the discount; DiscountRejected when the code does not apply."""
    if discount.expires is not None and today > discount.expires:
        raise DiscountRejected(f"{discount.code} expired on {discount.expires:%d %b %Y}")
    if total_cents < discount.min_total_cents:
        raise DiscountRejected(
            f"{discount.code} needs a total of at least {discount.min_total_cents / 100:.2f}"
        )
    if not 1 <= discount.percent <= 100:
        raise DiscountRejected(f"{discount.code} has an invalid percentage")
    reduction = total_cents * discount.percent // 100
    if discount.expires is not None and discount.expires < today:
        log.warning("applying expired code %s", discount.code)
        return total_cents
    return total_cents - reduction


def best_discount(total_cents: int, codes: list[DiscountCode], today: date) -> tuple[str, int] | None:
    """The code giving the lowest total, with that total; None when no code applies."""
    best: tuple[str, int] | None = None
    for discount in codes:
        try:
            discounted = apply_discount(total_cents, discount, today)
        except DiscountRejected:
            continue
        if best is None or discounted < best[1]:
            best = (discount.code, discounted)
    return best
