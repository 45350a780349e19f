"""What a name in a condition means: column, indicator, position term or parameter."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from vantageadapt.errors import RuleError
from vantageadapt.rules.indicators import MACD_TERMS, WINDOWED

COLUMNS = ("price", "volume", "open", "high", "low")
POSITION_TERMS = ("drawdown", "bars_held", "pnl")
DEFAULT_VOLUME_MA = 20
MACD_DEFAULTS = {"macd_fast": 12, "macd_slow": 26, "macd_signal_window": 9}
# Risk parameters the language knows, usable in conditions without a value in `parameters`
# (the seed's default rules say `drawdown > max_drawdown` and give none); searched 0.02-0.3.
RISK_DEFAULTS = {"max_drawdown": 0.1}
MAX_WINDOW = 10_000_000

_WINDOWED = re.compile(r"^(?P<name>[a-z][a-z0-9_]*?)_(?P<window>\d+|\{(?P<param>[A-Za-z_]\w*)\})$")
_IDENT = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")


@dataclass(frozen=True)
class Term:
    """A resolved name: kind is column | indicator | macd | position | param."""

    kind: str
    name: str
    window: int = 0
    value: float = 0.0
    param: str | None = None


def check_indicator_name(name: str) -> None:
    """RuleError unless `name` can be a custom indicator (`name_N`) of the rule language."""
    if not isinstance(name, str) or not _IDENT.match(name):
        raise RuleError(f"custom indicator name {name!r} must be lower_snake_case, e.g. 'zscore'")
    if name in WINDOWED or name in COLUMNS or name in POSITION_TERMS or name in MACD_TERMS:
        raise RuleError(f"custom indicator name {name!r} clashes with a built-in term; rename it")


def known_terms(custom: Iterable[str] = ()) -> list[str]:
    """Every term the language knows (plus the `custom` indicators), windowed ones as `name_N`."""
    windowed = sorted({*WINDOWED, *custom})
    return [
        *COLUMNS,
        *(f"{name}_N" for name in windowed),
        "volume_ma",
        *MACD_TERMS,
        *POSITION_TERMS,
        *RISK_DEFAULTS,
    ]


def _unknown(
    text: str, condition: str, parameters: Mapping[str, float], custom: set[str]
) -> RuleError:
    terms = known_terms(custom)
    candidates = [*terms, *parameters, *(t.removesuffix("_N") for t in terms)]
    close = difflib.get_close_matches(text, candidates, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return RuleError(
        f"condition {condition!r}: unknown term {text!r}{hint}; known terms: {', '.join(terms)}, "
        f"or a key of parameters ({', '.join(sorted(parameters)) or 'none given'})"
    )


def window_value(value: float, name: str, minimum: int, condition: str) -> int:
    """A window as an integer >= minimum (parameter windows are rounded to the nearest integer)."""
    if not np.isfinite(value) or round(value) < minimum or round(value) > MAX_WINDOW:
        raise RuleError(
            f"condition {condition!r}: window {value!r} for {name!r} must be an integer "
            f"between {minimum} and {MAX_WINDOW}"
        )
    return round(value)


def resolve_term(
    text: str, condition: str, parameters: Mapping[str, float], custom: Iterable[str] = ()
) -> Term:
    """Resolve one name of `condition`; RuleError naming the condition and the known terms.

    `custom` are the custom indicators' names (the run's workspace reports them): the only
    names besides the built-ins that resolve as `name_N`.
    """
    custom_names = set(custom)
    term = find_term(text, condition, parameters, custom_names)
    if term is None:
        raise _unknown(text, condition, parameters, custom_names)
    return term


def find_term(
    text: str, condition: str, parameters: Mapping[str, float], custom: set[str]
) -> Term | None:
    """`resolve_term` without its did-you-mean error: None for a name that is no term (cheap);
    RuleError still for a known term used wrongly (a missing window parameter, a bad value)."""
    if text in COLUMNS:
        return Term("column", text)
    if text in POSITION_TERMS:
        return Term("position", text)
    if text in MACD_TERMS:
        return Term("macd", text)
    if text == "volume_ma":
        return Term("indicator", "volume_ma", DEFAULT_VOLUME_MA)
    match = _WINDOWED.match(text)
    if match and (match["name"] in WINDOWED or match["name"] in custom):
        name = match["name"]
        minimum = WINDOWED.get(name, 1)
        param = match["param"]
        if param is not None:
            if param not in parameters:
                raise RuleError(
                    f"condition {condition!r}: window parameter {param!r} of {text!r} is not "
                    f'in parameters; add it, e.g. "{param}": 20'
                )
            raw = float(parameters[param])
        else:
            raw = float(match["window"])
        return Term("indicator", name, window_value(raw, text, minimum, condition), param=param)
    if text in parameters or text in RISK_DEFAULTS:
        value = float(parameters.get(text, RISK_DEFAULTS.get(text, 0.0)))
        if not np.isfinite(value):
            raise RuleError(f"condition {condition!r}: parameter {text!r} is not a finite number")
        return Term("param", text, value=value)
    return None


def macd_windows(parameters: Mapping[str, float], condition: str) -> tuple[int, int, int]:
    """The MACD fast/slow/signal windows from parameters, 12/26/9 by default."""
    values = [
        window_value(float(parameters.get(key, default)), key, 1, condition)
        for key, default in MACD_DEFAULTS.items()
    ]
    return values[0], values[1], values[2]
