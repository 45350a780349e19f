"""A real HTTP server on 127.0.0.1 speaking the OpenAI chat-completions API (and Anthropic's
Messages API), scriptable per test, so the official SDKs run end to end with no network.

Usage::

    from helpers.fake_openai import FakeLLMServer, tool_reply, error_reply, strategist_responder

    with FakeLLMServer(responder=strategist_responder) as server:
        server.enqueue(error_reply(429), tool_reply("{not json"))   # answered first, in order
        llm = LLMInterface.from_settings("openai", "gpt-4o-mini", server.base_url, prompts=pm)
        ...
        bodies = server.bodies()          # every JSON request the SDK sent

`base_url` is for the openai SDK (`.../v1`), `anthropic_base_url` for the anthropic SDK.
Queued replies are used first; then `responder(body) -> Reply`; with neither, HTTP 500.
`strategist_responder` answers every VantageAdapt strategist tool with a valid object.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Reply:
    """One scripted answer: a tool call, plain text, or an HTTP error; optionally delayed."""

    status: int = 200
    arguments: dict[str, Any] | str | None = None  # tool-call arguments (str sent verbatim)
    tool_name: str | None = None  # defaults to the tool the request forced/offered
    content: str | None = None  # assistant text
    error: str = ""
    delay: float = 0.0  # seconds to wait before answering (for client timeouts)
    prompt_tokens: int = 100
    completion_tokens: int = 50


def tool_reply(
    arguments: dict[str, Any] | str, *, name: str | None = None, tokens: tuple[int, int] = (100, 50)
) -> Reply:
    """A tool call with these arguments (a str is sent as-is, e.g. malformed JSON)."""
    return Reply(
        arguments=arguments, tool_name=name, prompt_tokens=tokens[0], completion_tokens=tokens[1]
    )


def text_reply(content: str) -> Reply:
    """A plain assistant message with no tool call."""
    return Reply(content=content)


def error_reply(status: int, message: str = "scripted failure", *, delay: float = 0.0) -> Reply:
    """An HTTP error in the API's error format (429, 500, 503, 401...)."""
    return Reply(status=status, error=message, delay=delay)


def slow_reply(seconds: float, reply: Reply | None = None) -> Reply:
    """`reply` (default: an empty answer) sent after `seconds`, to trip client timeouts."""
    return replace(reply or Reply(content=""), delay=seconds)


@dataclass
class RecordedRequest:
    """What the client sent: path, headers (lower-case names) and the JSON body."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    raw: str = field(repr=False, default="")


def forced_tool(body: dict[str, Any]) -> str | None:
    """The tool a chat/messages request forces (or offers first)."""
    choice = body.get("tool_choice")
    if isinstance(choice, dict):
        name = choice.get("name") or (choice.get("function") or {}).get("name")
        if name:
            return name
    tools = body.get("tools") or []
    if tools:
        first = tools[0]
        return first.get("name") or (first.get("function") or {}).get("name")
    return None


def first_user_text(body: dict[str, Any]) -> str:
    """The text of the first user message (the question; later ones are repair requests)."""
    for message in body.get("messages", []):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):
                return "".join(part.get("text", "") for part in content if isinstance(part, dict))
            return content or ""
    return ""


class FakeLLMServer:
    """The server; start/stop it or use it as a context manager."""

    def __init__(self, responder: Callable[[dict[str, Any]], Reply] | None = None) -> None:
        self.responder = responder
        self.requests: list[RecordedRequest] = []
        self._queue: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # control ---------------------------------------------------------------------------
    def start(self) -> FakeLLMServer:
        """Listen on a free port of 127.0.0.1 in a background thread."""
        handler = _make_handler(self)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Shut the server down and free the port."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The port the server listens on."""
        assert self._httpd is not None, "start the server first"
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        """Base URL for the openai SDK."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def anthropic_base_url(self) -> str:
        """Base URL for the anthropic SDK."""
        return f"http://127.0.0.1:{self.port}"

    def enqueue(self, *replies: Reply) -> None:
        """Answer the next requests with these replies, in order."""
        with self._lock:
            self._queue.extend(replies)

    def bodies(self) -> list[dict[str, Any]]:
        """The JSON bodies received so far."""
        return [r.body for r in self.requests]

    # answering -------------------------------------------------------------------------
    def _next(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        if self.responder is not None:
            return self.responder(body)
        return error_reply(500, "FakeLLMServer: no scripted reply and no responder")


def _openai_body(reply: Reply, request: dict[str, Any]) -> dict[str, Any]:
    if reply.status != 200:
        kind = "rate_limit_error" if reply.status == 429 else "server_error"
        return {"error": {"message": reply.error, "type": kind, "code": reply.status}}
    message: dict[str, Any] = {"role": "assistant", "content": reply.content}
    finish = "stop"
    if reply.arguments is not None:
        args = reply.arguments
        text = args if isinstance(args, str) else json.dumps(args)
        name = reply.tool_name or forced_tool(request) or "tool"
        message["tool_calls"] = [
            {"id": "call_1", "type": "function", "function": {"name": name, "arguments": text}}
        ]
        finish = "tool_calls"
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": request.get("model", "fake"),
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {
            "prompt_tokens": reply.prompt_tokens,
            "completion_tokens": reply.completion_tokens,
            "total_tokens": reply.prompt_tokens + reply.completion_tokens,
        },
    }


def _anthropic_body(reply: Reply, request: dict[str, Any]) -> dict[str, Any]:
    if reply.status != 200:
        kind = "rate_limit_error" if reply.status == 429 else "api_error"
        return {"type": "error", "error": {"type": kind, "message": reply.error}}
    content: list[dict[str, Any]] = []
    if reply.content:
        content.append({"type": "text", "text": reply.content})
    stop = "end_turn"
    if reply.arguments is not None:
        args = reply.arguments
        value = json.loads(args) if isinstance(args, str) else args
        name = reply.tool_name or forced_tool(request) or "tool"
        content.append({"type": "tool_use", "id": "toolu_1", "name": name, "input": value})
        stop = "tool_use"
    return {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": request.get("model", "fake"),
        "content": content,
        "stop_reason": stop,
        "stop_sequence": None,
        "usage": {"input_tokens": reply.prompt_tokens, "output_tokens": reply.completion_tokens},
    }


def _make_handler(server: FakeLLMServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep test output clean
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            raw = self.rfile.read(length).decode("utf-8")
            body = json.loads(raw) if raw else {}
            headers = {k.lower(): v for k, v in self.headers.items()}
            with server._lock:
                server.requests.append(RecordedRequest(self.path, headers, body, raw))
            reply = server._next(body)
            if reply.delay:
                time.sleep(reply.delay)
            if self.path.rstrip("/").endswith("/chat/completions"):
                payload = _openai_body(reply, body)
            elif self.path.rstrip("/").endswith("/messages"):
                payload = _anthropic_body(reply, body)
            else:
                reply, payload = Reply(status=404), {"error": {"message": f"no {self.path}"}}
            data = json.dumps(payload).encode("utf-8")
            try:
                self.send_response(reply.status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client timed out and went away

    return Handler


# Valid answers for every strategist tool (for end-to-end tests) ---------------------------
MARKET_CONTEXT: dict[str, Any] = {
    "regime": "RANGING_LOW_VOL",
    "confidence": 0.7,
    "volatility_level": 0.3,
    "trend_strength": 0.2,
    "volume_profile": "steady",
    "risk_level": "medium",
    "key_levels": {"support": 0.95, "resistance": 1.05},
    "analysis": {
        "price_action": "sideways",
        "volume_analysis": "flat",
        "momentum": "weak",
        "volatility": "low",
    },
}
_REGIMES = (
    "TRENDING_BULLISH",
    "TRENDING_BEARISH",
    "RANGING_HIGH_VOL",
    "RANGING_LOW_VOL",
    "BREAKOUT",
    "BREAKDOWN",
    "REVERSAL",
    "UNKNOWN",
)
STRATEGY_INSIGHT: dict[str, Any] = {
    "regime_change_probability": 0.3,
    "suggested_position_size": 0.2,
    "volatility_adjustment": {"entry_zone": 1.0, "exit_zone": 1.5, "stop_loss": 2.0},
    "regime_specific_rules": {
        r: {"position_size_mult": 1.0, "stop_loss_mult": 1.0, "take_profit_mult": 1.0}
        for r in _REGIMES
    },
    "key_indicators": {"primary": ["ma_20"], "confirmation": ["volume_ma"], "exit": ["ma_20"]},
    "risk_management": {"max_position_size": 0.3, "max_correlation": 0.7, "max_drawdown": 0.2},
    "rationale": "fake server plan",
}
TRADING_RULES: dict[str, Any] = {
    "conditions": {
        "entry": ["price > ma_{ma_window}", "volume > volume_ma"],
        "exit": ["price < ma_{ma_window}", "drawdown > max_drawdown"],
    },
    "parameters": {
        "ma_window": 20,
        "take_profit": 0.1,
        "stop_loss": 0.05,
        "order_size": 0.1,
        "max_orders": 2,
        "max_drawdown": 0.1,
    },
}
HYPOTHESES: dict[str, Any] = {
    "hypotheses": [
        {"name": "moving average trend", "rationale": "ride the trend", "rules": TRADING_RULES},
        {
            "name": "band dip",
            "rationale": "buy stretched dips",
            "rules": {
                "conditions": {"entry": ["price < bb_lower_{w}"], "exit": ["price > ma_{w}"]},
                "parameters": {"w": 30, "take_profit": 0.1, "stop_loss": 0.05, "order_size": 0.1},
            },
        },
    ]
}
_MODULE = re.compile(r"^### (\S+\.py)$", re.MULTILINE)
_PROMPT = re.compile(r"^### ([a-z]+/[a-z_]+)\n<<<\n(.*?)\n>>>$", re.MULTILINE | re.DOTALL)


def strategist_responder(body: dict[str, Any]) -> Reply:
    """A valid answer for whichever strategist tool the request forces."""
    name = forced_tool(body)
    if name == "report_market_context":
        return tool_reply(MARKET_CONTEXT)
    if name == "report_strategy_insight":
        return tool_reply(STRATEGY_INSIGHT)
    if name == "report_trading_rules":
        return tool_reply(TRADING_RULES)
    if name == "report_hypotheses":
        return tool_reply(HYPOTHESES)
    text = first_user_text(body)
    if name == "propose_code_patch":
        module = _MODULE.search(text)
        return tool_reply(
            {
                "target": module.group(1) if module else "scoring.py",
                "op": "insert_code",
                "name": "fake_helper",
                "code": "def fake_helper() -> float:\n    return 1.0\n",
                "reason": "fake server patch",
            }
        )
    if name == "propose_prompt_change":
        match = _PROMPT.search(text)
        prompt, template = (match.group(1), match.group(2)) if match else ("rules/generate", "")
        return tool_reply(
            {
                "name": prompt,
                "template": template + "\nPrefer few, strong conditions.",
                "reason": "fake server prompt change",
            }
        )
    return error_reply(400, f"FakeLLMServer: unknown tool {name!r}")
