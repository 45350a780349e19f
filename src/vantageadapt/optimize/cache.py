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


def params_key(params: Mapping[str, float]) -> tuple[tuple[str, float], ...]:
    """A hashable, order-free key for one parameter set."""
    return tuple(sorted((k, float(v)) for k, v in params.items()))


class CachedRunner:
    """Runs jobs through an executor, answering repeats from memory."""

    def __init__(
        self, executor: Executor, fingerprints: Mapping[str, str], rules_hash: str
    ) -> None:
        self._executor = executor
        self._fingerprints = fingerprints
        self._rules = rules_hash
        self._memory: dict[tuple, np.ndarray] = {}
        self.hits = 0
        self.misses = 0

    def run(self, jobs: Sequence[Job]) -> list[np.ndarray]:
        """One (n_sets, n_metrics) array per job; only unseen sets reach the executor."""
        param_keys: dict[int, list[tuple]] = {}  # jobs usually share one tuple of sets
        for job in jobs:
            if id(job.param_sets) not in param_keys:
                param_keys[id(job.param_sets)] = [params_key(p) for p in job.param_sets]
        todo: list[tuple[Job, tuple, list[tuple]]] = []
        shared: dict[tuple, tuple] = {}  # equal fresh lists share one tuple: one kernel call
        for job in jobs:
            window = (self._fingerprints[job.symbol], self._rules, job.start, job.stop)
            fresh, fresh_keys, seen = [], [], set()
            for p, key in zip(job.param_sets, param_keys[id(job.param_sets)], strict=True):
                if (window, key) not in self._memory and key not in seen:
                    seen.add(key)
                    fresh.append(p)
                    fresh_keys.append(key)
            if fresh:
                sets = shared.setdefault(tuple(fresh_keys), tuple(fresh))
                todo.append((Job(job.symbol, job.start, job.stop, sets), window, fresh_keys))
        results = self._executor.run([job for job, _, _ in todo])
        for (_, window, keys), rows in zip(todo, results, strict=True):
            for key, row in zip(keys, rows, strict=True):
                self._memory[(window, key)] = row
        out = []
        for job in jobs:
            window = (self._fingerprints[job.symbol], self._rules, job.start, job.stop)
            rows = [self._memory[(window, key)] for key in param_keys[id(job.param_sets)]]
            out.append(np.stack(rows) if rows else np.empty((0, 0)))
        fresh_count = sum(len(keys) for _, _, keys in todo)
        self.misses += fresh_count
        self.hits += sum(len(j.param_sets) for j in jobs) - fresh_count
        return out
