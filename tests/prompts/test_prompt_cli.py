"""`vantage prompts list|show|history|diff|rollback`."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from vantageadapt.cli import app
from vantageadapt.prompts import PromptManager

runner = CliRunner()


def _run(*args: str):
    return runner.invoke(app, list(args))


def test_list_and_show(_isolated_home):
    result = _run("prompts", "list", "--json")
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    assert {p["name"] for p in listed["prompts"]} >= {"rules/generate", "analysis/market"}
    assert listed["root"] == str(_isolated_home / "prompts")
    shown = _run("prompts", "show", "rules/generate")
    assert shown.exit_code == 0 and "{theme}" in shown.stdout
    assert "rules/generate" in _run("prompts", "list").stdout


def test_history_diff_rollback(_isolated_home):
    manager = PromptManager()
    base, _ = manager.get("analysis/market")
    manager.update_prompt("analysis/market", base + "\nMore care.", "care")

    history = json.loads(_run("prompts", "history", "analysis/market", "--json").stdout)
    assert [v["version"] for v in history["versions"]] == [1, 2]
    assert "v2" in _run("prompts", "history", "analysis/market").stdout
    assert "+More care." in _run("prompts", "diff", "analysis/market", "1").stdout

    rolled = _run("prompts", "rollback", "analysis/market", "1", "--json")
    assert rolled.exit_code == 0, rolled.output
    assert json.loads(rolled.stdout) == {"name": "analysis/market", "restored": 1, "version": 3}
    assert manager.get("analysis/market") == (base, 3)
    shown = _run("prompts", "show", "analysis/market", "--version", "2", "--json")
    shown = json.loads(shown.stdout)
    assert shown["template"].endswith("More care.")


def test_bad_names_and_versions_exit_2(_isolated_home):
    from vantageadapt.cli import main

    for args in (["prompts", "show", "rules/nope"], ["prompts", "rollback", "rules/generate", "7"]):
        try:
            main(args)
        except SystemExit as exc:
            assert exc.code == 2
        else:
            raise AssertionError("expected exit 2")


def test_root_points_at_a_workspace_folder(tmp_path):
    root = tmp_path / "run" / "workspace" / "prompts"
    (root / "rules").mkdir(parents=True)
    (root / "rules" / "generate.prompt").write_text("{theme} {context_json} {insight_json} {terms}")
    shown = _run("prompts", "show", "rules/generate", "--root", str(root), "--json")
    assert json.loads(shown.stdout)["source"] == "override"
    PromptManager(root).update_prompt(
        "rules/generate", "Rules: {theme} {context_json} {insight_json} {terms}", "label"
    )
    listed = json.loads(_run("prompts", "list", "--root", str(root), "--json").stdout)
    versions = {p["name"]: p["version"] for p in listed["prompts"]}
    assert versions["rules/generate"] == 2 and versions["analysis/market"] == 1
