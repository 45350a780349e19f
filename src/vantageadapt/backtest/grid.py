"""The fast path: many parameter sets of one rule set on one asset, metrics only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from numba import set_parallel_chunksize

from vantageadapt.backtest.config import (
    EngineConfig,
    SetParams,
    engine_record,
    frame_arrays,
    market_arrays,
    set_params,
    set_records,
)
from vantageadapt.backtest.engine import check_window
from vantageadapt.backtest.kernels import N_METRICS, grid_nb
from vantageadapt.models import Conditions
from vantageadapt.rules import CompiledRules, IndicatorCache, compile_conditions
from vantageadapt.rules.compiler import condition_parameters
from vantageadapt.rules.indicator_store import IndicatorStore, default_store
from vantageadapt.rules.indicators import CustomIndicator

# Signal arrays stacked at once per kernel call: memory stays O(rows + sets) however many
# distinct windows a search tries.
CHUNK_BYTES = 256 * 2**20


def _group_key(params: Mapping[str, float], used: Sequence[str], sp: SetParams, vol: bool):
    key = tuple((name, float(params[name]) if name in params else None) for name in used)
    return (*key, ("vol_window", sp.vol_window)) if vol else key


def _pad(programs: list[np.ndarray], dtype) -> tuple[np.ndarray, np.ndarray]:
    length = max((p.shape[0] for p in programs), default=0)
    out = np.zeros((len(programs), max(length, 1)), dtype=dtype)
    for i, p in enumerate(programs):
        out[i, : p.shape[0]] = p
    return out, np.array([p.shape[0] for p in programs], dtype=np.int64)


def evaluate_grid(
    frame: pd.DataFrame,
    conditions: Conditions,
    param_sets: Sequence[Mapping[str, float]],
    config: EngineConfig = EngineConfig(),
    *,
    start: int = 0,
    stop: int | None = None,
    custom_indicators: Mapping[str, CustomIndicator] | None = None,
    store: IndicatorStore | None = None,
) -> np.ndarray:
    """Metrics (n_sets, len(METRIC_NAMES)) for each parameter set, trading on rows [start, stop)."""
    stop = len(frame) if stop is None else stop
    out = evaluate_windows(
        frame,
        conditions,
        param_sets,
        config,
        windows=[(start, stop)],
        custom_indicators=custom_indicators,
        store=store,
    )
    return out[0]


def evaluate_windows(
    frame: pd.DataFrame,
    conditions: Conditions,
    param_sets: Sequence[Mapping[str, float]],
    config: EngineConfig = EngineConfig(),
    *,
    windows: Sequence[tuple[int, int]],
    custom_indicators: Mapping[str, CustomIndicator] | None = None,
    store: IndicatorStore | None = None,
    key: str | None = None,
) -> np.ndarray:
    """Metrics (n_windows, n_sets, len(METRIC_NAMES)): each set traded on each row window.

    Window (start, stop) is the same as `evaluate_grid(..., start=start, stop=stop)`: rows
    from `stop` on do not exist for it. Signals are compiled once per signal group for all
    windows (indicators are causal), and every (set, window) runs in one parallel kernel call.
    """
    for start, stop in windows:
        check_window(start, stop, len(frame))
    results = np.zeros((len(windows), len(param_sets), N_METRICS))
    if not windows or not param_sets:
        return results
    store = store if store is not None else default_store()
    horizon = max(stop for _, stop in windows)
    cache = IndicatorCache(frame, custom_indicators, stop=horizon, store=store, key=key)
    vol = config.size_type == "volatility"
    every = [*conditions.entry, *conditions.exit]
    set_list = [set_params(p, config) for p in param_sets]
    groups: dict[tuple, int] = {}
    set_group = np.empty(len(param_sets), dtype=np.int64)
    representative: list[tuple[tuple, Mapping[str, float], SetParams]] = []
    used_by_names: dict[frozenset[str], list[str]] = {}  # which names are parameters
    for s, params in enumerate(param_sets):
        names = frozenset(params)
        if names not in used_by_names:
            used_by_names[names] = condition_parameters(every, params, custom=cache.custom)
        group = _group_key(params, used_by_names[names], set_list[s], vol)
        if group not in groups:
            groups[group] = len(groups)
            representative.append((group, params, set_list[s]))
        set_group[s] = groups[group]
    engines = np.stack(
        [engine_record(config, frame_arrays(frame.iloc[:stop], config)) for _, stop in windows]
    )
    market = market_arrays(frame_arrays(frame.iloc[:horizon], config))
    context = _Context(cache, conditions, vol, windows, engines, market)
    chunk: list[tuple[int, CompiledRules, np.ndarray]] = []
    held = 0
    for g, (group, params, sp) in enumerate(representative):
        compiled, size_vol = context.signals(group, params, sp)
        chunk.append((g, compiled, size_vol))
        held += compiled.nbytes + size_vol.nbytes
        if held >= CHUNK_BYTES or g == len(representative) - 1:
            context.run(chunk, set_group, set_list, results)
            chunk, held = [], 0
    return results


class _Context:
    """What one evaluation's kernel calls share: indicators, windows, engine records, market."""

    def __init__(self, cache, conditions, vol, windows, engines, market) -> None:
        self.cache, self.conditions, self.vol = cache, conditions, vol
        self.windows = np.array(windows, dtype=np.int64).reshape(-1, 2)
        self.engines, self.market = engines, market

    def signals(self, group: tuple, params, sp: SetParams) -> tuple[CompiledRules, np.ndarray]:
        """Compiled signals of one group (conditions come from the store) and sizing volatility."""
        cache, conditions = self.cache, self.conditions
        compiled = compile_conditions(conditions.entry, conditions.exit, params, cache)
        size_vol = cache.get("volatility", sp.vol_window) if self.vol else np.empty(0)
        return compiled, size_vol

    def run(self, chunk, set_group, set_list, results) -> None:
        """One parallel kernel call for every set of the chunk's groups on every window."""
        groups = np.array([g for g, _, _ in chunk], dtype=np.int64)
        local = {int(g): i for i, g in enumerate(groups)}
        members = np.flatnonzero(np.isin(set_group, groups))
        if members.size == 0:
            return
        compiled = [c for _, c, _ in chunk]
        rows = compiled[0].entry.shape[0]
        entries = np.stack([c.entry for c in compiled])
        exits = np.stack([c.exit for c in compiled])
        n_leaves = max(c.leaves.shape[0] for c in compiled)
        leaves = np.zeros((len(chunk), n_leaves, rows))
        for i, c in enumerate(compiled):
            leaves[i, : c.leaves.shape[0]] = c.leaves
        e_ops, e_len = _pad([c.entry_program.ops for c in compiled], np.int64)
        e_args, _ = _pad([c.entry_program.args for c in compiled], np.float64)
        x_ops, x_len = _pad([c.exit_program.ops for c in compiled], np.int64)
        x_args, _ = _pad([c.exit_program.args for c in compiled], np.float64)
        vols = [v for _, _, v in chunk]
        size_vols = np.stack(vols) if vols[0].shape[0] else np.empty((len(chunk), 0))
        signal_groups = (entries, exits, leaves, e_ops, e_args, e_len, x_ops, x_args, x_len,
                         size_vols)  # fmt: skip
        chosen = [set_list[s] for s in members]
        sets = set_records(chosen, np.array([local[int(set_group[s])] for s in members]))
        # Sets differ in cost (exposure, trades): hand them to threads one by one.
        previous = set_parallel_chunksize(1)
        try:
            out = grid_nb(self.market, signal_groups, self.engines, sets, self.windows)
        finally:
            set_parallel_chunksize(previous)
        results[:, members] = out
