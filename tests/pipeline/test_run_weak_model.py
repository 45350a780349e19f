"""Whole runs against a server that answers like the weak models a user meets (issue 13).

The answers are the ones SmolLM2-135M and Qwen2.5-Coder 0.5B/1.5B gave through llama.cpp's
OpenAI-compatible server: raw control characters inside JSON strings, numbers outside their
range, rules with `high_{20}`, window parameters never given, an unknown term, a patch for a
module that does not exist, a prompt change naming no template. Each run must finish (exit 0
or 1), and every repair and fallback must be stored with its call and counted.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from helpers.fake_openai import (
    MARKET_CONTEXT,
    STRATEGY_INSIGHT,
    FakeLLMServer,
    Reply,
    forced_tool,
    text_reply,
    tool_reply,
)

from .pipeline_support import run_argv


def _raw_newlines(value: dict[str, Any]) -> str:
    """JSON text whose strings hold raw newlines and tabs (strict JSON forbids them)."""
    return json.dumps(value).replace("\\n", "\n").replace("\\t", "\t")


SMOL_CONTEXT = _raw_newlines(
    {
        **MARKET_CONTEXT,
        "volatility_level": 1.2,
        "trend_strength": 3,
        "analysis": {**MARKET_CONTEXT["analysis"], "price_action": "up\nthen\tdown"},
    }
)
QWEN_CONTEXT = {**MARKET_CONTEXT, "volatility_level": 18.13}
BROKEN_RULES = {
    "conditions": {
        "entry": ["price > high_{breakout_window}", "price > high_{20}"],
        "exit": ["price < low_{exit_window}"],
    },
    "parameters": {"take_profit": 0.1, "stop_loss": 0.05},
}
UNKNOWN_TERM_RULES = {
    "conditions": {"entry": ["momentum > 0"], "exit": ["price < ma_20"]},
    "parameters": {"take_profit": 0.1},
}
NO_SUCH_MODULE = {
    "target": "momentum_filters.py",
    "op": "insert_code",
    "name": "momentum",
    "code": "def momentum() -> float:\n    return 1.0\n",
    "reason": "add a momentum filter",
}
NO_SUCH_PROMPT = {"name": "strategy/momentum", "template": "Be bold.", "reason": "bolder"}


class WeakModel:
    """Answers each strategist tool the way the weak models did, varying by how often asked."""

    def __init__(self) -> None:
        self.asked: Counter[str] = Counter()

    def __call__(self, body: dict[str, Any]) -> Reply:
        tool = forced_tool(body) or ""
        self.asked[tool] += 1
        n = self.asked[tool]
        if tool == "report_market_context":
            return tool_reply(SMOL_CONTEXT if n % 2 else QWEN_CONTEXT)
        if tool == "report_strategy_insight":
            return tool_reply({"name": tool, "arguments": STRATEGY_INSIGHT})
        if tool == "report_trading_rules":
            # First question: repairable. Later ones: an unknown term, every time.
            return tool_reply(BROKEN_RULES if n == 1 else UNKNOWN_TERM_RULES)
        if tool == "report_hypotheses":
            # A weak model's K hypotheses: an unknown term every time, so the offline
            # strategist's rule families stand in.
            return tool_reply({"hypotheses": [{"name": "momentum", "rules": UNKNOWN_TERM_RULES}]})
        if tool == "propose_code_patch":
            return tool_reply(NO_SUCH_MODULE)
        if tool == "propose_prompt_change":
            return tool_reply(NO_SUCH_PROMPT)
        return Reply(status=400, error=f"unknown tool {tool}")


def _run(argv: list[str], capsys) -> tuple[int, dict[str, Any]]:
    from vantageadapt.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    out = capsys.readouterr().out
    return int(exit_info.value.code), json.loads(out)


def _argv(sample_path: Path, server: FakeLLMServer, *extra: str, iterations: int = 2) -> list[str]:
    model = ("--model", "qwen2.5-coder-1.5b-instruct", "--base-url", server.base_url)
    return run_argv(
        sample_path, "--seed", "3", "--provider", "openai", *model, *extra, iterations=iterations
    )


def _stored_calls() -> list[dict[str, Any]]:
    db = Path(os.environ["VANTAGE_HOME"]) / "vantage.db"
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        rows = conn.execute(
            "select purpose, provider, error, repairs, fallback, iteration_id from llm_calls"
        ).fetchall()
    return [dict(row) | {"repairs": json.loads(row["repairs"])} for row in rows]


def test_weak_model_answers_never_end_the_run(sample_path: Path, capsys, monkeypatch):
    monkeypatch.setenv("VANTAGE_OPTIMIZE__EVAL_TRIALS", "4")
    # One candidate per iteration: the iteration's rules are the strategist's (repaired) ones.
    monkeypatch.setenv("VANTAGE_OPTIMIZE__HYPOTHESES", "1")
    monkeypatch.setenv("VANTAGE_OPTIMIZE__SUBSET_SIZE", "2")
    model = WeakModel()
    with FakeLLMServer(responder=model) as server:
        code, result = _run(_argv(sample_path, server), capsys)

    assert code in (0, 1)
    assert result["status"] == "finished" and len(result["iterations"]) == 2
    calls = _stored_calls()
    assert len(calls) == result["llm"]["calls"]
    assert all(c["iteration_id"] for c in calls)  # both iterations stored with their calls
    notes = [note for c in calls for note in c["repairs"]]
    # Control characters parsed; out-of-range numbers clamped with a note.
    assert any("volatility_level 1.2 is above the maximum 1.0" in n for n in notes)
    assert any("trend_strength 3 is above the maximum 1.0" in n for n in notes)
    assert any("volatility_level 18.13 is above the maximum 1.0" in n for n in notes)
    assert any("unwrapped a {name, arguments} wrapper" in n for n in notes)
    # Rules: `high_{20}` read as high_20, the missing window parameters added.
    assert any("'price > high_{20}' read as 'price > high_20'" in n for n in notes)
    assert any("window parameter 'breakout_window'" in n for n in notes)
    assert any("window parameter 'exit_window'" in n for n in notes)
    rules = result["iterations"][0]["rules"]
    assert "price > high_20" in rules["conditions"]["entry"]
    # The unknown term was re-asked with the exact error, then the offline strategist answered.
    fallbacks = [c for c in calls if c["fallback"]]
    assert fallbacks and all(c["provider"] == "offline" for c in fallbacks)
    assert {c["purpose"] for c in fallbacks} == {"generate_trading_rules"}
    asked_again = [
        b["messages"][-1]["content"]
        for b in server.bodies()
        if forced_tool(b) == "report_trading_rules" and len(b["messages"]) > 2
    ]
    assert asked_again and "unknown term 'momentum'" in asked_again[0]
    # The patch for a module that does not exist and the unknown prompt became rejected patches.
    patches = result["iterations"][0]["patches"]
    assert {p["kind"] for p in patches} == {"code", "prompt"}
    assert all(p["status"] == "rejected" for p in patches)
    assert "momentum_filters.py" in patches[0]["reason"]
    assert "strategy/momentum" in patches[1]["reason"]
    # The schema sent was as tight as the check: patch targets and prompt names are enums.
    patch_body = next(b for b in server.bodies() if forced_tool(b) == "propose_code_patch")
    target = patch_body["tools"][0]["function"]["parameters"]["properties"]["target"]
    assert "scoring.py" in target["enum"] and "momentum_filters.py" not in target["enum"]
    # Counted in --json.
    assert result["llm"]["repairs"] == len(notes) >= 7
    assert result["llm"]["fallbacks"] == len(fallbacks)


def test_auto_tool_choice_reads_fenced_wrapped_answers(sample_path: Path, capsys, monkeypatch):
    monkeypatch.setenv("VANTAGE_OPTIMIZE__HYPOTHESES", "1")

    # A server without named tool choice answers in text: a fenced {"name", "arguments"} block.
    def fenced(body: dict[str, Any]) -> Reply:
        tool = forced_tool(body)
        answer = {
            "report_market_context": SMOL_CONTEXT,
            "report_strategy_insight": json.dumps(STRATEGY_INSIGHT),
            "report_trading_rules": json.dumps(BROKEN_RULES),
            "report_hypotheses": json.dumps({"hypotheses": [{"name": "b", "rules": BROKEN_RULES}]}),
        }[tool or ""]
        return text_reply(
            f'Sure! Here is the call:\n```json\n{{"name": "{tool}", "arguments": {answer}}}\n```'
        )

    with FakeLLMServer(responder=fenced) as server:
        argv = _argv(sample_path, server, "--tool-choice", "auto", "--no-improve", iterations=1)
        code, result = _run(argv, capsys)

    assert code in (0, 1) and result["status"] == "finished"
    assert all(b["tool_choice"] == "auto" for b in server.bodies())
    assert result["llm"]["fallbacks"] == 0 and result["llm"]["repairs"] >= 4
    assert result["iterations"][0]["regime"] == "RANGING_LOW_VOL"
