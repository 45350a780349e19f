"""Check conditions against the rule language, and read what they depend on."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from vantageadapt.errors import RuleError
from vantageadapt.rules.parser import BoolOp, Compare, Node, Not, names_in, parse_condition
from vantageadapt.rules.terms import MACD_DEFAULTS, POSITION_TERMS, macd_windows, resolve_term


def _check_node(node: Node, condition: str, parameters: Mapping[str, float], custom: set[str]):
    for text in names_in(node):
        term = resolve_term(text, condition, parameters, custom)
        if term.kind == "macd":
            macd_windows(parameters, condition)
    _check_crosses(node, condition)


def uses_position_terms(node: Node) -> bool:
    """True when a parsed condition reads drawdown, bars_held or pnl."""
    return any(text in POSITION_TERMS for text in names_in(node))


def _check_crosses(node: Node, condition: str) -> None:
    match node:
        case Compare(op, _, _) if op.startswith("crosses") and uses_position_terms(node):
            raise RuleError(
                f"condition {condition!r}: {op} cannot use position terms "
                f"({', '.join(POSITION_TERMS)}); compare them with > < >= <= instead"
            )
        case BoolOp(_, operands):
            for operand in operands:
                _check_crosses(operand, condition)
        case Not(operand):
            _check_crosses(operand, condition)


def check_rules(
    entry: list[str],
    exit: list[str],
    parameters: Mapping[str, float],
    *,
    custom: Iterable[str] = (),
) -> None:
    """Parse and resolve every condition; RuleError naming the condition and the known terms."""
    names = set(custom)
    for side, conditions in (("entry", entry), ("exit", exit)):
        if not conditions:
            raise RuleError(f"{side} conditions are empty; give at least one, e.g. 'price > ma_20'")
        for condition in conditions:
            _check_node(parse_condition(condition), condition, parameters, names)


def condition_parameters(
    conditions: Iterable[str], parameters: Mapping[str, float], *, custom: Iterable[str] = ()
) -> list[str]:
    """Names of the parameters the signals depend on (window parameters, bare names, MACD)."""
    names = set(custom)
    used: list[str] = []
    for condition in conditions:
        for text in names_in(parse_condition(condition)):
            term = resolve_term(text, condition, parameters, names)
            if term.kind == "param" or term.param is not None:
                used.append(term.param or term.name)
            elif term.kind == "macd":
                used.extend(key for key in MACD_DEFAULTS if key in parameters)
    return list(dict.fromkeys(used))


def has_position_terms(condition: str) -> bool:
    """True when a condition reads drawdown, bars_held or pnl (the engine runs it per row)."""
    return uses_position_terms(parse_condition(condition))
