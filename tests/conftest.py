"""Shared pytest setup. Each area registers its fixtures module here."""

pytest_plugins: list[str] = [
]
