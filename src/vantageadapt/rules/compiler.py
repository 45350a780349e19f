"""Compile checked conditions to signal arrays plus small programs for position terms."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd

from vantageadapt.errors import RuleError
from vantageadapt.rules.checks import check_rules, condition_parameters, uses_position_terms
from vantageadapt.rules.indicators import CustomIndicator, IndicatorCache
from vantageadapt.rules.opcodes import (
    ARITH,
    COMPARE,
    OP_AND,
    OP_CONST,
    OP_LEAF,
    OP_NEG,
    OP_NOT,
    OP_OR,
    OP_POS,
)
from vantageadapt.rules.parser import (
    Arith,
    BoolOp,
    Compare,
    Name,
    Neg,
    Node,
    Not,
    Num,
    is_boolean,
    names_in,
    parse_condition,
)
from vantageadapt.rules.terms import POSITION_TERMS, macd_windows, resolve_term

POSITION_INDEX = {name: i for i, name in enumerate(POSITION_TERMS)}


class RuleSides(Protocol):
    """Entry and exit conditions, as `models.Conditions` holds them."""

    @property
    def entry(self) -> list[str]: ...
    @property
    def exit(self) -> list[str]: ...


class RuleSet(Protocol):
    """What compiling reads of a `models.TradingRules` (models sits above this package: its
    TradingRules validates conditions with `check_rules`, so this package never imports it)."""

    @property
    def conditions(self) -> RuleSides: ...
    @property
    def parameters(self) -> Mapping[str, float]: ...


@dataclass(frozen=True)
class Program:
    """Postfix program over leaves (static arrays), constants and position terms."""

    ops: np.ndarray  # int64 opcodes
    args: np.ndarray  # float64 operand per op (leaf index, constant, position index)

    @property
    def empty(self) -> bool:
        """True when there is nothing to run."""
        return self.ops.shape[0] == 0


@dataclass(frozen=True)
class CompiledRules:
    """Signals for one frame: static parts as arrays, position-dependent parts as programs."""

    entry: np.ndarray  # bool: AND of the entry conditions without position terms
    exit: np.ndarray  # bool: OR of the exit conditions without position terms
    entry_program: Program  # AND of entry conditions with position terms (empty: none)
    exit_program: Program  # OR of exit conditions with position terms (empty: none)
    leaves: np.ndarray  # float64 (n_leaves, rows): static sub-expressions the programs read
    position_terms: frozenset[str]

    @property
    def nbytes(self) -> int:
        """Bytes of the signal arrays (for bounded stores)."""
        return self.entry.nbytes + self.exit.nbytes + self.leaves.nbytes


class _Compiler:
    def __init__(self, cache: IndicatorCache, parameters: Mapping[str, float]) -> None:
        self.cache = cache
        self.parameters = parameters
        self.custom = set(cache.custom)
        self.leaves: list[np.ndarray] = []

    def term(self, text: str, condition: str) -> np.ndarray | float:
        term = resolve_term(text, condition, self.parameters, self.custom)
        if term.kind == "column":
            return self.cache.column(term.name)
        if term.kind == "indicator":
            return self.cache.get(term.name, term.window)
        if term.kind == "macd":
            return self.cache.macd(term.name, *macd_windows(self.parameters, condition))
        if term.kind == "param":
            return term.value
        raise RuleError(f"condition {condition!r}: {text!r} needs the engine's position state")

    def static(self, node: Node, condition: str) -> np.ndarray | float:
        """Evaluate a tree without position terms to an array (or a scalar)."""
        match node:
            case Num(value):
                return value
            case Name(text):
                return self.term(text, condition)
            case Neg(operand):
                return -self.static(operand, condition)
            case Arith(op, left, right):
                a, b = self.static(left, condition), self.static(right, condition)
                with np.errstate(all="ignore"):
                    if op == "+":
                        return a + b
                    if op == "-":
                        return a - b
                    if op == "*":
                        return a * b
                    return np.divide(a, b)
            case Compare(op, left, right):
                return self._compare(op, left, right, condition)
            case BoolOp(op, operands):
                parts = [self._bool(self.static(o, condition)) for o in operands]
                combine = np.logical_and if op == "and" else np.logical_or
                result = parts[0]
                for part in parts[1:]:
                    result = combine(result, part)
                return result
            case Not(operand):
                return np.logical_not(self._bool(self.static(operand, condition)))
        raise TypeError(f"unknown node {node!r}")

    def condition(self, node: Node, condition: str) -> np.ndarray:
        """One whole condition as a bool array, shared through the store when it can be.

        Its key holds only the parameters this condition reads, so sets that differ
        elsewhere share it; conditions on custom (untrusted) indicators are never shared.
        """
        if any(self._is_custom(text) for text in names_in(node)):
            return self.build(node, condition)
        names = condition_parameters([condition], self.parameters, custom=self.custom)
        key = condition_key(self.cache, condition, self.parameters, names)
        return self.cache.store.get(key, lambda: self.build(node, condition))

    def build(self, node: Node, condition: str) -> np.ndarray:
        """One whole condition as a bool array, computed here (not looked up or stored)."""
        return self._bool(self.static(node, condition))

    def _is_custom(self, text: str) -> bool:
        names = set(self.custom)
        return any(text == name or text.startswith(name + "_") for name in names)

    def _bool(self, value: np.ndarray | float) -> np.ndarray:
        return self._rows(value, bool)

    def _rows(self, value: np.ndarray | float, dtype: type) -> np.ndarray:
        """`value` as one `dtype` value per row (a scalar repeated, without copying)."""
        rows = self.cache.rows
        if isinstance(value, np.ndarray) and value.dtype == dtype and value.shape == (rows,):
            return value  # the usual case: a stored array as it is
        return np.broadcast_to(np.asarray(value, dtype=dtype), (rows,))

    def _compare(self, op: str, left: Node, right: Node, condition: str) -> np.ndarray:
        rows = self.cache.rows
        a = self._rows(self.static(left, condition), np.float64)
        b = self._rows(self.static(right, condition), np.float64)
        with np.errstate(invalid="ignore"):
            if op in (">", "crosses_above"):
                now = a > b
            elif op in ("<", "crosses_below"):
                now = a < b
            elif op == ">=":
                return a >= b
            else:
                return a <= b
            if not op.startswith("crosses"):
                return now
            before = np.zeros(rows, dtype=bool)
            before[1:] = a[:-1] <= b[:-1] if op == "crosses_above" else a[:-1] >= b[:-1]
        return now & before

    def program(self, node: Node, condition: str, ops: list[int], args: list[float]) -> None:
        """Emit postfix code for a tree that uses position terms."""
        if not uses_position_terms(node):
            value = self.static(node, condition)
            if np.ndim(value) == 0:
                ops.append(OP_CONST)
                args.append(float(value))
                return
            leaf = np.asarray(value, dtype=np.float64)
            if is_boolean(node):
                leaf = np.asarray(value, dtype=bool).astype(np.float64)
            self.leaves.append(np.ascontiguousarray(np.broadcast_to(leaf, (self.cache.rows,))))
            ops.append(OP_LEAF)
            args.append(float(len(self.leaves) - 1))
            return
        match node:
            case Name(text):
                ops.append(OP_POS)
                args.append(float(POSITION_INDEX[text]))
                return
            case Neg(operand):
                self.program(operand, condition, ops, args)
                ops.append(OP_NEG)
            case Arith(op, left, right):
                self.program(left, condition, ops, args)
                self.program(right, condition, ops, args)
                ops.append(ARITH[op])
            case Compare(op, left, right):
                self.program(left, condition, ops, args)
                self.program(right, condition, ops, args)
                ops.append(COMPARE[op])
            case BoolOp(op, operands):
                self.program(operands[0], condition, ops, args)
                for operand in operands[1:]:
                    self.program(operand, condition, ops, args)
                    ops.append(OP_AND if op == "and" else OP_OR)
            case Not(operand):
                self.program(operand, condition, ops, args)
                ops.append(OP_NOT)
        args.append(0.0)


def condition_key(
    cache: IndicatorCache, condition: str, parameters: Mapping[str, float], names: list[str]
) -> tuple:
    """The store key of a condition's bool array on the cache's rows, given the parameter
    names it reads (`condition_parameters`): sets that differ elsewhere share it."""
    values = tuple((name, float(parameters[name])) for name in names)
    return (cache.key, "condition", condition, cache.rows, values)


def condition_array(
    condition: str, parameters: Mapping[str, float], cache: IndicatorCache
) -> np.ndarray:
    """One condition without position terms as a bool array (shared through the store)."""
    return _Compiler(cache, parameters).condition(parse_condition(condition), condition)


def build_condition(
    condition: str, parameters: Mapping[str, float], cache: IndicatorCache
) -> np.ndarray:
    """`condition_array` computed here, neither looked up nor stored (for a caller that
    keeps it under `condition_key` itself)."""
    return _Compiler(cache, parameters).build(parse_condition(condition), condition)


def compile_conditions(
    entry: list[str],
    exit: list[str],
    parameters: Mapping[str, float],
    cache: IndicatorCache,
) -> CompiledRules:
    """Compile entry (AND) and exit (OR) conditions over the cache's frame."""
    check_rules(entry, exit, parameters, custom=cache.custom)
    return compile_checked(entry, exit, parameters, cache)


def compile_checked(
    entry: list[str],
    exit: list[str],
    parameters: Mapping[str, float],
    cache: IndicatorCache,
) -> CompiledRules:
    """compile_conditions for conditions already checked (either side may be empty)."""
    compiler = _Compiler(cache, parameters)
    rows = cache.rows
    sides: dict[str, tuple[np.ndarray, Program]] = {}
    used: set[str] = set()
    for side, conditions in (("entry", entry), ("exit", exit)):
        static = np.full(rows, side == "entry")
        ops: list[int] = []
        args: list[float] = []
        n_programs = 0
        for condition in conditions:
            node = parse_condition(condition)
            if uses_position_terms(node):
                used.update(t for t in names_in(node) if t in POSITION_TERMS)
                compiler.program(node, condition, ops, args)
                n_programs += 1
                if n_programs > 1:
                    ops.append(OP_AND if side == "entry" else OP_OR)
                    args.append(0.0)
            elif side == "entry":
                static &= compiler.condition(node, condition)
            else:
                static |= compiler.condition(node, condition)
        program = Program(np.asarray(ops, dtype=np.int64), np.asarray(args, dtype=np.float64))
        sides[side] = (static, program)
    leaves = np.stack(compiler.leaves) if compiler.leaves else np.empty((0, rows))
    return CompiledRules(
        entry=sides["entry"][0],
        exit=sides["exit"][0],
        entry_program=sides["entry"][1],
        exit_program=sides["exit"][1],
        leaves=leaves,
        position_terms=frozenset(used),
    )


def compile_rules(
    rules: RuleSet,
    frame: pd.DataFrame,
    *,
    indicators: IndicatorCache | None = None,
    custom_indicators: Mapping[str, CustomIndicator] | None = None,
) -> CompiledRules:
    """Compile a TradingRules (any RuleSet) over one frame, reusing `indicators` when given."""
    cache = indicators or IndicatorCache(frame, custom_indicators)
    if custom_indicators:
        cache.custom.update(custom_indicators)
    conditions = rules.conditions
    return compile_conditions(conditions.entry, conditions.exit, rules.parameters, cache)
