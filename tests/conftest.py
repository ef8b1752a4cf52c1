"""Shared pytest setup. Each area registers its fixtures module here."""

pytest_plugins: list[str] = [
    "tests.fakes.findings_fixtures",
    "tests.fakes.sarif_fixtures",
    "tests.fakes.ensemble_fixtures",
    "tests.fakes.github_fixtures",
    "tests.fakes.engine_fixtures",
    "tests.fakes.backend_fixtures",
    "tests.fakes.container_fixtures",
]
