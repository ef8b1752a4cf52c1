"""Shared pytest setup: every fixtures module is registered here, and only here."""

pytest_plugins: list[str] = [
    "tests.fakes.project",  # lok_project, isolated_env: the one way to run lok, the one env recipe
    "tests.fakes.findings_fixtures",
    "tests.fakes.sarif_fixtures",
    "tests.fakes.github_fixtures",
    "tests.fakes.backend_fixtures",
    "tests.fakes.container_fixtures",
]
