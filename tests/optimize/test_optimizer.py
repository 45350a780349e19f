"""run_parameter_optimization on the real engine: planted optimum, splits, determinism, Ctrl-C."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from vantageadapt.backtest import aggregate_metrics, evaluate_grid, metrics_from_row
from vantageadapt.errors import ConfigError
from vantageadapt.models import METRIC_NAMES
from vantageadapt.optimize import (
    OptimizeSettings,
    ParamSpec,
    SearchSpace,
    run_parameter_optimization,
)
from vantageadapt.optimize.result import aggregate_rows

TP_CHOICES = (0.03, 0.06, 0.09, 0.12, 0.2)


@pytest.mark.parametrize("sampler", ["random", "grid", "tpe"])
@pytest.mark.parametrize("score", ["default", "seed"])
def test_finds_the_planted_optimum(planted_frames, spike_rules, planted_space, sampler, score):
    settings = OptimizeSettings(sampler=sampler, score=score, trials=15, tpe_batch=5, seed=1)
    result = run_parameter_optimization(
        planted_frames, spike_rules, settings=settings, space=planted_space
    )
    assert result.best_parameters["take_profit"] == 0.09
    assert result.best_parameters["spike"] == 5  # fixed parameters come back unchanged
    assert result.in_sample.total_return > 0 and result.out_of_sample.total_return > 0
    assert result.out_of_sample.total_trades > 0
    assert not result.interrupted


def test_brute_force_reference_agrees(planted_frames, spike_rules, planted_space):
    """Slow obvious reference: score every choice by hand with evaluate_grid on train rows."""
    sets = [{**spike_rules.parameters, "take_profit": tp, "stop_loss": 0.08} for tp in TP_CHOICES]
    returns = []
    for frame in planted_frames.values():
        train = int(len(frame) * 0.8)
        returns.append(evaluate_grid(frame, spike_rules.conditions, sets, stop=train)[:, 0])
    best_tp = TP_CHOICES[int(np.argmax(np.mean(returns, axis=0)))]
    assert best_tp == 0.09


def test_same_seed_same_result_and_holdout_is_unseen(walks, ma_rules):
    settings = OptimizeSettings(sampler="random", trials=24, seed=5, subset_size=3)
    a = run_parameter_optimization(walks, ma_rules, settings=settings)
    b = run_parameter_optimization(walks, ma_rules, settings=settings)
    assert a.best_parameters == b.best_parameters and a.score == b.score
    assert a.landscape.equals(b.landscape)
    assert a.subset == b.subset and len(a.subset) == 3
    assert a.trials == 24 and len(a.landscape) == 24
    space_names = [
        "take_profit",
        "stop_loss",
        "order_size",
        "max_orders",
        "max_drawdown",
        "ma_window",
    ]
    assert sorted(a.landscape.columns) == sorted([*space_names, "score"])
    # validation rows never reach the search: changing them leaves the search unchanged
    changed = {k: v.copy() for k, v in walks.items()}
    for frame in changed.values():
        tail = int(len(frame) * 0.8)
        frame.iloc[tail:, frame.columns.get_loc("price")] *= 1.5
    c = run_parameter_optimization(changed, ma_rules, settings=settings)
    assert c.best_parameters == a.best_parameters and c.score == a.score
    assert c.out_of_sample != a.out_of_sample


def test_best_is_rerun_on_every_asset(walks, ma_rules):
    settings = OptimizeSettings(trials=8, subset_size=2)
    starts = {sym: 2000 for sym in walks}
    result = run_parameter_optimization(walks, ma_rules, settings=settings, validation_start=starts)
    assert sorted(result.per_asset_in) == sorted(walks) and len(result.subset) == 2
    frame = walks["W0"]
    expected_out = evaluate_grid(frame, ma_rules.conditions, [result.best_parameters], start=2000)[
        0
    ]
    assert result.per_asset_out["W0"] == metrics_from_row(expected_out)
    assert result.out_of_sample == aggregate_metrics(result.per_asset_out)
    assert result.in_sample.n_assets == len(walks)


def test_array_aggregation_matches_aggregate_metrics(walks, ma_rules):
    sets = [{**ma_rules.parameters, "ma_window": w} for w in (5, 20, 60)]
    rows = np.stack([evaluate_grid(f, ma_rules.conditions, sets) for f in walks.values()])
    fast = aggregate_rows(rows)
    for j in range(len(sets)):
        slow = aggregate_metrics({s: metrics_from_row(rows[a, j]) for a, s in enumerate(walks)})
        for i, name in enumerate(METRIC_NAMES):
            assert fast[j, i] == pytest.approx(getattr(slow, name), rel=1e-9, abs=1e-12)


def test_walk_forward_and_edges(walks, ma_rules):
    settings = OptimizeSettings(sampler="grid", trials=30, walk_forward=3)
    result = run_parameter_optimization(walks, ma_rules, settings=settings)
    assert 1 < result.trials <= 30
    assert 0.0 <= result.deflated_sharpe <= 1.0
    for name, edge in result.parameters_at_edge.items():
        assert edge in ("low", "high") and name in result.best_parameters


def test_parameters_at_edge_reports_the_range_end(planted_frames, spike_rules, planted_space):
    space = SearchSpace(params=(ParamSpec(name="take_profit", kind="float", low=0.02, high=0.09),))
    settings = OptimizeSettings(sampler="grid", trials=8)
    result = run_parameter_optimization(planted_frames, spike_rules, settings=settings, space=space)
    assert result.best_parameters["take_profit"] == pytest.approx(0.09)
    assert result.parameters_at_edge == {"take_profit": "high"}


def test_more_trials_deflate_more(planted_frames, spike_rules, planted_space):
    base = OptimizeSettings(sampler="grid", trials=15)
    a = run_parameter_optimization(planted_frames, spike_rules, settings=base, space=planted_space)
    heavier = base.model_copy(update={"prior_trials": 100_000})
    b = run_parameter_optimization(
        planted_frames, spike_rules, settings=heavier, space=planted_space
    )
    assert b.deflated_sharpe <= a.deflated_sharpe


def test_custom_score_fn_is_used(planted_frames, spike_rules, planted_space):
    def lowest_return(in_sample, holdout, rows):
        return -in_sample["total_return"]

    result = run_parameter_optimization(
        planted_frames,
        spike_rules,
        settings=OptimizeSettings(sampler="grid", trials=15),
        space=planted_space,
        score_fn=lowest_return,
    )
    assert result.best_parameters["take_profit"] != 0.09


def test_ctrl_c_returns_best_so_far(planted_frames, spike_rules, planted_space):
    calls = []

    def progress(done: int, total: int) -> None:
        if done > 5 and not calls:  # inside the second batch of five
            calls.append(done)
            raise KeyboardInterrupt

    settings = OptimizeSettings(sampler="tpe", trials=15, tpe_batch=5)
    result = run_parameter_optimization(
        planted_frames, spike_rules, settings=settings, space=planted_space, progress=progress
    )
    assert result.interrupted and result.trials == 5 and len(result.landscape) == 5
    assert result.in_sample.n_assets == 3


def test_unknown_override_and_bad_validation_start(walks, ma_rules):
    bad = OptimizeSettings.build(overrides={"ma_windw": {"type": "int", "low": 5, "high": 9}})
    with pytest.raises(ConfigError, match="unknown parameter 'ma_windw'"):
        run_parameter_optimization(walks, ma_rules, settings=bad)
    with pytest.raises(ConfigError, match="validation_start has no row for symbol"):
        run_parameter_optimization(walks, ma_rules, validation_start={"W0": 10})


@hypothesis_settings(max_examples=30, deadline=None)
@given(
    arrays(
        np.float64,
        st.tuples(st.integers(1, 4), st.integers(1, 5), st.just(len(METRIC_NAMES))),
        elements=st.floats(0.0, 50.0),
    )
)
def test_array_aggregation_property(stack):
    stack[:, :, METRIC_NAMES.index("total_trades")] = np.round(
        stack[:, :, METRIC_NAMES.index("total_trades")]
    )
    fast = aggregate_rows(stack.copy())
    for j in range(stack.shape[1]):
        slow = aggregate_metrics({str(a): metrics_from_row(stack[a, j]) for a in range(len(stack))})
        for i, name in enumerate(METRIC_NAMES):
            assert fast[j, i] == pytest.approx(getattr(slow, name), rel=1e-9, abs=1e-9)


def test_non_finite_scores_print_as_null(planted_frames, spike_rules, planted_space):
    def broken(in_sample, holdout, rows):
        return float("nan")

    result = run_parameter_optimization(
        planted_frames,
        spike_rules,
        settings=OptimizeSettings(sampler="grid", trials=3),
        space=planted_space,
        score_fn=broken,
    )
    payload = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert payload["score"] is None and payload["trials"] == 3
