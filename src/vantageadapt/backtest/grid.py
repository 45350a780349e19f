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
    set_table,
    stored_frame_arrays,
)
from vantageadapt.backtest.engine import check_window
from vantageadapt.backtest.kernels import curves_nb, grid_nb
from vantageadapt.backtest.layout import N_METRICS
from vantageadapt.errors import RuleError
from vantageadapt.models import Conditions
from vantageadapt.rules import CompiledRules, IndicatorCache, check_rules
from vantageadapt.rules.checks import condition_parameters, has_position_terms
from vantageadapt.rules.compiler import compile_checked, condition_array
from vantageadapt.rules.indicator_store import IndicatorStore, default_store
from vantageadapt.rules.indicators import CustomIndicator
from vantageadapt.rules.parser import names_in, parse_condition
from vantageadapt.rules.terms import find_term
from vantageadapt.rules.threads import worker_threads

# Signal arrays stacked at once per kernel call: memory stays O(rows + sets) however many
# distinct windows a search tries.
CHUNK_BYTES = 256 * 2**20
_ALL = ""  # key of every parameter any condition reads, in _Plan's reads (no condition is "")


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
    from `stop` on do not exist for it. Each distinct condition array is built once for all
    sets and windows (indicators are causal), position-term programs once per distinct group,
    and every (set, window) runs in one parallel kernel call.
    """
    for start, stop in windows:
        check_window(start, stop, len(frame))
    results = np.zeros((len(windows), len(param_sets), N_METRICS))
    if not windows or not param_sets:
        return results
    if not config.resolved:  # one setting for every window of this call
        config = config.resolve([frame], [frame.index[a:b] for a, b in windows])
    horizon = max(stop for _, stop in windows)
    batch = _Batch(frame, conditions, param_sets, config, horizon, custom_indicators, store, key)
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
) -> np.ndarray:
    """Equity (n_sets, stop - start) of each set traded on rows [start, stop), in one call.

    Row i equals `run_backtest(frame.iloc[:stop], rules, config, start=start).equity`, for
    `config` resolved (an unresolved one is settled for these rows). `key`: the frame's
    `content_key`, when the caller has it.
    """
    check_window(start, stop, len(frame))
    curves = np.zeros((len(param_sets), stop - start))
    if not param_sets or stop == start:
        return curves
    config = for_window(config, frame.iloc[:stop], start, stop)
    batch = _Batch(frame, conditions, param_sets, config, stop, custom_indicators, store, key)
    for members, rows, programs, sets in batch.chunks():
        engines = np.stack([batch.engine])
        curves[members] = curves_nb(batch.market, rows, programs, engines, sets, start, stop)
    return curves


class _Batch:
    """A batch of sets on one frame, ready for the kernels: market, engine, signals."""

    def __init__(
        self, frame, conditions, param_sets, config, horizon, custom_indicators, store, key
    ) -> None:
        store = store if store is not None else default_store()
        cache = IndicatorCache(frame, custom_indicators, stop=horizon, store=store, key=key)
        self.plan = _Plan(conditions, cache, config.size_type == "volatility")
        # Structure once; each condition's values are checked as it resolves (on first use).
        check_rules(conditions.entry, conditions.exit, param_sets[0], custom=cache.custom)
        self.sets, vol_windows = set_table(param_sets, config)
        self.plan.add(param_sets, vol_windows)
        # Periods per year count all the frame's rows, so every window of an asset shares them.
        arrays = stored_frame_arrays(frame, config, cache.key, store)
        self.engine = engine_record(config, arrays)
        self.market = tuple(a[:horizon] if a.shape[0] else a for a in market_arrays(arrays))

    def chunks(self):
        """(set positions, signals, programs, set records) per kernel call."""
        plan = self.plan
        arrays = plan.arrays()
        set_group = plan.set_group
        chunk: list[int] = []
        held = 0
        for g, (compiled, size_vol) in enumerate(plan.programs):
            chunk.append(g)
            held += compiled.leaves.nbytes + size_vol.nbytes
            if held >= CHUNK_BYTES or g == len(plan.programs) - 1:
                members = np.flatnonzero(np.isin(set_group, chunk))
                programs, local = _stack_programs([plan.programs[i] for i in chunk], chunk)
                groups = np.array([local[int(k)] for k in set_group[members]], dtype=np.int64)
                sets = self.sets[members]
                sets["group"] = groups
                rows = np.concatenate([plan.entry_rows[members], plan.exit_rows[members]], 1)
                yield members, _combine(arrays, rows, plan.entry_rows.shape[1]), programs, sets
                chunk, held = [], 0


class _Plan:
    """Which distinct condition arrays and position-term programs a batch of sets needs."""

    def __init__(self, conditions: Conditions, cache: IndicatorCache, vol: bool) -> None:
        self.cache, self.vol = cache, vol
        # Built-in conditions are causal: each is built (and stored) once over the whole
        # frame and cut, so windows, horizons and searches on the asset share it. Custom
        # indicators are not trusted to be causal: with them, only rows before the horizon.
        whole = cache.custom or cache.rows == len(cache.frame)
        self.whole = (
            cache if whole else IndicatorCache(cache.frame, store=cache.store, key=cache.key)
        )
        every = [*conditions.entry, *conditions.exit]
        self.static_entry = [c for c in conditions.entry if not has_position_terms(c)]
        self.static_exit = [c for c in conditions.exit if not has_position_terms(c)]
        self.program_entry = [c for c in conditions.entry if has_position_terms(c)]
        self.program_exit = [c for c in conditions.exit if has_position_terms(c)]
        self.every = every
        self._reads: dict[frozenset[str], dict[str, list[str]]] = {}
        self._conds: dict[tuple, int] = {}
        self._arrays: list[np.ndarray] = []
        self._groups: dict[tuple, int] = {}
        self.programs: list[tuple[CompiledRules, np.ndarray]] = []
        # Per set: the condition rows its entry ANDs and its exit ORs, its program group.
        self.entry_rows = np.zeros((0, len(self.static_entry)), dtype=np.int64)
        self.exit_rows = np.zeros((0, len(self.static_exit)), dtype=np.int64)
        self.set_group = np.zeros(0, dtype=np.int64)

    def _reads_of(self, params: Mapping[str, float]) -> dict[str, list[str]]:
        names = frozenset(params)
        if names not in self._reads:
            custom = self.cache.custom
            reads = {c: condition_parameters([c], params, custom=custom) for c in self.every}
            reads[_ALL] = list(dict.fromkeys(n for c in self.every for n in reads[c]))
            self._reads[names] = reads
        return self._reads[names]

    def _row(self, condition: str, params: Mapping[str, float], reads: list[str]) -> int:
        key = (condition, *map(float, map(params.__getitem__, reads)))
        row = self._conds.get(key)
        if row is None:
            row = self._conds[key] = len(self._arrays)
            self._arrays.append(condition_array(condition, params, self.whole)[: self.cache.rows])
        return row

    def add(self, param_sets: Sequence[Mapping[str, float]], vol_windows: np.ndarray) -> None:
        """Register the batch's sets (once): their condition rows and program groups."""
        # Sets that agree on every number the signals read share one signal (most of a
        # search's sets differ only in stops and sizes): each distinct one is built once.
        signals: dict[tuple, int] = {}
        firsts: list[tuple[Mapping[str, float], int, dict[str, list[str]]]] = []
        orders: dict[tuple[str, ...], dict[str, list[str]]] = {}
        which: list[int] = []
        for params, window in zip(param_sets, vol_windows.tolist(), strict=True):
            names = tuple(params)
            reads = orders.get(names)
            if reads is None:
                reads = orders[names] = self._reads_of(params)
            read = reads[_ALL]
            key = (id(read), *map(float, map(params.__getitem__, read)), window * self.vol)
            signal = signals.get(key)
            if signal is None:
                signal = signals[key] = len(firsts)
                firsts.append((params, window, reads))
            which.append(signal)
        self._build_rows(firsts)
        built = [self._signal(params, window, reads) for params, window, reads in firsts]
        n = len(built)
        entry = np.array([b[0] for b in built], np.int64).reshape(n, len(self.static_entry))
        exit_ = np.array([b[1] for b in built], np.int64).reshape(n, len(self.static_exit))
        self.entry_rows, self.exit_rows = entry[which], exit_[which]
        self.set_group = np.array([b[2] for b in built], dtype=np.int64)[which]

    def _build_rows(self, firsts) -> None:
        """Build the distinct static condition arrays the signals read side by side (their
        indicator kernels and comparisons release the GIL), rows in the order `_row` gives."""
        todo: dict[tuple, tuple[str, Mapping[str, float]]] = {}
        for params, _, reads in firsts:
            for condition in (*self.static_entry, *self.static_exit):
                key = (condition, *map(float, map(params.__getitem__, reads[condition])))
                if key not in self._conds:
                    todo.setdefault(key, (condition, params))
        if self.cache.custom or len(todo) < 2:  # custom (workspace) code: one call at a time
            return
        self.whole.prefetch(pair for job in todo.values() for pair in _indicators(*job))
        arrays = worker_threads().map(
            lambda job: condition_array(job[0], job[1], self.whole), todo.values()
        )
        for key, array in zip(todo, arrays, strict=True):
            self._conds[key] = len(self._arrays)
            self._arrays.append(array[: self.cache.rows])

    def _signal(self, params, vol_window: int, reads) -> tuple[list[int], list[int], int]:
        entry = [self._row(c, params, reads[c]) for c in self.static_entry]
        exit_ = [self._row(c, params, reads[c]) for c in self.static_exit]
        positional = [*self.program_entry, *self.program_exit]
        key = tuple((c, *(float(params[n]) for n in reads[c])) for c in positional)
        if self.vol:
            key = (*key, vol_window)
        group = self._groups.get(key)
        if group is None:
            group = self._groups[key] = len(self.programs)
            compiled = compile_checked(self.program_entry, self.program_exit, params, self.cache)
            size_vol = self.cache.get("volatility", vol_window) if self.vol else np.empty(0)
            self.programs.append((compiled, size_vol))
        return entry, exit_, group

    def arrays(self) -> np.ndarray:
        """The distinct condition arrays, one row each."""
        if not self._arrays:
            return np.zeros((0, self.cache.rows), dtype=bool)
        return np.stack(self._arrays)


def _indicators(condition: str, params: Mapping[str, float]) -> list[tuple[str, int]]:
    """The (name, window) built-in indicators a condition reads with these parameters (a
    term in error is left to the compiler, which reports it where it meets it)."""
    found = []
    for text in names_in(parse_condition(condition)):
        try:
            term = find_term(text, condition, params, set())
        except RuleError:
            continue
        if term is not None and term.kind == "indicator":
            found.append((term.name, term.window))
    return found


def _combine(arrays: np.ndarray, rows: np.ndarray, n_entry: int):
    """The kernel's signals tuple: (entries, exits, signal of each set).

    rows[s] holds set s's entry rows of `arrays` (the first n_entry columns), then its exit
    rows. Each distinct row is combined once: the AND of its entry rows (all true for none)
    and the OR of its exit rows (all false for none)."""
    distinct, signal = np.unique(rows, axis=0, return_inverse=True)
    entries = np.ones((len(distinct), arrays.shape[1]), dtype=bool)
    exits = np.zeros((len(distinct), arrays.shape[1]), dtype=bool)
    for g, row in enumerate(distinct):
        entry, exit_ = row[:n_entry], row[n_entry:]
        if entry.size:
            np.logical_and.reduce(arrays[entry], axis=0, out=entries[g])
        if exit_.size:
            np.logical_or.reduce(arrays[exit_], axis=0, out=exits[g])
    return entries, exits, signal.ravel().astype(np.int64)


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
