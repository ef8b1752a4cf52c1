"""Record backend calls to a cassette and replay them: the same run again, offline, for free.

A cassette is a folder with one JSONL file per backend, ``<backend>.jsonl`` (the name percent-encoded
where it is not a plain file name), and a ``meta.json``. Every call that leaves a backend
(backends.calling.call_backend, and a static analyzer's analyse()) goes through Cassette.answer():

- record: the backend is called as usual (cache, retries, redaction) and the call is appended as one line;
- replay: the answer comes from the cassette; the backend is never called (it need not be installed),
  the answer cache is not used, and a call the cassette does not hold raises CassetteMiss (exit 2);
- replay with missing="call": a call the cassette does not hold goes live and is appended.

One line (request and reply; ``json`` is the reply text parsed, where the text is one JSON value):
    {"v":1,"key":"<sha256>","request":{"op":"query","backend":"codex","kind":"codex","model":"gpt-5",
    "prompt_sha256":"<sha256>","schema_sha256":null,"identity_sha256":"<sha256>","prompt":"..."},
    "reply":{"text":"...","json":null,"error":null,"retryable":false,"duration":1.25,"input_tokens":10,
    "output_tokens":20,"cost_usd":0.0004,"cached":false,"attempts":1,"repairs":0,"note":"",
    "truncated":false}}

The key (request_key) is a sha256 over the canonical JSON of op, backend name, kind, model, the schema's
sha256 and the prompt's sha256. Deliberately not in it:
- the workdir: a replay in another checkout must hit. lok's own prompts carry repository-relative paths
  (chunks are headed "### FILE path", diffs name git's relative paths, `target` is the revision range);
  a workflow of the user's that writes an absolute path into its prompt does not replay elsewhere;
- the backend's command, args and env (absolute paths of a CLI or a home folder, per-machine settings,
  secret values): the line keeps their hash as ``identity_sha256``, for reference only;
- time, and secret values: every hash is taken after redaction, so a cassette's hashes cannot confirm a
  guessed secret, and a replay hits whatever the keys' values are where it runs.
The same key asked again in one run replays the recorded lines in order, then repeats the last.

Every string written (prompt, answer, error, note, meta facts) is redacted by the backend's own
Redactor (backends.redaction), the one rule used everywhere else. Each line goes out in one write(2) on
an O_APPEND descriptor, so a killed run keeps every call it finished; a reader ignores a torn last line
(and an appending replay cuts it off first).

A recording replaces the cassette already in its folder lazily: on its first appended line, or at
finish() when it made no call. A run refused before it calls anyone (an unknown backend, a bad
option found late) leaves the old cassette whole, and one killed after its first call keeps what it got.

meta.json is written once, atomically, by finish() at the end of a recorded run: the run's wall time,
calls per backend and the caller's own facts. The wall time and step durations of a report are measured
by lok, not answered by a backend, so a replay that must reproduce a report byte for byte reports
``cassette.wall_time()`` (and any durations it put in ``cassette.facts()``) instead of what it measured.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import quote, unquote

from lok_action import json_text
from lok_action.atomic import atomic_write_text
from lok_action.backends.base import Availability, Backend, Reply
from lok_action.backends.redaction import Redactor
from lok_action.errors import CassetteError, CassetteMiss

if TYPE_CHECKING:
    from lok_action.config import Config

FORMAT = 1
META_FORMAT = "lok-cassette/1"
META_FILE = "meta.json"
SUFFIX = ".jsonl"
Mode = Literal["record", "replay"]
Missing = Literal["fail", "call"]
Op = Literal["query", "analyse"]
NoneType = type(None)
# Reply fields as a cassette stores them, with the JSON types each may have (backend is the file's)
REPLY_TYPES: dict[str, tuple[type, ...]] = {
    "text": (str,),
    "error": (str, NoneType),
    "retryable": (bool,),
    "duration": (int, float),
    "input_tokens": (int, NoneType),
    "output_tokens": (int, NoneType),
    "cost_usd": (int, float, NoneType),
    "cached": (bool,),
    "attempts": (int,),
    "repairs": (int,),
    "note": (str,),
    "truncated": (bool,),
}


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)


@dataclass(frozen=True)
class Request:
    """What a line records of a call. ``prompt`` is None when prompts are not recorded."""

    op: str
    backend: str
    kind: str
    model: str
    prompt_sha256: str
    schema_sha256: str | None
    identity_sha256: str
    prompt: str | None = None

    @property
    def key(self) -> str:
        return request_key(
            self.op, self.backend, self.kind, self.model, self.prompt_sha256, self.schema_sha256
        )

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        if self.prompt is None:
            del data["prompt"]
        return data


def request_key(
    op: str, backend: str, kind: str, model: str, prompt_sha256: str, schema_sha256: str | None
) -> str:
    """The replay key: see the module docstring for what is in it and what is deliberately not."""
    material = {
        "op": op,
        "backend": backend,
        "kind": kind,
        "model": model,
        "prompt": prompt_sha256,
        "schema": schema_sha256,
    }
    return sha256(canonical(material))


def model_label(backend: Backend) -> str:
    """The model as the key names it: a model file by its name, not where this machine keeps it."""
    model = backend.identity().get("model") or ""
    model = str(model)
    return Path(model).name if os.path.isabs(model) else model


def describe(
    backend: Backend,
    prompt: str,
    schema: Mapping[str, Any] | None,
    op: Op,
    redact: Redactor,
    record_prompt: bool = True,
) -> Request:
    shown = redact(prompt)
    schema_sha256 = None
    if schema is not None:
        from lok_action.backends.structured import schema_digest

        schema_sha256 = schema_digest(schema)
    return Request(
        op=op,
        backend=backend.name,
        kind=backend.kind,
        model=model_label(backend),
        prompt_sha256=sha256(shown),
        schema_sha256=schema_sha256,
        identity_sha256=sha256(redact(canonical(backend.identity()))),
        prompt=shown if record_prompt else None,
    )


def analyse_prompt(files: Iterable[str]) -> str:
    """What stands for the prompt of a static analyzer's call: the files it was given, one a line."""
    return "\n".join(files)


def file_name(backend: str) -> str:
    """``<backend>.jsonl``, the name percent-encoded so that any backend name is one plain file name."""
    return quote(backend, safe="") + SUFFIX


def reply_record(reply: Reply, redact: Redactor) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name in REPLY_TYPES:
        value = getattr(reply, name)
        data[name] = redact(value) if isinstance(value, str) else value
        if name == "text":
            data["json"] = parsed_json(data["text"])
    return data


def parsed_json(text: str) -> Any:
    """The answer as JSON where the whole answer is one JSON object or array, else None."""
    stripped = text.strip()
    if stripped[:1] not in ("{", "["):
        return None
    try:
        return json_text.loads(stripped)
    except (ValueError, RecursionError):
        return None


def encode_line(request: Request, reply: Reply, redact: Redactor) -> bytes:
    record = {
        "v": FORMAT,
        "key": request.key,
        "request": request.to_dict(),
        "reply": reply_record(reply, redact),
    }
    # json escapes every newline inside strings, so the only "\n" is the line's end; a lone surrogate
    # (from text decoded with surrogateescape) becomes its \\u escape, which json reads back as itself
    text = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
    return (text + "\n").encode("utf-8", "backslashreplace")


@dataclass(frozen=True)
class Entry:
    key: str
    backend: str
    reply: Reply


def decode_line(raw: bytes, where: str) -> Entry:
    """One line back; raises CassetteError naming ``where`` (file:line) for anything else."""
    try:
        record = json_text.loads(raw)
    except (ValueError, RecursionError) as error:
        raise CassetteError(f"{where}: not a JSON line ({error})") from None
    if not isinstance(record, dict):
        raise CassetteError(f"{where}: not a cassette line (expected a JSON object)")
    if record.get("v") != FORMAT:
        raise CassetteError(f"{where}: cassette format {record.get('v')!r}, this lok reads format {FORMAT}")
    request, reply = record.get("request"), record.get("reply")
    if not isinstance(request, dict) or not isinstance(reply, dict):
        raise CassetteError(f"{where}: a cassette line needs a 'request' and a 'reply' object")
    fields = ("op", "backend", "kind", "model", "prompt_sha256", "schema_sha256")
    for name in fields:
        if not isinstance(request.get(name), (str, NoneType) if name == "schema_sha256" else str):
            raise CassetteError(f"{where}: request.{name}: missing or not a string")
    key = request_key(*(request[name] for name in fields))
    if record.get("key") != key:
        raise CassetteError(f"{where}: key does not match its request (was the line edited?)")
    prompt = request.get("prompt")
    if prompt is not None and (not isinstance(prompt, str) or sha256(prompt) != request["prompt_sha256"]):
        raise CassetteError(f"{where}: request.prompt does not match its prompt_sha256 (was it edited?)")
    values: dict[str, Any] = {}
    for name, types in REPLY_TYPES.items():
        value = reply.get(name)
        # json's true is an int to isinstance, but no count, duration or cost
        if (
            name not in reply
            or not isinstance(value, types)
            or (isinstance(value, bool) and bool not in types)
        ):
            wanted = " or ".join("null" if t is NoneType else t.__name__ for t in types)
            raise CassetteError(f"{where}: reply.{name}: expected {wanted}")
        values[name] = value
    return Entry(key, request["backend"], Reply(request["backend"], **values))


class Cassette:
    """A cassette folder opened to record or to replay; safe to use from the runner's threads."""

    def __init__(
        self, directory: Path, mode: Mode, *, missing: Missing = "fail", record_prompts: bool = True
    ) -> None:
        self.directory = Path(directory)
        self.mode: Mode = mode
        self.missing: Missing = missing
        self.record_prompts = record_prompts
        self._lock = threading.Lock()
        self._queues: dict[str, list[Reply]] = {}  # key -> replies, in recorded order
        self._taken: Counter[str] = Counter()  # key -> how many of its replies this run used
        self._lines: Counter[str] = Counter()  # backend -> lines in its file
        self._torn: dict[Path, int] = {}  # file -> length of its complete lines (a torn last line)
        self._secrets: set[str] = set()
        self._meta: dict[str, Any] | None = None
        self._wrote = False
        self._replace_pending = False  # a recording: the old cassette goes at the first line or finish

    @classmethod
    def record(cls, directory: Path, *, record_prompts: bool = True) -> Cassette:
        """A new recording in ``directory`` (made if need be). A cassette already there is replaced,
        but only once this run writes (its first call, or finish()); a folder holding anything else is
        refused now, so --record never deletes a user's files."""
        cassette = cls(directory, "record", record_prompts=record_prompts)
        cassette._check_folder()
        cassette._replace_pending = True
        return cassette

    @classmethod
    def replay(cls, directory: Path, *, missing: Missing = "fail", record_prompts: bool = True) -> Cassette:
        """The recording in ``directory``, read and checked whole now (a damaged line is an error
        before any step runs). ``record_prompts`` applies to the misses missing="call" records."""
        if missing not in ("fail", "call"):
            raise CassetteError(f"replay missing must be 'fail' or 'call', got {missing!r}")
        cassette = cls(directory, "replay", missing=missing, record_prompts=record_prompts)
        cassette._load()
        return cassette

    @property
    def replaying(self) -> bool:
        return self.mode == "replay"

    # ---- calls

    def answer(
        self,
        backend: Backend,
        prompt: str,
        live: Callable[[], Reply],
        *,
        schema: Mapping[str, Any] | None = None,
        op: Op = "query",
    ) -> Reply:
        """The reply to this call: replayed, or ``live()`` (then appended to the cassette)."""
        redact = backend.redactor()
        request = describe(backend, prompt, schema, op, redact, self.record_prompts)
        if self.replaying:
            replayed = self._next(request.key)
            if replayed is not None:
                return dataclasses.replace(replayed, backend=backend.name)
            if self.missing == "fail":
                raise CassetteMiss(
                    f"cassette {self.directory}: backend '{backend.name}' has no recorded answer for"
                    f" request {request.key} (record it again, or replay with --replay-missing call)"
                )
        reply = live()
        self._append(request, reply, redact)
        return reply

    def _next(self, key: str) -> Reply | None:
        with self._lock:
            queue = self._queues.get(key)
            if not queue:
                return None
            index = min(self._taken[key], len(queue) - 1)  # in order, then the last one again
            self._taken[key] += 1
            return queue[index]

    def _append(self, request: Request, reply: Reply, redact: Redactor) -> None:
        line = encode_line(request, reply, redact)
        path = self.directory / file_name(request.backend)
        with self._lock:
            self._replace_old()
            try:
                if path in self._torn:  # a killed run's half line: cut it off, or this line joins it
                    os.truncate(path, self._torn.pop(path))
                fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
                try:
                    view = memoryview(line)
                    while view:  # one write(2) for a whole line on a regular file; loop for the rare rest
                        view = view[os.write(fd, view) :]
                finally:
                    os.close(fd)
            except OSError as error:
                raise CassetteError(
                    f"cassette {self.directory}: cannot write {path.name}: {error.strerror or error}"
                ) from None
            self._secrets.update(redact.secrets)
            self._lines[request.backend] += 1
            self._wrote = True
            if self.replaying:  # a miss recorded now is the answer to the same call asked again
                self._queues.setdefault(request.key, []).append(reply)
                self._taken[request.key] = len(self._queues[request.key])

    # ---- which backends

    def backends(self) -> list[str]:
        """Names of the backends the cassette holds answers from (read, or recorded in this run)."""
        with self._lock:
            return sorted(name for name, count in self._lines.items() if count)

    def availability(self, name: str) -> Availability | None:
        """Ready, when a replay holds this backend's answers (it need not be installed); else None:
        ask the backend itself."""
        if self.replaying and name in self.backends():
            return Availability(True, f"ready (replayed from {self.directory})")
        return None

    def default_backends(
        self, config: Config, env: Mapping[str, str], *, analyzers: bool = False
    ) -> list[str]:
        """In a replay, the backends used when none is named: the enabled ones the cassette holds
        answers from, in config order; the LLMs, or with ``analyzers`` the static analyzers. With
        missing="call" also the ones ready now (a killed recording may hold no line of one yet)."""
        from lok_action.backends import create_backend

        recorded = set(self.backends())
        names = [name for name, bc in config.backends.items() if bc.enabled and name in recorded]
        if self.missing == "call":
            from lok_action.backends.selection import default_analyzer_names, default_backend_names

            live = (
                default_analyzer_names(config, env=env)
                if analyzers
                else default_backend_names(config, env=env)
            )
            # not the fallback of "nothing is ready" (it may be disabled): only enabled ones join
            enabled = [name for name in live if name in config.backends and config.backends[name].enabled]
            names += [name for name in enabled if name not in recorded]
            order = list(config.backends)
            names.sort(key=lambda name: order.index(name) if name in order else len(order))
        return [
            name
            for name in names
            if create_backend(config.backends[name], env=env).answers_prompts != analyzers
        ]

    # ---- the run's facts

    def meta(self) -> dict[str, Any] | None:
        """meta.json of a replayed cassette (None when the recording did not finish)."""
        return self._meta

    def facts(self) -> dict[str, Any]:
        """The facts the recorded run kept in meta.json (see finish); empty when there are none."""
        facts = (self._meta or {}).get("facts")
        return facts if isinstance(facts, dict) else {}

    def wall_time(self) -> float | None:
        """The recorded run's wall time in seconds, for a replay to report instead of its own."""
        value = (self._meta or {}).get("wall_time")
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None

    def finish(self, wall_time: float | None = None, **facts: Any) -> None:
        """Write meta.json at the end of a recorded run: its ``wall_time`` (seconds), calls per backend
        and ``facts`` (JSON values the caller needs to reproduce its report; strings are redacted). A
        replay writes none, unless it recorded misses into a cassette that had none."""
        if self.replaying and (self._meta is not None or not self._wrote):
            return
        with self._lock:
            self._replace_old()
            known = self._secrets | set(Redactor.for_env(os.environ).secrets)
            redact = Redactor(tuple(sorted(known, key=len, reverse=True)))
            calls = dict(sorted(self._lines.items()))
        meta = {
            "format": META_FORMAT,
            "lok_version": _lok_version(),
            "wall_time": wall_time,
            "calls": calls,
            "record_prompts": self.record_prompts,
            "facts": _redacted(facts, redact),
        }
        try:
            atomic_write_text(
                self.directory / META_FILE, json.dumps(meta, indent=2, ensure_ascii=False) + "\n"
            )
        except OSError as error:
            raise CassetteError(
                f"cassette {self.directory}: cannot write {META_FILE}: {error.strerror or error}"
            ) from None

    # ---- the folder

    def _check_folder(self) -> list[Path]:
        """The cassette's files; refuses a folder holding anything else. Changes nothing."""
        if not self.directory.exists() and not self.directory.is_symlink():
            return []
        try:
            entries = sorted(self.directory.iterdir())
        except OSError as error:
            raise CassetteError(f"cassette {self.directory}: {error.strerror or error}") from None
        strangers = [entry.name for entry in entries if not _is_cassette_file(entry)]
        if strangers:
            raise CassetteError(
                f"cassette {self.directory}: not a cassette folder (it holds {strangers[0]});"
                " record into a new or empty folder"
            )
        return entries

    def _replace_old(self) -> None:
        """A recording's first write: the folder made, the old cassette's files removed (under _lock)."""
        if not self._replace_pending:
            return
        self._clear()
        self._replace_pending = False

    def _clear(self) -> None:
        entries = self._check_folder()  # again: the folder may have changed since record()
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise CassetteError(f"cassette {self.directory}: {error.strerror or error}") from None
        try:
            for entry in entries:
                entry.unlink()
        except OSError as error:
            raise CassetteError(
                f"cassette {self.directory}: cannot replace {error.filename}: {error.strerror}"
            ) from None

    def _load(self) -> None:
        if not self.directory.is_dir():
            raise CassetteError(f"cassette {self.directory}: not a folder")
        try:
            paths = sorted(self.directory.glob(f"*{SUFFIX}"))
            for path in paths:
                self._load_file(path, path.read_bytes())
            meta_path = self.directory / META_FILE
            raw_meta = meta_path.read_bytes() if meta_path.is_file() else None
        except OSError as error:
            raise CassetteError(f"cassette {self.directory}: {error.strerror or error}") from None
        if raw_meta is not None:
            try:
                meta = json_text.loads(raw_meta)
            except (ValueError, RecursionError) as error:
                raise CassetteError(f"{self.directory / META_FILE}: not JSON ({error})") from None
            if not isinstance(meta, dict) or meta.get("format") != META_FORMAT:
                raise CassetteError(f"{self.directory / META_FILE}: not a {META_FORMAT} meta file")
            self._meta = meta

    def _load_file(self, path: Path, data: bytes) -> None:
        backend = unquote(path.name[: -len(SUFFIX)])
        lines = data.split(b"\n")  # only "\n" ends a line: a U+2028 inside an answer does not
        torn = lines.pop()  # b"" after the last complete line; anything else is a killed write
        if torn:
            self._torn[path] = len(data) - len(torn)
        for number, raw in enumerate(lines, 1):
            if not raw.strip():
                continue
            entry = decode_line(raw, f"{path}:{number}")
            if entry.backend != backend:
                raise CassetteError(
                    f"{path}:{number}: a call of backend '{entry.backend}' in {backend}'s file"
                )
            self._queues.setdefault(entry.key, []).append(entry.reply)
            self._lines[backend] += 1


def _is_cassette_file(entry: Path) -> bool:
    name = entry.name
    cassette_name = name.endswith(SUFFIX) or name == META_FILE or name.startswith(f".{META_FILE}.")
    return cassette_name and entry.is_file() and not entry.is_symlink()


def _redacted(value: Any, redact: Redactor) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        return {str(key): _redacted(item, redact) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redacted(item, redact) for item in value]
    return value


def _lok_version() -> str:
    from lok_action import __version__

    return __version__
