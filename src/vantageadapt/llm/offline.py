"""The built-in deterministic strategist: reads the regime and plans from statistics alone."""

from __future__ import annotations

import math

from vantageadapt.llm.offline_rules import (
    STYLE_INDICATORS,
    OfflineHints,
    theme_style,
)
from vantageadapt.llm.stats import MarketStats
from vantageadapt.models import (
    KeyIndicators,
    KeyLevels,
    MarketAnalysis,
    MarketContext,
    MarketRegime,
    RegimeRule,
    RiskManagement,
    StrategyInsight,
    VolatilityAdjustment,
)

OFFLINE_MODEL = "offline-strategist-v1"

# Annualized volatility above which a range counts as high-volatility (BTC-like ~0.6).
HIGH_VOL_ANNUAL = 0.6
TREND_Z = 2.0  # drift of two noise units over the window counts as a trend

# (position_size_mult, stop_loss_mult, take_profit_mult) per regime, before theme tweaks.
_REGIME_MULTS: dict[MarketRegime, tuple[float, float, float]] = {
    MarketRegime.TRENDING_BULLISH: (1.2, 1.0, 1.5),
    MarketRegime.TRENDING_BEARISH: (0.5, 0.8, 0.8),
    MarketRegime.RANGING_HIGH_VOL: (0.7, 1.5, 1.2),
    MarketRegime.RANGING_LOW_VOL: (1.0, 0.7, 0.7),
    MarketRegime.BREAKOUT: (1.1, 1.2, 1.6),
    MarketRegime.BREAKDOWN: (0.4, 0.7, 0.8),
    MarketRegime.REVERSAL: (0.8, 1.0, 1.2),
    MarketRegime.UNKNOWN: (0.6, 1.0, 1.0),
}


def _clip(value: float, low: float = 0.0, high: float = 1.0) -> float:
    return float(min(high, max(low, value)))


def volatility_level(stats: MarketStats) -> float:
    """Annualized volatility mapped to 0-1 (0.6 a year -> about 0.45)."""
    return round(_clip(1.0 - math.exp(-stats.annualized_volatility.median)), 4)


def classify_regime(stats: MarketStats) -> tuple[MarketRegime, float]:
    """The regime the statistics point to, with a confidence in 0-1."""
    if stats.n_assets == 0:
        return MarketRegime.UNKNOWN, 0.0
    z = stats.trend_zscore.median
    recent_z = stats.recent_zscore.median
    vol_ratio = stats.recent_volatility_ratio.median
    up = stats.up_fraction
    agree = up if z >= 0 else 1.0 - up
    volume_boost = 0.1 if stats.recent_volume_ratio.median > 1.2 else 0.0
    move_confidence = _clip(0.5 + (vol_ratio - 1.25) / 2 + volume_boost, 0.05, 0.95)
    if (
        stats.recent_range_position.median > 0.9
        and stats.range_position.median > 0.85
        and vol_ratio > 1.25
    ):
        return MarketRegime.BREAKOUT, move_confidence
    if (
        stats.recent_range_position.median < 0.1
        and stats.range_position.median < 0.15
        and vol_ratio > 1.25
    ):
        return MarketRegime.BREAKDOWN, _clip(
            0.5 + (vol_ratio - 1.25) / 2 + volume_boost, 0.05, 0.95
        )
    if abs(z) >= TREND_Z and abs(recent_z) >= 1.5 and z * recent_z < 0:
        return MarketRegime.REVERSAL, _clip(0.4 + abs(recent_z) / 10, 0.05, 0.9)
    if abs(z) >= TREND_Z and agree >= 0.6:
        regime = MarketRegime.TRENDING_BULLISH if z > 0 else MarketRegime.TRENDING_BEARISH
        return regime, _clip(0.45 + (abs(z) - TREND_Z) / 8 + (agree - 0.6), 0.05, 0.95)
    high = stats.annualized_volatility.median > HIGH_VOL_ANNUAL or vol_ratio > 1.5
    regime = MarketRegime.RANGING_HIGH_VOL if high else MarketRegime.RANGING_LOW_VOL
    # The closer the drift to zero, the surer the range.
    return regime, _clip(0.9 - abs(z) / (2 * TREND_Z), 0.05, 0.9)


def _describe(stats: MarketStats, regime: MarketRegime) -> MarketAnalysis:
    ret, vol = stats.total_return, stats.annualized_volatility
    return MarketAnalysis(
        price_action=(
            f"Median asset return {ret.median:+.2%} (p10 {ret.p10:+.2%}, p90 {ret.p90:+.2%}); "
            f"{stats.up_fraction:.0%} of assets rose; drift {stats.trend_zscore.median:+.2f} "
            f"noise units; regime read as {regime.value} by the offline strategist."
        ),
        volume_analysis=(
            f"Volume second half / first half {stats.volume_trend.median:.2f}, recent / all "
            f"{stats.recent_volume_ratio.median:.2f}, variation {stats.volume_cv.median:.2f}, "
            f"corr with |return| {stats.volume_price_correlation.median:+.2f}."
        ),
        momentum=(
            f"Recent return {stats.recent_return.median:+.2%} ({stats.recent_zscore.median:+.2f}"
            f" noise units); lag-1 return autocorrelation {stats.autocorrelation.median:+.3f}."
        ),
        volatility=(
            f"Annualized volatility median {vol.median:.2f} (p90 {vol.p90:.2f}); recent / all "
            f"{stats.recent_volatility_ratio.median:.2f}; median max drawdown "
            f"{stats.max_drawdown.median:.2%}."
        ),
    )


def _volume_profile(stats: MarketStats) -> str:
    if stats.recent_volume_ratio.median > 1.5 or stats.volume_trend.median > 1.2:
        trend = "rising"
    elif stats.volume_trend.median < 0.8:
        trend = "falling"
    else:
        trend = "steady"
    return f"{trend}, {'spiky' if stats.volume_cv.median > 2.0 else 'even'}"


def offline_market_context(stats: MarketStats) -> MarketContext:
    """MarketContext from statistics alone."""
    regime, confidence = classify_regime(stats)
    vol_level = volatility_level(stats)
    trend_strength = _clip(abs(stats.trend_zscore.median) / (2 * TREND_Z)) * 0.7 + 0.3 * _clip(
        stats.trend_r2.median
    )
    if vol_level > 0.7 or stats.max_drawdown.median > 0.5:
        risk = "high"
    elif vol_level > 0.35 or stats.max_drawdown.median > 0.25:
        risk = "medium"
    else:
        risk = "low"
    support = stats.support.median if stats.n_assets else 1.0
    resistance = stats.resistance.median if stats.n_assets else 1.0
    return MarketContext(
        regime=regime,
        confidence=round(confidence, 4),
        volatility_level=vol_level,
        trend_strength=round(trend_strength, 4),
        volume_profile=_volume_profile(stats),
        risk_level=risk,
        key_levels=KeyLevels(support=round(support, 6), resistance=round(resistance, 6)),
        analysis=_describe(stats, regime),
    )


def offline_insight(
    theme: str, context: MarketContext, hints: OfflineHints | None = None
) -> StrategyInsight:
    """StrategyInsight from the theme and the market context (an `exit` hint names its term)."""
    style = theme_style(theme, context.regime)
    base_size = {"low": 0.3, "medium": 0.2, "high": 0.1}[context.risk_level]
    size_mult = _REGIME_MULTS[context.regime][0]
    change = {
        MarketRegime.BREAKOUT: 0.4,
        MarketRegime.BREAKDOWN: 0.4,
        MarketRegime.REVERSAL: 0.5,
        MarketRegime.UNKNOWN: 0.5,
    }.get(context.regime, 0.25)
    rules = {}
    for regime, (pos, sl, tp) in _REGIME_MULTS.items():
        if style == "mean_reversion" and regime in (
            MarketRegime.TRENDING_BEARISH,
            MarketRegime.BREAKDOWN,
        ):
            pos *= 0.5  # buying dips in a falling market: smaller
        if style in ("breakout", "momentum", "trend_following") and regime in (
            MarketRegime.RANGING_LOW_VOL,
            MarketRegime.RANGING_HIGH_VOL,
        ):
            pos *= 0.7  # trend styles whipsaw in ranges
        rules[regime] = RegimeRule(
            position_size_mult=round(pos, 3),
            stop_loss_mult=round(sl, 3),
            take_profit_mult=round(tp, 3),
        )
    primary, confirmation, exit_ = STYLE_INDICATORS[style]
    wanted = {"trailing": "drawdown", "time": "bars_held"}.get(hints.exit if hints else "")
    if wanted and wanted not in exit_:
        exit_ = [*exit_, wanted]
    return StrategyInsight(
        regime_change_probability=round(_clip(0.5 * change + 0.5 * (1 - context.confidence)), 4),
        suggested_position_size=round(_clip(base_size * size_mult, 0.05, 0.5), 4),
        volatility_adjustment=VolatilityAdjustment(
            entry_zone=round(0.5 + context.volatility_level, 3),
            exit_zone=round(1.0 + context.volatility_level, 3),
            stop_loss=round(1.5 + 1.5 * context.volatility_level, 3),
        ),
        regime_specific_rules=rules,
        key_indicators=KeyIndicators(primary=primary, confirmation=confirmation, exit=exit_),
        risk_management=RiskManagement(
            max_position_size=round(_clip(base_size * 1.5, 0.05, 0.5), 4),
            max_correlation=0.7,
            max_drawdown={"low": 0.15, "medium": 0.2, "high": 0.3}[context.risk_level],
        ),
        rationale=(
            f"Offline strategist (deterministic, no LLM): theme {theme!r} read as the "
            f"{style.replace('_', ' ')} style in a {context.regime.value} market "
            f"(confidence {context.confidence:.2f}, {context.risk_level} risk); position size "
            f"scaled by risk and regime."
        ),
    )
