"""`vantage run`: the full loop from theme and data to a tested strategy and a report."""

from __future__ import annotations

import gc
import json
import sys
from pathlib import Path
from typing import Any

import typer

from vantageadapt.commands.engine_options import with_engine_options
from vantageadapt.commands.shared import (
    ConfigOption,
    DbOption,
    JsonOption,
    LoopDataOption,
    ThemeOption,
)
from vantageadapt.errors import ConfigError
from vantageadapt.logs import setup_logging
from vantageadapt.outputs import check_output_path

_EXIT_INTERRUPTED = 130


def register(app: typer.Typer) -> None:
    """Add the `run` command to the root app."""
    app.command(
        "run",
        epilog=(
            "Settings, highest first: flags, VANTAGE_* environment (a .env file is read; "
            "VANTAGE_DATABASE_URL, VANTAGE_PROVIDER, VANTAGE_MODEL, VANTAGE_BASE_URL, "
            "VANTAGE_ITERATIONS, VANTAGE_SEED, VANTAGE_SAMPLER, VANTAGE_TRIALS, "
            "VANTAGE_EXECUTOR, VANTAGE_MAX_COST, VANTAGE_MAX_TOKENS, or any setting as "
            "VANTAGE_SECTION__NAME, e.g. VANTAGE_OPTIMIZE__SUBSET_SIZE), --config vantage.toml, "
            "defaults. Exit 0 thresholds met, 1 unmet or budget reached, 2 bad input, "
            "3 outside service failed, 4 internal error (see the log), 130 interrupted (resumable)."
        ),
    )(run)


@with_engine_options
def run(
    theme: ThemeOption = None,
    data: LoopDataOption = None,
    iterations: int = typer.Option(None, "--iterations", help="Loop iterations (default 5)."),
    provider: str = typer.Option(
        None,
        "--provider",
        help="Strategist: offline (default), openai, anthropic, or local (a GGUF model "
        "in-process; needs the `local` extra).",
    ),
    model: str = typer.Option(
        None, "--model", help="LLM model name; for --provider local a .gguf path (SmolLM2-135M)."
    ),
    base_url: str = typer.Option(None, "--base-url", help="OpenAI-compatible server URL."),
    tool_choice: str = typer.Option(
        None,
        "--tool-choice",
        help="named (default): force the answer tool by name; auto: for servers that reject it.",
    ),
    llm_timeout: float = typer.Option(
        None,
        "--llm-timeout",
        help="Seconds per LLM request (default 60; scaled by prompt size for local servers).",
    ),
    db: DbOption = None,
    report: Path = typer.Option(
        None, "--report", help="HTML report path (default $VANTAGE_HOME/runs/<id>/report.html)."
    ),
    seed: int = typer.Option(None, "--seed", help="Random seed for the search and strategist."),
    config: ConfigOption = None,
    thresholds: str = typer.Option(
        None,
        "--thresholds",
        help="Override thresholds: 'total_return=0.2,sortino_ratio=1.5,win_rate=0.4,"
        "total_trades=100' (defaults 0.5, 2.0, 0.4, 100).",
    ),
    sampler: str = typer.Option(None, "--sampler", help="random (default), grid or tpe."),
    trials: int = typer.Option(None, "--trials", help="Optimizer trials per iteration (60)."),
    executor: str = typer.Option(None, "--executor", help="local (default) or dask://HOST:PORT."),
    max_cost: float = typer.Option(None, "--max-cost", help="Stop before LLM spend passes USD."),
    max_tokens: int = typer.Option(None, "--max-tokens", help="Stop before LLM tokens pass N."),
    cache: bool = typer.Option(None, "--cache/--no-cache", help="Reuse cached LLM answers."),
    trust_pickle: bool = typer.Option(
        None, "--trust-pickle", help="Load .pkl files with the full unpickler (runs code!)."
    ),
    improve: bool = typer.Option(
        None, "--improve/--no-improve", help="Let the Gödel agent patch code and prompts."
    ),
    resume: str = typer.Option(
        None, "--resume", help="Continue run RUN_ID from its last finished iteration."
    ),
    *,
    engine: dict[str, Any],  # the engine flags given (see with_engine_options)
    as_json: JsonOption = False,
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Debug logs to a rotating file."),
) -> None:
    """Run the loop: read the market, make rules, tune, validate, self-improve, test, report."""
    # Importing the run's libraries makes hundreds of thousands of objects and no garbage,
    # and they live as long as the process: the collector scans them neither while they are
    # imported nor in every full collection of the run after. Frozen once per process, so a
    # later run in the same process (tests) never freezes an earlier one's garbage.
    gc.disable()
    try:
        from vantageadapt.pipeline import RichProgress, run_pipeline
        from vantageadapt.results import RunFailed
        from vantageadapt.settings import load_dotenv_into_environ, load_settings, parse_thresholds
    finally:
        if not gc.get_freeze_count():
            gc.freeze()
        gc.enable()

    if verbose:
        setup_logging(verbose=True)
    if resume is None and (theme is None or data is None):
        raise ConfigError("vantage run needs --theme TEXT and --data PATH (or --resume RUN_ID)")
    load_dotenv_into_environ()
    flags = {
        "theme": theme,
        "iterations": iterations,
        "seed": seed,
        "report": report,
        "resume": resume,
        "thresholds": parse_thresholds(thresholds) if thresholds else None,
        "data": {"path": data, "trust_pickle": trust_pickle},
        "llm": {
            "provider": provider,
            "model": model,
            "base_url": base_url,
            "tool_choice": tool_choice,
            "timeout": llm_timeout,
            "cache": cache,
            "max_cost": max_cost,
            "max_tokens": max_tokens,
        },
        "optimize": {"sampler": sampler, "trials": trials, "executor": executor},
        "engine": engine,
        "agent": {"enabled": improve},
        "store": {"database_url": db},
    }
    settings = load_settings(flags, config=config)
    if settings.report is not None:
        check_output_path(settings.report, flag="--report")  # before hours of work, not after
    if settings.optimize.executor != "local":
        from vantageadapt.optimize.executors import parse_dask_address

        parse_dask_address(settings.optimize.executor)
    progress = RichProgress()  # stderr only, so --json keeps stdout to the one object
    try:
        result = run_pipeline(settings, progress=progress)
    except RunFailed as failed:
        # The run started and is stored (resumable): show what it did, then the error.
        progress.run_done(failed.result)
        if as_json:
            sys.stdout.write(json.dumps(failed.result.json_view()) + "\n")
        raise
    progress.run_done(result)
    if as_json:
        sys.stdout.write(json.dumps(result.json_view()) + "\n")
    if result.status == "interrupted":
        raise typer.Exit(_EXIT_INTERRUPTED)
    raise typer.Exit(0 if result.met else 1)
