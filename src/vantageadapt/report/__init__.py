"""The HTML report of a run: plotly charts in one self-contained file."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from vantageadapt.backtest import EngineConfig, run_backtest
from vantageadapt.outputs import write_output
from vantageadapt.report import figures
from vantageadapt.report.page import render_page
from vantageadapt.report.significance import significance_facts
from vantageadapt.results import RunResult, tuned_rules
from vantageadapt.rules.threads import worker_threads


def write_report(
    run: RunResult,
    path: Path | str,
    *,
    split: Any,
    custom_indicators: Mapping[str, Callable[..., Any]] | None = None,
) -> Path:
    """Write the run's report to `path`, re-running the best strategy on `split` for its curves.

    `split` is the run's vantageadapt.data.DataSplit (the sealed test window included: the
    report shows the one test score the run made, and the curves it came from).
    """
    path = Path(path)
    best = run.best
    # The run's own engine settings (stored with it): the curves are the ones it scored.
    config = EngineConfig(**run.engine) if run.engine else EngineConfig()
    blocks: list[tuple[str, Any]] = []
    windows: dict[str, dict[str, float]] = {}
    if best is not None:
        rules = tuned_rules(best, tuple(custom_indicators or ()))
        # The assets side by side (the kernel releases the GIL); workspace code one at a time.
        each = map if custom_indicators else worker_threads().map
        results = each(
            lambda frame: run_backtest(frame, rules, config, custom_indicators=custom_indicators),
            split.full.values(),
        )
        equities, trades = {}, {}
        for symbol, result in zip(split.full, results, strict=True):
            equities[symbol], trades[symbol] = result.equity, result.trades
        busiest = max(trades, key=lambda s: len(trades[s]))
        busiest_bounds = figures.boundaries_of(
            split.full[busiest], split.validation_start[busiest], split.test_start[busiest]
        )
        blocks = [
            (
                "Equity and drawdown (equal-weight portfolio)",
                figures.equity_figure(
                    figures.portfolio_equity(equities),
                    figures.share_boundaries(split),
                    f"Best strategy, iteration {best.index}",
                ),
            ),
            (
                f"Trades on the price chart ({busiest})",
                figures.trades_figure(
                    split.full[busiest]["price"],
                    trades.get(busiest, pd.DataFrame()),
                    busiest,
                    busiest_bounds,
                ),
            ),
            (
                "Parameter-score landscape",
                figures.landscape_figure(
                    best.landscape, f"Optimizer score, iteration {best.index}"
                ),
            ),
        ]
        windows = {
            "train (in-sample)": best.in_sample,
            "validation (out-of-sample)": best.out_of_sample,
            "test (sealed)": run.test,
        }
    if run.iterations:
        blocks.append(("Iteration history", figures.history_figure(run.iterations)))
    extra = {
        "engine": config.summary().removeprefix("engine: "),
        "metrics period": f"{config.metrics_period} (Sharpe and Sortino, annualized)",
        "iterations": len(run.iterations),
        "wall time": f"{run.wall_seconds:.1f}s",
        "strategist calls": f"{run.llm_calls} ({run.llm_tokens} tokens, ${run.llm_cost_usd:.4f}; "
        f"{run.llm_repairs} repairs, {run.llm_fallbacks} offline fallbacks)",
    }
    extra.update(significance_facts(run))
    if run.message:
        extra["note"] = run.message
    write_output(path, render_page(run, blocks, windows, extra), flag="report")
    return path


__all__ = ["write_report"]
