"""A local fake of the Anthropic API for the tests: a real HTTP server on 127.0.0.1, in a thread,
that speaks POST /v1/messages (tool-use replies) and POST /v1/messages/count_tokens, and can be
scripted to answer 429 with retry-after, 500, 529 overloaded, 401/403/404 or malformed JSON."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0  # seconds before answering, to make the client time out


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    body: Any
    at: float


def tool_use(name: str, data: dict, tool_id: str = "toolu_01") -> Reply:
    """A Messages answer whose only content is a call of tool `name` with input `data`."""
    message = {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": "fake",
        "content": [{"type": "tool_use", "id": tool_id, "name": name, "input": data}],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 10},
    }
    return Reply(200, json.dumps(message).encode())


def text_answer(text: str) -> Reply:
    message = {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": "fake",
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 10},
    }
    return Reply(200, json.dumps(message).encode())


ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


def error(
    status: int, message: str = "", retry_after: str | None = None, retry_after_ms: str | None = "5"
) -> Reply:
    """An API error as the real API sends it; a retryable one carries a tiny wait (fast tests)."""
    body = {
        "type": "error",
        "error": {
            "type": ERROR_TYPES.get(status, "api_error"),
            "message": message or f"fake {status}",
        },
    }
    headers = []
    if retry_after is not None:
        headers.append(("retry-after", retry_after))
    elif retry_after_ms is not None and (status == 429 or status >= 500):
        headers.append(("retry-after-ms", retry_after_ms))
    return Reply(status, json.dumps(body).encode(), tuple(headers))


def malformed() -> Reply:
    return Reply(200, b'{"id": "msg_fake", "type": "message", "content": [')


def word_count(body: Any) -> Reply:
    """count_tokens by a rule the estimate does not share: one token per word, plus 7 of framing."""
    text = body["messages"][0]["content"] if isinstance(body, dict) else ""
    return Reply(200, json.dumps({"input_tokens": len(str(text).split()) + 7}).encode())


@dataclass
class FakeAnthropic:
    """Scripted answers, in order, per endpoint; unscripted, `count_tokens` answers by `counter`."""

    messages: list[Reply] = field(default_factory=list)
    counts: list[Reply] = field(default_factory=list)
    counter: Callable[[Any], Reply] = word_count
    requests: list[Request] = field(default_factory=list)
    url: str = ""

    def start(self) -> FakeAnthropic:
        fake = self
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = raw.decode(errors="replace")
                path = self.path.split("?")[0]
                with lock:
                    fake.requests.append(
                        Request(
                            path,
                            {k.lower(): v for k, v in self.headers.items()},
                            body,
                            time.monotonic(),
                        )
                    )
                    if path == "/v1/messages":
                        reply = (
                            fake.messages.pop(0)
                            if fake.messages
                            else error(500, "the fake has no scripted answer left")
                        )
                    elif path == "/v1/messages/count_tokens":
                        reply = fake.counts.pop(0) if fake.counts else fake.counter(body)
                    else:
                        reply = error(404, f"no route {path}")
                time.sleep(reply.delay)
                try:
                    self.send_response(reply.status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(reply.body)))
                    for name, value in reply.headers:
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(reply.body)
                except OSError:
                    pass  # the client gave up waiting

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def calls(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]
