"""run_parameter_optimization: search train rows of a subset, re-run the best, score it once."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from vantageadapt.errors import ConfigError, DataError
from vantageadapt.models import Metrics, TradingRules
from vantageadapt.optimize.cache import CachedRunner, params_keys, rules_key
from vantageadapt.optimize.executors import Job, SearchInputs, make_executor
from vantageadapt.optimize.result import (
    OptimizationResult,
    aggregate_rows,
)
from vantageadapt.optimize.samplers import ParamSet, Sampler, make_sampler
from vantageadapt.optimize.scoring import (
    BatchScoreFn,
    ScoreFn,
    batched,
    get_score,
    validation_score,
)
from vantageadapt.optimize.settings import OptimizeSettings
from vantageadapt.optimize.significance import (
    MAX_COLUMNS,
    Significance,
    TrialRows,
    rules_significance,
    top_trials,
)
from vantageadapt.optimize.space import (
    SearchSpace,
    default_search_space,
    load_space_file,
)
from vantageadapt.optimize.splits import Fold, inner_holdout, validation_starts, walk_forward
from vantageadapt.rules.indicator_store import IndicatorStore, content_key, default_store
from vantageadapt.rules.threads import worker_threads

logger = logging.getLogger(__name__)


def resolve_space(
    rules: TradingRules, settings: OptimizeSettings, space: SearchSpace | None, size_type: str
) -> SearchSpace:
    """The given (or default) space with the settings' file and per-run overrides applied."""
    base = space if space is not None else default_search_space(rules, size_type=size_type)
    allowed = set(rules.parameters)
    if settings.space_file is not None:
        base = base.with_overrides(load_space_file(settings.space_file), allowed=allowed)
    return base.with_overrides(settings.overrides, allowed=allowed)


def pick_subset(symbols: Sequence[str], size: int, seed: int) -> list[str]:
    """The seed flow's random asset subset (all assets when there are no more than `size`)."""
    ordered = sorted(symbols)
    if len(ordered) <= size:
        return ordered
    rng = np.random.default_rng(seed)
    return sorted(rng.choice(ordered, size=size, replace=False).tolist())


def _check_inputs(frames: Mapping[str, pd.DataFrame], validation_start: Mapping[str, int]) -> None:
    if not frames:
        raise DataError("no assets to optimize on; pass data with at least one symbol")
    for sym, frame in frames.items():
        if sym not in validation_start:
            raise ConfigError(f"validation_start has no row for symbol {sym!r}")
        start = validation_start[sym]
        if not 0 < start <= len(frame):
            raise ConfigError(
                f"validation_start {start} for {sym!r} is outside its {len(frame)} rows"
            )


def resolve_engine(
    config: Any,
    frames: Mapping[str, pd.DataFrame],
    validation_start: Mapping[str, int],
    folds: Mapping[str, list[Fold]],
) -> Any:
    """The engine settings with `auto` settled over every window this search scores."""
    if config.resolved:
        return config
    windows = []
    for sym, frame in frames.items():
        start = validation_start[sym]
        windows += [frame.index[:start], frame.index[start:]]
        for fold in folds.get(sym, []):
            windows += [frame.index[fold.fit_start : fold.fit_stop]]
            windows += [frame.index[fold.fit_stop : fold.check_stop]]
    return config.resolve(frames.values(), windows)


class _Search:
    """One search: sampler -> batched evaluations over subset assets and folds -> scores."""

    def __init__(
        self,
        runner: CachedRunner,
        subset: list[str],
        folds: dict[str, list[Fold]],
        fixed: Mapping[str, float],
        batch_score: BatchScoreFn,
    ) -> None:
        self.runner, self.subset, self.folds = runner, subset, folds
        self.fixed, self.batch_score = fixed, batch_score
        n_folds = len(next(iter(folds.values())))
        self.rows = [
            float(np.mean([folds[s][k].fit_stop - folds[s][k].fit_start for s in subset]))
            for k in range(n_folds)
        ]

    def evaluate(self, sets: list[ParamSet], on_asset: Callable[[int], None]) -> np.ndarray:
        """Scores (n_sets,): the mean over folds of the score of fit and check windows."""
        full = tuple({**self.fixed, **p} for p in sets)
        fit, check = [], []
        for i, sym in enumerate(self.subset):
            jobs = []
            for fold in self.folds[sym]:
                jobs.append(Job(sym, fold.fit_start, fold.fit_stop, full))
                jobs.append(Job(sym, fold.fit_stop, fold.check_stop, full))
            arrays = self.runner.run(jobs)
            fit.append(arrays[0::2])
            check.append(arrays[1::2])
            on_asset(i + 1)
        n = len(self.subset)
        scores = np.zeros(len(sets))
        for k in range(len(self.rows)):
            agg_fit = aggregate_rows(np.stack([fit[a][k] for a in range(n)]))
            agg_check = aggregate_rows(np.stack([check[a][k] for a in range(n)]))
            scores += self.batch_score(agg_fit, agg_check, n, round(self.rows[k]))
        return scores / len(self.rows)


def _final_metrics(
    runner: CachedRunner,
    frames: Mapping[str, pd.DataFrame],
    validation_start: Mapping[str, int],
    best_full: Mapping[str, float],
) -> tuple[dict[str, Metrics], dict[str, Metrics]]:
    """Best parameters on every asset: train rows in-sample, validation rows out-of-sample."""
    from vantageadapt.backtest import metrics_from_row

    symbols = sorted(frames)
    jobs = [Job(sym, 0, validation_start[sym], (best_full,)) for sym in symbols]
    tails = [s for s in symbols if validation_start[s] < len(frames[s])]
    jobs += [Job(sym, validation_start[sym], len(frames[sym]), (best_full,)) for sym in tails]
    arrays = runner.run(jobs)
    per_in = {sym: metrics_from_row(a[0]) for sym, a in zip(symbols, arrays, strict=False)}
    per_out = {sym: Metrics() for sym in symbols}
    per_out.update(
        {sym: metrics_from_row(a[0]) for sym, a in zip(tails, arrays[len(symbols) :], strict=True)}
    )
    return per_in, per_out


@dataclass
class _Trace:
    """What the search saw: one landscape record and score per trial."""

    records: list[dict[str, float]] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    keys: set[tuple] = field(default_factory=set)
    interrupted: bool = False

    @property
    def best(self) -> int:
        """Index of the best-scoring trial (the first one on ties)."""
        return int(np.argmax(self.scores))

    @property
    def distinct(self) -> int:
        """Distinct parameter sets evaluated (each counts once for the deflated Sharpe)."""
        return len(self.keys)


def _run_search(
    search: _Search,
    sampler: Sampler,
    settings: OptimizeSettings,
    progress: Callable[[int, int], None] | None,
) -> _Trace:
    """Ask, evaluate, tell until the budget is spent; Ctrl-C keeps the trials finished so far."""
    trace = _Trace()
    batch = settings.tpe_batch if settings.sampler == "tpe" else settings.trials
    total = settings.trials
    try:
        while len(trace.records) < total:
            sets = sampler.ask(min(batch, total - len(trace.records)))
            if not sets:
                break
            done, size = len(trace.records), len(sets)

            def on_asset(k: int, done: int = done, size: int = size) -> None:
                if progress is not None:
                    progress(done + size * k // len(search.subset), total)

            scores = search.evaluate(sets, on_asset)
            sampler.tell(sets, scores.tolist())
            trace.keys.update(params_keys(sets))
            for params, score in zip(sets, scores.tolist(), strict=True):
                trace.records.append({**params, "score": score})
                trace.scores.append(score)
    except KeyboardInterrupt:
        if not trace.records:
            raise
        trace.interrupted = True
        logger.warning("interrupted after %d trials; keeping the best so far", len(trace.records))
    return trace


def run_parameter_optimization(
    frames: Mapping[str, pd.DataFrame],
    rules: TradingRules,
    *,
    settings: OptimizeSettings | None = None,
    validation_start: Mapping[str, int] | None = None,
    config: Any = None,
    space: SearchSpace | None = None,
    score_fn: ScoreFn | None = None,
    batch_score: BatchScoreFn | None = None,
    custom_indicators: Mapping[str, Callable[[pd.DataFrame, int], np.ndarray]] | None = None,
    progress: Callable[[int, int], None] | None = None,
    store: IndicatorStore | None = None,
    keys: Mapping[str, str] | None = None,
) -> OptimizationResult:
    """Tune the rules' parameters on train rows; score the best once on validation rows.

    Indicators and signals come from `store` (the process's shared one by default), so
    repeated searches on the same data (iterations, patch checks) reuse them; `keys` are the
    frames' `content_key`s when the caller has them (else they are computed here).
    The search ranks sets by `batch_score` when given (one call per batch), else by
    `score_fn` (or the settings' score) called per set.
    """
    from vantageadapt.backtest import EngineConfig, aggregate_metrics

    began = time.perf_counter()
    settings = settings or OptimizeSettings()
    config = config if config is not None else EngineConfig()
    if validation_start is None:
        rows = {sym: len(frame) for sym, frame in frames.items()}
        validation_start = validation_starts(rows, settings.validation_fraction)
    _check_inputs(frames, validation_start)
    space = resolve_space(rules, settings, space, getattr(config, "size_type", "fraction"))
    batch_score = batch_score or batched(score_fn or get_score(settings.score))
    fixed = {k: v for k, v in rules.parameters.items() if k not in space.names}

    subset = pick_subset(list(frames), settings.subset_size, settings.seed)
    folds = {
        sym: walk_forward(validation_start[sym], settings.walk_forward)
        if settings.walk_forward
        else [inner_holdout(validation_start[sym], settings.holdout_fraction)]
        for sym in subset
    }
    config = resolve_engine(config, frames, validation_start, folds)
    store = store if store is not None else default_store()
    before = store.stats()
    if keys is None:  # hashing releases the GIL: the frames side by side
        keys = dict(zip(frames, worker_threads().map(content_key, frames.values()), strict=True))
    inputs = SearchInputs(frames, rules.conditions, config, custom_indicators)
    executor = make_executor(settings.executor, inputs, store, keys)
    runner = CachedRunner(executor, keys, rules_key(rules, fixed))
    search = _Search(runner, subset, folds, fixed, batch_score)
    sampler = make_sampler(settings.sampler, space, seed=settings.seed, budget=settings.trials)

    try:
        trace = _run_search(search, sampler, settings, progress)
        best = {name: trace.records[trace.best][name] for name in space.names}
        per_in, per_out = _final_metrics(runner, frames, validation_start, {**fixed, **best})
    finally:
        executor.close()
    in_sample, out_of_sample = aggregate_metrics(per_in), aggregate_metrics(per_out)

    # Deflated Sharpe and PBO: the pick and the top trials on the same rows and periods.
    sig = Significance(0.0, float("nan"), 0, "")  # measured by the caller when switched off
    if settings.significance:
        windows = {s: (0, validation_start[s]) for s in subset}
        sig = rules_significance(
            TrialRows(frames, windows, config, custom_indicators, store, keys),
            top_trials(
                rules,
                [{name: r[name] for name in space.names} for r in trace.records],
                trace.scores,
                MAX_COLUMNS,
            ),
            trace.distinct + settings.prior_trials,
        )
    edges = {name: e for name in space.names if (e := space.get(name).edge(best[name]))}
    return OptimizationResult(
        best_parameters={**rules.parameters, **best},
        score=trace.scores[trace.best],
        in_sample=in_sample,
        out_of_sample=out_of_sample,
        per_asset_in=per_in,
        per_asset_out=per_out,
        trials=trace.distinct,
        deflated_sharpe=sig.deflated_sharpe,
        pbo=sig.pbo,
        significance_periods=f"{sig.periods} x {sig.period}",
        landscape=pd.DataFrame.from_records(trace.records),
        parameters_at_edge=edges,
        wall_seconds=time.perf_counter() - began,
        interrupted=trace.interrupted,
        validation_score=validation_score(out_of_sample, in_sample),
        subset=subset,
        cache_hits=runner.hits,
        indicator_cache=store.stats().since(before).to_dict(),
        engine=config.describe(),
    )
