"""The fast path: many parameter sets of one rule set on one asset, metrics only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from numba import set_parallel_chunksize

from vantageadapt.backtest.config import EngineConfig, SetParams, frame_arrays, set_params
from vantageadapt.backtest.engine import check_window
from vantageadapt.backtest.kernels import N_METRICS, SIZE_TYPES, TRADE_DTYPE, grid_nb
from vantageadapt.models import Conditions
from vantageadapt.rules import CompiledRules, IndicatorCache, compile_conditions
from vantageadapt.rules.compiler import condition_parameters
from vantageadapt.rules.indicators import CustomIndicator

# Signal arrays held at once per chunk of distinct signal groups, and indicator arrays kept
# between groups: memory stays O(rows + sets) however many distinct windows a search tries.
CHUNK_BYTES = 256 * 2**20
CACHE_BYTES = 512 * 2**20


def _group_key(params: Mapping[str, float], used: Sequence[str], sp: SetParams, vol: bool):
    key = tuple(float(params[name]) if name in params else None for name in used)
    return (*key, sp.vol_window) if vol else key


def _pad(programs: list[np.ndarray], dtype) -> tuple[np.ndarray, np.ndarray]:
    length = max((p.shape[0] for p in programs), default=0)
    out = np.zeros((len(programs), max(length, 1)), dtype=dtype)
    for i, p in enumerate(programs):
        out[i, : p.shape[0]] = p
    return out, np.array([p.shape[0] for p in programs], dtype=np.int64)


def _group_bytes(compiled: CompiledRules, vol: bool) -> int:
    rows = compiled.entry.shape[0]
    return rows * (2 + 8 * compiled.leaves.shape[0] + (8 if vol else 0))


def evaluate_grid(
    frame: pd.DataFrame,
    conditions: Conditions,
    param_sets: Sequence[Mapping[str, float]],
    config: EngineConfig = EngineConfig(),
    *,
    start: int = 0,
    stop: int | None = None,
    custom_indicators: Mapping[str, CustomIndicator] | None = None,
) -> np.ndarray:
    """Metrics (n_sets, len(METRIC_NAMES)) for each parameter set, trading on rows [start, stop)."""
    stop = len(frame) if stop is None else stop
    check_window(start, stop, len(frame))
    frame = frame.iloc[:stop]
    cache = IndicatorCache(frame, custom_indicators)
    arrays = frame_arrays(frame, config)
    vol = config.size_type == "volatility"
    every = [*conditions.entry, *conditions.exit]
    set_list = [set_params(p, config) for p in param_sets]
    keys: dict[tuple, int] = {}
    set_group = np.empty(len(param_sets), dtype=np.int64)
    representative: list[tuple[Mapping[str, float], SetParams]] = []
    used_by_names: dict[frozenset[str], list[str]] = {}  # which names are parameters
    for s, params in enumerate(param_sets):
        names = frozenset(params)
        if names not in used_by_names:
            used_by_names[names] = condition_parameters(every, params, custom=cache.custom)
        used = used_by_names[names]
        key = _group_key(params, used, set_list[s], vol)
        if key not in keys:
            keys[key] = len(keys)
            representative.append((params, set_list[s]))
        set_group[s] = keys[key]
    results = np.zeros((len(param_sets), N_METRICS))
    chunk: list[tuple[int, CompiledRules, np.ndarray]] = []
    held = 0
    for g, (params, sp) in enumerate(representative):
        compiled = compile_conditions(conditions.entry, conditions.exit, params, cache)
        size_vol = cache.get("volatility", sp.vol_window) if vol else np.empty(0)
        if cache.nbytes > CACHE_BYTES:
            cache.clear()
        chunk.append((g, compiled, size_vol))
        held += _group_bytes(compiled, vol)
        if held >= CHUNK_BYTES or g == len(representative) - 1:
            _run_chunk(chunk, set_group, set_list, arrays, config, start, stop, results)
            chunk, held = [], 0
    return results


def _run_chunk(chunk, set_group, set_list, arrays, config, start, stop, results) -> None:
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
    chosen = [set_list[s] for s in members]
    args = (
        arrays.price, arrays.high, arrays.low, arrays.x_pool, arrays.y_pool, entries, exits,
        leaves, e_ops, e_args, e_len, x_ops, x_args, x_len, size_vols,
        np.array([local[int(set_group[s])] for s in members], dtype=np.int64),
        np.array([p.take_profit for p in chosen]), np.array([p.stop_loss for p in chosen]),
        np.array([p.order_size for p in chosen]),
        np.array([p.max_orders for p in chosen], dtype=np.int64),
        np.array([p.target_vol for p in chosen]), start, stop, config.init_cash, config.fees,
        config.slippage, SIZE_TYPES[config.size_type], arrays.stop_level, arrays.amm,
        config.pool_fee, arrays.ann, np.empty(0, dtype=TRADE_DTYPE),
    )  # fmt: skip
    # Sets differ in cost (exposure, trades): hand them to threads one by one, not in halves.
    previous = set_parallel_chunksize(1)
    try:
        out = grid_nb(*args)
    finally:
        set_parallel_chunksize(previous)
    results[members] = out
