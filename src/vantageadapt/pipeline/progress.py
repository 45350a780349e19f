"""Progress on stderr: one line per stage with its time, a bar over trials, a final table."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from vantageadapt.results import IterationResult, RunResult

TrialCallback = Callable[[int, int], None]


class Progress:
    """Silent progress: records stage timings, prints nothing (tests, --json without a TTY)."""

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str, detail: str = "") -> Iterator[None]:
        """Time one stage of the loop; `name` keys the timings."""
        started = time.perf_counter()
        ok = False
        try:
            yield
            ok = True
        finally:
            elapsed = time.perf_counter() - started
            self.timings[name] = self.timings.get(name, 0.0) + elapsed
            self._stage_done(name, detail, elapsed, ok=ok)

    @contextmanager
    def trials(self, label: str) -> Iterator[TrialCallback]:
        """A callback `(done, total)` for the optimizer while the bar is shown."""
        yield lambda done, total: None

    def note(self, text: str) -> None:
        """One informational line."""

    def iteration_done(self, result: IterationResult) -> None:
        """Called once per finished iteration."""

    def run_done(self, result: RunResult) -> None:
        """Called once with the run's outcome."""

    def _stage_done(self, name: str, detail: str, elapsed: float, *, ok: bool = True) -> None:
        pass

    def take_timings(self) -> dict[str, float]:
        """Stage timings since the last call, rounded; resets them."""
        timings = {k: round(v, 3) for k, v in self.timings.items()}
        self.timings = {}
        return timings


class RichProgress(Progress):
    """Rich output on stderr; the final table lists every iteration."""

    def __init__(self) -> None:
        super().__init__()
        from rich.console import Console

        self.console = Console(stderr=True)
        if not self.console.is_terminal:
            # Logs and CI keep the final table readable instead of folding it at 80 columns.
            self.console = Console(stderr=True, width=160)

    def _stage_done(self, name: str, detail: str, elapsed: float, *, ok: bool = True) -> None:
        extra = f"  [dim]{detail}[/]" if detail else ""
        mark = "[green]✓[/]" if ok else "[red]✗[/]"
        self.console.print(f"  {mark} {name:<22} {elapsed:7.2f}s{extra}", highlight=False)

    def note(self, text: str) -> None:
        self.console.print(text, highlight=False)

    @contextmanager
    def trials(self, label: str) -> Iterator[TrialCallback]:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
        )
        from rich.progress import Progress as Bar

        bar = Bar(
            TextColumn(f"  {label}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.console,
            transient=True,
        )
        task = bar.add_task(label, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        with bar:
            yield update

    def iteration_done(self, result: IterationResult) -> None:
        oos = result.out_of_sample
        kept = sum(p.status == "kept" for p in result.patches)
        self.console.print(
            f"[bold]iteration {result.index}[/] {result.regime}: validation "
            f"return {oos.get('total_return', 0):.4g}, sortino {oos.get('sortino_ratio', 0):.3g}, "
            f"trades {int(oos.get('total_trades', 0))}; patches kept {kept}/"
            f"{len(result.patches)}",
            highlight=False,
        )

    def run_done(self, result: RunResult) -> None:
        self.console.print(render_table(result))
        for line in summary_lines(result):
            self.console.print(line, highlight=False)


def _fmt(metrics: dict[str, float]) -> str:
    if not metrics:
        return "-"
    return (
        f"ret {metrics.get('total_return', 0):.3g}  sortino {metrics.get('sortino_ratio', 0):.3g}\n"
        f"win {metrics.get('win_rate', 0):.2f}  trades {int(metrics.get('total_trades', 0))}"
    )


def render_table(result: RunResult):  # -> rich.table.Table
    """The final per-iteration table: regime, rules, parameters, metrics, patches."""
    from rich.table import Table

    period = result.engine.get("metrics_period", "?")
    table = Table(
        title=f"run {result.run_id}: {result.theme} (sortino per {period} period)",
        show_lines=True,
    )
    columns = ("#", "regime", "rules", "best parameters", "in-sample", "validation", "DSR / PBO")
    for column in (*columns, "patches"):
        table.add_column(column, overflow="fold")
    for item in result.iterations:
        conditions = item.rules.get("conditions", {})
        rules = (
            "entry: "
            + " & ".join(conditions.get("entry", []))
            + "\nexit: "
            + " | ".join(conditions.get("exit", []))
        )
        params = ", ".join(f"{k}={v:.4g}" for k, v in sorted(item.parameters.items()))
        kept = sum(p.status == "kept" for p in item.patches)
        rejected = len(item.patches) - kept
        marker = " *" if item.index == result.best_iteration else ""
        table.add_row(
            f"{item.index}{marker}",
            item.regime,
            rules,
            params,
            _fmt(item.in_sample),
            _fmt(item.out_of_sample),
            f"{item.deflated_sharpe:.3f}\n" + ("-" if item.pbo is None else f"{item.pbo:.2f}"),
            f"kept {kept}\nrejected {rejected}",
        )
    return table


def engine_line(engine: dict[str, Any]) -> str:
    """The run's stored engine settings in one line."""
    from vantageadapt.backtest import EngineConfig

    return EngineConfig(**engine).summary()


def summary_lines(result: RunResult) -> list[str]:
    """The closing summary: best metrics, sealed test, each unmet constraint."""
    lines = []
    best = result.best
    period = result.engine.get("metrics_period", "?")
    if result.engine:
        lines.append(engine_line(result.engine))
    if best is not None:
        oos = ", ".join(f"{k}={v:.4g}" for k, v in best.out_of_sample.items())
        lines.append(
            f"best metrics (iteration {best.index}, validation; sharpe/sortino per {period} "
            f"period, mean of the assets' own): {oos}"
        )
        pbo = "n/a" if best.pbo is None else f"{best.pbo:.2f}"
        verdict = "significant" if best.deflated_sharpe >= 0.95 else "not significant"
        lines.append(
            f"deflated Sharpe {best.deflated_sharpe:.3f} ({verdict}, {best.trials_to_date} "
            f"backtests counted), probability of backtest overfitting {pbo}"
        )
    if result.test:
        test = ", ".join(f"{k}={v:.4g}" for k, v in result.test.items())
        lines.append(
            f"sealed test (scored once, {result.test_fingerprint[:12]}; sharpe/sortino per "
            f"{period} period, mean of the assets' own): {test}"
        )
    if result.status != "finished":
        lines.append(f"[yellow]run {result.status}[/]: {result.message}")
    if result.llm_repairs or result.llm_fallbacks:
        lines.append(
            f"strategist: {result.llm_calls} calls, {result.llm_repairs} answers repaired, "
            f"{result.llm_fallbacks} questions answered by the offline strategist instead"
        )
    elif result.met:
        lines.append("[bold green]thresholds met[/]")
    else:
        lines.append("[bold yellow]thresholds unmet:[/]")
        lines.extend(f"  - {item}" for item in result.unmet)
    if result.report_path:
        lines.append(f"report: {result.report_path}")
    return lines
