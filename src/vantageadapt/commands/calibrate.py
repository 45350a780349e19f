"""`vantage calibrate`: the loop's false-discovery rate on null data, and a run's p-value."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import typer

from vantageadapt.errors import ConfigError


def register(app: typer.Typer) -> None:
    """Add the `calibrate` command to the root app."""
    app.command("calibrate")(calibrate)


def calibrate(
    data: Path = typer.Option(None, "--data", help="Trade data: .pkl, .parquet, .csv or folder."),
    theme: str = typer.Option(None, "--theme", help="Strategy theme, e.g. 'breakout trading'."),
    nulls: int = typer.Option(5, "--nulls", min=1, help="Null versions of the data to run."),
    run: str = typer.Option(
        None,
        "--run",
        help="A finished run: use its data, theme and settings, and give its p-value.",
    ),
    iterations: int = typer.Option(None, "--iterations", help="Loop iterations (default 5)."),
    seed: int = typer.Option(None, "--seed", help="Random seed for the loop."),
    config: Path = typer.Option(None, "--config", help="A vantage.toml settings file."),
    db: str = typer.Option(
        None, "--db", help="Database URL (default sqlite+aiosqlite:///vantage.db)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout."),
) -> None:
    """Run the same loop on null versions of the data (returns block-shuffled per asset:
    volatility, spacing and volume kept, serial structure destroyed). Prints the loop's
    false-discovery rate (share of null runs whose best iteration is significant, deflated
    Sharpe >= 0.95) and, with --run, that run's permutation p-value (share of null runs whose
    sealed-test score reaches the run's). The result is stored and shown in the run's report.
    """
    from vantageadapt.settings import load_dotenv_into_environ, load_settings

    load_dotenv_into_environ()
    if run is None and (theme is None or data is None):
        raise ConfigError("vantage calibrate needs --theme TEXT and --data PATH (or --run RUN_ID)")
    flags = {
        "theme": theme,
        "iterations": iterations,
        "seed": seed,
        "data": {"path": data},
        "store": {"database_url": db},
    }
    settings = load_settings(flags, config=config)
    record = asyncio.run(_calibrate(settings, nulls, run))
    if as_json:
        sys.stdout.write(json.dumps(record.model_dump(mode="json", exclude={"settings"})) + "\n")
    else:
        _print(record)


async def _calibrate(settings, nulls: int, run_id: str | None):
    from vantageadapt.data import data_fingerprint, load_trade_data
    from vantageadapt.pipeline import persist
    from vantageadapt.pipeline.calibrate import summarize, test_score
    from vantageadapt.pipeline.rebuild import rebuild_report
    from vantageadapt.settings import RunSettings
    from vantageadapt.store import DatabaseConnection
    from vantageadapt.store.calibrations import CalibrationRecord
    from vantageadapt.store.records import new_id

    url = settings.store.database_url
    real = None
    if run_id is not None:
        async with DatabaseConnection(url) as db:
            state = await db.resume_state(run_id)
        result = persist.run_result(state)
        if result.status != "finished" or not result.test:
            raise ConfigError(f"run {run_id} has no sealed-test score (status {result.status})")
        real = test_score(result)
        stored = RunSettings.model_validate(state.run.settings)
        settings = stored.model_copy(update={"store": settings.store, "resume": None})
    section = settings.data
    frames = load_trade_data(section.path, trust_pickle=section.trust_pickle)
    null_runs = await asyncio.to_thread(_run_with_bar, settings, frames, nulls)
    found, fdr, pv = summarize(null_runs, real)
    record = CalibrationRecord(
        id=new_id(),
        run_id=run_id,
        theme=settings.theme,
        data_fingerprint=data_fingerprint(frames),
        nulls=nulls,
        discoveries=found,
        false_discovery_rate=fdr,
        real_score=real,
        p_value=pv,
        null_runs=null_runs,
        settings=settings.model_dump(mode="json"),
    )
    async with DatabaseConnection(url) as db:
        await db.save_calibration(record)
    if run_id is not None:
        await rebuild_report(run_id, None, url)
    return record


def _run_with_bar(settings, frames, nulls: int):
    """The null runs under a progress bar on stderr."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from vantageadapt.pipeline.calibrate import run_nulls

    columns = ("{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True)) as bar:
        task = bar.add_task("null runs", total=nulls)

        def done(_: int, summary: dict) -> None:
            flag = "false discovery" if summary["discovery"] else "no discovery"
            bar.console.print(
                f"null run {summary['index']}: {flag} (deflated Sharpe "
                f"{summary['deflated_sharpe']:.3f}, test return {summary['test_return']:.2%})"
            )
            bar.advance(task)

        return run_nulls(settings, frames, nulls, on_done=done)


def _print(record) -> None:
    typer.echo(
        f"false-discovery rate: {record.false_discovery_rate:.2f} "
        f"({record.discoveries} of {record.nulls} null runs significant)"
    )
    if record.p_value is not None:
        typer.echo(
            f"p-value of run {record.run_id}: {record.p_value:.3f} (share of null runs whose "
            f"sealed-test score reaches {record.real_score:.4g})"
        )
    typer.echo(f"calibration {record.id} stored")
