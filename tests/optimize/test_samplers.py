"""Samplers: seeded random draws, budgeted grids with ends, TPE ask/tell."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vantageadapt.errors import ConfigError
from vantageadapt.optimize import ParamSpec, SearchSpace
from vantageadapt.optimize.samplers import GridSampler, RandomSampler, grid_axes, make_sampler

SPACE = SearchSpace(
    params=(
        ParamSpec(name="tp", kind="float", low=0.05, high=0.3),
        ParamSpec(name="n", kind="int", low=1, high=5),
        ParamSpec(name="vol", kind="log", low=0.001, high=0.1),
        ParamSpec(name="w", kind="choice", choices=(10.0, 20.0, 50.0)),
    )
)


def _inside(p: dict[str, float]) -> bool:
    return (
        0.05 <= p["tp"] <= 0.3
        and p["n"] in (1, 2, 3, 4, 5)
        and 0.001 <= p["vol"] <= 0.1
        and p["w"] in (10.0, 20.0, 50.0)
    )


def test_random_is_seeded_and_in_range():
    a = RandomSampler(SPACE, seed=7).ask(50)
    b = RandomSampler(SPACE, seed=7).ask(50)
    c = RandomSampler(SPACE, seed=8).ask(50)
    assert a == b and a != c
    assert all(_inside(p) for p in a)


def test_grid_includes_ends_and_respects_budget():
    sets = GridSampler(SPACE, budget=100).ask(1000)
    assert 1 < len(sets) <= 100
    assert len({tuple(sorted(p.items())) for p in sets}) == len(sets)
    assert {p["n"] for p in sets} >= {1, 5}
    assert {p["tp"] for p in sets} >= {0.05, 0.3}
    assert all(_inside(p) for p in sets)


@settings(max_examples=40, deadline=None)
@given(budget=st.integers(1, 400))
def test_grid_size_never_passes_budget(budget):
    axes = grid_axes(SPACE, budget)
    assert 1 <= math.prod(len(a) for a in axes) <= budget


def test_tpe_is_deterministic_and_learns_toward_the_optimum():
    space = SearchSpace(params=(ParamSpec(name="x", kind="float", low=0.0, high=1.0),))

    def run(seed: int) -> list[float]:
        sampler = make_sampler("tpe", space, seed=seed, budget=60)
        xs = []
        for _ in range(6):
            batch = sampler.ask(10)
            sampler.tell(batch, [-((p["x"] - 0.8) ** 2) for p in batch])
            xs += [p["x"] for p in batch]
        return xs

    first = run(3)
    assert first == run(3)
    late = sorted(abs(x - 0.8) for x in first[-20:])
    assert late[len(late) // 2] < 0.15


def test_unknown_sampler():
    with pytest.raises(
        ConfigError, match="unknown sampler 'anneal'; choose one of random, grid, tpe"
    ):
        make_sampler("anneal", SPACE, seed=0, budget=10)
