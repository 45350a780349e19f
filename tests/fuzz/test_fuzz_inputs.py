"""Random rules, rules files, CSVs, database URLs and output paths: documented errors only."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vantageadapt.commands.rules_file import load_rules_file
from vantageadapt.data import load_trade_data
from vantageadapt.errors import ConfigError, DataError, RuleError
from vantageadapt.models import TradingRules
from vantageadapt.outputs import check_output_path
from vantageadapt.rules import parse_condition
from vantageadapt.store.url import mask_url, normalize_url

BUDGET = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_TOKENS = st.sampled_from(
    ["price", "ma_20", "volume", "(", ")", "not", "and", "or", "-", "+", "*", "/", ">", "<=",
     "crosses_above", "1e999", "0.5", "3", "x", "{w}", "rsi_{w}", "ma_0", "\x00", "é"]
)  # fmt: skip


@BUDGET
@given(st.lists(_TOKENS, max_size=300).map(" ".join) | st.text(max_size=400))
def test_any_condition_parses_or_is_a_rule_error(text):
    try:
        parse_condition(text)
    except RuleError as exc:
        assert "\n" not in str(exc)


@BUDGET
@given(depth=st.integers(33, 5_000), kind=st.sampled_from(["(", "not ", "-"]))
def test_deep_conditions_name_their_depth(depth, kind):
    closing = ")" * depth if kind == "(" else ""
    with pytest.raises(RuleError, match=r"nests \d+ deep; the limit is 32|characters long"):
        parse_condition(kind * depth + "price" + closing + " > 1")


_JSON = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=20,
)


@BUDGET
@given(
    entry=st.lists(st.text(max_size=40), max_size=3),
    parameters=st.dictionaries(st.sampled_from(["price", "stop_loss", "take_profit", "w", "ma_5"]),
                               st.floats(allow_nan=True) | st.integers()),
    extra=_JSON,
)  # fmt: skip
def test_any_rules_object_validates_or_is_a_clear_error(entry, parameters, extra):
    from pydantic import ValidationError

    raw = {"conditions": {"entry": entry, "exit": ["price < 1"]}, "parameters": parameters}
    for candidate in (raw, extra):
        with contextlib.suppress(RuleError, ValidationError):
            TradingRules.model_validate(candidate)


@BUDGET
@given(content=st.binary(max_size=300) | _JSON.map(json.dumps).map(str.encode))
def test_any_rules_file_loads_or_is_one_line(tmp_path, content):
    path = tmp_path / "rules.json"
    path.write_bytes(content)
    try:
        load_rules_file(path)
    except (ConfigError, RuleError) as exc:
        assert "\n" not in str(exc)


def test_a_rules_file_nested_100000_deep(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ConfigError, match="nests too deep"):
        load_rules_file(path)


@settings(BUDGET, max_examples=25)
@given(
    content=st.binary(max_size=400)
    | st.lists(st.sampled_from(["timestamp,price,volume\n", "1,2,3\n", "x,,\n", "\x00", "1e999,"
                                ",\n", '"', "2024-01-01,1,1\n"]), max_size=12).map("".join)
    .map(str.encode)
)  # fmt: skip
def test_any_csv_loads_or_is_a_data_error(tmp_path, content):
    path = tmp_path / "AAA.csv"
    path.write_bytes(content)
    try:
        load_trade_data(path)
    except DataError as exc:
        assert "\n" not in str(exc)


def test_nul_csv_is_refused_with_bounded_memory(tmp_path):
    path = tmp_path / "nul.csv"
    with path.open("wb") as out:
        out.truncate(64 << 20)  # 64 MB of NULs, written sparse
    with pytest.raises(DataError, match="NUL bytes"):
        load_trade_data(path)


_SECRET = st.text(alphabet="abcXYZ0189@#!:/?%&=+ ", min_size=8, max_size=20)


@BUDGET
@given(password=_SECRET, scheme=st.sampled_from(["postgresql+asyncpg", "postgres", "mysql"]))
def test_a_password_is_never_shown_whatever_it_holds(password, scheme):
    url = f"{scheme}://trader:{password}@db.example:5432/vantage"
    shown = mask_url(url)
    assert password not in shown
    try:
        normalize_url(url)
    except ConfigError as exc:
        assert password not in str(exc) and exc.exit_code == 2


@BUDGET
@given(st.text(max_size=80))
def test_any_url_parses_or_is_bad_input(url):
    try:
        normalize_url(url)
    except ConfigError as exc:
        assert exc.exit_code == 2 and "\n" not in str(exc)


@BUDGET
@given(
    name=st.text(alphabet="ab./\x00 é~", max_size=12),
    base=st.sampled_from(["tmp", "/proc", "/dev/full", "/dev", "/sys/kernel"]),
)
def test_any_output_path_is_checked_without_writing(tmp_path, name, base):
    root = tmp_path if base == "tmp" else Path(base)
    before = sorted(tmp_path.rglob("*"))
    try:
        check_output_path(root / name if name else root)
    except (ConfigError, ValueError) as exc:  # ValueError: a NUL in the path
        assert "\n" not in str(exc)
    assert sorted(tmp_path.rglob("*")) == before


@pytest.mark.parametrize(
    "args",
    [
        ("data", "info", "evil.pkl"),
        ("data", "sample", "--out", "/proc/x.pkl", "--rows", "10", "--assets", "1"),
        ("backtest", "--data", "evil.pkl", "--rules", "bad.json"),
        ("db", "current", "--db", "mysql://u:S3cr@t!p#ss@host/db"),
        ("db", "current", "--db", "sqlite+aiosqlite:////proc/x.db"),
    ],
)
def test_the_cli_answers_bad_input_in_one_line(tmp_path, capfd, args):
    from vantageadapt.cli import main

    from . import hostile

    (tmp_path / "evil.pkl").write_bytes(hostile.placement_outside())
    (tmp_path / "bad.json").write_bytes(b"\xff\xfe{}")
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    err = capfd.readouterr().err
    assert exit_info.value.code == 2, err
    assert len(err.strip().splitlines()) == 1, err
    assert "Traceback" not in err and "t!p#ss" not in err
    assert not Path("/proc/x.pkl").exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("vantage.toml", b"\xff\xfe[x", "config file .* is not UTF-8 text"),
        ("vantage.toml", b"a=" + b"[" * 100_000, "nests too deep|not valid TOML"),
        (".env", b"VANTAGE_DATABASE_URL=\xff\n", "environment file .* is not UTF-8 text"),
    ],
)
def test_settings_files_that_are_not_text_are_config_errors(tmp_path, name, content, message):
    from vantageadapt.settings import load_settings

    path = tmp_path / name
    path.write_bytes(content)
    config, dotenv = (path, None) if name.endswith(".toml") else (None, path)
    with pytest.raises(ConfigError, match=message):
        load_settings({}, config=config, environ={}, dotenv=dotenv)
