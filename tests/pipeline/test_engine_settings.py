"""The run's engine settings: from flags, config and environment, stored with the run, and the
ones the search, the sealed test and the report all use (non-default fees to tell them apart)."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest

from vantageadapt.backtest import EngineConfig
from vantageadapt.cli import main
from vantageadapt.settings import load_settings

from .pipeline_support import TRIVIAL


def _stored_run(run_id: str):
    from vantageadapt.store import DatabaseConnection

    async def read():
        async with DatabaseConnection(os.environ["VANTAGE_DATABASE_URL"]) as db:
            return await db.resume_state(run_id)

    return asyncio.run(read()).run


def test_engine_section_from_config_file_env_and_flags(tmp_path: Path):
    config = tmp_path / "vantage.toml"
    config.write_text('[engine]\nfees = 0.005\nfill_model = "close"\nmetrics_period = "1h"\n')
    env = {"VANTAGE_ENGINE__SLIPPAGE": "0.001"}
    settings = load_settings(
        {"engine": {"init_cash": 250.0}}, config=config, environ=env, dotenv=None
    )
    assert EngineConfig(**settings.engine.model_dump()) == EngineConfig(
        init_cash=250.0, fees=0.005, slippage=0.001, fill_model="close", metrics_period="1h"
    )
    defaults = load_settings({}, environ={}, dotenv=None).engine
    assert (defaults.fill_model, defaults.init_cash, defaults.metrics_period) == (
        "auto",
        None,
        "auto",
    )


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--fill-model", "pool", "engine.fill_model"),
        ("--fees", "1.5", "engine.fees"),
        ("--metrics-period", "5min", "engine.metrics_period"),
        ("--init-cash", "-1", "engine.init_cash"),
    ],
)
def test_bad_engine_flags_exit_2(sample_path: Path, capsys, flag, value, message):
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "--theme", "t", "--data", str(sample_path), flag, value])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_run_uses_its_engine_settings_for_search_sealed_test_and_report(
    sample_path: Path, capsys, monkeypatch
):
    import vantageadapt.pipeline.stages as stages
    import vantageadapt.report as report
    from vantageadapt.data import load_trade_data, split_frames
    from vantageadapt.results import IterationResult, tuned_rules

    searched, charted = [], []
    real_search = stages.run_parameter_optimization
    real_backtest = report.run_backtest

    def search_spy(*args, **kwargs):
        searched.append(kwargs["config"])
        return real_search(*args, **kwargs)

    def chart_spy(frame, rules, config, **kwargs):
        charted.append(config)
        return real_backtest(frame, rules, config, **kwargs)

    # Where the search and the report's curves look them up.
    monkeypatch.setattr(stages, "run_parameter_optimization", search_spy)
    monkeypatch.setattr(report, "run_backtest", chart_spy)
    thresholds = ",".join(f"{k}={v}" for k, v in TRIVIAL.items())
    argv = ["run", "--theme", "momentum", "--data", str(sample_path), "--iterations", "1",
            "--trials", "6", "--thresholds", thresholds, "--no-improve", "--json",
            "--fees", "0.01", "--slippage", "0.002"]  # fmt: skip
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 0
    captured = capsys.readouterr()
    payload = json.loads(captured.out)

    # Pool data: AMM fills on 10 SOL by default; the flags' fees and slippage on top.
    engine = payload["engine"]
    assert engine["fill_model"] == "amm" and engine["init_cash"] == 10.0
    assert engine["fees"] == 0.01 and engine["slippage"] == 0.002
    assert payload["metrics_period"] == engine["metrics_period"] == "1min"
    config = EngineConfig(**engine)
    assert searched and all(c == config for c in searched)  # every hypothesis and refinement
    assert charted and all(c == config for c in charted)  # the report's curves
    assert "fees 0.01" in captured.err and "per 1min period" in captured.err  # the summary

    stored = _stored_run(payload["run_id"])
    assert stored.engine == engine and stored.metrics_period == "1min"
    assert stored.settings["engine"]["fees"] == 0.01

    # The sealed test is the run's engine on the test rows, not the default fees.
    split = split_frames(load_trade_data(sample_path))
    best = IterationResult.model_validate(
        {**payload["iterations"][0], "validation_score": 0.0, "patches": []}
    )
    rules = tuned_rules(best)
    default = EngineConfig(**{**engine, "fees": 0.001, "slippage": 0.0})
    for symbol, frame in split.full.items():
        start = split.test_start[symbol]
        ours = real_backtest(frame, rules, config, start=start).metrics.model_dump()
        theirs = real_backtest(frame, rules, default, start=start).metrics.model_dump()
        assert _stored_test(payload["run_id"], symbol) == pytest.approx(ours, rel=1e-12)
        if ours["total_trades"]:
            assert ours["total_return"] != pytest.approx(theirs["total_return"], rel=1e-9)

    html = Path(payload["report"]).read_text()
    assert "fees 0.01" in html and "fills amm" in html and "1min periods" in html


def _stored_test(run_id: str, symbol: str) -> dict[str, float]:
    from vantageadapt.store import DatabaseConnection

    async def read():
        async with DatabaseConnection(os.environ["VANTAGE_DATABASE_URL"]) as db:
            state = await db.resume_state(run_id)
        return state

    state = asyncio.run(read())
    strategy = state.iterations[0].strategy
    rows = [p for p in strategy.performance if p.window == "test" and p.asset == symbol]
    assert len(rows) == 1
    return rows[0].metrics()
