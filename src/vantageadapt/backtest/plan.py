"""A batch's plan: which distinct signals its parameter sets read (the same on every asset),
and those signals' arrays on one asset."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from vantageadapt.backtest.config import EngineConfig, set_table
from vantageadapt.errors import RuleError
from vantageadapt.models import Conditions
from vantageadapt.rules import CompiledRules, IndicatorCache, check_rules
from vantageadapt.rules.checks import condition_parameters, has_position_terms
from vantageadapt.rules.compiler import (
    build_condition,
    compile_checked,
    condition_array,
    condition_key,
)
from vantageadapt.rules.parser import names_in, parse_condition
from vantageadapt.rules.terms import find_term
from vantageadapt.rules.threads import worker_threads

_ALL = ""  # key of every parameter any condition reads, in the reads (no condition is "")


class SetLayout:
    """What a batch of parameter sets needs on any asset, worked out once for all of them:
    the kernel's set records and sizing windows, the distinct static condition arrays
    (`jobs`: condition, a set reading it, the parameter names it reads), each set's distinct
    signal (`signal_of`) and the rows of them each signal's entry ANDs and exit ORs
    (`first_rows`), and the position-term program group each set reads (`groups`: the first
    set of each, its sizing window)."""

    def __init__(
        self,
        conditions: Conditions,
        param_sets: Sequence[Mapping[str, float]],
        config: EngineConfig,
        custom: frozenset[str] = frozenset(),
    ) -> None:
        # Structure once; each condition's values are checked as it resolves (on first use).
        check_rules(conditions.entry, conditions.exit, param_sets[0], custom=custom)
        self.custom = custom
        self.vol = config.size_type == "volatility"
        self.sets, vol_windows = set_table(param_sets, config)
        self.static_entry = [c for c in conditions.entry if not has_position_terms(c)]
        self.static_exit = [c for c in conditions.exit if not has_position_terms(c)]
        self.program_entry = [c for c in conditions.entry if has_position_terms(c)]
        self.program_exit = [c for c in conditions.exit if has_position_terms(c)]
        self._every = [*conditions.entry, *conditions.exit]
        self.jobs: list[tuple[str, Mapping[str, float], list[str]]] = []
        self.groups: list[tuple[Mapping[str, float], int]] = []
        self._job_ids: dict[tuple, int] = {}
        self._group_ids: dict[tuple, int] = {}
        self._indicators: dict[int, list[tuple[str, int]]] = {}
        firsts, which = self._distinct_signals(param_sets, vol_windows)
        rows = [self._signal(params, window, reads) for params, window, reads in firsts]
        n = len(rows)
        entry = np.array([r[0] for r in rows], np.int64).reshape(n, len(self.static_entry))
        exit_ = np.array([r[1] for r in rows], np.int64).reshape(n, len(self.static_exit))
        self.set_group = np.array([r[2] for r in rows], dtype=np.int64)[which]
        self.signal_of = which  # each set's distinct signal
        self.first_rows = np.concatenate([entry, exit_], axis=1)  # per signal: entry, exit rows

    def indicators(self, job: int) -> list[tuple[str, int]]:
        """The (name, window) built-in indicators condition array `job` reads (worked out
        on first use, for every asset)."""
        if job not in self._indicators:
            self._indicators[job] = _indicators(*self.jobs[job][:2])
        return self._indicators[job]

    def _distinct_signals(self, param_sets, vol_windows):
        """Sets that agree on every number the signals read share one signal (most of a
        search's sets differ only in stops and sizes): the first set of each, and per set
        which one it shares."""
        signals: dict[tuple, int] = {}
        firsts: list[tuple[Mapping[str, float], int, dict[str, list[str]]]] = []
        orders: dict[tuple[str, ...], dict[str, list[str]]] = {}
        by_names: dict[frozenset[str], dict[str, list[str]]] = {}
        which: list[int] = []
        for params, window in zip(param_sets, vol_windows.tolist(), strict=True):
            names = tuple(params)
            reads = orders.get(names)
            if reads is None:
                reads = orders[names] = self._reads_of(params, by_names)
            read = reads[_ALL]
            key = (id(read), *map(float, map(params.__getitem__, read)), window * self.vol)
            signal = signals.get(key)
            if signal is None:
                signal = signals[key] = len(firsts)
                firsts.append((params, window, reads))
            which.append(signal)
        return firsts, np.array(which, dtype=np.int64)

    def _reads_of(self, params, by_names) -> dict[str, list[str]]:
        names = frozenset(params)
        if names not in by_names:
            custom = self.custom
            reads = {c: condition_parameters([c], params, custom=custom) for c in self._every}
            reads[_ALL] = list(dict.fromkeys(n for c in self._every for n in reads[c]))
            by_names[names] = reads
        return by_names[names]

    def _signal(self, params, vol_window: int, reads) -> tuple[list[int], list[int], int]:
        entry = [self._row(c, params, reads[c]) for c in self.static_entry]
        exit_ = [self._row(c, params, reads[c]) for c in self.static_exit]
        positional = [*self.program_entry, *self.program_exit]
        key = tuple((c, *(float(params[n]) for n in reads[c])) for c in positional)
        if self.vol:
            key = (*key, vol_window)
        group = self._group_ids.get(key)
        if group is None:
            group = self._group_ids[key] = len(self.groups)
            self.groups.append((params, vol_window))
        return entry, exit_, group

    def _row(self, condition: str, params: Mapping[str, float], reads: list[str]) -> int:
        key = (condition, *map(float, map(params.__getitem__, reads)))
        row = self._job_ids.get(key)
        if row is None:
            row = self._job_ids[key] = len(self.jobs)
            self.jobs.append((condition, params, reads))
        return row


class AssetSignals:
    """A layout's condition arrays and position-term programs on one asset's rows."""

    def __init__(self, layout: SetLayout, cache: IndicatorCache) -> None:
        self.layout, self.cache = layout, cache
        self.rows = cache.rows
        # Built-in conditions are causal: each is built (and stored) once over the whole
        # frame and cut, so windows, horizons and searches on the asset share it. Custom
        # indicators are not trusted to be causal: with them, only rows before the horizon.
        whole = cache.custom or cache.rows == len(cache.frame)
        self.whole = (
            cache if whole else IndicatorCache(cache.frame, store=cache.store, key=cache.key)
        )
        self.conditions = self._conditions()
        self.programs: list[tuple[CompiledRules, np.ndarray]] = []
        for params, vol_window in layout.groups:
            compiled = compile_checked(layout.program_entry, layout.program_exit, params, cache)
            size_vol = cache.get("volatility", vol_window) if layout.vol else np.empty(0)
            self.programs.append((compiled, size_vol))

    def _conditions(self) -> np.ndarray:
        """The layout's distinct condition arrays, one row each: stored ones looked up, the
        others built side by side when there are several (their indicator kernels and
        comparisons release the GIL; custom workspace code runs one call at a time)."""
        whole, jobs = self.whole, self.layout.jobs
        if not jobs:
            return np.zeros((0, self.rows), dtype=bool)
        if whole.custom:  # the compiler decides which of them the store may keep
            arrays = [condition_array(c, params, whole) for c, params, _ in jobs]
            return np.stack([a[: self.rows] for a in arrays])
        keys = [condition_key(whole, c, params, reads) for c, params, reads in jobs]
        missing = [i for i, key in enumerate(keys) if key not in whole.store]

        def one(i: int) -> np.ndarray:
            condition, params, _ = jobs[i]
            return whole.store.get(keys[i], lambda: build_condition(condition, params, whole))

        built = {}
        if len(missing) > 1:
            reads = {i: self.layout.indicators(i) for i in missing}
            whole.prefetch(pair for i in missing for pair in reads[i])
            # Conditions on indicators still to compute go to the threads; the rest are
            # comparisons of stored arrays, quicker here than handed out.
            slow = [i for i in missing if not all(whole.stored(*pair) for pair in reads[i])]
            if len(slow) > 1:
                built = dict(zip(slow, worker_threads().map(one, slow), strict=True))
        out = np.empty((len(jobs), self.rows), dtype=bool)
        for i in range(len(jobs)):
            array = built[i] if i in built else one(i)
            out[i] = array[: self.rows]
        return out


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
