"""A search-scoped cache: an identical (data, rules, window, parameters) evaluation runs once."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence

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
    orders: dict[tuple[str, ...], tuple[str, ...]] = {}
    keys = []
    for params in param_sets:
        names = tuple(params)
        ordered = orders.get(names)
        if ordered is None:
            ordered = orders[names] = tuple(sorted(names))
        keys.append((*ordered, *map(float, map(params.__getitem__, ordered))))
    return keys


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

    def _rows(self, job: Job) -> dict[tuple, np.ndarray]:
        window = (self._fingerprints[job.symbol], self._rules, job.start, job.stop)
        return self._memory.setdefault(window, {})

    def run(self, jobs: Sequence[Job]) -> list[np.ndarray]:
        """One (n_sets, n_metrics) array per job; only unseen sets reach the executor."""
        param_keys: dict[int, list[tuple]] = {}  # jobs usually share one tuple of sets
        for job in jobs:
            if id(job.param_sets) not in param_keys:
                param_keys[id(job.param_sets)] = params_keys(job.param_sets)
        todo: list[tuple[Job, list[tuple]]] = []
        shared: dict[tuple, tuple] = {}  # equal fresh lists share one tuple: one kernel call
        for job in jobs:
            known = self._rows(job)
            keys = param_keys[id(job.param_sets)]
            fresh: dict[tuple, int] = {}  # key -> its first position in the job
            for i, key in enumerate(keys):
                if key not in known:
                    fresh.setdefault(key, i)
            if not fresh:
                continue
            if len(fresh) == len(keys):  # the usual case: every set is new and distinct
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
        for job in jobs:
            known = self._rows(job)
            rows = [known[key] for key in param_keys[id(job.param_sets)]]
            out.append(np.stack(rows) if rows else np.empty((0, 0)))
        fresh_count = sum(len(keys) for _, keys in todo)
        self.misses += fresh_count
        self.hits += sum(len(j.param_sets) for j in jobs) - fresh_count
        return out
