"""`vantage run` against a model that answers every code patch with hostile code.

The real CLI in a subprocess, the real openai SDK, a loopback OpenAI-compatible server: each
attack is rejected, the run finishes every iteration (exit 0 or 1), and no marker file, no
connection and no API key appears anywhere: output, logs, database, or requests to the model.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from itertools import cycle
from pathlib import Path

from helpers.escapes import _NAMES, FAKE_KEY, Target, escape_payloads
from helpers.fake_openai import FakeLLMServer, forced_tool, strategist_responder, tool_reply

from .pipeline_support import run_argv

# Code that passes the ast filter and still misbehaves: only the worker's limits stop it.
_HANG = "def quality(metrics):\n    while True:\n        pass\n"
_FLOOD = "def quality(metrics):\n    return float('nan')\n"


def _hostile_responder(target: Target):
    payloads = escape_payloads(target)
    attacks = cycle(
        [
            *(
                {"target": "indicators.py", "op": "insert_code", "code": payloads[n]}
                for n in _NAMES
            ),
            {"target": "scoring.py", "op": "modify_code", "name": "quality", "code": _HANG},
            {"target": "scoring.py", "op": "modify_code", "name": "quality", "code": _FLOOD},
        ]
    )

    def respond(body):
        if forced_tool(body) == "propose_code_patch":
            return tool_reply({**next(attacks), "reason": "hostile model"})
        return strategist_responder(body)

    return respond


def test_hostile_model_patches_are_rejected_and_the_run_finishes(sample_path: Path, tmp_path):
    home = Path(os.environ["VANTAGE_HOME"])
    db = home / "vantage.db"
    (tmp_path / ".env").write_text(f"OPENAI_API_KEY={FAKE_KEY}\n")
    aims = tmp_path / "aims"
    aims.mkdir()
    iterations = len(_NAMES) + 3  # every attack once, the two limit tests, and a last one
    with Target(aims) as target, FakeLLMServer(_hostile_responder(target)) as server:
        env = {
            **os.environ,
            "OPENAI_API_KEY": FAKE_KEY,
            "VANTAGE_AGENT__MAX_ITERATIONS": str(iterations),
            "VANTAGE_AGENT__CANDIDATE_TIMEOUT": "25",
            "VANTAGE_OPTIMIZE__EVAL_TRIALS": "4",
            "VANTAGE_OPTIMIZE__SUBSET_SIZE": "2",
        }
        model = ("--provider", "openai", "--model", "gpt-4o-mini", "--base-url", server.base_url)
        argv = run_argv(sample_path, *model, iterations=iterations)
        command = [sys.executable, "-m", "vantageadapt.cli", "-v", *argv]
        done = subprocess.run(
            command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=1200
        )
        sent = json.dumps(server.bodies())
    assert done.returncode in (0, 1), done.stderr[-3000:]
    payload = json.loads(done.stdout)
    assert payload["status"] == "finished" and len(payload["iterations"]) == iterations
    code = [p for it in payload["iterations"] for p in it["patches"] if p["op"] != "update_prompt"]
    assert len(code) == iterations - 1 and all(p["status"] == "rejected" for p in code)
    reasons = " ".join(p["reason"] for p in code)
    assert "timed out" in reasons or "CPU" in reasons  # the hang was killed
    assert "finite" in reasons  # the NaN score broke its contract

    logs = "".join(p.read_text() for p in (home / "logs").glob("*.log*"))
    with sqlite3.connect(db) as conn:
        rows = json.dumps(
            [
                conn.execute(f"select * from {t}").fetchall()
                for t in ("runs", "patches", "llm_calls")
            ],
            default=str,
        )
    target.assert_untouched(done.stdout, done.stderr, logs, rows, sent)
    # The kept modules are the pristine template: nothing hostile was kept or written there.
    from vantageadapt.agent.workspace import template_sources

    modules = home / "runs" / payload["run_id"] / "workspace" / "modules"
    assert {p.name: p.read_text() for p in modules.glob("*.py")} == template_sources()
