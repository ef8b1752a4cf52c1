"""Audio previews of uploaded tracks: the first 30 seconds, as 128 kbit/s MP3, made by ffmpeg.

The upload name comes from the browser. It reaches ffmpeg only as one element of an argument
list (no shell), and after "file:", so a name such as "-y" or "http://x" is still a local file.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

UPLOADS = Path("/srv/audio/uploads")
PREVIEWS = Path("/srv/audio/previews")
PREVIEW_SECONDS = 30


class PreviewError(RuntimeError):
    pass


def preview_command(source: Path, target: Path) -> list[str]:
    return [
        "ffmpeg",
        "-nostdin",
        "-hide_banner",
        "-loglevel",
        "error",
        "-t",
        str(PREVIEW_SECONDS),
        "-i",
        f"file:{source}",
        "-vn",
        "-codec:a",
        "libmp3lame",
        "-b:a",
        "128k",
        "-y",
        f"file:{target}",
    ]


def make_preview(upload_name: str) -> Path:
    name = Path(upload_name).name  # never a path: only the last component is kept
    if name in ("", ".", ".."):
        raise PreviewError(f"bad upload name {upload_name!r}")
    source = UPLOADS / name
    target = PREVIEWS / (name + ".preview.mp3")
    try:
        result = subprocess.run(preview_command(source, target), capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        raise PreviewError(f"ffmpeg took over two minutes on {name}") from None
    if result.returncode != 0:
        raise PreviewError(f"ffmpeg failed on {name}: {result.stderr.strip()[:500]}")
    return target
