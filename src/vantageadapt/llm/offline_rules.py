"""Rule composition for the offline strategist: a theme style, shaped by the regime.

The offline strategist also reads hints from its prompt templates, one per line, written as
`# offline: key=value` (parsed against a whitelist, never evaluated; a later line wins):
  prefer=more_trades|fewer_trades  windows half / twice as long (unless window_scale is given)
  window_scale=X                    every indicator window times X (0.25-4)
  exit=trailing|time                add a trailing-stop (drawdown) or a time (bars_held) exit
In the insight prompt an `exit` hint names the term among the insight's exit indicators, and the
rules then carry that exit.
An LLM strategist reads the same lines as plain guidance.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from vantageadapt.errors import ConfigError
from vantageadapt.models import MarketContext, MarketRegime, StrategyInsight, TradingRules

_HINT = re.compile(r"^\s*#\s*offline:\s*([a-z_]+)\s*=\s*(\S+)\s*$", re.MULTILINE)
_PREFER_SCALE = {"more_trades": 0.5, "fewer_trades": 2.0}
_EXITS = ("trailing", "time")


@dataclass(frozen=True)
class OfflineHints:
    """What a template's `# offline:` lines ask of the offline strategist."""

    window_scale: float = 1.0
    exit: str = ""


def offline_hints(template: str) -> OfflineHints:
    """The `# offline: key=value` hints in a template; unknown keys or values are errors."""
    found = dict(_HINT.findall(template))
    unknown = sorted(set(found) - {"prefer", "window_scale", "exit"})
    if unknown:
        raise ConfigError(f"unknown offline hint {unknown[0]!r}; use prefer, window_scale or exit")
    scale = _PREFER_SCALE.get(found.get("prefer", ""), 1.0)
    if "prefer" in found and found["prefer"] not in _PREFER_SCALE:
        raise ConfigError(f"offline hint prefer={found['prefer']}: use more_trades or fewer_trades")
    if "window_scale" in found:
        try:
            scale = float(found["window_scale"])
        except ValueError:
            scale = float("nan")
        if not 0.25 <= scale <= 4.0:
            raise ConfigError(f"offline hint window_scale={found['window_scale']}: use 0.25-4")
    exit_ = found.get("exit", "")
    if exit_ and exit_ not in _EXITS:
        raise ConfigError(f"offline hint exit={exit_}: use trailing or time")
    return OfflineHints(window_scale=scale, exit=exit_)


# Keyword -> style, checked in order (so "trend reversal" is mean reversion, "range breakout"
# is a breakout).
_THEME_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("mean_reversion", ("reversion", "revert", "reversal", "contrarian", "oversold", "dip")),
    ("breakout", ("breakout", "break out", "break-out", "channel", "donchian", "new high")),
    ("trend_following", ("trend", "moving average", "crossover", "cross over", "ma cross")),
    ("momentum", ("momentum", "rsi", "macd", "strength", "accelerat", "impulse")),
    ("volatility", ("volatility", "squeeze", "bollinger", "expansion", "atr")),
    ("volume", ("volume", "liquidity", "flow", "whale", "accumulation")),
    ("mean_reversion", ("range", "ranging", "scalp", "grid", "bounce", "support")),
)

# Themes the keywords do not place follow the regime.
_REGIME_STYLE: dict[MarketRegime, str] = {
    MarketRegime.TRENDING_BULLISH: "trend_following",
    MarketRegime.TRENDING_BEARISH: "mean_reversion",
    MarketRegime.RANGING_HIGH_VOL: "mean_reversion",
    MarketRegime.RANGING_LOW_VOL: "volatility",
    MarketRegime.BREAKOUT: "breakout",
    MarketRegime.BREAKDOWN: "mean_reversion",
    MarketRegime.REVERSAL: "mean_reversion",
    MarketRegime.UNKNOWN: "momentum",
}

STYLE_INDICATORS: dict[str, tuple[list[str], list[str], list[str]]] = {
    "breakout": (["high_20"], ["volume_ma_20"], ["low_10", "drawdown"]),
    "mean_reversion": (["bb_lower_20", "rsi_14"], ["ma_50"], ["ma_20", "rsi_14"]),
    "trend_following": (["ema_12", "ema_48"], ["ma_100"], ["ema_12", "drawdown"]),
    "momentum": (["returns_20", "macd"], ["macd_signal", "rsi_14"], ["macd_hist", "drawdown"]),
    "volatility": (["bb_upper_20", "std_20"], ["volume_ma_20"], ["ma_20", "bars_held"]),
    "volume": (["volume_ma_20"], ["returns_10"], ["ema_10", "bars_held"]),
}


def theme_style(theme: str, regime: MarketRegime) -> str:
    """The rule style a theme asks for; unplaced themes follow the regime."""
    text = " ".join(theme.lower().replace("_", " ").split())
    for style, words in _THEME_KEYWORDS:
        if any(word in text for word in words):
            return style
    return _REGIME_STYLE[regime]


def _rng(theme: str, regime: MarketRegime, seed: int) -> random.Random:
    digest = hashlib.sha256(f"{seed}|{theme.strip().lower()}|{regime.value}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


@dataclass(frozen=True)
class _Filter:
    """In these regimes a style also asks `entry`, exits on `exit`, and adds `params`."""

    regimes: tuple[MarketRegime, ...]
    params: dict[str, float]
    entry: tuple[str, ...] = ()
    exit: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Style:
    """A rule family: its conditions over a window drawn from `windows`, shaped by the regime.

    `params(window, regime)` are the base parameters; `entry_by_regime` replaces the base
    entry in those regimes; the filters then add to it in order.
    """

    windows: tuple[int, ...]
    exits: tuple[float, float]  # base take profit, stop loss before regime and volatility
    entry: tuple[str, ...]
    exit: tuple[str, ...]
    params: Callable[[int, MarketRegime], dict[str, float]]
    filters: tuple[_Filter, ...] = ()
    entry_by_regime: dict[MarketRegime, tuple[str, ...]] = field(default_factory=dict)

    def conditions(
        self, regime: MarketRegime, rng: random.Random
    ) -> tuple[list[str], list[str], dict[str, float]]:
        """Entry, exit and parameters in this regime; `rng` draws the window."""
        window = rng.choice(self.windows)
        entry = list(self.entry_by_regime.get(regime, self.entry))
        exit_ = list(self.exit)
        params = self.params(window, regime)
        for rule in self.filters:
            if regime in rule.regimes:
                entry.extend(rule.entry)
                exit_.extend(rule.exit)
                params |= rule.params
        return entry, exit_, params


_R = MarketRegime
_BEARISH = (_R.TRENDING_BEARISH, _R.BREAKDOWN)


def _breakout_windows(window: int, regime: MarketRegime) -> dict[str, float]:
    if regime is MarketRegime.RANGING_LOW_VOL:  # quiet ranges break on shorter channels
        return {"breakout_window": window // 2, "exit_window": max(5, window // 4)}
    return {"breakout_window": window, "exit_window": window // 2}


def _oversold(level: float) -> dict[str, float]:
    return {"rsi_oversold": level, "rsi_overbought": 100.0 - level}


def _above_trend(regimes: tuple[MarketRegime, ...], window: int, average: str = "ma") -> _Filter:
    """In these regimes, enter only above the `window`-bar moving average (`ma` or `ema`)."""
    return _Filter(
        regimes, {"trend_window": window}, entry=(f"price > {average}_{{trend_window}}",)
    )


_STYLES: dict[str, _Style] = {
    "breakout": _Style(
        windows=(20, 30, 40),
        exits=(0.12, 0.05),
        entry=("price > high_{breakout_window}",),
        exit=("price < low_{exit_window}", "drawdown > max_drawdown"),
        params=_breakout_windows,
        filters=(
            # Ranges throw false breakouts: ask for volume behind the move.
            _Filter(
                (_R.RANGING_HIGH_VOL, _R.BREAKOUT, _R.UNKNOWN),
                {"volume_window": 20, "volume_mult": 1.5},
                entry=("volume > volume_ma_{volume_window} * volume_mult",),
            ),
            _above_trend((_R.TRENDING_BULLISH, _R.TRENDING_BEARISH), 100),
        ),
    ),
    "mean_reversion": _Style(
        windows=(20, 30),
        exits=(0.06, 0.04),
        entry=("price < bb_lower_{bb_window}", "rsi_{rsi_window} < rsi_oversold"),
        exit=("price > ma_{bb_window}", "rsi_{rsi_window} > rsi_overbought"),
        params=lambda w, _: {"bb_window": w, "rsi_window": 14},
        entry_by_regime={
            # Buy pullbacks in the direction of the trend.
            _R.TRENDING_BULLISH: (
                "price < ma_{bb_window}",
                "price > ma_{trend_window}",
                "rsi_{rsi_window} < rsi_oversold",
            ),
            _R.REVERSAL: ("rsi_{rsi_window} crosses_above rsi_oversold", "price < ma_{bb_window}"),
        },
        filters=(
            # Falling markets: only the deepest dips, cut losers by time.
            _Filter(_BEARISH, {"max_bars": 50} | _oversold(22.0), exit=("bars_held > max_bars",)),
            _Filter((_R.TRENDING_BULLISH,), {"trend_window": 100} | _oversold(40.0)),
            _Filter((_R.RANGING_HIGH_VOL,), _oversold(25.0)),
            _Filter((_R.RANGING_LOW_VOL, _R.BREAKOUT, _R.REVERSAL, _R.UNKNOWN), _oversold(30.0)),
        ),
    ),
    "trend_following": _Style(
        windows=(10, 12, 15),
        exits=(0.15, 0.06),
        entry=("ema_{fast_window} > ema_{slow_window}", "price > ma_{trend_window}"),
        exit=("ema_{fast_window} crosses_below ema_{slow_window}", "drawdown > max_drawdown"),
        params=lambda w, _: {"fast_window": w, "slow_window": w * 4, "trend_window": 100},
        filters=(
            # Filter out flat chop: the trend must also be visible in returns.
            _Filter(
                (_R.RANGING_HIGH_VOL, _R.RANGING_LOW_VOL),
                {"min_trend_return": 0.01},
                entry=("returns_{trend_window} > min_trend_return",),
            ),
            _Filter(_BEARISH, {"rsi_window": 14}, entry=("rsi_{rsi_window} > 50",)),
        ),
    ),
    "momentum": _Style(
        windows=(10, 20, 30),
        exits=(0.10, 0.05),
        entry=("returns_{momentum_window} > momentum_threshold", "macd > macd_signal"),
        exit=("macd crosses_below macd_signal", "drawdown > max_drawdown"),
        params=lambda w, _: {"momentum_window": w, "momentum_threshold": 0.005},
        filters=(
            _Filter(
                (_R.RANGING_HIGH_VOL, _R.BREAKOUT),
                {"momentum_threshold": 0.02, "volume_window": 20},
                entry=("volume > volume_ma_{volume_window}",),
            ),
            _above_trend(_BEARISH, 50, average="ema"),
            _Filter((_R.RANGING_LOW_VOL,), {"rsi_window": 14}, entry=("rsi_{rsi_window} < 70",)),
        ),
    ),
    "volatility": _Style(
        windows=(20, 30),
        exits=(0.10, 0.05),
        entry=("price > bb_upper_{bb_window}", "volume > volume_ma_{volume_window}"),
        exit=("price < ma_{bb_window}", "bars_held > max_bars"),
        params=lambda w, _: {"bb_window": w, "volume_window": 20, "max_bars": 100},
        filters=(
            # A squeeze: band width small against price before the expansion.
            _Filter(
                (_R.RANGING_LOW_VOL,),
                {"squeeze_width": 0.02},
                entry=("std_{bb_window} / price < squeeze_width",),
            ),
            _above_trend(_BEARISH, 100),
        ),
    ),
    "volume": _Style(
        windows=(20, 30, 50),
        exits=(0.08, 0.04),
        entry=("volume > volume_ma_{volume_window} * volume_mult", "returns_{return_window} > 0"),
        exit=("price < ema_{exit_window}", "bars_held > max_bars"),
        params=lambda w, _: {
            "volume_window": w,
            "volume_mult": 2.0,
            "return_window": 10,
            "exit_window": 10,
            "max_bars": 60,
        },
        filters=(_Filter((_R.RANGING_HIGH_VOL, _R.TRENDING_BEARISH), {"volume_mult": 3.0}),),
    ),
}


def _apply_hints(
    hints: OfflineHints, asked: list[str], exit_: list[str], params: dict[str, float]
) -> None:
    """Scale the windows; add the exits the hints or the insight's exit indicators ask for."""
    for name, value in params.items():
        if name.endswith("_window"):
            params[name] = max(2, round(value * hints.window_scale))
    trailing = hints.exit == "trailing" or "drawdown" in asked
    if trailing and not any(c.startswith("drawdown") for c in exit_):
        exit_.append("drawdown > max_drawdown")  # its limit is the insight's max_drawdown
    timed = hints.exit == "time" or "bars_held" in asked
    if timed and not any(c.startswith("bars_held") for c in exit_):
        exit_.append("bars_held > max_bars")
        windows = [v for k, v in params.items() if k.endswith("_window")]
        params["max_bars"] = 3 * max(windows, default=50)


def offline_rules(
    theme: str,
    insight: StrategyInsight,
    context: MarketContext,
    seed: int = 0,
    hints: OfflineHints | None = None,
    style: str | None = None,
) -> TradingRules:
    """TradingRules composed from the rule language for the theme, regime and prompt hints;
    same inputs, same rules.

    `style` picks the rule family (a key of STYLE_INDICATORS) instead of the theme's own.
    """
    regime = context.regime
    style = style or theme_style(theme, regime)
    entry, exit_, params = _STYLES[style].conditions(regime, _rng(theme, regime, seed))
    _apply_hints(hints or OfflineHints(), insight.key_indicators.exit, exit_, params)
    rule = insight.regime_specific_rules.get(regime)
    sl_mult = rule.stop_loss_mult if rule else 1.0
    tp_mult = rule.take_profit_mult if rule else 1.0
    size_mult = rule.position_size_mult if rule else 1.0
    base_tp, base_sl = _STYLES[style].exits
    vol_scale = 0.75 + context.volatility_level  # wider exits in wilder markets
    max_orders = {"low": 3, "medium": 2, "high": 1}[context.risk_level]
    params |= {
        "take_profit": round(min(0.3, max(0.05, base_tp * tp_mult * vol_scale)), 4),
        "stop_loss": round(min(0.15, max(0.02, base_sl * sl_mult * vol_scale)), 4),
        "order_size": round(min(0.5, max(0.05, insight.suggested_position_size * size_mult)), 4),
        "max_orders": max_orders,
        "max_drawdown": round(insight.risk_management.max_drawdown, 4),
    }
    if not any("max_drawdown" in cond for cond in exit_):
        params.pop("max_drawdown")
    return TradingRules.model_validate(
        {
            "conditions": {"entry": entry, "exit": exit_},
            "parameters": {k: float(v) for k, v in params.items()},
        }
    )
