"""Read a rules JSON file (`--rules FILE`) into a checked TradingRules."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from vantageadapt.errors import ConfigError
from vantageadapt.models import TradingRules

MAX_BYTES = 1_000_000
_SHAPE = '{"conditions": {"entry": [...], "exit": [...]}, "parameters": {...}}'


def load_rules_file(path: str | Path) -> TradingRules:
    """TradingRules from JSON; ConfigError for a bad file, RuleError for a bad condition."""
    path = Path(path)
    try:
        if path.exists() and not path.is_file():  # a device or pipe would be read forever
            raise ConfigError(f"rules file {path} is not a regular file; expected {_SHAPE}")
        if path.is_file() and path.stat().st_size > MAX_BYTES:
            raise ConfigError(f"rules file {path} is over {MAX_BYTES:,} bytes; expected {_SHAPE}")
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read rules file {path}: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"rules file {path} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset "
            f"{exc.start}); save it as UTF-8 JSON"
        ) from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"rules file {path} is not JSON ({exc}); expected {_SHAPE}") from None
    except RecursionError:
        raise ConfigError(f"rules file {path} nests too deep; expected {_SHAPE}") from None
    try:
        return TradingRules.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "top level"
        raise ConfigError(f"rules file {path}: {where}: {err['msg']}; expected {_SHAPE}") from None
