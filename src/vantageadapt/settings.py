"""One settings tree for a run: flags > VANTAGE_* env (.env read) > vantage.toml > defaults."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from vantageadapt.errors import ConfigError
from vantageadapt.models import Thresholds

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///vantage.db"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DataSection(_Section):
    """How the run reads and splits its data."""

    path: Path | None = None
    trust_pickle: bool = False
    bar: str | None = Field(default=None, description="resample trades into bars, e.g. '1min'")
    validation_fraction: float = Field(default=0.2, gt=0.0, lt=0.5)
    test_fraction: float = Field(default=0.2, gt=0.0, lt=0.5)


class LLMSection(_Section):
    """Which strategist answers, and the budget it may spend."""

    provider: Literal["offline", "openai", "anthropic", "local"] = "offline"
    model: str | None = Field(default=None, description="model name, or a .gguf path for local")
    base_url: str | None = None
    tool_choice: Literal["named", "auto"] = Field(
        default="named",
        description="how an OpenAI-compatible server is made to answer with the tool: a named "
        "tool choice, or 'auto' plus a request in words (servers that reject named ones)",
    )
    timeout: float | None = Field(
        default=None, gt=0.0, description="seconds per request; default scales for local servers"
    )
    max_output_tokens: int | None = Field(default=None, gt=0, description="answer length cap")
    max_attempts: int = Field(default=3, ge=1, le=10, description="asks per question")
    cache: bool = False
    max_cost: float | None = Field(default=None, gt=0.0, description="USD")
    max_tokens: int | None = Field(default=None, gt=0)


class OptimizeSection(_Section):
    """The parameter search each iteration runs."""

    sampler: Literal["random", "grid", "tpe"] = "random"
    trials: int = Field(default=60, ge=1, le=1_000_000)
    score: Literal["default", "seed"] = "default"
    subset_size: int = Field(default=5, ge=1)
    executor: str = "local"
    eval_trials: int = Field(
        default=12, ge=1, description="trials per sandboxed patch evaluation by the agent"
    )
    hypotheses: int = Field(
        default=3, ge=1, le=8, description="candidate rule sets per iteration (share the trials)"
    )


class EngineSection(_Section):
    """The backtest engine's account, fees and fills, and the period ratios are computed on."""

    init_cash: float | None = Field(
        default=None, gt=0.0, description="quote currency; unset: 10 with AMM fills, else 10,000"
    )
    fees: float = Field(default=0.001, ge=0.0, lt=1.0)
    slippage: float = Field(default=0.0, ge=0.0, lt=1.0)
    fill_model: Literal["auto", "close", "amm"] = "auto"
    pool_fee: float = Field(default=0.0025, ge=0.0, lt=1.0)
    size_type: Literal["fraction", "amount", "volatility"] = "fraction"
    stop_fill: Literal["close", "level"] = "close"
    metrics_period: Literal["auto", "1D", "1h", "1min", "row"] = "auto"


class AgentSection(_Section):
    """The Gödel agent's acceptance rule and effort."""

    enabled: bool = True
    improvement_threshold: float = Field(default=0.1, ge=0.0)
    max_iterations: int = Field(default=5, ge=1)
    # Wall-clock seconds for one candidate's contract tests and evaluation in its worker.
    candidate_timeout: float = Field(default=300.0, gt=0.0)


class StoreSection(_Section):
    """Where runs are stored."""

    database_url: str = DEFAULT_DATABASE_URL


class RunSettings(_Section):
    """Everything one `vantage run` needs; each part gets only its own section."""

    theme: str = "breakout trading"
    iterations: int = Field(default=5, ge=1, le=100)
    seed: int = 0
    report: Path | None = None
    resume: str | None = None
    thresholds: Thresholds = Field(default_factory=Thresholds)
    data: DataSection = Field(default_factory=DataSection)
    llm: LLMSection = Field(default_factory=LLMSection)
    optimize: OptimizeSection = Field(default_factory=OptimizeSection)
    engine: EngineSection = Field(default_factory=EngineSection)
    agent: AgentSection = Field(default_factory=AgentSection)
    store: StoreSection = Field(default_factory=StoreSection)

    def public_dump(self) -> dict[str, Any]:
        """The settings as JSON-ready data, safe to store (keys never live here)."""
        return self.model_dump(mode="json")


# The flat environment names README.md lists -> their place in the tree.
_ENV_ALIASES: dict[str, tuple[str, ...]] = {
    "VANTAGE_DATABASE_URL": ("store", "database_url"),
    "VANTAGE_PROVIDER": ("llm", "provider"),
    "VANTAGE_MODEL": ("llm", "model"),
    "VANTAGE_BASE_URL": ("llm", "base_url"),
    "VANTAGE_TOOL_CHOICE": ("llm", "tool_choice"),
    "VANTAGE_LLM_TIMEOUT": ("llm", "timeout"),
    "VANTAGE_ITERATIONS": ("iterations",),
    "VANTAGE_SEED": ("seed",),
    "VANTAGE_SAMPLER": ("optimize", "sampler"),
    "VANTAGE_TRIALS": ("optimize", "trials"),
    "VANTAGE_EXECUTOR": ("optimize", "executor"),
    "VANTAGE_MAX_COST": ("llm", "max_cost"),
    "VANTAGE_MAX_TOKENS": ("llm", "max_tokens"),
}
# Environment names that are not settings of a run.
_ENV_IGNORED = {"VANTAGE_HOME"}


def _utf8_text(path: Path, what: str) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{what} {path} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset "
            f"{exc.start}); save it as UTF-8"
        ) from None


def read_dotenv(path: Path) -> dict[str, str]:
    """KEY=VALUE lines of a .env file (comments, blanks and `export ` prefixes allowed)."""
    if not path.is_file():
        return {}
    values = {}
    for number, raw in enumerate(_utf8_text(path, "environment file").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ").strip()
        if "=" not in line:
            raise ConfigError(f"{path}:{number}: expected KEY=VALUE, got {raw.strip()!r}")
        key, value = line.split("=", 1)
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def load_dotenv_into_environ(path: Path = Path(".env")) -> None:
    """Copy .env values into os.environ where not already set (so API keys reach providers)."""
    for key, value in read_dotenv(path).items():
        os.environ.setdefault(key, value)


def _set(tree: dict[str, Any], keys: tuple[str, ...], value: Any) -> None:
    node = tree
    for key in keys[:-1]:
        node = node.setdefault(key, {})
        if not isinstance(node, dict):
            raise ConfigError(f"setting {'.'.join(keys)} conflicts with a plain value")
    node[keys[-1]] = value


def _merge(base: dict[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in top.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def env_layer(environ: Mapping[str, str]) -> dict[str, Any]:
    """VANTAGE_* variables as a settings tree: flat aliases, or nested with `__`."""
    tree: dict[str, Any] = {}
    for name, value in environ.items():
        if not name.startswith("VANTAGE_") or name in _ENV_IGNORED:
            continue
        if name in _ENV_ALIASES:
            _set(tree, _ENV_ALIASES[name], value)
        elif "__" in name:
            keys = tuple(part.lower() for part in name.removeprefix("VANTAGE_").split("__"))
            _set(tree, keys, value)
    return tree


def config_layer(path: Path | None) -> dict[str, Any]:
    """The settings tree of a vantage.toml file (tables match the sections)."""
    if path is None:
        return {}
    if not path.is_file():
        raise ConfigError(f"config file {path} not found; pass an existing --config vantage.toml")
    try:
        return tomllib.loads(_utf8_text(path, "config file"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
    except RecursionError:
        raise ConfigError(f"config file {path} nests too deep to be a settings file") from None


def parse_thresholds(text: str) -> dict[str, float]:
    """`sortino_ratio=1.5,total_trades=50` -> {"sortino_ratio": 1.5, "total_trades": 50.0}."""
    known = set(Thresholds.model_fields)
    values: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, raw = item.partition("=")
        name = name.strip()
        if not sep or name not in known:
            raise ConfigError(
                f"--thresholds item {item!r} must be NAME=VALUE with NAME one of "
                f"{', '.join(sorted(known))}"
            )
        try:
            values[name] = float(raw)
        except ValueError as exc:
            raise ConfigError(f"--thresholds {name}={raw!r}: the value must be a number") from exc
    return values


def load_settings(
    flags: Mapping[str, Any] | None = None,
    *,
    config: Path | None = None,
    environ: Mapping[str, str] | None = None,
    dotenv: Path | None = Path(".env"),
) -> RunSettings:
    """Build the one settings tree: flags > environment (.env beneath it) > config > defaults.

    `flags` is a nested dict holding only the options the user gave (None values are dropped).
    """
    env: dict[str, str] = dict(read_dotenv(dotenv)) if dotenv is not None else {}
    env.update(os.environ if environ is None else environ)
    tree = _merge(_merge(config_layer(config), env_layer(env)), _drop_none(flags or {}))
    try:
        return RunSettings.model_validate(tree)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ConfigError(
            f"setting {where}: {first['msg']} (from flags, VANTAGE_* environment or "
            f"{config or 'the config file'}); {exc.error_count()} problem(s) in all"
        ) from exc


def _drop_none(tree: Mapping[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, Mapping):
            inner = _drop_none(value)
            if inner:
                cleaned[key] = inner
        elif value is not None:
            cleaned[key] = value
    return cleaned
