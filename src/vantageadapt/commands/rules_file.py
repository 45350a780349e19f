"""Read a rules JSON file (`--rules FILE`) into a checked TradingRules."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from vantageadapt.errors import ConfigError
from vantageadapt.models import TradingRules

_SHAPE = '{"conditions": {"entry": [...], "exit": [...]}, "parameters": {...}}'


def load_rules_file(path: str | Path) -> TradingRules:
    """TradingRules from JSON; ConfigError for a bad file, RuleError for a bad condition."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text())
    except OSError as exc:
        raise ConfigError(f"cannot read rules file {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"rules file {path} is not JSON ({exc}); expected {_SHAPE}") from None
    try:
        return TradingRules.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "top level"
        raise ConfigError(f"rules file {path}: {where}: {err['msg']}; expected {_SHAPE}") from None
