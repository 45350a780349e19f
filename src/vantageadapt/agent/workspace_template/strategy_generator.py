"""Workspace hook: how rules are composed from the strategist's insight, context and theme."""

from __future__ import annotations

from typing import Any

# Each entry: (entry conditions, exit conditions, extra parameters). A rule set listed here is
# used instead of the strategist's own rules when the theme mentions its key.
THEME_RULES: dict[str, tuple[list[str], list[str], dict[str, float]]] = {}

# An exit indicator the strategist's insight asks for -> the exit added for it.
INSIGHT_EXITS: dict[str, str] = {"bars_held": "bars_held > max_bars"}
HOLD_WINDOWS = 3.0  # max_bars: this many of the rules' longest window


def compose_rules(insight: Any, context: Any, theme: str) -> dict[str, Any] | None:
    """A {"conditions", "parameters"} rules dict, or None to keep the strategist's rules."""
    text = theme.lower()
    for key, (entry, exit_, extra) in THEME_RULES.items():
        if key in text:
            stop = float(insight.volatility_adjustment.stop_loss)
            parameters = {
                "take_profit": 0.1,
                "stop_loss": min(0.15, max(0.02, stop)),
                "order_size": 0.1,
                "max_orders": 3.0,
            }
            parameters.update(extra)
            exits, asked = list(exit_), insight.key_indicators.model_dump()["exit"]
            for name, condition in INSIGHT_EXITS.items():
                if name in asked and condition not in exits:
                    exits.append(condition)
            if INSIGHT_EXITS["bars_held"] in exits:
                longest = max((v for k, v in extra.items() if k.endswith("window")), default=50.0)
                parameters["max_bars"] = HOLD_WINDOWS * longest
            return {"conditions": {"entry": entry, "exit": exits}, "parameters": parameters}
    return None
