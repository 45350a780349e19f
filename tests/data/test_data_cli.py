"""`vantage data sample` / `vantage data info`, and one clean line with exit 2 for bad data."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from vantageadapt.cli import main


def _vantage() -> list[str]:
    script = Path(sys.executable).with_name("vantage")
    return [str(script)] if script.exists() else [sys.executable, "-m", "vantageadapt.cli"]


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "120"}
    return subprocess.run(
        [*_vantage(), *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=120
    )


def _cli(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


class _Evil:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_sample_twice_is_byte_identical_and_info_reports_it(tmp_path, capsys, monkeypatch):
    """One write in this process, one in a fresh `vantage` process: the same bytes."""
    monkeypatch.chdir(tmp_path)
    args = ("data", "sample", "--out", "s.pkl", "--assets", "3", "--rows", "5000", "--seed", "1")
    assert _cli(capsys, *args)[0] == 0
    copy = (tmp_path / "s.pkl").read_bytes()
    second = _run(*args, cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert (tmp_path / "s.pkl").read_bytes() == copy
    code, out, _ = _cli(capsys, "data", "info", "s.pkl", "--json")
    assert code == 0
    payload = json.loads(out)
    assert payload["n_symbols"] == 3
    assert {s: v["rows"] for s, v in payload["symbols"].items()} == {
        "TOKEN00": 5000,
        "TOKEN01": 5000,
        "TOKEN02": 5000,
    }


def test_malicious_pickle_is_refused_by_the_real_cli(tmp_path):
    marker = tmp_path / "pwned"
    (tmp_path / "evil.pkl").write_bytes(pickle.dumps({"AAA": _Evil(marker)}))
    result = _run("data", "info", "evil.pkl", cwd=tmp_path)
    assert result.returncode == 2
    assert not marker.exists()
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert "refused to unpickle" in lines[0] and "posix.system" in lines[0]
    assert result.stdout == ""


def test_debug_shows_the_traceback(tmp_path, capsys):
    code, _, err = _cli(capsys, "--debug", "data", "info", str(tmp_path / "missing.pkl"))
    assert code == 2
    assert "Traceback" in err and "missing.pkl: no such file" in err


def test_table_output(tmp_path, sample_pickle, capsys):
    code, out, err = _cli(capsys, "data", "info", str(sample_pickle))
    assert code == 0
    assert "TOKEN00" in out and "2,000" in out
    assert "loaded 3 symbols" in err


def test_info_json_with_bars(sample_pickle, capsys):
    code, out, _ = _cli(capsys, "data", "info", str(sample_pickle), "--json", "--bar", "1min")
    payload = json.loads(out)
    assert code == 0 and payload["bar"] == "1min"
    assert all(s["rows"] < 2_000 for s in payload["symbols"].values())
    assert all(s["median_spacing_seconds"] >= 60 for s in payload["symbols"].values())


class TaggedFrame(pd.DataFrame):
    """A DataFrame subclass: harmless, but not on the guard's list."""


def test_trust_pickle_reads_what_the_guard_refuses(tmp_path, capsys):
    frame = TaggedFrame(
        {"timestamp": [1_700_000_000, 1_700_000_001], "dex_price": [1.0, 2.0], "sol_amount": [1, 1]}
    )
    path = tmp_path / "x.pkl"
    path.write_bytes(pickle.dumps({"A": frame}))
    code, _, err = _cli(capsys, "data", "info", str(path), "--json")
    assert code == 2 and "TaggedFrame" in err and "--trust-pickle" in err
    code, out, _ = _cli(capsys, "data", "info", str(path), "--json", "--trust-pickle")
    assert code == 0 and json.loads(out)["symbols"]["A"]["rows"] == 2


def _bad_inputs(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    def pkl(name, obj):
        path = tmp_path / name
        path.write_bytes(pickle.dumps(obj))
        return path

    good = pd.DataFrame(
        {
            "timestamp": [1_700_000_000, 1_700_000_001],
            "dex_price": [1.0, 2.0],
            "sol_amount": [1.0, 1.0],
        }
    )
    (tmp_path / "x.json").write_text("{}")
    return {
        "missing file": (tmp_path / "gone.pkl", "gone.pkl: no such file"),
        "unknown extension": (tmp_path / "x.json", "unknown file type '.json'"),
        "empty dict": (pkl("empty.pkl", {}), "holds no symbols"),
        "empty frame": (pkl("f.pkl", {"A": good.iloc[:0]}), "symbol 'A': no rows"),
        "missing price": (
            pkl("p.pkl", {"A": good.drop(columns="dex_price")}),
            "symbol 'A', column 'price': missing",
        ),
        "non-numeric price": (
            pkl("n.pkl", {"A": good.assign(dex_price=["1", "x"])}),
            "column 'dex_price': non-numeric value 'x'",
        ),
        "non-positive price": (
            pkl("z.pkl", {"A": good.assign(dex_price=[1.0, 0.0])}),
            "column 'dex_price': non-positive price",
        ),
        "bad timestamps": (
            pkl("t.pkl", {"A": good.assign(timestamp=["2024-01-01", "when"])}),
            "column 'timestamp': unparseable timestamp 'when'",
        ),
        "NaN rows": (
            pkl("nan.pkl", {"A": good.assign(sol_amount=[1.0, float("nan")])}),
            "column 'sol_amount': 1 missing (NaN)",
        ),
    }


def test_every_bad_input_is_one_line_and_exit_2(tmp_path, capsys):
    for case, (path, expected) in _bad_inputs(tmp_path).items():
        code, out, err = _cli(capsys, "data", "info", str(path), "--json")
        lines = [line for line in err.splitlines() if line.strip()]
        assert code == 2, case
        assert out == "", case
        assert len(lines) == 1 and "Traceback" not in err, (case, err)
        assert expected in " ".join(err.split()), (case, err)
        assert str(path.name) in err, case


def test_bad_bar_and_bad_out(tmp_path, sample_pickle, capsys):
    code, _, err = _cli(capsys, "data", "info", str(sample_pickle), "--bar", "often")
    assert code == 2 and "--bar 'often'" in err
    code, _, err = _cli(capsys, "data", "sample", "--out", str(tmp_path / "s.txt"))
    assert code == 2 and ".pkl, .parquet or .csv" in err
