"""Loading an EmbeddedModel: which runtime opens a model file, once per process.

Apart from the interface (backends.embedded) so that a runtime module can import the interface while
this module imports the runtime."""

from __future__ import annotations

import atexit
import threading
from pathlib import Path

from lok_action.backends.embedded import EmbeddedModel

# Loading costs a second or two and ~150 MB: once per process and model file. Process-wide by necessity.
_loaded: dict[str, EmbeddedModel] = {}
_loading = threading.Lock()


def open_model(path: Path) -> EmbeddedModel:
    """The model in ``path``, loaded once per process. Raises RuntimeError/ValueError on bad files."""
    key = str(path.resolve())
    with _loading:
        if key not in _loaded:
            from lok_action.backends.xllamacpp_runtime import XllamacppModel

            _loaded[key] = XllamacppModel(Path(key))
        return _loaded[key]


@atexit.register
def _close_all() -> None:
    # free native models while the interpreter is still whole: their destructors join threads
    with _loading:
        models = list(_loaded.values())
        _loaded.clear()
    for model in models:
        model.close()
