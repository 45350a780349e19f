"""`vantage optimize`: one JSON object on stdout, one-line errors with exit codes 2 and 3."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from vantageadapt.cli import main


@pytest.fixture
def files(tmp_path, walks, ma_rules):
    parts = [f.reset_index().assign(symbol=s) for s, f in list(walks.items())[:3]]
    pd.concat(parts).to_csv(tmp_path / "walks.csv", index=False)
    (tmp_path / "rules.json").write_text(ma_rules.model_dump_json())
    return ["--data", str(tmp_path / "walks.csv"), "--rules", str(tmp_path / "rules.json")]


def _run(args: list[str], capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(["optimize", *args])
    out, err = capsys.readouterr()
    return info.value.code, out, err


def test_json_output(files, capsys):
    code, out, _ = _run([*files, "--trials", "6", "--seed", "3", "--json"], capsys)
    assert code == 0
    payload = json.loads(out)
    assert payload["trials"] == 6 and not payload["interrupted"]
    assert set(payload["per_asset"]) == {"W0", "W1", "W2"}
    assert payload["in_sample"]["n_assets"] == 3
    assert {"take_profit", "ma_window", "max_drawdown"} <= set(payload["best_parameters"])
    assert payload["wall_seconds"] > 0 and 0 <= payload["deflated_sharpe"] <= 1
    again = json.loads(_run([*files, "--trials", "6", "--seed", "3", "--json"], capsys)[1])
    assert again["best_parameters"] == payload["best_parameters"]
    first, second = payload["indicator_cache"], again["indicator_cache"]
    assert {"hits", "misses", "evictions", "bytes"} <= set(first) and first["hits"] > 0
    # the same data again: every indicator and condition array comes from the shared store
    assert second["misses"] == 0 and second["hits"] > 0


def test_table_output_and_overrides(files, capsys):
    args = [*files, "--trials", "4", "--sampler", "grid", "--param", "ma_window=10,30"]
    code, out, _ = _run(args, capsys)
    assert code == 0 and "best parameters" in out and "deflated Sharpe" in out


@pytest.mark.parametrize(
    ("extra", "code", "message"),
    [
        (["--sampler", "anneal"], 2, "unknown sampler 'anneal'"),
        (["--score", "sharpe"], 2, "unknown score 'sharpe'"),
        (["--param", "take_profit=0.3:0.1"], 2, "min 0.3 > max 0.1"),
        (["--param", "take_profit=0.1:0.1"], 2, "empty range"),
        (["--param", "bogus=1:2"], 2, "unknown parameter 'bogus'"),
        (["--executor", "dask://127.0.0.1:1"], 3, "cannot reach the Dask scheduler"),
        (["--executor", "yarn"], 2, "bad executor 'yarn'"),
    ],
)
@pytest.mark.timeout(60)
def test_bad_input_is_one_line(files, capsys, extra, code, message):
    got, out, err = _run([*files, "--trials", "2", *extra], capsys)
    assert got == code and out == ""
    line = next(x for x in err.splitlines() if x.startswith("error:"))
    assert message in line


def test_bad_rules_file(tmp_path, files, capsys):
    (tmp_path / "rules.json").write_text('{"conditions": {"entry": ["price >"]}}')
    got, _, err = _run(files, capsys)
    assert got == 2 and "rules file" in err


def test_space_file_and_walk_forward(tmp_path, files, capsys):
    space = {
        "ma_window": {"type": "choice", "values": [15, 25]},
        "max_orders": {"min": 1, "max": 1, "type": "int"},
    }
    (tmp_path / "space.json").write_text(json.dumps(space))
    args = [*files, "--trials", "4", "--space", str(tmp_path / "space.json"), "--walk-forward", "2"]
    code, out, _ = _run([*args, "--json"], capsys)
    payload = json.loads(out)
    assert code == 0 and payload["best_parameters"]["ma_window"] in (15, 25)
    assert payload["best_parameters"]["max_orders"] == 1
