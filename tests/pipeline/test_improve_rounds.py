"""Which iterations may run a Gödel round (and so need a sandbox worker started for it)."""

from __future__ import annotations

from vantageadapt.pipeline.improve import may_improve
from vantageadapt.settings import load_settings


def _settings(**agent):
    flags = {"iterations": 3, "agent": agent}
    return load_settings(flags, environ={}, dotenv=None)


def test_every_iteration_but_the_last_may_improve_while_rounds_are_left():
    settings = _settings(max_iterations=5)
    assert [may_improve(settings, i, 0) for i in (1, 2, 3, 4)] == [True, True, False, False]
    assert may_improve(settings, 2, 4) and not may_improve(settings, 2, 5)


def test_no_round_with_improving_off():
    assert not may_improve(_settings(enabled=False), 1, 0)
