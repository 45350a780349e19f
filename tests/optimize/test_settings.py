"""OptimizeSettings: unknown sampler, score and executor are one-line ConfigErrors."""

from __future__ import annotations

import pytest

from vantageadapt.errors import ConfigError
from vantageadapt.optimize import OptimizeSettings
from vantageadapt.optimize.executors import parse_dask_address


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"sampler": "anneal"}, "unknown sampler 'anneal'"),
        ({"score": "sharpe"}, "unknown score 'sharpe'"),
        ({"executor": "spark://x:1"}, "bad executor 'spark://x:1'"),
        ({"executor": "dask://host"}, "bad executor"),
        ({"trials": 0}, "optimize setting trials"),
        ({"overrides": {"take_profit": {"low": 0.3, "high": 0.1}}}, "min 0.3 > max 0.1"),
        ({"bogus": 1}, "optimize setting bogus"),
    ],
)
def test_bad_settings(values, message):
    with pytest.raises(ConfigError, match=message):
        OptimizeSettings.build(**values)


def test_good_settings_and_address():
    s = OptimizeSettings.build(sampler="tpe", executor="dask://127.0.0.1:8786", trials=5)
    assert (s.sampler, s.trials) == ("tpe", 5)
    assert parse_dask_address("dask://127.0.0.1:8786") == "tcp://127.0.0.1:8786"
