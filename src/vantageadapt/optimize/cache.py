"""A run-scoped cache: an identical (data, rules, window, parameters) evaluation runs once."""

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

    def _key(self, job: Job, params: Mapping[str, float]) -> tuple:
        fingerprint = self._fingerprints[job.symbol]
        return (fingerprint, self._rules, job.start, job.stop, params_key(params))

    def run(self, jobs: Sequence[Job]) -> list[np.ndarray]:
        """One (n_sets, n_metrics) array per job; only unseen sets reach the executor."""
        todo: list[Job] = []
        for job in jobs:
            fresh, seen = [], set()
            for p in job.param_sets:
                key = self._key(job, p)
                if key not in self._memory and key not in seen:
                    seen.add(key)
                    fresh.append(p)
            if fresh:
                todo.append(Job(job.symbol, job.start, job.stop, tuple(fresh)))
        for job, rows in zip(todo, self._executor.run(todo), strict=True):
            for p, row in zip(job.param_sets, rows, strict=True):
                self._memory[self._key(job, p)] = row
        out = []
        for job in jobs:
            keys = [self._key(job, p) for p in job.param_sets]
            out.append(np.stack([self._memory[k] for k in keys]) if keys else np.empty((0, 0)))
        fresh_count = sum(len(j.param_sets) for j in todo)
        self.misses += fresh_count
        self.hits += sum(len(j.param_sets) for j in jobs) - fresh_count
        return out
