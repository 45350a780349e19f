"""Tokenizer and recursive-descent parser for the condition language (never `eval`)."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

from vantageadapt.errors import RuleError

MAX_LENGTH = 2_000  # characters in one condition
MAX_TOKENS = 200  # terms, numbers and operators in one condition
MAX_NESTING = 32  # parentheses, `not` and unary minus inside each other

COMPARISONS = (">", "<", ">=", "<=")
CROSSES = ("crosses_above", "crosses_below")
_KEYWORDS = {"and", "or", "not", *CROSSES}

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<number>(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_](?:[A-Za-z0-9_]|\{[A-Za-z_][A-Za-z0-9_]*\})*)
  | (?P<op>>=|<=|[<>+\-*/()])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Num:
    """A numeric literal."""

    value: float


@dataclass(frozen=True)
class Name:
    """A term as written: a column, indicator, position term or parameter."""

    text: str


@dataclass(frozen=True)
class Unary:
    """An operator over one operand (`Neg`, `Not`)."""

    operand: Node


class Neg(Unary):
    """Unary minus."""


class Not(Unary):
    """Boolean negation."""


@dataclass(frozen=True)
class Binary:
    """`left op right` (`Arith`, `Compare`)."""

    op: str
    left: Node
    right: Node


class Arith(Binary):
    """`left op right` with op in + - * /."""


class Compare(Binary):
    """`left op right` with op in > < >= <= crosses_above crosses_below."""


@dataclass(frozen=True)
class BoolOp:
    """`and` / `or` over two or more boolean operands."""

    op: str
    operands: tuple[Node, ...]


Node = Num | Name | Neg | Arith | Compare | BoolOp | Not


def is_boolean(node: Node) -> bool:
    """True for nodes that yield a truth value rather than a number."""
    return isinstance(node, Compare | BoolOp | Not)


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    tokens: list[tuple[str, str, int]] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise RuleError(
                f"condition {text!r}: unexpected character {text[pos]!r} at position {pos}; "
                "use terms, numbers, + - * / ( ), > < >= <=, crosses_above/below, and/or/not"
            )
        kind = match.lastgroup or ""
        if kind != "ws":
            value = match.group()
            if kind == "name" and value in _KEYWORDS:
                kind = "keyword"
            tokens.append((kind, value, pos))
        pos = match.end()
    tokens.append(("end", "", len(text)))
    return tokens


def _nesting(tokens: list[tuple[str, str, int]]) -> int:
    """How deep parentheses, `not` and unary minus nest (counted without recursion)."""
    deepest, parens, chain, previous = 0, 0, 0, "("
    for kind, value, _ in tokens:
        if value == "(":
            parens += 1
        elif value == ")":
            parens -= 1
        prefix = value == "not" or (value == "-" and previous in ("(", "not", "-", "op"))
        chain = chain + 1 if prefix else 0
        deepest = max(deepest, parens + chain)
        previous = value if value in ("(", ")", "not", "-") else kind
    return deepest


def _check_size(text: str, tokens: list[tuple[str, str, int]]) -> None:
    shown = text if len(text) <= 60 else text[:57] + "..."
    depth = _nesting(tokens)
    if depth > MAX_NESTING:
        raise RuleError(
            f"condition {shown!r} nests {depth} deep; the limit is {MAX_NESTING}: "
            "remove redundant parentheses or 'not'"
        )
    if len(tokens) - 1 > MAX_TOKENS:
        raise RuleError(
            f"condition {shown!r} has {len(tokens) - 1} terms and operators; the limit is "
            f"{MAX_TOKENS}: split it into several conditions"
        )


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        _check_size(text, self.tokens)
        self.i = 0

    def _peek(self) -> tuple[str, str, int]:
        return self.tokens[self.i]

    def _take(self) -> tuple[str, str, int]:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def _fail(self, message: str) -> RuleError:
        _, value, pos = self._peek()
        where = f"at {value!r} (position {pos})" if value else "at the end"
        return RuleError(f"condition {self.text!r}: {message} {where}")

    def parse(self) -> Node:
        if self._peek()[0] == "end":
            raise RuleError("condition is empty; write e.g. 'price > ma_20'")
        node = self._or()
        if self._peek()[0] != "end":
            raise self._fail("unexpected token")
        if not is_boolean(node):
            raise RuleError(
                f"condition {self.text!r} is a number, not a comparison; write e.g. 'price > ma_20'"
            )
        return node

    def _bool_chain(self, word: str, sub) -> Node:
        operands = [sub()]
        while self._peek() == ("keyword", word, self._peek()[2]):
            self._take()
            operands.append(sub())
        if len(operands) == 1:
            return operands[0]
        for operand in operands:
            self._need_bool(operand, word)
        return BoolOp(word, tuple(operands))

    def _need_bool(self, node: Node, word: str) -> None:
        if not is_boolean(node):
            raise RuleError(
                f"condition {self.text!r}: '{word}' joins comparisons, but got a number; "
                "compare it, e.g. 'price > ma_20 and rsi_14 < 70'"
            )

    def _or(self) -> Node:
        return self._bool_chain("or", self._and)

    def _and(self) -> Node:
        return self._bool_chain("and", self._not)

    def _not(self) -> Node:
        kind, value, _ = self._peek()
        if kind == "keyword" and value == "not":
            self._take()
            operand = self._not()
            self._need_bool(operand, "not")
            return Not(operand)
        return self._comparison()

    def _comparison(self) -> Node:
        left = self._sum()
        kind, value, _ = self._peek()
        if (kind == "op" and value in COMPARISONS) or (kind == "keyword" and value in CROSSES):
            self._take()
            right = self._sum()
            for side in (left, right):
                if is_boolean(side):
                    raise RuleError(
                        f"condition {self.text!r}: '{value}' compares numbers, not comparisons; "
                        "join comparisons with and/or instead"
                    )
            nxt_kind, nxt_value, _ = self._peek()
            if (nxt_kind == "op" and nxt_value in COMPARISONS) or nxt_value in CROSSES:
                raise self._fail("chained comparisons are not supported; split with 'and'")
            return Compare(value, left, right)
        return left

    def _sum(self) -> Node:
        return self._arithmetic("+-", self._product)

    def _product(self) -> Node:
        return self._arithmetic("*/", self._unary)

    def _arithmetic(self, ops: str, operand: Callable[[], Node]) -> Node:
        """`operand (op operand)*` for the ops of one precedence, grouped from the left."""
        node = operand()
        while self._peek()[0] == "op" and self._peek()[1] in ops:
            op = self._take()[1]
            node = Arith(op, self._num(node, op), self._num(operand(), op))
        return node

    def _num(self, node: Node, op: str) -> Node:
        if is_boolean(node):
            raise RuleError(
                f"condition {self.text!r}: '{op}' needs numbers, but got a comparison; "
                "put arithmetic inside the comparison"
            )
        return node

    def _unary(self) -> Node:
        if self._peek() == ("op", "-", self._peek()[2]):
            self._take()
            return Neg(self._num(self._unary(), "-"))
        return self._atom()

    def _atom(self) -> Node:
        kind, value, _ = self._peek()
        if kind == "number":
            number = float(value)
            if not math.isfinite(number):
                raise self._fail(f"number {value} is too large (not finite)")
            self._take()
            return Num(number)
        if kind == "name":
            self._take()
            return Name(value)
        if kind == "op" and value == "(":
            self._take()
            node = self._or()
            if self._peek()[1] != ")":
                raise self._fail("missing ')'")
            self._take()
            return node
        raise self._fail("expected a term, a number or '('")


def parse_condition(text: str) -> Node:
    """Parse one condition string into an expression tree; RuleError on bad syntax."""
    if not isinstance(text, str):
        raise RuleError(f"condition {text!r} is not a string")
    if len(text) > MAX_LENGTH:
        raise RuleError(
            f"condition {text[:40]!r}... is {len(text):,} characters long; the limit is "
            f"{MAX_LENGTH:,}"
        )
    return _parse_cached(text)


@lru_cache(maxsize=4096)
def _parse_cached(text: str) -> Node:
    # Trees are immutable, so the optimizer's thousands of identical parses share one.
    return _Parser(text).parse()


def names_in(node: Node) -> list[str]:
    """Every term name in the tree, in order of appearance."""
    match node:
        case Name(text):
            return [text]
        case Num():
            return []
        case Unary(operand):
            return names_in(operand)
        case Binary(_, left, right):
            return names_in(left) + names_in(right)
        case BoolOp(_, operands):
            return [name for operand in operands for name in names_in(operand)]
    raise TypeError(f"unknown node {node!r}")
