"""Samplers that propose parameter sets: seeded random, grid, and Optuna TPE (ask/tell)."""

from __future__ import annotations

import itertools
import logging
import math
import warnings
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from vantageadapt.errors import ConfigError
from vantageadapt.optimize.space import ParamSpec, SearchSpace

SAMPLERS = ("random", "grid", "tpe")
ParamSet = dict[str, float]


class Sampler(Protocol):
    """Proposes parameter sets in batches and learns from their scores."""

    def ask(self, n: int) -> list[ParamSet]:
        """Up to n new parameter sets (fewer, or none, when the sampler is exhausted)."""
        ...

    def tell(self, params: Sequence[ParamSet], scores: Sequence[float]) -> None:
        """Report the scores of sets this sampler proposed."""
        ...


def _draw(spec: ParamSpec, rng: np.random.Generator, n: int) -> np.ndarray:
    values = spec.values()
    if values is not None:
        return np.asarray(values, dtype=np.float64)[rng.integers(0, len(values), size=n)]
    assert spec.low is not None and spec.high is not None
    if spec.kind == "log":
        return np.exp(rng.uniform(math.log(spec.low), math.log(spec.high), size=n))
    return rng.uniform(spec.low, spec.high, size=n)


class RandomSampler:
    """Independent uniform (log-uniform for log ranges) draws from a seeded generator."""

    def __init__(self, space: SearchSpace, *, seed: int = 0) -> None:
        self._space = space
        self._rng = np.random.default_rng(seed)

    def ask(self, n: int) -> list[ParamSet]:
        """n independent draws."""
        columns = {spec.name: _draw(spec, self._rng, n) for spec in self._space.params}
        return [{name: float(col[i]) for name, col in columns.items()} for i in range(n)]

    def tell(self, params: Sequence[ParamSet], scores: Sequence[float]) -> None:
        """Random search does not learn."""


def grid_axes(space: SearchSpace, budget: int) -> list[tuple[float, ...]]:
    """Per-parameter grid points (ends included) whose product stays within `budget`."""
    params = space.params
    counts = [1] * len(params)
    limits = [len(v) if (v := p.values()) is not None else budget for p in params]
    # Grow the axis with the fewest points while the product still fits the budget.
    while True:
        order = sorted(range(len(params)), key=lambda i: (counts[i], i))
        for i in order:
            if counts[i] < limits[i] and math.prod(counts) // counts[i] * (counts[i] + 1) <= budget:
                counts[i] += 1
                break
        else:
            break
    return [_axis(p, k) for p, k in zip(params, counts, strict=True)]


def _axis(spec: ParamSpec, k: int) -> tuple[float, ...]:
    values = spec.values()
    if values is not None:
        picks = np.unique(np.round(np.linspace(0, len(values) - 1, k)).astype(int))
        return tuple(values[i] for i in picks)
    assert spec.low is not None and spec.high is not None
    if k == 1:
        mid = math.sqrt(spec.low * spec.high) if spec.kind == "log" else (spec.low + spec.high) / 2
        return (mid,)
    if spec.kind == "log":
        return tuple(float(v) for v in np.geomspace(spec.low, spec.high, k))
    return tuple(float(v) for v in np.linspace(spec.low, spec.high, k))


class GridSampler:
    """The full grid from `grid_axes`, in a fixed order; exhausted after one pass."""

    def __init__(self, space: SearchSpace, *, budget: int) -> None:
        axes = grid_axes(space, budget)
        self._sets = [
            dict(zip(space.names, combo, strict=True)) for combo in itertools.product(*axes)
        ]
        self._next = 0

    def ask(self, n: int) -> list[ParamSet]:
        """The next n grid points."""
        batch = self._sets[self._next : self._next + n]
        self._next += len(batch)
        return batch

    def tell(self, params: Sequence[ParamSet], scores: Sequence[float]) -> None:
        """Grid search does not learn."""


class TPESampler:
    """Optuna's tree-structured Parzen estimator, driven by ask/tell in batches."""

    def __init__(self, space: SearchSpace, *, seed: int = 0, startup: int = 20) -> None:
        import optuna

        optuna.logging.set_verbosity(logging.WARNING)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            # constant_liar spreads the sets asked in one batch instead of repeating one guess
            sampler = optuna.samplers.TPESampler(
                seed=seed, n_startup_trials=startup, constant_liar=True
            )
        self._study = optuna.create_study(direction="maximize", sampler=sampler)
        self._space = space
        self._pending: list[tuple[object, ParamSet]] = []

    def _suggest(self, trial, spec: ParamSpec) -> float:
        if spec.kind == "choice":
            assert spec.choices is not None
            return float(trial.suggest_categorical(spec.name, list(spec.choices)))
        if spec.kind == "int" and spec.points is not None:
            return float(trial.suggest_categorical(spec.name, list(spec.values() or ())))
        if spec.kind == "int":
            return float(trial.suggest_int(spec.name, math.ceil(spec.low), math.floor(spec.high)))
        return float(trial.suggest_float(spec.name, spec.low, spec.high, log=spec.kind == "log"))

    def ask(self, n: int) -> list[ParamSet]:
        """n new trials from the study (the model updates between batches)."""
        batch = []
        for _ in range(n):
            trial = self._study.ask()
            params = {spec.name: self._suggest(trial, spec) for spec in self._space.params}
            self._pending.append((trial, params))
            batch.append(params)
        return batch

    def tell(self, params: Sequence[ParamSet], scores: Sequence[float]) -> None:
        """Report scores, matched to pending trials in the order they were asked."""
        for p, score in zip(params, scores, strict=True):
            trial, asked = self._pending.pop(0)
            if asked != p:
                raise ConfigError("TPE sampler told scores out of order; tell in ask order")
            value = float(score) if math.isfinite(score) else -1e12
            self._study.tell(trial, value)


def make_sampler(name: str, space: SearchSpace, *, seed: int, budget: int) -> Sampler:
    """The sampler called `name`; ConfigError for an unknown one."""
    if name == "random":
        return RandomSampler(space, seed=seed)
    if name == "grid":
        return GridSampler(space, budget=budget)
    if name == "tpe":
        return TPESampler(space, seed=seed, startup=min(20, max(1, budget // 4)))
    raise ConfigError(f"unknown sampler {name!r}; choose one of {', '.join(SAMPLERS)}")
