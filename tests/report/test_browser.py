"""The report opened in headless Chromium: every chart renders, the console stays clean."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from vantageadapt.report import write_report
from vantageadapt.results import IterationResult, RunResult

pytestmark = pytest.mark.browser

CHROMEDRIVER = "/usr/bin/chromedriver"
RULES = {
    "conditions": {"entry": ["price > ma_20", "volume > volume_ma"], "exit": ["price < ma_50"]},
    "parameters": {"take_profit": 0.05, "stop_loss": 0.02, "order_size": 0.2, "max_orders": 2},
}


def _run(tmp_path: Path):
    from vantageadapt.backtest import EngineConfig, backtest_assets
    from vantageadapt.data import load_trade_data, split_frames, write_sample_data
    from vantageadapt.models import TradingRules

    path = tmp_path / "s.pkl"
    write_sample_data(path, assets=2, rows=3_000, seed=5)
    split = split_frames(load_trade_data(path))
    rules = TradingRules.model_validate(RULES)
    _, inside = backtest_assets(split.dev, rules, EngineConfig())
    _, test = backtest_assets(split.full, rules, EngineConfig(), start=split.test_start)
    landscape = [
        {"take_profit": 0.05 + 0.01 * i, "stop_loss": 0.02 + 0.005 * (i % 5), "score": i % 7 - 3.0}
        for i in range(40)
    ]
    iteration = IterationResult(
        index=1,
        regime="BREAKOUT",
        rules=RULES,
        parameters={"take_profit": 0.05},
        in_sample=inside.model_dump(),
        out_of_sample=inside.model_dump(),
        score=1.0,
        validation_score=0.3,
        landscape=landscape,
        context={"analysis": {"momentum": "up"}},
        insight={"rationale": "ride breakouts"},
    )
    run = RunResult(
        run_id="browser",
        status="finished",
        theme="breakout",
        data_path=str(path),
        provider="offline",
        best_iteration=1,
        iterations=[iteration],
        test=test.model_dump(),
        test_fingerprint=split.test_fingerprint,
    )
    return run, split


def test_report_renders_in_headless_chromium(tmp_path: Path):
    if not Path(CHROMEDRIVER).exists() or shutil.which("chromium") is None:
        missing = "needs Debian chromium and chromium-driver (make test installs them)"
        if os.environ.get("CI"):
            pytest.fail(missing)  # CI must run this test, never skip it
        pytest.skip(missing)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    run, split = _run(tmp_path)
    report = write_report(run, tmp_path / "report.html", split=split)
    options = webdriver.ChromeOptions()
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tempfile.mkdtemp(dir=tmp_path)}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        driver.get(report.resolve().as_uri())
        svgs = driver.execute_script(
            "return Array.from(document.querySelectorAll('.plotly-graph-div'))"
            ".map(d => d.querySelectorAll('svg.main-svg').length)"
        )
        heatmap = driver.execute_script("return document.querySelectorAll('.heatmaplayer').length")
        severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    finally:
        driver.quit()
    # Equity/drawdown, trades, landscape heatmap, history: each drawn as svg.
    assert len(svgs) == 4 and all(n >= 1 for n in svgs)
    assert heatmap >= 1
    assert severe == []
