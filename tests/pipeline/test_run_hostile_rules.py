"""A model whose rules nest 120 deep: the answer is re-asked or falls back, the run finishes."""

from __future__ import annotations

import copy
import json
import os
import sqlite3
from pathlib import Path

import pytest

from helpers.fake_openai import (
    TRADING_RULES,
    FakeLLMServer,
    forced_tool,
    strategist_responder,
    tool_reply,
)
from vantageadapt.cli import main

DEEP = "(" * 120 + "price > ma_20" + ")" * 120


def _deep_rules(body: dict):
    if forced_tool(body) == "report_trading_rules":
        rules = copy.deepcopy(TRADING_RULES)
        rules["conditions"]["entry"] = [DEEP]
        return tool_reply(rules)
    return strategist_responder(body)


def _run(sample_path: Path, monkeypatch, capsys) -> tuple[int, str, str, list, str]:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key-123")
    with FakeLLMServer(responder=_deep_rules) as server:
        argv = [
            "run", "--theme", "breakout", "--data", str(sample_path), "--iterations", "1",
            "--trials", "4", "--no-improve", "--provider", "openai", "--model", "gpt-4o-mini",
            "--base-url", server.base_url, "--json",
        ]  # fmt: skip
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        asked = [forced_tool(body) for body in server.bodies()]
    captured = capsys.readouterr()
    db = Path(os.environ["VANTAGE_HOME"]) / "vantage.db"
    with sqlite3.connect(db) as conn:
        (status,) = conn.execute("select status from runs").fetchone()
    return int(exit_info.value.code), captured.out, captured.err, asked, status


def test_a_120_deep_condition_is_a_rule_error_that_is_re_asked(
    sample_path: Path, monkeypatch, capsys
):
    code, _out, err, asked, status = _run(sample_path, monkeypatch, capsys)
    assert "RecursionError" not in err and "Traceback" not in err
    assert asked.count("report_trading_rules") >= 2  # the bad answer went back to the model
    assert "nests 120 deep; the limit is 32" in err
    assert code in (0, 1) and status == "finished"


def test_a_120_deep_condition_falls_back_and_the_run_finishes(
    sample_path: Path, monkeypatch, capsys
):
    code, out, _err, _asked, status = _run(sample_path, monkeypatch, capsys)
    assert code in (0, 1) and status == "finished"
    entry = json.loads(out)["iterations"][0]["rules"]["conditions"]["entry"]
    assert DEEP not in entry
