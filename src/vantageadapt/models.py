"""Models shared between parts: the strategist's JSON and Python objects are one thing."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from vantageadapt.errors import RuleError

logger = logging.getLogger(__name__)


def utc_now() -> datetime:
    """The current time, UTC."""
    return datetime.now(UTC)


def _as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UtcTime = Annotated[datetime, AfterValidator(_as_utc)]
"""A time as the store keeps it: naive values are read as UTC, aware ones converted to UTC."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", use_enum_values=False)


class MarketRegime(StrEnum):
    """The market states the strategist can name."""

    TRENDING_BULLISH = "TRENDING_BULLISH"
    TRENDING_BEARISH = "TRENDING_BEARISH"
    RANGING_HIGH_VOL = "RANGING_HIGH_VOL"
    RANGING_LOW_VOL = "RANGING_LOW_VOL"
    BREAKOUT = "BREAKOUT"
    BREAKDOWN = "BREAKDOWN"
    REVERSAL = "REVERSAL"
    UNKNOWN = "UNKNOWN"

    @classmethod
    def parse(cls, value: object) -> MarketRegime:
        """Map any spelling to a member; unknown names become UNKNOWN with a warning."""
        if isinstance(value, cls):
            return value
        text = str(value).strip().upper().replace(" ", "_").replace("-", "_")
        text = text.removeprefix("MARKETREGIME.")
        try:
            return cls(text)
        except ValueError:
            logger.warning("unknown market regime %r from the strategist; using UNKNOWN", value)
            return cls.UNKNOWN


# Ranges are stated in the description too: grammar-constrained local models ignore
# minimum/maximum, but read the words.
Unit = Field(ge=0.0, le=1.0, description="a number from 0 to 1")
NonNegative = Field(ge=0.0, description="a multiplier, 0 or more (1 = unchanged)")

# A regime field that maps any spelling (an LLM's, a database's) through MarketRegime.parse.
Regime = Annotated[MarketRegime, BeforeValidator(MarketRegime.parse)]


def _lower(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


class KeyLevels(_Model):
    support: float
    resistance: float


class MarketAnalysis(_Model):
    price_action: str
    volume_analysis: str
    momentum: str
    volatility: str


class MarketContext(_Model):
    """The strategist's read of the market."""

    regime: Regime
    confidence: float = Unit
    volatility_level: float = Unit
    trend_strength: float = Unit
    volume_profile: str
    risk_level: Annotated[Literal["low", "medium", "high"], BeforeValidator(_lower)]
    key_levels: KeyLevels
    analysis: MarketAnalysis


class VolatilityAdjustment(_Model):
    entry_zone: float
    exit_zone: float
    stop_loss: float


class RegimeRule(_Model):
    position_size_mult: float = NonNegative
    stop_loss_mult: float = NonNegative
    take_profit_mult: float = NonNegative


class KeyIndicators(_Model):
    primary: list[str]
    confirmation: list[str]
    exit: list[str]


class RiskManagement(_Model):
    max_position_size: float = Unit
    max_correlation: float = Unit
    max_drawdown: float = Unit


class StrategyInsight(_Model):
    """The strategist's plan for a theme in a market context."""

    regime_change_probability: float = Unit
    suggested_position_size: float = Unit
    volatility_adjustment: VolatilityAdjustment
    regime_specific_rules: dict[MarketRegime, RegimeRule]
    key_indicators: KeyIndicators
    risk_management: RiskManagement
    rationale: str

    @field_validator("regime_specific_rules", mode="before")
    @classmethod
    def _regimes(cls, value: object) -> object:
        if isinstance(value, dict):
            return {MarketRegime.parse(k): v for k, v in value.items()}
        return value


MAX_CONDITIONS = 32  # per side; the strategist's rules hold a handful


class Conditions(_Model):
    entry: list[str] = Field(min_length=1, max_length=MAX_CONDITIONS)
    exit: list[str] = Field(min_length=1, max_length=MAX_CONDITIONS)


STOP_PARAMETERS = ("take_profit", "stop_loss")


def check_parameters(parameters: dict[str, float]) -> None:
    """Every parameter finite, stops not negative, no name that a term already means."""
    # Inside: the rule terms load numba, which the sandbox worker (it reads models) never needs.
    from vantageadapt.rules.terms import find_term

    for name, value in parameters.items():
        if not math.isfinite(value):
            raise RuleError(f"parameter {name!r} is {value}; give a finite number")
        if name in STOP_PARAMETERS and value < 0:
            raise RuleError(
                f"parameter {name!r} is {value}; a stop is a fraction of the entry price, "
                "0 or more (0 turns it off)"
            )
        try:
            term = find_term(name, name, {}, set())
        except RuleError:
            continue  # a term's shape with a bad window: a free parameter name
        if term is None:
            continue  # not a term: a free parameter name
        if term.kind == "param":
            continue  # a known risk parameter (max_drawdown): its default, set here
        raise RuleError(
            f"parameter {name!r} is already a term ({term.kind}), which a condition would "
            "read instead of the parameter; rename the parameter"
        )


class TradingRules(_Model):
    """Entry/exit conditions in the rule language plus their parameters."""

    conditions: Conditions
    parameters: dict[str, float]

    @model_validator(mode="after")
    def _conditions_parse(self, info: ValidationInfo) -> TradingRules:
        # Imported here, not at the top: the rule language loads numba, and the light
        # commands (store, patches, prompts) import models. rules never imports models.
        from vantageadapt.rules import check_rules

        check_parameters(self.parameters)
        indicators = (info.context or {}).get("indicators", ())
        check_rules(self.conditions.entry, self.conditions.exit, self.parameters, custom=indicators)
        return self

    @classmethod
    def checked(cls, data: Any, *, indicators: Iterable[str] = ()) -> TradingRules:
        """Validate `data`, where `indicators` (custom indicator names) are terms too."""
        return cls.model_validate(data, context={"indicators": tuple(indicators)})

    def with_parameters(
        self, parameters: Mapping[str, float], *, indicators: Iterable[str] = ()
    ) -> TradingRules:
        """The same conditions with `parameters` merged over these (checked again)."""
        data = {"conditions": self.conditions.model_dump(), "parameters": {**self.parameters}}
        data["parameters"].update(parameters)
        return TradingRules.checked(data, indicators=indicators)


class Metrics(_Model):
    """Performance of one asset over one window; every number finite."""

    total_return: float = 0.0
    sharpe_ratio: float = 0.0
    sortino_ratio: float = 0.0
    max_drawdown: float = 0.0
    win_rate: float = 0.0
    total_trades: int = 0
    profit_factor: float = 0.0
    avg_trade_return: float = 0.0
    exposure: float = 0.0

    @field_validator("*", mode="after")
    @classmethod
    def _finite(cls, value: Any) -> Any:
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("metrics must be finite")
        return value


METRIC_NAMES: tuple[str, ...] = tuple(Metrics.model_fields)
"""The per-window metric names, in column order: the one list every part reads."""


class AggregateMetrics(Metrics):
    """Metrics over many assets: equal-weight mean return, mean ratios, summed trades."""

    total_return_sum: float = 0.0
    n_assets: int = 0


class Thresholds(_Model):
    """Minimums a strategy must reach on aggregate metrics (the original's defaults)."""

    total_return: float = 0.5
    sortino_ratio: float = 2.0
    win_rate: float = 0.4
    total_trades: int = 100

    def unmet(self, metrics: Metrics) -> list[str]:
        """One line per threshold the metrics miss, e.g. 'sortino_ratio 1.4 < 2.0'."""
        misses = []
        for name, minimum in self.model_dump().items():
            value = getattr(metrics, name)
            if value < minimum:
                shown = f"{value:.4g}" if isinstance(value, float) else str(value)
                misses.append(f"{name} {shown} < {minimum}")
        return misses


class PatchOp(StrEnum):
    insert_code = "insert_code"
    modify_code = "modify_code"
    delete_code = "delete_code"


class CodePatch(_Model):
    """One edit to a workspace module, proposed by the strategist."""

    target: str = Field(description="workspace module file, e.g. 'scoring.py'")
    op: PatchOp
    name: str | None = Field(default=None, description="function or class the edit addresses")
    line_start: int | None = Field(default=None, ge=1)
    line_end: int | None = Field(default=None, ge=1)
    after: str | None = Field(
        default=None, description="insert_code: name of the function/class to insert after"
    )
    code: str = ""
    reason: str


class PromptChange(_Model):
    """A new version of one prompt template, proposed by the strategist."""

    name: str = Field(description="template name such as 'rules/generate'")
    template: str
    reason: str


class ImprovementContext(_Model):
    """What the strategist sees when asked to improve code or prompts."""

    theme: str
    regime: MarketRegime
    in_sample: dict[str, float]
    out_of_sample: dict[str, float]
    unmet: list[str]
    parameters: dict[str, float]
    parameters_at_edge: dict[str, Literal["low", "high"]] = Field(default_factory=dict)
    modules: dict[str, str] = Field(default_factory=dict, description="workspace file -> source")
    prompts: dict[str, str] = Field(default_factory=dict, description="prompt name -> template")
    history: list[dict[str, Any]] = Field(
        default_factory=list, description="earlier patches: target, op, status, reason"
    )
    iteration: int = 1


class LLMCall(_Model):
    """One strategist call, as the ledger keeps it (never holds a key)."""

    provider: str
    model: str
    purpose: str
    prompt_name: str | None = None
    prompt_version: int | None = None
    request_hash: str
    request: dict[str, Any]
    response: dict[str, Any] | None = None
    error: str | None = None
    latency_ms: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None
    cached: bool = False
    attempt: int = 1
    repairs: list[str] = Field(
        default_factory=list, description="safe repairs made to the answer, one note each"
    )
    fallback: bool = False  # answered by the offline strategist after the model's answers failed
