"""End to end, offline: the whole loop on small sample data, then what the database holds."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest

from vantageadapt.cli import main
from vantageadapt.pipeline import run_pipeline
from vantageadapt.settings import load_settings

from .pipeline_support import TRIVIAL, fast_flags, run_argv


def _state(run_id: str):
    from vantageadapt.store import DatabaseConnection

    async def read():
        async with DatabaseConnection(os.environ["VANTAGE_DATABASE_URL"]) as db:
            return await db.resume_state(run_id)

    return asyncio.run(read())


def test_full_loop_offline_persists_every_iteration(sample_path: Path):
    from vantageadapt.data import load_trade_data, split_frames

    settings = load_settings(fast_flags(sample_path), dotenv=None)
    result = run_pipeline(settings)

    assert result.status == "finished" and result.provider == "offline"
    assert [it.index for it in result.iterations] == [1, 2]
    assert result.met is False and result.unmet  # unreachable thresholds
    best = result.best
    assert best is not None
    assert best.validation_score == max(it.validation_score for it in result.iterations)
    assert result.unmet == best.unmet
    # The agent had its turn after iteration 1 (not after the last one).
    assert result.iterations[0].patches and not result.iterations[1].patches
    for item in result.iterations:
        assert item.trials >= 1 and item.landscape and "score" in item.landscape[0]
        assert set(item.parameters) >= {"take_profit", "stop_loss"}
        assert item.timings["optimize"] > 0
    # The sealed test: scored once, on rows the loop never saw, fingerprinted.
    split = split_frames(load_trade_data(sample_path))
    assert result.test_fingerprint == split.test_fingerprint
    assert result.test["n_assets"] == 3 and set(result.test_per_asset) == set(split.full)

    state = _state(result.run_id)
    assert state.run.status == "finished" and state.run.best_iteration == best.index
    assert state.run.test_fingerprint == split.test_fingerprint
    assert state.run.test_metrics["total_return"] == pytest.approx(result.test["total_return"])
    assert [it.index for it in state.iterations] == [1, 2]
    stored = {p.id: p.status for it in state.iterations for p in it.patches}
    assert stored == {p.id: p.status for it in result.iterations for p in it.patches}
    assert all(it.llm_calls for it in state.iterations)
    assert state.iterations[0].prompt_versions  # the templates in use at the start
    first = state.iterations[0].strategy
    assert first.aggregate("out_of_sample").sortino_ratio == pytest.approx(
        result.iterations[0].out_of_sample["sortino_ratio"]
    )

    report = Path(result.report_path)
    assert report.is_file() and report.parent.name == result.run_id
    text = report.read_text()
    assert "plotly-graph-div" in text and "test (sealed)" in text


def test_cli_json_stops_early_when_met_and_exits_zero(sample_path: Path, capsys):
    argv = run_argv(
        sample_path, "--no-improve", "-v", theme="momentum", iterations=3, thresholds=TRIVIAL
    )
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    payload = json.loads(out)  # exactly one JSON object on stdout
    assert out.count("\n") == 1
    assert payload["met"] is True and payload["unmet"] == []
    assert payload["best_iteration"] == 1 and len(payload["iterations"]) == 1
    first = payload["iterations"][0]
    assert {
        "index",
        "regime",
        "rules",
        "parameters",
        "in_sample",
        "out_of_sample",
        "score",
        "patches",
    } <= set(first)
    assert payload["test"]["n_assets"] == 3 and len(payload["test_fingerprint"]) == 64
    assert Path(payload["report"]).is_file()
    assert (Path(os.environ["VANTAGE_HOME"]) / "logs" / "vantage.log").stat().st_size > 0  # -v

    # A finished run cannot be resumed.
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--resume", payload["run_id"]])
    assert exit_info.value.code == 2
    assert "already finished" in capsys.readouterr().err

    # `vantage report` rebuilds the report from the database.
    out_file = Path("again.html")
    with pytest.raises(SystemExit) as exit_info:
        main(["report", payload["run_id"], "--out", str(out_file), "--json"])
    assert exit_info.value.code == 0
    assert json.loads(capsys.readouterr().out)["report"] == str(out_file)
    assert "plotly-graph-div" in out_file.read_text()


def test_cli_usage_errors_exit_two(sample_path: Path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--data", str(sample_path)])
    assert exit_info.value.code == 2
    assert "--theme" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--theme", "x", "--data", str(sample_path), "--thresholds", "sharpe=1"])
    assert exit_info.value.code == 2
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--resume", "no-such-run"])
    assert exit_info.value.code == 2
    assert "no-such-run" in capsys.readouterr().err


def test_run_help_documents_every_setting():
    from typer.testing import CliRunner

    from vantageadapt.cli import app

    text = CliRunner().invoke(app, ["run", "--help"], env={"COLUMNS": "200"}).output
    for flag in (
        "--theme",
        "--data",
        "--iterations",
        "--provider",
        "--model",
        "--base-url",
        "--db",
        "--report",
        "--seed",
        "--json",
        "--config",
        "--thresholds",
        "--sampler",
        "--trials",
        "--executor",
        "--max-cost",
        "--max-tokens",
        "--cache",
        "--resume",
        "--verbose",
        "VANTAGE_DATABASE_URL",
        "VANTAGE_PROVIDER",
        "VANTAGE_MODEL",
        "VANTAGE_BASE_URL",
    ):
        assert flag in text, flag
