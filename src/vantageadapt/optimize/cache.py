"""A search-scoped cache: an identical (data, rules, window, parameters) evaluation runs once."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter

import numpy as np

from vantageadapt.models import TradingRules
from vantageadapt.optimize.executors import Executor, Job


def rules_key(rules: TradingRules, fixed: Mapping[str, float]) -> str:
    """A stable key for the conditions and the parameters the search does not vary."""
    payload = {"conditions": rules.conditions.model_dump(), "fixed": dict(sorted(fixed.items()))}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def params_keys(param_sets: Sequence[Mapping[str, float]]) -> list[tuple]:
    """A hashable, order-free key for each parameter set: its names sorted, then its values
    as floats (the names' order is sorted once per distinct order, not once per set)."""
    orders: dict[tuple[str, ...], tuple[tuple[str, ...], Callable]] = {}
    keys = []
    for params in param_sets:
        names = tuple(params)
        known = orders.get(names)
        if known is None:
            ordered = tuple(sorted(names))
            known = orders[names] = (ordered, _values_getter(ordered))
        ordered, values = known
        keys.append((*ordered, *map(float, values(params))))
    return keys


def _values_getter(names: tuple[str, ...]) -> Callable[[Mapping[str, float]], tuple]:
    """A set's values of `names`, as a tuple, in that order."""
    if len(names) > 1:
        return itemgetter(*names)
    return lambda params: tuple(params[n] for n in names)


class CachedRunner:
    """Runs jobs through an executor, answering repeats from memory."""

    def __init__(
        self, executor: Executor, fingerprints: Mapping[str, str], rules_hash: str
    ) -> None:
        self._executor = executor
        self._fingerprints = fingerprints
        self._rules = rules_hash
        self._memory: dict[tuple, dict[tuple, np.ndarray]] = {}  # window -> set key -> row
        self.hits = 0
        self.misses = 0
        self._last: tuple[tuple, list[tuple], bool] = ((), [], True)

    def _rows(self, job: Job) -> dict[tuple, np.ndarray]:
        window = (self._fingerprints[job.symbol], self._rules, job.start, job.stop)
        return self._memory.setdefault(window, {})

    def _keys(self, param_sets: tuple) -> tuple[list[tuple], bool]:
        """The sets' keys and whether they are distinct, worked out once per tuple (a search
        runs each batch's one tuple on every asset in turn)."""
        known, keys, distinct = self._last
        if known is not param_sets:
            keys = params_keys(param_sets)
            distinct = len(set(keys)) == len(keys)
            self._last = (param_sets, keys, distinct)
        return keys, distinct

    def run(self, jobs: Sequence[Job]) -> list[np.ndarray]:
        """One (n_sets, n_metrics) array per job; only unseen sets reach the executor."""
        param_keys: dict[int, tuple[list[tuple], bool]] = {}  # jobs usually share one tuple
        for job in jobs:
            if id(job.param_sets) not in param_keys:
                param_keys[id(job.param_sets)] = self._keys(job.param_sets)
        todo: list[tuple[Job, list[tuple]]] = []
        shared: dict[tuple, tuple] = {}  # equal fresh lists share one tuple: one kernel call
        whole: dict[int, tuple] = {}  # a job's own tuple -> the shared one, when all fresh
        direct: dict[int, int] = {}  # job -> its todo entry, when that is all its sets
        for j, job in enumerate(jobs):
            known = self._rows(job)
            keys, distinct = param_keys[id(job.param_sets)]
            if keys and distinct and not known:  # usual: every set is new and distinct
                if id(job.param_sets) not in whole:
                    whole[id(job.param_sets)] = shared.setdefault(tuple(keys), job.param_sets)
                sets = whole[id(job.param_sets)]
                direct[j] = len(todo)
                todo.append((Job(job.symbol, job.start, job.stop, sets), keys))
                continue
            fresh: dict[tuple, int] = {}  # key -> its first position in the job
            for i, key in enumerate(keys):
                if key not in known:
                    fresh.setdefault(key, i)
            if not fresh:
                continue
            if len(fresh) == len(keys):
                fresh_keys, sets = keys, job.param_sets
            else:
                fresh_keys = list(fresh)
                sets = tuple(job.param_sets[i] for i in fresh.values())
            sets = shared.setdefault(tuple(fresh_keys), tuple(sets))
            todo.append((Job(job.symbol, job.start, job.stop, sets), fresh_keys))
        results = self._executor.run([job for job, _ in todo])
        for (job, keys), rows in zip(todo, results, strict=True):
            self._rows(job).update(zip(keys, rows, strict=True))
        out = []
        for j, job in enumerate(jobs):
            if j in direct:
                out.append(results[direct[j]])
                continue
            known = self._rows(job)
            rows = [known[key] for key in param_keys[id(job.param_sets)][0]]
            out.append(np.stack(rows) if rows else np.empty((0, 0)))
        fresh_count = sum(len(keys) for _, keys in todo)
        self.misses += fresh_count
        self.hits += sum(len(j.param_sets) for j in jobs) - fresh_count
        return out
