"""Thumbnails for uploaded images, made with ImageMagick's `convert`.

Called by the upload view with the file name the browser sent and the size picked in the form.
"""

from __future__ import annotations

import logging
import re
import subprocess
from pathlib import Path

log = logging.getLogger(__name__)

UPLOAD_DIR = Path("/srv/media/uploads")
THUMB_DIR = Path("/srv/media/thumbs")
SIZE_RE = re.compile(r"\d{2,4}x\d{2,4}")


class ThumbnailError(RuntimeError):
    pass


def thumbnail_path(upload_name: str, size: str) -> Path:
    stem = Path(upload_name).stem
    return THUMB_DIR / f"{stem}-{size}.jpg"


def make_thumbnail(upload_name: str, size: str = "320x240") -> Path:
    """Render the thumbnail of one upload; returns where it was written."""
    if not SIZE_RE.fullmatch(size):
        raise ThumbnailError(f"bad thumbnail size {size!r}")
    source = UPLOAD_DIR / Path(upload_name).name
    target = thumbnail_path(upload_name, size)
    command = f"convert '{source}' -auto-orient -thumbnail {size} -strip '{target}'"
    result = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        log.warning("convert failed for %s: %s", source, result.stderr.strip())
        raise ThumbnailError(f"could not make a thumbnail of {upload_name}")
    return target
