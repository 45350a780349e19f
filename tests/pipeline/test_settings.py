"""The settings tree: flags > VANTAGE_* env (.env) > vantage.toml > defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from vantageadapt.errors import ConfigError
from vantageadapt.settings import (
    DEFAULT_DATABASE_URL,
    env_layer,
    load_settings,
    parse_thresholds,
    read_dotenv,
)


def test_defaults_without_any_source():
    settings = load_settings({}, environ={}, dotenv=None)
    assert settings.iterations == 5
    assert settings.llm.provider == "offline"
    assert settings.store.database_url == DEFAULT_DATABASE_URL
    assert settings.thresholds.sortino_ratio == 2.0
    assert settings.optimize.sampler == "random"


def test_precedence_flags_over_env_over_config_over_defaults(tmp_path: Path):
    config = tmp_path / "vantage.toml"
    config.write_text(
        'iterations = 3\nseed = 9\n[optimize]\ntrials = 11\nsampler = "grid"\n'
        "[thresholds]\nwin_rate = 0.3\n"
    )
    environ = {"VANTAGE_TRIALS": "22", "VANTAGE_SEED": "4", "VANTAGE_OPTIMIZE__SUBSET_SIZE": "2"}
    flags = {"seed": 7, "optimize": {"sampler": None}, "llm": {"model": None}}
    settings = load_settings(flags, config=config, environ=environ, dotenv=None)
    assert settings.iterations == 3  # config only
    assert settings.optimize.sampler == "grid"  # a None flag does not override
    assert settings.optimize.trials == 22  # env over config
    assert settings.optimize.subset_size == 2  # nested env name
    assert settings.seed == 7  # flag over env over config
    assert settings.thresholds.win_rate == 0.3
    assert settings.thresholds.total_trades == 100  # untouched default in the same table


def test_dotenv_sits_beneath_the_real_environment(tmp_path: Path):
    dotenv = tmp_path / ".env"
    dotenv.write_text("# comment\nexport VANTAGE_PROVIDER=openai\nVANTAGE_MODEL='gpt-x'\n")
    assert read_dotenv(dotenv) == {"VANTAGE_PROVIDER": "openai", "VANTAGE_MODEL": "gpt-x"}
    settings = load_settings({}, environ={"VANTAGE_MODEL": "other"}, dotenv=dotenv)
    assert settings.llm.provider == "openai"
    assert settings.llm.model == "other"


def test_design_env_names_map_into_sections():
    tree = env_layer(
        {
            "VANTAGE_DATABASE_URL": "sqlite+aiosqlite:///x.db",
            "VANTAGE_BASE_URL": "http://h",
            "VANTAGE_HOME": "/ignored",
            "OPENAI_API_KEY": "sk-never-read",
        }
    )
    assert tree == {
        "store": {"database_url": "sqlite+aiosqlite:///x.db"},
        "llm": {"base_url": "http://h"},
    }


def test_bad_values_are_config_errors_naming_the_setting(tmp_path: Path):
    with pytest.raises(ConfigError, match=r"optimize\.trials"):
        load_settings({}, environ={"VANTAGE_TRIALS": "zero"}, dotenv=None)
    with pytest.raises(ConfigError, match=r"llm\.provider"):
        load_settings({"llm": {"provider": "gpt"}}, environ={}, dotenv=None)
    with pytest.raises(ConfigError, match="not found"):
        load_settings({}, config=tmp_path / "missing.toml", environ={}, dotenv=None)
    bad = tmp_path / "bad.toml"
    bad.write_text("iterations = ")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings({}, config=bad, environ={}, dotenv=None)
    with pytest.raises(ConfigError, match="unknown"):
        load_settings({"unknown": 1}, environ={}, dotenv=None)


def test_thresholds_override_text():
    assert parse_thresholds("sortino_ratio=1.5, total_trades=50") == {
        "sortino_ratio": 1.5,
        "total_trades": 50.0,
    }
    settings = load_settings(
        {"thresholds": parse_thresholds("total_trades=50")}, environ={}, dotenv=None
    )
    assert settings.thresholds.total_trades == 50
    assert settings.thresholds.total_return == 0.5
    with pytest.raises(ConfigError, match="NAME=VALUE"):
        parse_thresholds("sharpe=1")
    with pytest.raises(ConfigError, match="must be a number"):
        parse_thresholds("win_rate=high")


def test_public_dump_round_trips_and_holds_no_keys(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secretsecret")
    settings = load_settings({"theme": "momentum"}, dotenv=None)
    dumped = settings.public_dump()
    assert "sk-secretsecret" not in str(dumped)
    assert load_settings(dumped, environ={}, dotenv=None) == settings
