"""Search spaces: typed, validated parameter ranges, from defaults, a file or per-run overrides."""

from __future__ import annotations

import difflib
import json
import math
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from vantageadapt.errors import ConfigError
from vantageadapt.models import TradingRules

ParamKind = Literal["float", "int", "log", "choice"]

# The default ranges of the engine's own parameters; order_size depends on the size_type.
_BASE_RANGES: dict[str, tuple[ParamKind, float, float]] = {
    "take_profit": ("float", 0.05, 0.3),
    "stop_loss": ("float", 0.02, 0.15),
    "max_orders": ("int", 1, 5),
}
_ORDER_SIZE = {"fraction": (0.05, 0.5), "volatility": (0.05, 0.5), "amount": (0.0005, 0.005)}
# Ranges for parameters the rule language gives a meaning to.
_KNOWN_RANGES: dict[str, tuple[ParamKind, float, float]] = {
    "max_drawdown": ("float", 0.02, 0.3),
    "macd_fast": ("int", 5, 20),
    "macd_slow": ("int", 20, 50),
    "macd_signal_window": ("int", 5, 15),
    "target_vol": ("log", 0.005, 0.2),
    "vol_window": ("int", 5, 100),
}
# Window parameters are drawn from this many log-spaced integers, so trials share indicators.
WINDOW_POINTS = 12
# The window a rule's window parameter starts from when nothing says otherwise (searched from
# half to twice it, as every window parameter is).
DEFAULT_WINDOW = 20
_WINDOW_REF = re.compile(r"\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}")


class ParamSpec(BaseModel):
    """One searchable parameter: a float, int or log-scale range, or a list of choices."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    kind: ParamKind = "float"
    low: float | None = None
    high: float | None = None
    choices: tuple[float, ...] | None = None
    points: int | None = Field(default=None, ge=2, description="int: log-spaced values only")

    def model_post_init(self, __context: Any) -> None:
        """Reject empty or inverted ranges with a message that says how to fix them."""
        if self.kind == "choice":
            if not self.choices:
                raise ConfigError(f"parameter {self.name!r}: empty range (choice needs values)")
            return
        if self.low is None or self.high is None:
            raise ConfigError(f"parameter {self.name!r}: {self.kind} range needs low and high")
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise ConfigError(f"parameter {self.name!r}: low and high must be finite numbers")
        if self.low > self.high:
            raise ConfigError(
                f"parameter {self.name!r}: min {self.low:g} > max {self.high:g}; swap them"
            )
        if self.kind == "int" and math.ceil(self.low) > math.floor(self.high):
            raise ConfigError(f"parameter {self.name!r}: empty range (no integer in range)")
        if self.kind in ("float", "log") and self.low == self.high:
            raise ConfigError(
                f"parameter {self.name!r}: empty range {self.low:g}..{self.high:g}; "
                "widen it or give it as a single choice"
            )
        if self.kind == "log" and self.low <= 0:
            raise ConfigError(f"parameter {self.name!r}: log range needs low > 0")

    def values(self) -> tuple[float, ...] | None:
        """All values of a discrete parameter (int or choice); None for continuous ones."""
        if self.kind == "choice":
            return self.choices
        if self.kind == "int":
            assert self.low is not None and self.high is not None
            low, high = math.ceil(self.low), math.floor(self.high)
            if self.points is None or high - low + 1 <= self.points:
                return tuple(float(v) for v in range(low, high + 1))
            grid = np.unique(np.round(np.geomspace(max(low, 1), high, self.points)))
            return tuple(float(v) for v in grid if low <= v <= high)
        return None

    def edge(self, value: float) -> Literal["low", "high"] | None:
        """'low'/'high' when a value sits on (within 1% of) the end of its range, else None."""
        if self.kind == "choice":
            return None
        assert self.low is not None and self.high is not None
        tol = 0.01 * (self.high - self.low)
        if value <= self.low + tol:
            return "low"
        if value >= self.high - tol:
            return "high"
        return None


class SearchSpace(BaseModel):
    """The parameters a search varies; every other rule parameter stays at its given value."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    params: tuple[ParamSpec, ...]

    def model_post_init(self, __context: Any) -> None:
        """Reject a space with duplicate names."""
        names = [p.name for p in self.params]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ConfigError(f"search space names {', '.join(dupes)} more than once")

    @property
    def names(self) -> list[str]:
        """Parameter names in search order."""
        return [p.name for p in self.params]

    def get(self, name: str) -> ParamSpec:
        """The spec of one parameter; ConfigError with a hint for an unknown name."""
        for spec in self.params:
            if spec.name == name:
                return spec
        raise ConfigError(_unknown(name, self.names, "search space"))

    def with_overrides(
        self, overrides: Mapping[str, ParamSpec | Mapping[str, Any]], *, allowed: Iterable[str]
    ) -> SearchSpace:
        """A copy with some parameters replaced or added; names must be in `allowed`."""
        allowed = set(allowed) | set(self.names)
        specs = {p.name: p for p in self.params}
        for name, raw in overrides.items():
            if name not in allowed:
                raise ConfigError(_unknown(name, sorted(allowed), "rules or search space"))
            specs[name] = raw if isinstance(raw, ParamSpec) else parse_spec(name, raw)
        return SearchSpace(params=tuple(specs.values()))


def _unknown(name: str, known: list[str], where: str) -> str:
    hint = difflib.get_close_matches(name, known, n=1)
    extra = f"; did you mean {hint[0]!r}?" if hint else ""
    return f"unknown parameter {name!r} (not in the {where}: {', '.join(known)}){extra}"


def parse_spec(name: str, raw: Mapping[str, Any]) -> ParamSpec:
    """Build a ParamSpec from a mapping such as {"type": "int", "low": 1, "high": 5}."""
    data = dict(raw)
    if "type" in data:
        data["kind"] = data.pop("type")
    for alias, key in (("min", "low"), ("max", "high"), ("values", "choices")):
        if alias in data:
            data[key] = data.pop(alias)
    if data.get("kind", "float") not in ("float", "int", "log", "choice"):
        raise ConfigError(
            f"parameter {name!r}: unknown type {data['kind']!r}; use float, int, log or choice"
        )
    try:
        return ParamSpec(name=name, **data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise ConfigError(f"parameter {name!r}: {where}: {err['msg']}") from None


def parse_override(text: str) -> tuple[str, ParamSpec]:
    """Parse a CLI override: `name=low:high`, `name=low:high:int|log|float` or `name=a,b,c`."""
    name, sep, body = text.partition("=")
    name = name.strip()
    if not sep or not name or not body:
        raise ConfigError(f"bad --param {text!r}; write name=low:high[:int|log] or name=a,b,c")
    try:
        if "," in body or ":" not in body:
            return name, parse_spec(name, {"kind": "choice", "choices": _floats(body.split(","))})
        parts = body.split(":")
        kind = parts[2] if len(parts) == 3 else "float"
        if len(parts) not in (2, 3):
            raise ValueError(body)
        low, high = _floats(parts[:2])
        return name, parse_spec(name, {"kind": kind, "low": low, "high": high})
    except ValueError:
        raise ConfigError(
            f"bad --param {text!r}; write name=low:high[:int|log] or name=a,b,c with numbers"
        ) from None


def _floats(items: Iterable[str]) -> list[float]:
    return [float(item) for item in items if item.strip()]


def load_space_file(path: str | Path) -> dict[str, ParamSpec]:
    """Read parameter specs from a .json or .toml file: {name: {type, low, high | choices}}."""
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"cannot read search space file {path}: {exc.strerror}") from None
    try:
        raw = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"search space file {path} does not parse: {exc}") from None
    if not isinstance(raw, dict) or not all(isinstance(v, dict) for v in raw.values()):
        raise ConfigError(f"search space file {path}: expected {{name: {{type, low, high}}}}")
    return {name: parse_spec(name, spec) for name, spec in raw.items()}


def window_parameters(rules: TradingRules) -> set[str]:
    """Parameters used as indicator windows in the conditions (`ma_{ma_window}`)."""
    texts = [*rules.conditions.entry, *rules.conditions.exit]
    return {m for text in texts for m in _WINDOW_REF.findall(text)}


def default_search_space(
    rules: TradingRules, *, size_type: str = "fraction", indicators: Iterable[str] = ()
) -> SearchSpace:
    """The default ranges plus a typed range for every parameter the conditions use.

    `indicators` are the custom indicator names the conditions may use.
    """
    from vantageadapt.rules import condition_parameters
    from vantageadapt.rules.terms import RISK_DEFAULTS

    windows = window_parameters(rules)
    conditions = [*rules.conditions.entry, *rules.conditions.exit]
    used = set(condition_parameters(conditions, rules.parameters, custom=indicators))
    if size_type == "volatility":
        used |= {"target_vol", "vol_window"} & set(rules.parameters)
    low, high = _ORDER_SIZE.get(size_type, _ORDER_SIZE["fraction"])
    specs = [ParamSpec(name=n, kind=k, low=lo, high=hi) for n, (k, lo, hi) in _BASE_RANGES.items()]
    specs.insert(2, ParamSpec(name="order_size", kind="float", low=low, high=high))
    fixed = {s.name for s in specs}
    # Known risk parameters the conditions use without giving a value start from their default.
    implied = {name: RISK_DEFAULTS[name] for name in used if name not in rules.parameters}
    for name, value in {**rules.parameters, **implied}.items():
        if name in fixed or name not in used:
            continue
        if name in _KNOWN_RANGES:
            kind, lo, hi = _KNOWN_RANGES[name]
            points = WINDOW_POINTS if kind == "int" else None
            specs.append(ParamSpec(name=name, kind=kind, low=lo, high=hi, points=points))
        elif name in windows or name.endswith("window"):
            centre = max(2, round(value))
            specs.append(
                ParamSpec(
                    name=name,
                    kind="int",
                    low=max(2, centre // 2),
                    high=centre * 2,
                    points=WINDOW_POINTS,
                )
            )
        elif value != 0 and math.isfinite(value):
            lo, hi = sorted((value / 2, value * 2))
            specs.append(ParamSpec(name=name, kind="float", low=lo, high=hi))
    return SearchSpace(params=tuple(specs))
