"""A local stand-in for the vendors' model APIs, on 127.0.0.1 only.

One threaded HTTP server speaks the wire protocols the real CLIs and HTTP backends use:
Anthropic Messages (SSE), OpenAI Responses (SSE), Gemini streamGenerateContent (SSE),
Ollama (/api/chat, /api/tags) and OpenAI chat completions. Each test scripts what it answers
(text, error status, delay, a codex tool call) per protocol and reads back what it was sent.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PROTOCOLS = ("anthropic", "responses", "gemini", "ollama", "openai")
GEMINI_PATH = re.compile(r"/models/(?P<model>[^/:]+):(?P<method>streamGenerateContent|generateContent)")


@dataclass(frozen=True)
class Script:
    text: str = "Hello from the fake model."
    status: int | None = None  # answer with this HTTP error status instead
    delay: float = 0.0  # seconds to wait before answering (ends early when the server stops)
    # responses protocol: first ask the agent to run this shell command, answer after its output
    tool_command: tuple[str, ...] | None = None
    models: tuple[str, ...] = ("qwen2.5-coder:7b",)  # what /api/tags and /v1/models list
    # (substring, text) pairs: a request whose text contains the substring is answered with that text
    # (first match wins, else ``text``), so one protocol can answer each prompt differently
    replies: tuple[tuple[str, str], ...] = ()
    # openai protocol: response_format types answered with 400, as servers that lack them do
    refused_formats: tuple[str, ...] = ()

    def for_request(self, body: Any) -> Script:
        if not self.replies:
            return self
        sent = "\n".join(_strings(body))
        for substring, text in self.replies:
            if substring in sent:
                return replace(self, text=text)
        return self


@dataclass(frozen=True)
class RecordedRequest:
    protocol: str
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class _State:
    default: Script = field(default_factory=Script)
    per_protocol: dict[str, Script] = field(default_factory=dict)
    requests: list[RecordedRequest] = field(default_factory=list)


ERROR_MESSAGES = {401: "invalid api key", 429: "rate limit exceeded", 500: "internal server error"}


class FakeLLMServer:
    def __init__(self) -> None:
        self._state = _State()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05})

    # --- lifecycle -------------------------------------------------------------------------
    def start(self) -> FakeLLMServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes handlers sleeping on a delay
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- scripting -------------------------------------------------------------------------
    def script(self, protocol: str | None = None, **changes: Any) -> None:
        """Change what the server answers: for one protocol, or (protocol=None) for all."""
        if protocol is not None and protocol not in PROTOCOLS:
            raise ValueError(f"unknown protocol {protocol!r}")
        if "tool_command" in changes and changes["tool_command"] is not None:
            changes["tool_command"] = tuple(changes["tool_command"])
        if "replies" in changes:
            changes["replies"] = tuple(tuple(pair) for pair in changes["replies"])
        if "refused_formats" in changes:
            changes["refused_formats"] = tuple(changes["refused_formats"])
        with self._lock:
            if protocol is None:
                self._state.default = replace(self._state.default, **changes)
                self._state.per_protocol = {
                    name: replace(script, **changes) for name, script in self._state.per_protocol.items()
                }
            else:
                base = self._state.per_protocol.get(protocol, self._state.default)
                self._state.per_protocol[protocol] = replace(base, **changes)

    def script_for(self, protocol: str) -> Script:
        with self._lock:
            return self._state.per_protocol.get(protocol, self._state.default)

    def requests(self, protocol: str | None = None) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self._state.requests if protocol is None or r.protocol == protocol]

    def prompts(self, protocol: str) -> list[str]:
        """The text of each model request (POST) of ``protocol``: every string in its body, joined."""
        return ["\n".join(_strings(r.body)) for r in self.requests(protocol) if r.method == "POST"]

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._state.requests.append(request)

    def _wait(self, seconds: float) -> bool:
        """Sleep; False when the server is stopping."""
        return not self._stopping.wait(seconds) if seconds > 0 else True


def _strings(value: Any) -> list[str]:
    """Every string inside a decoded JSON body (prompts sit at different depths in each protocol)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return []


def _sse(event: str | None, data: Any) -> bytes:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(data)}\n\n".encode()


def _handler_for(server: FakeLLMServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
            pass

        # --- plumbing ------------------------------------------------------------------------
        def _body(self) -> Any:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                return json.loads(raw) if raw else None
            except ValueError:
                return raw.decode(errors="replace")

        def _send_json(self, status: int, data: Any) -> None:
            payload = json.dumps(data).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _send_sse(self, chunks: list[bytes]) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            for chunk in chunks:
                self.wfile.write(chunk)
                self.wfile.flush()
            self.close_connection = True

        def _protocol(self) -> str | None:
            path = self.path.split("?", 1)[0]
            if path.endswith("/messages"):
                return "anthropic"
            if path.endswith("/responses"):
                return "responses"
            if GEMINI_PATH.search(path):
                return "gemini"
            if path in ("/api/chat", "/api/tags"):
                return "ollama"
            if path.endswith("/chat/completions") or path.endswith("/models"):
                return "openai"
            return None

        def _handle(self, method: str) -> None:
            body = self._body() if method == "POST" else None
            protocol = self._protocol()
            if protocol is None:
                self._send_json(404, {"error": {"message": f"no route {method} {self.path}"}})
                return
            server._record(RecordedRequest(protocol, method, self.path, dict(self.headers), body))
            script = server.script_for(protocol).for_request(body)
            listing = method == "GET"
            if not listing and not server._wait(script.delay):
                return
            if script.status is not None and not listing:
                self._error(protocol, script.status)
                return
            getattr(self, f"_answer_{protocol}")(script, body)

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def do_HEAD(self) -> None:  # Claude Code probes the base URL
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        # --- errors in each vendor's shape -----------------------------------------------------
        def _error(self, protocol: str, status: int) -> None:
            message = ERROR_MESSAGES.get(status, f"error {status}")
            if protocol == "anthropic":
                kind = {401: "authentication_error", 429: "rate_limit_error"}.get(status, "api_error")
                self._send_json(status, {"type": "error", "error": {"type": kind, "message": message}})
            elif protocol == "gemini":
                state = {401: "UNAUTHENTICATED", 429: "RESOURCE_EXHAUSTED"}.get(status, "INTERNAL")
                self._send_json(status, {"error": {"code": status, "message": message, "status": state}})
            elif protocol == "ollama":
                self._send_json(status, {"error": message})
            else:
                if status == 401 and self.headers.get("Authorization"):
                    # like api.openai.com, quote the rejected key (clients must not echo it further)
                    key = self.headers["Authorization"].removeprefix("Bearer ")
                    message = f"Incorrect API key provided: {key}"
                self._send_json(status, {"error": {"message": message, "type": "error", "code": status}})

        # --- answers -----------------------------------------------------------------------------
        def _answer_anthropic(self, script: Script, body: Any) -> None:
            model = (body or {}).get("model", "claude")
            message = {
                "id": "msg_fake",
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": {"input_tokens": 12, "output_tokens": 1},
            }
            structured = _structured_output_call(body, script.text)
            if structured is not None:
                # Claude Code's --json-schema offers a StructuredOutput tool; a model answers by calling it
                block: dict[str, Any] = {"type": "tool_use", "id": "toolu_fake", "name": STRUCTURED_TOOL}
                delta = {"type": "input_json_delta", "partial_json": json.dumps(structured)}
                block["input"], stop = {}, "tool_use"
            else:
                block = {"type": "text", "text": ""}
                delta = {"type": "text_delta", "text": script.text}
                stop = "end_turn"
            self._send_sse(
                [
                    _sse("message_start", {"type": "message_start", "message": message}),
                    _sse(
                        "content_block_start",
                        {"type": "content_block_start", "index": 0, "content_block": block},
                    ),
                    _sse("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}),
                    _sse("content_block_stop", {"type": "content_block_stop", "index": 0}),
                    _sse(
                        "message_delta",
                        {
                            "type": "message_delta",
                            "delta": {"stop_reason": stop, "stop_sequence": None},
                            "usage": {"output_tokens": 7},
                        },
                    ),
                    _sse("message_stop", {"type": "message_stop"}),
                ]
            )

        def _answer_responses(self, script: Script, body: Any) -> None:
            items = (body or {}).get("input") or []
            tool_done = any(isinstance(i, dict) and i.get("type") == "function_call_output" for i in items)
            if script.tool_command is not None and not tool_done:
                item: dict[str, Any] = {
                    "type": "function_call",
                    "id": "fc_fake",
                    "call_id": "call_fake",
                    "name": _shell_tool_name(body),
                    "arguments": json.dumps(_shell_arguments(body, script.tool_command)),
                }
            else:
                item = {
                    "type": "message",
                    "id": "msg_fake",
                    "role": "assistant",
                    "content": [{"type": "output_text", "text": script.text, "annotations": []}],
                }
            usage = {
                "input_tokens": 12,
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens": 7,
                "output_tokens_details": {"reasoning_tokens": 0},
                "total_tokens": 19,
            }
            self._send_sse(
                [
                    _sse("response.created", {"type": "response.created", "response": {"id": "resp_fake"}}),
                    _sse(
                        "response.output_item.done",
                        {"type": "response.output_item.done", "output_index": 0, "item": item},
                    ),
                    _sse(
                        "response.completed",
                        {"type": "response.completed", "response": {"id": "resp_fake", "usage": usage}},
                    ),
                ]
            )

        def _answer_gemini(self, script: Script, body: Any) -> None:
            chunk = {
                "candidates": [
                    {
                        "content": {"parts": [{"text": script.text}], "role": "model"},
                        "finishReason": "STOP",
                        "index": 0,
                    }
                ],
                "usageMetadata": {"promptTokenCount": 12, "candidatesTokenCount": 7, "totalTokenCount": 19},
            }
            if "streamGenerateContent" in self.path:
                self._send_sse([_sse(None, chunk)])
            else:
                self._send_json(200, chunk)

        def _answer_ollama(self, script: Script, body: Any) -> None:
            if self.path == "/api/tags":
                models = [{"name": m, "model": m, "size": 1} for m in script.models]
                self._send_json(200, {"models": models})
                return
            self._send_json(
                200,
                {
                    "model": (body or {}).get("model"),
                    "message": {"role": "assistant", "content": script.text},
                    "done": True,
                    "prompt_eval_count": 12,
                    "eval_count": 7,
                },
            )

        def _answer_openai(self, script: Script, body: Any) -> None:
            if self.command == "GET":
                self._send_json(200, {"object": "list", "data": [{"id": m} for m in script.models]})
                return
            kind = ((body or {}).get("response_format") or {}).get("type")
            if kind in script.refused_formats:
                message = f"response_format type '{kind}' is not supported"  # as vLLM/llama.cpp word it
                self._send_json(
                    400, {"error": {"message": message, "type": "invalid_request_error", "code": 400}}
                )
                return
            self._send_json(
                200,
                {
                    "id": "chatcmpl-fake",
                    "object": "chat.completion",
                    "created": int(time.time()),
                    "model": (body or {}).get("model", "fake"),
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": script.text},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 12, "completion_tokens": 7, "total_tokens": 19},
                },
            )

    return Handler


STRUCTURED_TOOL = "StructuredOutput"  # the tool Claude Code adds for --json-schema


def structured_tool_schema(body: Any) -> Any:
    """The input_schema of Claude Code's StructuredOutput tool in an Anthropic request, or None."""
    for tool in (body or {}).get("tools") or []:
        if isinstance(tool, dict) and tool.get("name") == STRUCTURED_TOOL:
            return tool.get("input_schema")
    return None


def _structured_output_call(body: Any, text: str) -> Any:
    """The object to pass to StructuredOutput, when the request offers it, the scripted text is a JSON
    object and the tool has not been called yet in this conversation; else None (answer with text)."""
    if structured_tool_schema(body) is None:
        return None
    for message in (body or {}).get("messages") or []:
        content = message.get("content") if isinstance(message, dict) else None
        for block in content if isinstance(content, list) else []:
            if isinstance(block, dict) and block.get("type") == "tool_result":
                return None  # the tool ran: end the turn with text
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


# Codex offers its shell under one of these names, depending on version and model family.
SHELL_TOOLS = ("shell", "shell_command", "exec_command", "local_shell")


def _tool_names(body: Any) -> list[str]:
    tools = (body or {}).get("tools") or []
    return [str(t.get("name") or t.get("type")) for t in tools if isinstance(t, dict)]


def _shell_tool_name(body: Any) -> str:
    offered = _tool_names(body)
    for name in SHELL_TOOLS:
        if name in offered:
            return name
    return "shell"


def _shell_arguments(body: Any, command: tuple[str, ...]) -> dict[str, Any]:
    name = _shell_tool_name(body)
    import shlex

    if name == "exec_command":
        return {"cmd": shlex.join(command)}
    if name == "shell_command":
        return {"command": shlex.join(command)}
    return {"command": list(command)}
