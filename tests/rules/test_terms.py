"""`find_term`, `resolve_term` without the did-you-mean error, resolves exactly what it does."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vantageadapt.errors import RuleError
from vantageadapt.rules.terms import COLUMNS, RISK_DEFAULTS, WINDOWED, find_term, resolve_term

NAMES = st.one_of(
    st.from_regex(r"[a-z][a-z0-9_]{0,14}", fullmatch=True),
    st.builds(lambda n, w: f"{n}_{w}", st.sampled_from(sorted(WINDOWED)), st.integers(0, 500)),
    st.builds(lambda n, p: f"{n}_{{{p}}}", st.sampled_from(sorted(WINDOWED)), st.just("w")),
    st.sampled_from(sorted({*COLUMNS, *RISK_DEFAULTS, "volume_ma", "macd", "macd_signal"})),
)


def _outcome(lookup, name: str):
    try:
        return lookup(name)
    except RuleError as exc:
        return ("error", str(exc))


@given(NAMES)
def test_find_term_agrees_with_resolve_term(name: str):
    found = _outcome(lambda n: find_term(n, n, {}, set()), name)
    resolved = _outcome(lambda n: resolve_term(n, n, {}), name)
    if found is None:  # no term: resolve_term says so, naming the known terms
        assert resolved[0] == "error" and "known" in resolved[1]
    else:  # the same term, or the same error for a known term used wrongly
        assert found == resolved


@pytest.mark.parametrize(
    ("name", "expected"),
    [("price", "term"), ("high_20", "term"), ("max_drawdown", "term"),
     ("breakout_window", "none"), ("high_{w}", "error"), ("lookback", "none")],
)  # fmt: skip
def test_find_term_on_known_names(name: str, expected: str):
    found = _outcome(lambda n: find_term(n, n, {}, set()), name)
    kind = "none" if found is None else "error" if isinstance(found, tuple) else "term"
    assert kind == expected
