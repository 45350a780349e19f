"""`vantage optimize`: tune a rules file's parameters on data, checked out of sample."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from vantageadapt.commands.engine_options import engine_config, with_engine_options
from vantageadapt.commands.shared import JsonOption
from vantageadapt.data.cli_options import BarOption, TrustPickleOption


def _print_result(result: Any) -> None:
    """Human-readable tables on stdout."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    params = Table(title="best parameters")
    params.add_column("parameter")
    params.add_column("value", justify="right")
    params.add_column("edge")
    for name, value in result.best_parameters.items():
        params.add_row(name, f"{value:.6g}", result.parameters_at_edge.get(name, ""))
    console.print(params)
    period = result.engine.get("metrics_period", "?")
    agg = Table(
        title="aggregate metrics (in-sample = train rows, out-of-sample = validation; "
        f"sharpe/sortino per {period} period)"
    )
    for column in ("metric", "in-sample", "out-of-sample"):
        agg.add_column(column, justify="right" if column != "metric" else "left")
    ins, outs = result.in_sample.model_dump(), result.out_of_sample.model_dump()
    for name in ins:
        agg.add_row(name, f"{ins[name]:.4g}", f"{outs[name]:.4g}")
    console.print(agg)
    per = Table(title="per asset")
    for column in ("symbol", "return in", "return out", "sortino in", "sortino out", "trades"):
        per.add_column(column, justify="right" if column != "symbol" else "left")
    for sym, m_in in result.per_asset_in.items():
        m_out = result.per_asset_out[sym]
        per.add_row(
            sym,
            f"{m_in.total_return:.4g}",
            f"{m_out.total_return:.4g}",
            f"{m_in.sortino_ratio:.3g}",
            f"{m_out.sortino_ratio:.3g}",
            f"{m_in.total_trades}/{m_out.total_trades}",
        )
    console.print(per)
    console.print(_engine_line(result.engine))
    console.print(
        f"trials {result.trials}  score {result.score:.4g}  validation score "
        f"{result.validation_score:.4g}  deflated Sharpe {result.deflated_sharpe:.3f}  "
        f"wall {result.wall_seconds:.2f}s" + ("  (interrupted)" if result.interrupted else "")
    )


def _engine_line(engine: dict[str, Any]) -> str:
    from vantageadapt.backtest import EngineConfig

    return EngineConfig(**engine).summary()


@with_engine_options
def optimize(
    data: Path = typer.Option(..., "--data", help="Trade data file or folder."),
    rules: Path = typer.Option(..., "--rules", help="Rules JSON: conditions and parameters."),
    trials: int = typer.Option(
        200, "--trials", min=1, max=1_000_000, help="Parameter sets to try."
    ),
    sampler: str = typer.Option("random", "--sampler", help="random, grid or tpe."),
    score: str = typer.Option("default", "--score", help="default or seed."),
    executor: str = typer.Option("local", "--executor", help="local or dask://HOST:PORT."),
    seed: int = typer.Option(0, "--seed", help="Seed for the sampler and the asset subset."),
    subset: int = typer.Option(5, "--subset", min=1, help="Assets the search runs on."),
    walk_forward: int = typer.Option(
        0, "--walk-forward", min=0, help="Walk-forward folds (0: inner holdout)."
    ),
    space_file: Path | None = typer.Option(
        None, "--space", help="Search space file (.json/.toml)."
    ),
    param: list[str] = typer.Option(
        [], "--param", help="Override a range: name=low:high[:int|log] or name=a,b,c."
    ),
    *,
    engine: dict[str, Any],  # the engine flags given (see with_engine_options)
    trust_pickle: TrustPickleOption = False,
    bar: BarOption = None,
    as_json: JsonOption = False,
) -> None:
    """Tune the rules' parameters on the train rows and score the best on held-out rows."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from vantageadapt.commands.rules_file import load_rules_file
    from vantageadapt.data import load_cli_data
    from vantageadapt.optimize import OptimizeSettings, parse_override, run_parameter_optimization
    from vantageadapt.optimize.optimizer import resolve_space

    overrides = dict(parse_override(text) for text in param)
    settings = OptimizeSettings.build(
        sampler=sampler,
        trials=trials,
        score=score,
        executor=executor,
        seed=seed,
        subset_size=subset,
        walk_forward=walk_forward,
        space_file=space_file,
        overrides=overrides,
    )
    config = engine_config(engine)
    trading_rules = load_rules_file(rules)
    resolve_space(trading_rules, settings, None, config.size_type)  # bad ranges fail before loading
    frames = load_cli_data(data, trust_pickle=trust_pickle, bar=bar)
    console = Console(stderr=True)
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("trials", total=settings.trials)
        result = run_parameter_optimization(
            frames,
            trading_rules,
            settings=settings,
            config=config,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    if result.interrupted:
        console.print(f"interrupted: best of {result.trials} trials so far")
    if as_json:
        typer.echo(json.dumps(result.to_dict()))
    else:
        _print_result(result)


def register(app: typer.Typer) -> None:
    """Add the `optimize` command to the root app."""
    app.command("optimize")(optimize)
