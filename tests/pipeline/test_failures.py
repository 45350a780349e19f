"""A bug or an unusable output path: one line, the documented exit code, no run left running."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from vantageadapt.cli import main
from vantageadapt.errors import EXIT_INTERNAL


def _cli(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    out, err = capsys.readouterr()
    return int(exit_info.value.code), out, err


def _runs() -> list[tuple[str, str]]:
    db = Path(os.environ["VANTAGE_HOME"]) / "vantage.db"
    if not db.exists():
        return []
    with sqlite3.connect(db) as conn:
        try:
            return conn.execute("select status, message from runs").fetchall()
        except sqlite3.OperationalError:  # no tables: nothing was ever saved
            return []


def test_an_unexpected_exception_is_exit_4_naming_the_log(monkeypatch, capsys, tmp_path):
    def broken(**_kwargs):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr("vantageadapt.data.sample.make_sample_data", broken)
    code, _out, err = _cli(capsys, "data", "sample", "--out", str(tmp_path / "s.pkl"))
    assert code == EXIT_INTERNAL == 4
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    log = Path(os.environ["VANTAGE_HOME"]) / "logs" / "vantage.log"
    assert "internal error: RuntimeError: boom second line" in " ".join(err.split())
    assert str(log.resolve()) in err.replace("\n", "")
    text = log.read_text()
    assert "Traceback" in text and "RuntimeError: boom" in text


def test_a_bug_mid_run_marks_the_run_failed(sample_path, monkeypatch, capsys):
    def broken(*_args, **_kwargs):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr("vantageadapt.pipeline.loop.compose", broken)
    argv = ["run", "--theme", "breakout", "--data", str(sample_path), "--iterations", "1",
            "--trials", "4", "--no-improve"]  # fmt: skip
    code, out, err = _cli(capsys, *argv)
    assert code == 4 and out == ""
    assert len(err.strip().splitlines()) >= 1 and "Traceback" not in err
    [(status, message)] = _runs()
    assert status == "failed" and "RecursionError" in message and "--resume" in message


def test_a_bad_executor_is_refused_before_any_work(sample_path, capsys):
    argv = ["run", "--theme", "breakout", "--data", str(sample_path), "--executor", "dask://[::1"]
    code, _out, err = _cli(capsys, *argv)
    assert code == 2 and "bad executor" in err and _runs() == []


@pytest.mark.parametrize("report", ["{tmp}", "/proc/vantage/report.html", "/dev/full"])
def test_run_report_path_is_checked_before_any_work(sample_path, capsys, tmp_path, report):
    argv = ["run", "--theme", "breakout", "--data", str(sample_path), "--iterations", "1",
            "--report", report.format(tmp=tmp_path)]  # fmt: skip
    code, _out, err = _cli(capsys, *argv)
    assert code == 2 and err.startswith("error: --report ")
    assert len(err.strip().splitlines()) == 1
    assert _runs() == []  # refused before the loop: no run was started


def test_report_out_to_a_folder_is_refused_first(capsys, tmp_path):
    code, _out, err = _cli(capsys, "report", "no-such-run", "--out", str(tmp_path))
    assert code == 2 and "is a folder" in err


@pytest.mark.parametrize(
    "argv",
    [["strategies", "show", "-1"], ["run", "--bogus"], ["optimize", "--trials", "10000000000"]],
)
def test_usage_errors_are_exit_2_not_internal_errors(capsys, argv):
    code, _out, err = _cli(capsys, *argv)
    assert code == 2 and "internal error" not in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("name", "content"),
    [("garbage.pkl", b"not a pickle"), ("missing.pkl", None), ("empty.csv", b"")],
)
def test_bad_data_is_refused_before_the_database_is_created(capsys, tmp_path, name, content):
    folder = tmp_path / "work"
    folder.mkdir()
    data = folder / name
    if content is not None:
        data.write_bytes(content)
    db = folder / "fresh.db"
    home = Path(os.environ["VANTAGE_HOME"])
    before = sorted(home.rglob("*"))
    code, _out, err = _cli(
        capsys, "run", "--theme", "breakout", "--data", str(data), "--db", f"sqlite:///{db}"
    )
    assert code == 2
    assert str(data) in err.strip().splitlines()[-1]
    # Nothing written: no database, no lock file, no run folder.
    assert sorted(p.name for p in folder.iterdir()) == ([name] if content is not None else [])
    assert sorted(home.rglob("*")) == before
