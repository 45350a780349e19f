"""The fast path: many parameter sets of one rule set on one asset, metrics only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from vantageadapt.backtest.config import (
    EngineConfig,
    engine_record,
    for_window,
    market_arrays,
    stored_frame_arrays,
)
from vantageadapt.backtest.engine import check_window
from vantageadapt.backtest.kernels import curves_nb, grid_nb
from vantageadapt.backtest.layout import N_METRICS
from vantageadapt.backtest.plan import AssetSignals, SetLayout
from vantageadapt.models import Conditions
from vantageadapt.rules import CompiledRules, IndicatorCache
from vantageadapt.rules.indicator_store import IndicatorStore, default_store
from vantageadapt.rules.indicators import CustomIndicator

# Signal arrays stacked at once per kernel call: memory stays O(rows + sets) however many
# distinct windows a search tries.
CHUNK_BYTES = 256 * 2**20


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
    layout: SetLayout | None = None,
) -> np.ndarray:
    """Metrics (n_windows, n_sets, len(METRIC_NAMES)): each set traded on each row window.

    Window (start, stop) is the same as `evaluate_grid(..., start=start, stop=stop)`: rows
    from `stop` on do not exist for it. Each distinct condition array is built once for all
    sets and windows (indicators are causal), position-term programs once per distinct group,
    and every (set, window) runs in one parallel kernel call. `layout`: `set_layout` of
    these conditions, sets and settings, when the caller runs them on several assets.
    """
    for start, stop in windows:
        check_window(start, stop, len(frame))
    results = np.zeros((len(windows), len(param_sets), N_METRICS))
    if not windows or not param_sets:
        return results
    if not config.resolved:  # one setting for every window of this call
        config = config.resolve([frame], [frame.index[a:b] for a, b in windows])
    horizon = max(stop for _, stop in windows)
    layout = layout or set_layout(conditions, param_sets, config, custom_indicators)
    batch = _Batch(frame, layout, config, horizon, custom_indicators, store, key)
    engines = np.stack([batch.engine] * len(windows))
    spans = np.array(windows, dtype=np.int64)
    # Threads take equal shares of the (set, window) jobs (numba's static schedule): handing
    # them out one by one cost about 10 us a job, more than the uneven shares it evened out.
    for members, rows, programs, sets in batch.chunks():
        results[:, members] = grid_nb(batch.market, rows, programs, engines, sets, spans)
    return results


def equity_curves(
    frame: pd.DataFrame,
    conditions: Conditions,
    param_sets: Sequence[Mapping[str, float]],
    config: EngineConfig,
    *,
    start: int,
    stop: int,
    custom_indicators: Mapping[str, CustomIndicator] | None = None,
    store: IndicatorStore | None = None,
    key: str | None = None,
    layout: SetLayout | None = None,
) -> np.ndarray:
    """Equity (n_sets, stop - start) of each set traded on rows [start, stop), in one call.

    Row i equals `run_backtest(frame.iloc[:stop], rules, config, start=start).equity`, for
    `config` resolved (an unresolved one is settled for these rows). `key`: the frame's
    `content_key`, when the caller has it; `layout` as for `evaluate_windows`.
    """
    check_window(start, stop, len(frame))
    if not param_sets or stop == start:
        return np.zeros((len(param_sets), stop - start))
    config = for_window(config, frame.iloc[:stop], start, stop)
    layout = layout or set_layout(conditions, param_sets, config, custom_indicators)
    batch = _Batch(frame, layout, config, stop, custom_indicators, store, key)
    engines = np.stack([batch.engine])
    parts = [
        (members, curves_nb(batch.market, rows, programs, engines, sets, start, stop))
        for members, rows, programs, sets in batch.chunks()
    ]
    if len(parts) == 1:  # one kernel call ran every set in order: its curves are the answer
        return parts[0][1]
    curves = np.zeros((len(param_sets), stop - start))
    for members, part in parts:
        curves[members] = part
    return curves


def set_layout(
    conditions: Conditions,
    param_sets: Sequence[Mapping[str, float]],
    config: EngineConfig,
    custom_indicators: Mapping[str, CustomIndicator] | None = None,
) -> SetLayout:
    """Which signals and programs these sets read, the same on every asset (work it out once
    for a batch run on several assets)."""
    return SetLayout(conditions, param_sets, config, frozenset(custom_indicators or ()))


class _Batch:
    """A batch of sets on one frame, ready for the kernels: market, engine, signals."""

    def __init__(self, frame, layout, config, horizon, custom_indicators, store, key) -> None:
        store = store if store is not None else default_store()
        cache = IndicatorCache(frame, custom_indicators, stop=horizon, store=store, key=key)
        self.layout = layout
        self.signals = AssetSignals(layout, cache)
        # Periods per year count all the frame's rows, so every window of an asset shares them.
        arrays = stored_frame_arrays(frame, config, cache.key, store)
        self.engine = engine_record(config, arrays)
        self.market = tuple(a[:horizon] if a.shape[0] else a for a in market_arrays(arrays))

    def chunks(self):
        """(set positions, signals, programs, set records) per kernel call."""
        layout, programs = self.layout, self.signals.programs
        set_group = layout.set_group
        chunk: list[int] = []
        held = 0
        for g, (compiled, size_vol) in enumerate(programs):
            chunk.append(g)
            held += compiled.leaves.nbytes + size_vol.nbytes
            if held >= CHUNK_BYTES or g == len(programs) - 1:
                if len(chunk) == len(programs):
                    members = np.arange(len(set_group))
                else:
                    members = np.flatnonzero(np.isin(set_group, chunk))
                stacked, local = _stack_programs([programs[i] for i in chunk], chunk)
                groups = np.array([local[int(k)] for k in set_group[members]], dtype=np.int64)
                sets = layout.sets[members]
                sets["group"] = groups
                signals = _combine(self.signals.conditions, layout, members)
                yield members, signals, stacked, sets
                chunk, held = [], 0


def _combine(arrays: np.ndarray, layout: SetLayout, members: np.ndarray):
    """The kernel's signals tuple for some sets: (entries, exits, signal of each set).

    Each distinct (entry rows, exit rows) of `arrays` the sets read is combined once: the
    AND of its entry rows (all true for none) and the OR of its exit rows (all false for
    none)."""
    firsts, first_of = np.unique(layout.signal_of[members], return_inverse=True)
    distinct, signal = np.unique(layout.first_rows[firsts], axis=0, return_inverse=True)
    n_entry = len(layout.static_entry)
    entries = np.ones((len(distinct), arrays.shape[1]), dtype=bool)
    exits = np.zeros((len(distinct), arrays.shape[1]), dtype=bool)
    for g, row in enumerate(distinct):
        entry, exit_ = row[:n_entry], row[n_entry:]
        if entry.size:
            np.logical_and.reduce(arrays[entry], axis=0, out=entries[g])
        if exit_.size:
            np.logical_or.reduce(arrays[exit_], axis=0, out=exits[g])
    return entries, exits, signal.ravel()[first_of.ravel()].astype(np.int64)


def _stack_programs(chosen: list[tuple[CompiledRules, np.ndarray]], ids: list[int]):
    """The kernel's program tuple for some groups, and group id -> row in it."""
    compiled = [c for c, _ in chosen]
    rows = compiled[0].entry.shape[0]
    n_leaves = max(c.leaves.shape[0] for c in compiled)
    leaves = np.zeros((len(chosen), n_leaves, rows))
    for i, c in enumerate(compiled):
        leaves[i, : c.leaves.shape[0]] = c.leaves
    e_ops, e_len = _pad([c.entry_program.ops for c in compiled], np.int64)
    e_args, _ = _pad([c.entry_program.args for c in compiled], np.float64)
    x_ops, x_len = _pad([c.exit_program.ops for c in compiled], np.int64)
    x_args, _ = _pad([c.exit_program.args for c in compiled], np.float64)
    vols = [v for _, v in chosen]
    size_vols = np.stack(vols) if vols[0].shape[0] else np.empty((len(chosen), 0))
    programs = (leaves, e_ops, e_args, e_len, x_ops, x_args, x_len, size_vols)
    return programs, {g: i for i, g in enumerate(ids)}
