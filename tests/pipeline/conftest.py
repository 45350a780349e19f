"""Small sample data and fast settings for end-to-end runs of the loop."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def sample_path(tmp_path: Path) -> Path:
    """3 assets x 3,000 synthetic DEX trades, as the original's pickle."""
    from vantageadapt.data import write_sample_data

    path = tmp_path / "sample.pkl"
    write_sample_data(path, assets=3, rows=3_000, seed=7)
    return path
