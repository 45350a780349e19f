"""Fixtures for the data part: small real sample data written in each supported format."""

from __future__ import annotations

import logging
import pickle

import pandas as pd
import pytest

from vantageadapt.data.sample import make_sample_data


@pytest.fixture(scope="session")
def sample_frames() -> dict[str, pd.DataFrame]:
    """Three assets of 2,000 synthetic trades."""
    return make_sample_data(assets=3, rows=2_000, seed=7)


@pytest.fixture
def sample_pickle(tmp_path, sample_frames):
    """The sample written as the original format: a pickled {symbol: DataFrame}."""
    path = tmp_path / "trades.pkl"
    path.write_bytes(pickle.dumps(sample_frames, protocol=5))
    return path


@pytest.fixture
def data_warnings(caplog):
    """Warnings the data part logs (its logger does not propagate once the CLI ran)."""
    logger = logging.getLogger("vantageadapt.data")
    logger.addHandler(caplog.handler)
    caplog.handler.setLevel(logging.WARNING)
    yield caplog
    logger.removeHandler(caplog.handler)
