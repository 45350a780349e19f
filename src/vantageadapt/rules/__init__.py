"""The condition language: parse, check, compile to signal arrays; indicators."""

from vantageadapt.rules.compiler import (
    CompiledRules,
    Program,
    check_rules,
    compile_conditions,
    compile_rules,
    condition_parameters,
)
from vantageadapt.rules.indicators import IndicatorCache
from vantageadapt.rules.parser import parse_condition
from vantageadapt.rules.terms import POSITION_TERMS, check_indicator_name, known_terms

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
