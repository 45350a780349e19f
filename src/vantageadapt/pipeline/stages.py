"""The pieces every iteration uses: the run's parts, data split, seeds and the search."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from vantageadapt.agent import GodelAgent, StrategicTrader, Workspace, WorkspaceHooks
from vantageadapt.agent.runner import WorkspaceRunner
from vantageadapt.backtest import EngineConfig
from vantageadapt.data import DataSplit, load_trade_data, split_frames
from vantageadapt.errors import ConfigError
from vantageadapt.home import vantage_home
from vantageadapt.llm import LLMInterface
from vantageadapt.llm.stats import MarketStats
from vantageadapt.models import AggregateMetrics, MarketContext, StrategyInsight, TradingRules
from vantageadapt.optimize import (
    OptimizationResult,
    OptimizeSettings,
    default_search_space,
    run_parameter_optimization,
)
from vantageadapt.optimize.splits import inner_holdout
from vantageadapt.pipeline.progress import Progress
from vantageadapt.prompts import PromptManager
from vantageadapt.rules.indicator_store import content_key
from vantageadapt.settings import RunSettings
from vantageadapt.store import DatabaseConnection


class Stopped(Exception):
    """Raised from the optimizer's progress callback once the run is interrupted."""


@dataclass
class RunParts:
    """The objects one run wires together (built once, used by every iteration)."""

    settings: RunSettings
    split: DataSplit
    db: DatabaseConnection
    llm: LLMInterface
    trader: StrategicTrader
    agent: GodelAgent  # its .runner runs the workspace's code (in workers)
    workspace: Workspace
    prompts: PromptManager
    progress: Progress
    run_id: str
    run_dir: Path
    engine: EngineConfig  # the run's engine settings, `auto` settled (see run_engine)
    stop: threading.Event = field(default_factory=threading.Event)
    trials_so_far: int = 0
    stats: MarketStats | None = None  # the strategist's anonymized statistics of the train rows
    dev_keys: dict[str, str] | None = None  # content keys of the dev frames, hashed once per run

    @property
    def runner(self) -> WorkspaceRunner:
        """The run's WorkspaceRunner: the only way to the workspace's code."""
        return self.agent.runner


def run_dir_for(run_id: str) -> Path:
    """$VANTAGE_HOME/runs/<run_id>: the run's workspace and report."""
    return vantage_home() / "runs" / run_id


def load_split(settings: RunSettings) -> DataSplit:
    """Load the run's data and split it: train | validation | sealed test."""
    section = settings.data
    if section.path is None:
        raise ConfigError("no data given; pass --data PATH")
    frames = load_trade_data(section.path, trust_pickle=section.trust_pickle, bar=section.bar)
    return split_frames(
        frames,
        validation_fraction=section.validation_fraction,
        test_fraction=section.test_fraction,
    )


def run_engine(settings: RunSettings, split: DataSplit) -> EngineConfig:
    """The run's EngineConfig with `auto` settled once, over every window the run scores:
    train, validation and sealed test of each asset, and the search's inner holdout."""
    windows = []
    for sym, frame in split.full.items():
        start, test = split.validation_start[sym], split.test_start[sym]
        fold = inner_holdout(start)
        windows += [frame.index[: fold.fit_stop], frame.index[fold.fit_stop : start]]
        windows += [frame.index[start:test], frame.index[test:]]
    config = EngineConfig(**settings.engine.model_dump())
    return config.resolve(split.full.values(), windows)


def train_frames(split: DataSplit) -> dict[str, pd.DataFrame]:
    """Rows before validation: the only rows the strategist's statistics are built from."""
    return {s: f.iloc[: split.validation_start[s]] for s, f in split.dev.items()}


def iteration_seed(settings: RunSettings, index: int) -> int:
    """The seed of iteration `index` (1-based): the run's seed for the first one."""
    return settings.seed + index - 1


def optimize_settings(
    settings: RunSettings, *, trials: int, prior_trials: int, seed: int, significance: bool = True
) -> OptimizeSettings:
    """The optimize part's own section, as its OptimizeSettings.

    `prior_trials` counts every backtest the run made before this search, so the deflated
    Sharpe ratio accounts for earlier iterations and patch checks too.
    """
    section = settings.optimize
    return OptimizeSettings.build(
        sampler=section.sampler,
        trials=trials,
        score=section.score,
        subset_size=section.subset_size,
        seed=seed,
        executor=section.executor,
        prior_trials=prior_trials,
        significance=significance,
    )


async def optimize(
    parts: RunParts,
    rules: TradingRules,
    hooks: WorkspaceHooks,
    *,
    trials: int,
    label: str,
    significance: bool = True,
    seed: int | None = None,
) -> OptimizationResult:
    """Tune `rules` on the dev rows (search < validation_start) with the workspace's hooks.

    `hooks` (a WorkspaceHooks) answers from its worker: the adjusted space, batch scores and
    the custom indicators' arrays. `significance=False` skips the search's own deflated
    Sharpe and PBO (the caller measures them over several searches at once); `seed` replaces
    the iteration's seed for the sampler.
    """
    base = default_search_space(
        rules, size_type=parts.engine.size_type, indicators=hooks.indicator_names
    )
    space = await asyncio.to_thread(hooks.adjust_search_space, base)
    every = " ".join([*rules.conditions.entry, *rules.conditions.exit])
    used = {n: f for n, f in hooks.custom_indicators.items() if f"{n}_" in every}
    if used:
        await asyncio.to_thread(hooks.register_frames, parts.split.dev)
    if parts.dev_keys is None:
        parts.dev_keys = {sym: content_key(frame) for sym, frame in parts.split.dev.items()}
    with parts.progress.trials(label) as bar:

        def on_trial(done: int, total: int) -> None:
            if parts.stop.is_set():
                raise Stopped()
            bar(done, total)

        result = await asyncio.to_thread(
            run_parameter_optimization,
            parts.split.dev,
            rules,
            settings=optimize_settings(
                parts.settings,
                trials=trials,
                prior_trials=parts.trials_so_far,
                seed=parts.llm.seed if seed is None else seed,
                significance=significance,
            ),
            validation_start=parts.split.validation_start,
            config=parts.engine,
            space=space,
            # "default" ranks by the workspace's (patchable) score; "seed" by the package's.
            batch_score=hooks.batch_score if parts.settings.optimize.score == "default" else None,
            custom_indicators=used or None,
            progress=on_trial,
            keys=parts.dev_keys,
        )
    parts.trials_so_far += int(result.trials)
    return result


def compose(
    hooks: WorkspaceHooks,
    insight: StrategyInsight,
    context: MarketContext,
    theme: str,
    fallback: TradingRules,
) -> TradingRules:
    """The workspace strategy generator may rewrite the strategist's rules; None keeps them."""
    composed = hooks.compose_rules(insight, context, theme)
    if composed is None:
        return fallback
    return TradingRules.checked(composed, indicators=hooks.indicator_names)


def metric_dict(aggregate: AggregateMetrics) -> dict[str, float]:
    """An aggregate's metrics as plain floats."""
    return {k: float(v) for k, v in aggregate.model_dump().items()}
