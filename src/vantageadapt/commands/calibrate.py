"""`vantage calibrate`: the loop's false-discovery rate on null data, and a run's p-value."""

from __future__ import annotations

import asyncio
import json
import sys

import typer

from vantageadapt.commands.shared import (
    ConfigOption,
    DbOption,
    JsonOption,
    LoopDataOption,
    ThemeOption,
)
from vantageadapt.errors import ConfigError


def register(app: typer.Typer) -> None:
    """Add the `calibrate` command to the root app."""
    app.command("calibrate")(calibrate)


def calibrate(
    data: LoopDataOption = None,
    theme: ThemeOption = None,
    nulls: int = typer.Option(5, "--nulls", min=1, help="Null versions of the data to run."),
    jobs: int = typer.Option(
        0,
        "--jobs",
        min=0,
        help="Null runs at a time, each in its own process (0: one per CPU core, as memory "
        "allows).",
    ),
    run: str = typer.Option(
        None,
        "--run",
        help="A finished run: use its data, theme and settings, and give its p-value.",
    ),
    iterations: int = typer.Option(None, "--iterations", help="Loop iterations (default 5)."),
    seed: int = typer.Option(None, "--seed", help="Random seed for the loop."),
    config: ConfigOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """How often the loop finds an edge in noise: its false-discovery rate, and a run's p-value.

    Runs the same loop on null versions of the data (returns block-shuffled per asset:
    volatility, spacing and volume kept, serial structure destroyed). Prints the loop's
    false-discovery rate (share of null runs whose best iteration is significant, deflated
    Sharpe >= 0.95) and, with --run, that run's permutation p-value (share of null runs whose
    sealed-test score reaches the run's). --run takes the run's data, theme and settings (--data
    and --theme may repeat them). The result is stored and shown in the run's report.
    """
    from vantageadapt.settings import load_dotenv_into_environ, load_settings

    load_dotenv_into_environ()
    if run is None and (theme is None or data is None):
        raise ConfigError("vantage calibrate needs --theme TEXT and --data PATH (or --run RUN_ID)")
    if run is not None:
        given = {"--iterations": iterations, "--seed": seed, "--config": config}
        extra = [name for name, value in given.items() if value is not None]
        if extra:
            raise ConfigError(
                f"vantage calibrate --run uses the run's own settings; drop {', '.join(extra)}"
            )
    flags = {
        "theme": theme,
        "iterations": iterations,
        "seed": seed,
        "data": {"path": data},
        "store": {"database_url": db},
    }
    settings = load_settings(flags, config=config)
    given = {"theme": theme, "data": data}
    record, report = _calibrate(settings, nulls, run, jobs, given)
    if as_json:
        view = record.model_dump(mode="json", exclude={"settings"})
        sys.stdout.write(json.dumps({**view, "report": report and str(report.resolve())}) + "\n")
    else:
        _print(record, report)


def _calibrate(settings, nulls: int, run_id: str | None, jobs: int, given: dict):
    """The calibration record, stored, and the run's rebuilt report (None without --run).

    The null runs run in this thread (or its processes), so Ctrl-C stops them at once.
    """
    from vantageadapt.data import data_fingerprint, load_trade_data
    from vantageadapt.pipeline import persist
    from vantageadapt.pipeline.calibrate import auto_jobs, summarize, test_score
    from vantageadapt.pipeline.rebuild import rebuild_report
    from vantageadapt.pipeline.stages import load_split
    from vantageadapt.store.calibrations import CalibrationRecord
    from vantageadapt.store.records import new_id

    url = settings.store.database_url
    real = None
    if run_id is not None:
        state = asyncio.run(_resume_state(url, run_id))
        result = persist.run_result(state)
        if result.status != "finished" or not result.test:
            raise ConfigError(f"run {run_id} has no sealed-test score (status {result.status})")
        real = test_score(result)
        settings = _run_settings(state, settings, given)
        # The p-value compares the run with null versions of the very data it was tested on.
        persist.check_same_data(state.run, load_split(settings).test_fingerprint)
    section = settings.data
    # Null versions are made from the trades as loaded; each null run bars them as the run did.
    frames = load_trade_data(section.path, trust_pickle=section.trust_pickle)
    null_runs = _run_with_bar(settings, frames, nulls, jobs or auto_jobs(nulls, frames))
    record = CalibrationRecord(
        id=new_id(),
        run_id=run_id,
        theme=settings.theme,
        data_fingerprint=data_fingerprint(frames),
        nulls=nulls,
        real_score=real,
        null_runs=null_runs,
        settings=settings.model_dump(mode="json"),
        **summarize(null_runs, real)._asdict(),
    )
    asyncio.run(_save(url, record))
    report = None
    if run_id is not None:
        report = asyncio.run(rebuild_report(run_id, settings.report, url))
    return record, report


async def _resume_state(url: str, run_id: str):
    from vantageadapt.store import DatabaseConnection

    async with DatabaseConnection(url) as db:
        return await db.resume_state(run_id)


async def _save(url: str, record) -> None:
    from vantageadapt.store import DatabaseConnection

    async with DatabaseConnection(url) as db:
        await db.save_calibration(record)


def _run_settings(state, settings, given: dict):
    """The finished run's own settings, on this database; --data may point at the same data
    elsewhere, and --theme must be the run's."""
    from vantageadapt.settings import RunSettings

    stored = RunSettings.model_validate(state.run.settings)
    theme = given["theme"]
    if theme is not None and theme.strip().lower() != stored.theme.strip().lower():
        raise ConfigError(
            f"run {state.run.id} was a {stored.theme!r} run, not {theme!r}: drop --theme, or "
            "calibrate without --run"
        )
    update: dict = {"store": settings.store, "resume": None}
    if given["data"] is not None:
        update["data"] = stored.data.model_copy(update={"path": given["data"]})
    return stored.model_copy(update=update)


def _run_with_bar(settings, frames, nulls: int, jobs: int):
    """The null runs under a progress bar on stderr, one line as each ends."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from vantageadapt.pipeline.calibrate import run_nulls

    console = Console(stderr=True)
    if not console.is_terminal:
        console = Console(stderr=True, width=160)  # logs keep one line per null run
    at_once = "one at a time" if jobs == 1 else f"{jobs} at a time, each in its own process"
    console.print(f"{nulls} null runs of the loop on block-shuffled data, {at_once}")
    columns = (
        "{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        "eta",
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("null runs", total=nulls)

        def done(_: int, summary: dict) -> None:
            flag = "false discovery" if summary["discovery"] else "no discovery"
            bar.console.print(
                f"null run {summary['index']}: {flag} (deflated Sharpe "
                f"{summary['deflated_sharpe']:.3f}, sealed-test return "
                f"{summary['test_return']:.2%}, {summary['seconds']:.0f} s)"
            )
            bar.advance(task)

        return run_nulls(settings, frames, nulls, on_done=done, jobs=jobs)


def _print(record, report) -> None:
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
    if report is not None:
        typer.echo(f"report: {report}")
