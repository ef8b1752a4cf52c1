"""Typed reads of fields from JSON we did not write ourselves (`lok merge` inputs), so a wrong type
becomes an error naming the field instead of a TypeError deep inside the merge."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

_MISSING: Any = object()


class FieldError(ValueError):
    """A field is missing or has the wrong type; ``field`` is its dotted path."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


def _get(data: Mapping[str, Any], key: str, where: str, default: Any) -> Any:
    if key in data:
        return data[key]
    if default is _MISSING:
        raise FieldError(f"{where}{key}", "missing")
    return default


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def as_mapping(value: Any, field: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise FieldError(field, f"expected an object, got {_kind(value)}")
    return value


def as_list(value: Any, field: str) -> Sequence[Any]:
    if not isinstance(value, list):
        raise FieldError(field, f"expected a list, got {_kind(value)}")
    return value


def text(data: Mapping[str, Any], key: str, where: str = "", default: Any = _MISSING) -> str:
    value = _get(data, key, where, default)
    if not isinstance(value, str):
        raise FieldError(f"{where}{key}", f"expected a string, got {_kind(value)}")
    return value


def boolean(data: Mapping[str, Any], key: str, where: str = "", default: Any = _MISSING) -> bool:
    value = _get(data, key, where, default)
    if not isinstance(value, bool):
        raise FieldError(f"{where}{key}", f"expected true or false, got {_kind(value)}")
    return value


def optional_text(data: Mapping[str, Any], key: str, where: str = "") -> str | None:
    return None if data.get(key) is None else text(data, key, where)


def choice(data: Mapping[str, Any], key: str, choices: Sequence[str], where: str = "") -> str:
    value = text(data, key, where)
    if value not in choices:
        raise FieldError(f"{where}{key}", f"'{value}' is not one of {', '.join(choices)}")
    return value


def integer(
    data: Mapping[str, Any], key: str, where: str = "", default: Any = _MISSING, minimum: int = 0
) -> int:
    value = _get(data, key, where, default)
    if not isinstance(value, int) or isinstance(value, bool):
        raise FieldError(f"{where}{key}", f"expected an integer, got {_kind(value)}")
    if value < minimum:
        raise FieldError(f"{where}{key}", f"must be at least {minimum}, got {value}")
    return value


def optional_integer(data: Mapping[str, Any], key: str, where: str = "") -> int | None:
    return None if data.get(key) is None else integer(data, key, where)


def number(data: Mapping[str, Any], key: str, where: str = "", default: Any = _MISSING) -> float:
    value = _get(data, key, where, default)
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        raise FieldError(f"{where}{key}", f"expected a finite number, got {_kind(value)}")
    if value < 0:
        raise FieldError(f"{where}{key}", f"must not be negative, got {value}")
    return float(value)


def optional_number(data: Mapping[str, Any], key: str, where: str = "") -> float | None:
    return None if data.get(key) is None else number(data, key, where)


def text_list(data: Mapping[str, Any], key: str, where: str = "") -> list[str]:
    items = as_list(data.get(key, []), f"{where}{key}")
    for index, item in enumerate(items):
        if not isinstance(item, str):
            raise FieldError(f"{where}{key}[{index}]", f"expected a string, got {_kind(item)}")
    return list(items)


def text_map(data: Mapping[str, Any], key: str, where: str = "") -> dict[str, str]:
    items = as_mapping(_get(data, key, where, _MISSING), f"{where}{key}")
    for name, value in items.items():
        if not isinstance(value, str):
            raise FieldError(f"{where}{key}.{name}", f"expected a string, got {_kind(value)}")
    return dict(items)
