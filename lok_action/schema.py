"""Key tables of lok.toml and workflow files: each key's accepted types, what it means and, for a
number, its documented range. Validation and the README's reference both read these tables."""

from __future__ import annotations

from dataclasses import dataclass

from lok_action.errors import LokError
from lok_action.ranges import NumberRange, shown

TYPE_NAMES = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "table"}


@dataclass(frozen=True)
class Key:
    types: tuple[type, ...]
    description: str
    range: NumberRange | None = None  # required for a number (tests/test_container_readme.py checks)

    @property
    def is_number(self) -> bool:
        return int in self.types or float in self.types

    def type_name(self) -> str:
        return " or ".join(TYPE_NAMES.get(t, t.__name__) for t in self.types)

    def span(self) -> str:
        return self.range.span() if self.range is not None else ""


def check_value(where: str, value: object, key: Key, error: type[LokError]) -> None:
    """Type, then range. ``where`` names the file and the key, e.g. "lok.toml: defaults.timeout"."""
    # bool is an int in Python: `timeout = true` is not a number
    ok = False if isinstance(value, bool) and bool not in key.types else isinstance(value, key.types)
    if ok and key.range is not None and isinstance(value, (int, float)) and not isinstance(value, bool):
        ok = key.range.contains(value)
    if not ok:
        if key.range is not None:
            wanted = key.range.describe()
        else:
            wanted = key.type_name()
            wanted = ("an " if wanted[0] in "aeiou" else "a ") + wanted
        raise error(f"{where} must be {wanted}, got {shown(value)}")
