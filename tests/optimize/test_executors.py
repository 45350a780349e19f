"""Executors and the cache: Dask gives the local results; repeats are not recomputed."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from vantageadapt.backtest import EngineConfig
from vantageadapt.errors import ExecutorError
from vantageadapt.optimize import OptimizeSettings, run_parameter_optimization
from vantageadapt.optimize.cache import CachedRunner, params_keys
from vantageadapt.optimize.executors import DaskExecutor, Job, LocalExecutor, SearchInputs


@pytest.fixture(scope="module")
def cluster_address():
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=False,
        protocol="tcp",
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        yield cluster.scheduler_address.replace("tcp://", "dask://")


def test_dask_matches_local(walks, ma_rules, cluster_address):
    for sampler in ("random", "tpe"):
        local = OptimizeSettings(sampler=sampler, trials=20, tpe_batch=10, seed=4, subset_size=3)
        remote = local.model_copy(update={"executor": cluster_address})
        a = run_parameter_optimization(walks, ma_rules, settings=local)
        b = run_parameter_optimization(walks, ma_rules, settings=remote)
        assert a.best_parameters == b.best_parameters
        assert a.landscape.equals(b.landscape)
        assert a.in_sample == b.in_sample and a.out_of_sample == b.out_of_sample


def test_dask_chunks_stitch_in_order(walks, ma_rules, cluster_address):
    sets = tuple({**ma_rules.parameters, "ma_window": w} for w in range(5, 30))
    jobs = [Job("W0", 0, 2000, sets), Job("W1", 100, 3000, sets[:3])]
    inputs = SearchInputs(walks, ma_rules.conditions, EngineConfig())
    dask = DaskExecutor(cluster_address.replace("dask://", "tcp://"), inputs)
    try:
        remote = dask.run(jobs)
    finally:
        dask.close()
    local = LocalExecutor(inputs).run(jobs)
    for r, loc in zip(remote, local, strict=True):
        np.testing.assert_array_equal(r, loc)


@pytest.mark.timeout(30)
def test_unreachable_scheduler_is_an_executor_error(walks, ma_rules):
    settings = OptimizeSettings(executor="dask://127.0.0.1:1", trials=2)
    message = r"cannot reach the Dask scheduler at tcp://127\.0\.0\.1:1 "
    with pytest.raises(ExecutorError, match=message):
        run_parameter_optimization(walks, ma_rules, settings=settings)


class _Counting(LocalExecutor):
    """The real local executor, counting the parameter sets it is asked to evaluate."""

    evaluated = 0

    def run(self, jobs):
        _Counting.evaluated += sum(len(j.param_sets) for j in jobs)
        return super().run(jobs)


def test_cache_answers_repeats_without_recomputing(walks, ma_rules):
    executor = _Counting(SearchInputs(walks, ma_rules.conditions, EngineConfig()))
    runner = CachedRunner(executor, {s: s for s in walks}, "rules")
    sets = tuple({**ma_rules.parameters, "ma_window": w} for w in (10, 20, 10, 30))
    first = runner.run([Job("W0", 0, 1000, sets)])[0]
    assert _Counting.evaluated == 3 and runner.hits == 1
    second = runner.run([Job("W0", 0, 1000, sets[:2]), Job("W0", 0, 1500, sets[:1])])
    assert _Counting.evaluated == 4 and runner.hits == 3
    np.testing.assert_array_equal(first[0], first[2])
    np.testing.assert_array_equal(second[0], first[:2])


def test_optimizer_counts_distinct_sets_as_trials(planted_frames, spike_rules, planted_space):
    settings = OptimizeSettings(sampler="tpe", trials=40, tpe_batch=10)
    result = run_parameter_optimization(
        planted_frames, spike_rules, settings=settings, space=planted_space
    )
    assert len(result.landscape) == 40
    assert result.trials <= 15  # only 5 x 3 distinct sets exist
    assert result.cache_hits > 0


@given(
    st.lists(
        st.dictionaries(
            st.sampled_from(["a", "b", "w", "take_profit"]),
            st.one_of(st.integers(-3, 3), st.sampled_from([0.5, 1.0, 2.5, -0.0])),
            max_size=4,
        ),
        max_size=8,
    )
)
def test_params_keys_match_iff_the_sets_are_equal_as_floats(sets):
    keys = params_keys(sets)
    # the slow reference: each set's (name, float value) pairs, names in any order
    reference = [frozenset((k, float(v)) for k, v in p.items()) for p in sets]
    for i in range(len(sets)):
        reordered = dict(reversed(list(sets[i].items())))
        assert params_keys([reordered]) == [keys[i]]
        for j in range(len(sets)):
            assert (keys[i] == keys[j]) == (reference[i] == reference[j])


def test_cache_answers_as_the_executor_whatever_was_seen_before(walks, ma_rules):
    """One tuple run on asset after asset (its keys worked out once), sets seen before,
    repeats inside a batch and two jobs with equal sets: every answer is the executor's own
    evaluation of that job, bit for bit."""
    inputs = SearchInputs(walks, ma_rules.conditions, EngineConfig())
    runner = CachedRunner(LocalExecutor(inputs), {s: s for s in walks}, "rules")
    fresh = LocalExecutor(inputs)
    batch = tuple({**ma_rules.parameters, "ma_window": w} for w in (10, 20, 30))
    again = (*batch[:2], {**ma_rules.parameters, "ma_window": 40}, batch[0])
    rounds = [[Job(s, 0, 1000, batch), Job(s, 1000, 1500, batch)] for s in walks] + [
        [Job("W0", 0, 1000, again), Job("W0", 0, 1500, (batch[1],)), Job("W1", 0, 800, (batch[1],))]
    ]
    for jobs in rounds:
        got = runner.run(jobs)
        for job, array in zip(jobs, got, strict=True):
            np.testing.assert_array_equal(array, fresh.run([job])[0])
