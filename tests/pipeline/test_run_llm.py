"""End to end through the fake OpenAI-compatible server: the SDK path, the budget, resume."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import sqlite3
from pathlib import Path

import pytest

from helpers.fake_openai import FakeLLMServer, Reply, error_reply, strategist_responder
from vantageadapt.pipeline import persist, run_pipeline
from vantageadapt.settings import load_settings

from .pipeline_support import fast_flags


@pytest.fixture
def server(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key-123")
    with FakeLLMServer(responder=strategist_responder) as fake:
        yield fake


def _llm(server: FakeLLMServer, **extra) -> dict:
    return {"provider": "openai", "model": "gpt-4o-mini", "base_url": server.base_url, **extra}


def _state(run_id: str):
    from vantageadapt.store import DatabaseConnection

    async def read():
        async with DatabaseConnection(os.environ["VANTAGE_DATABASE_URL"]) as db:
            return await db.resume_state(run_id)

    return asyncio.run(read())


def test_loop_through_openai_compatible_server(sample_path: Path, server: FakeLLMServer):
    # The agent's round is covered offline (tests/pipeline/test_run_offline.py); here the
    # strategist's questions go through the real SDK and HTTP, K hypotheses in one answer.
    flags = fast_flags(sample_path, llm=_llm(server), agent={"enabled": False})
    settings = load_settings(flags, dotenv=None)
    result = run_pipeline(settings)

    assert result.status == "finished" and result.provider == "openai"
    assert result.model == "gpt-4o-mini"
    assert len(result.iterations) == 2
    tools = [body["tool_choice"]["function"]["name"] for body in server.bodies()]
    asked = [
        "report_market_context",
        "report_strategy_insight",
        "report_trading_rules",
        "report_hypotheses",
    ]
    assert tools == asked * 2
    # The hypotheses question carries the rules prompt, the request for K and the feedback.
    hypotheses = [b for b in server.bodies() if b["tool_choice"]["function"]["name"] == asked[3]]
    assert "Give 3 diverse hypotheses" in str(hypotheses[0]["messages"])
    assert "No earlier hypotheses yet." in str(hypotheses[0]["messages"])
    assert "iteration 1, band dip" in str(hypotheses[1]["messages"])
    names = {h["name"] for it in result.iterations for h in it.hypotheses}
    assert names == {"strategist rules", "band dip"}  # the duplicate of the rules is dropped
    # The strategist is shown statistics, never symbols or dates.
    sent = " ".join(str(body["messages"]) for body in server.bodies())
    assert "TOKEN" not in sent and "2024-" not in sent
    # Every call is in the ledger with its tokens; the key never reaches the database.
    state = _state(result.run_id)
    calls = [c for it in state.iterations for c in it.llm_calls]
    assert len(calls) == len(server.bodies()) == result.llm_calls
    assert result.llm_tokens == 150 * len(calls)
    assert "sk-test-not-a-real-key-123" not in str(state.model_dump())
    rules = result.iterations[0].rules["conditions"]
    assert rules["entry"] and rules["exit"]


def _costly(body: dict) -> Reply:
    """Valid answers that each report 3,000 tokens used."""
    return dataclasses.replace(
        strategist_responder(body), prompt_tokens=2_000, completion_tokens=1_000
    )


def test_budget_stops_cleanly_and_resume_finishes(sample_path: Path, server: FakeLLMServer):
    server.responder = _costly
    # A call is allowed while spent + its estimate (prompt + 2,048 reply tokens) fits: with
    # 3,000 spent a call, this budget runs out during the second iteration's three calls.
    flags = fast_flags(
        sample_path, iterations=3, llm=_llm(server, max_tokens=15_000), agent={"enabled": False}
    )
    first = run_pipeline(load_settings(flags, dotenv=None))
    assert first.status == "budget_exceeded"
    assert "--resume " + first.run_id in first.message
    assert first.test == {} and first.best_iteration is None  # the sealed test stays sealed
    saved = len(first.iterations)
    assert 1 <= saved < 3
    assert _state(first.run_id).run.status == "budget_exceeded"
    # Resume with a bigger budget: the run carries on after its last saved iteration.
    more = {"resume": first.run_id, "llm": {"max_tokens": 10**7}}
    second = run_pipeline(load_settings(more, dotenv=None))
    assert second.status == "finished" and second.run_id == first.run_id
    assert [it.index for it in second.iterations] == [1, 2, 3]
    same = {"timings"}  # the persist time is measured after saving
    assert second.iterations[0].model_dump(exclude=same) == first.iterations[0].model_dump(
        exclude=same
    )
    state = _state(first.run_id)
    assert state.run.status == "finished" and len(state.iterations) == 3
    assert second.test and second.test_fingerprint == state.run.test_fingerprint
    # Trials carry over the cut: the deflated Sharpe of iteration 3 counts iterations 1-2 too.
    to_date = [it.optimization["trials_to_date"] for it in state.iterations]
    trials = [it.optimization["trials"] for it in state.iterations]
    assert to_date == [sum(trials[: i + 1]) for i in range(3)]  # agent off: searches only


def test_provider_failure_marks_the_run_failed_and_exits_three(
    sample_path: Path, server: FakeLLMServer, capsys
):
    from vantageadapt.cli import main

    server.responder = lambda body: error_reply(401, "invalid api key")
    argv = [
        "run",
        "--theme",
        "breakout",
        "--data",
        str(sample_path),
        "--provider",
        "openai",
        "--model",
        "gpt-4o-mini",
        "--base-url",
        server.base_url,
        "--json",
    ]
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 3
    captured = capsys.readouterr()
    shown = json.loads(captured.out)  # --json still prints the run's one object
    assert shown["status"] == "failed" and "--resume" in shown["message"]
    assert shown["iterations"] == [] and shown["llm"]["calls"] == 1
    # The failed stage is not marked done.
    assert "✗ analyze market" in captured.err and "✓ analyze market" not in captured.err
    db = Path(os.environ["VANTAGE_HOME"]) / "vantage.db"
    with sqlite3.connect(db) as conn:
        status, message = conn.execute("select status, message from runs").fetchone()
        calls = conn.execute("select purpose, error from llm_calls").fetchall()
    assert status == "failed" and "--resume" in message
    # The failed call is stored with its error.
    assert len(calls) == 1 and calls[0][0] == "analyze_market" and "HTTP 401" in calls[0][1]
    # The server is back: the run resumes and finishes.
    server.responder = strategist_responder
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--resume", shown["run_id"], "--iterations", "1", "--no-improve", "--json"])
    assert exit_info.value.code in (0, 1)
    resumed = json.loads(capsys.readouterr().out)
    assert resumed["run_id"] == shown["run_id"] and resumed["status"] == "finished"
    # The counts cover every call the run made: the saved iteration's four (analyze, insight,
    # rules, the K hypotheses) and the failed call of the attempt that was cut off.
    assert len(resumed["iterations"]) == 1 and resumed["llm"]["calls"] == 5
    state = _state(shown["run_id"])
    assert len(state.unattached_calls) == 1 and state.unattached_calls[0].error
    # `vantage report` rebuilds the same counts from the database.
    assert persist.run_result(state).llm_calls == 5
