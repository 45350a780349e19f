"""The condition language: parse, check, compile to signal arrays; indicators.

Names are imported on first use: `terms` and `parser` are light, while `compiler` and
`indicators` load numba, which the sandbox worker never needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vantageadapt.lazy import lazy_exports

if TYPE_CHECKING:
    from vantageadapt.rules.checks import check_rules, condition_parameters
    from vantageadapt.rules.compiler import (
        CompiledRules,
        Program,
        compile_conditions,
        compile_rules,
    )
    from vantageadapt.rules.indicators import IndicatorCache
    from vantageadapt.rules.parser import parse_condition
    from vantageadapt.rules.terms import POSITION_TERMS, check_indicator_name, known_terms

_WHERE = {
    "CompiledRules": "compiler",
    "Program": "compiler",
    "check_rules": "checks",
    "compile_conditions": "compiler",
    "compile_rules": "compiler",
    "condition_parameters": "checks",
    "IndicatorCache": "indicators",
    "parse_condition": "parser",
    "POSITION_TERMS": "terms",
    "check_indicator_name": "terms",
    "known_terms": "terms",
}

__all__ = [
    "POSITION_TERMS",
    "CompiledRules",
    "IndicatorCache",
    "Program",
    "check_indicator_name",
    "check_rules",
    "compile_conditions",
    "compile_rules",
    "condition_parameters",
    "known_terms",
    "parse_condition",
]


__getattr__ = lazy_exports(__name__, {name: f".{module}" for name, module in _WHERE.items()})
