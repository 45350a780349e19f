"""`may_be_term`, the cheap filter before `resolve_term`, never turns away a real term."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vantageadapt.errors import RuleError
from vantageadapt.rules.terms import COLUMNS, RISK_DEFAULTS, WINDOWED, may_be_term, resolve_term

NAMES = st.one_of(
    st.from_regex(r"[a-z][a-z0-9_]{0,14}", fullmatch=True),
    st.builds(lambda n, w: f"{n}_{w}", st.sampled_from(sorted(WINDOWED)), st.integers(0, 500)),
    st.builds(lambda n, p: f"{n}_{{{p}}}", st.sampled_from(sorted(WINDOWED)), st.just("w")),
    st.sampled_from(sorted({*COLUMNS, *RISK_DEFAULTS, "volume_ma", "macd", "macd_signal"})),
)


def _resolves(name: str) -> bool:
    try:
        resolve_term(name, name, {})
    except RuleError:
        return False
    return True


@given(NAMES)
def test_a_name_that_resolves_passes_the_filter(name: str):
    assert may_be_term(name) or not _resolves(name)


@pytest.mark.parametrize(
    ("name", "expected"),
    [("price", True), ("high_20", True), ("max_drawdown", True), ("breakout_window", False),
     ("high_{w}", False), ("lookback", False)],
)  # fmt: skip
def test_the_filter_on_known_names(name: str, expected: bool):
    assert may_be_term(name) is expected
