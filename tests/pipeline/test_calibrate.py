"""`vantage calibrate`: null runs of the same loop, the false-discovery rate and a p-value."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from vantageadapt.cli import main
from vantageadapt.data import load_trade_data
from vantageadapt.pipeline.calibrate import p_value, run_nulls, summarize
from vantageadapt.settings import load_settings

from .pipeline_support import UNREACHABLE, fast_flags


def test_p_value_is_the_share_of_null_runs_reaching_the_real_score():
    assert p_value(1.0, [0.5, 1.0, 2.0, None]) == 0.5
    assert p_value(3.0, [0.5, 1.0, 2.0, None]) == 0.0
    runs = [
        {"discovery": True, "test_score": 0.1},
        {"discovery": False, "test_score": 2.0},
        {"discovery": False, "test_score": None},
        {"discovery": False, "test_score": -1.0},
    ]
    assert summarize(runs, None) == (1, 0.25, None)
    assert summarize(runs, 0.0) == (1, 0.25, 0.5)


def _invoke(args: list[str], capsys) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exc:
        main(args)
    return int(exc.value.code or 0), capsys.readouterr().out


@pytest.fixture
def config(tmp_path) -> Path:
    """Quick loops: few trials, two hypotheses, thresholds no strategy reaches."""
    path = tmp_path / "vantage.toml"
    path.write_text(
        "[optimize]\ntrials = 8\neval_trials = 4\nsubset_size = 2\nhypotheses = 2\n"
        "[thresholds]\n" + "".join(f"{k} = {v}\n" for k, v in UNREACHABLE.items())
    )
    return path


def test_calibrate_a_run_stores_and_reports_fdr_and_p_value(
    sample_path: Path, config: Path, capsys
):
    common = ["--theme", "breakout trading", "--data", str(sample_path), "--iterations", "1"]
    code, out = _invoke(["run", *common, "--config", str(config), "--json"], capsys)
    assert code == 1
    run = json.loads(out)
    # --run takes the run's settings: flags it would ignore, or another theme, are refused.
    code, _ = _invoke(["calibrate", "--run", run["run_id"], "--iterations", "3"], capsys)
    assert code == 2
    code, _ = _invoke(["calibrate", "--run", run["run_id"], "--theme", "mean reversion"], capsys)
    assert code == 2
    calibrate = ["calibrate", "--run", run["run_id"], "--nulls", "2", "--jobs", "2", "--json"]
    code, out = _invoke([*calibrate, "--data", str(sample_path)], capsys)
    assert code == 0
    record = json.loads(out)
    assert record["report"] == str(Path(run["report"]).resolve())
    assert record["run_id"] == run["run_id"] and record["nulls"] == 2
    assert len(record["null_runs"]) == 2
    found = sum(r["discovery"] for r in record["null_runs"])
    assert record["discoveries"] == found
    assert record["false_discovery_rate"] == found / 2
    scores = [r["test_score"] for r in record["null_runs"]]
    real = record["real_score"]
    assert record["p_value"] == sum(s is not None and s >= real for s in scores) / 2
    # The null runs used the run's own settings (its config), and left nothing behind.
    assert record["theme"] == "breakout trading"
    runs_dir = Path(os.environ["VANTAGE_HOME"]) / "runs"
    assert sorted(p.name for p in runs_dir.iterdir()) == [run["run_id"]]
    page = (runs_dir / run["run_id"] / "report.html").read_text()
    assert "calibration: false-discovery rate" in page
    assert "calibration: permutation p-value" in page
    assert f"{record['p_value']:.3f}" in page


def test_calibrate_without_a_run_prints_the_fdr(sample_path: Path, config: Path, capsys):
    code, out = _invoke(
        [
            "calibrate", "--theme", "breakout trading", "--data", str(sample_path),
            "--nulls", "1", "--iterations", "1", "--config", str(config),
        ],
        capsys,
    )  # fmt: skip
    assert code == 0
    assert "false-discovery rate:" in out and "p-value" not in out


def test_calibrate_needs_a_theme_and_data_or_a_run(capsys):
    code, _ = _invoke(["calibrate", "--nulls", "2"], capsys)
    assert code == 2


def test_null_runs_in_processes_match_null_runs_in_turn(sample_path: Path):
    """Each null run depends on its seed alone: two processes give what one loop gives."""
    flags = fast_flags(sample_path, iterations=1, optimize={"trials": 6, "hypotheses": 2})
    settings = load_settings(flags, dotenv=None, environ={})
    frames = load_trade_data(sample_path)
    done: list[int] = []
    in_turn = run_nulls(settings, frames, 2, jobs=1, on_done=lambda n, _: done.append(n))
    in_processes = run_nulls(settings, frames, 2, jobs=2)
    assert done == [1, 2]
    assert [r["index"] for r in in_processes] == [1, 2]
    for row in (*in_turn, *in_processes):
        assert row["status"] == "finished" and row["seconds"] > 0
        row.pop("seconds")
    assert in_processes == in_turn
    assert in_turn[0]["test_return"] != in_turn[1]["test_return"]  # two different null markets
