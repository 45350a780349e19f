"""`vantageadapt` re-exports the seed's public names, lazily: importing it stays cheap."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import vantageadapt

SEED_NAMES = {
    "load_trade_data": "vantageadapt.data.loader",
    "Backtester": "vantageadapt.optimize.backtester",
    "StrategicTrader": "vantageadapt.agent.strategic_trader",
    "LLMInterface": "vantageadapt.llm.interface",
    "GodelAgent": "vantageadapt.agent.godel",
    "PromptManager": "vantageadapt.prompts.manager",
    "DatabaseConnection": "vantageadapt.store.repository",
    "MarketRegime": "vantageadapt.models",
    "MarketContext": "vantageadapt.models",
    "StrategyInsight": "vantageadapt.models",
}
HEAVY = ("numba", "pandas", "numpy", "sqlalchemy", "openai", "anthropic", "plotly", "pydantic")


def test_import_vantageadapt_loads_no_heavy_library():
    code = (
        "import json, sys, vantageadapt; "
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


@pytest.mark.parametrize("name", sorted(SEED_NAMES))
def test_each_seed_name_resolves_to_its_definition(name):
    value = getattr(vantageadapt, name)
    assert value.__module__ == SEED_NAMES[name]
    assert value.__name__ == name
    assert name in vantageadapt.__all__ and name in dir(vantageadapt)


def test_from_import_works_and_unknown_names_fail_clearly():
    from vantageadapt import Backtester, MarketRegime

    assert MarketRegime.BREAKOUT.value == "BREAKOUT" and callable(Backtester)
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        vantageadapt.Nope  # noqa: B018
