"""PromptManager: shipped templates, strict placeholders, versions that are never overwritten."""

from __future__ import annotations

import pytest

from vantageadapt.errors import ConfigError
from vantageadapt.prompts import CATEGORIES, PromptManager, placeholders

EXPECTED = {
    "analysis/market",
    "analysis/system",
    "improvement/code",
    "improvement/prompt",
    "improvement/system",
    "rules/generate",
    "strategy/insight",
}


@pytest.fixture
def manager(tmp_path) -> PromptManager:
    return PromptManager(tmp_path / "prompts")


def test_templates_ship_in_category_folders(manager):
    assert set(manager.names()) == EXPECTED
    assert {name.split("/")[0] for name in EXPECTED} == set(CATEGORIES)
    template, version = manager.get("rules/generate")
    assert version == 1 and "{theme}" in template
    assert placeholders(template) == {"theme", "context_json", "insight_json", "terms"}


def test_default_root_is_vantage_home(_isolated_home):
    assert PromptManager().root == _isolated_home / "prompts"


def test_format_fills_and_keeps_literal_braces(manager):
    text = manager.format_prompt(
        "rules/generate", theme="breakout", context_json="{}", insight_json="{}", terms="price"
    )
    assert 'Write entry and exit rules for a long-only "breakout" strategy' in text
    assert "price > high_{breakout_window}" in text  # doubled braces come out single


def test_missing_placeholder_fails_loudly(manager):
    with pytest.raises(ConfigError, match=r"needs placeholder\(s\) \['insight_json', 'terms'\]"):
        manager.format_prompt("rules/generate", theme="x", context_json="{}")


def test_unknown_placeholder_fails_loudly(manager):
    values = {"theme": "x", "context_json": "{}", "insight_json": "{}", "terms": "price"}
    with pytest.raises(ConfigError, match=r"has no placeholder\(s\) \['colour'\]"):
        manager.format_prompt("rules/generate", colour="red", **values)


@pytest.mark.parametrize("bad", ["{x.__class__}", "{x[0]}", "{x!r}", "{x:>10}", "{ oops", "{0}"])
def test_only_plain_placeholders_are_allowed(bad):
    with pytest.raises(ConfigError):
        placeholders(f"text {bad} more")


def test_unknown_name_lists_the_known_ones(manager):
    with pytest.raises(ConfigError, match="rules/generate"):
        manager.get("rules/nope")
    with pytest.raises(ConfigError, match="category"):
        manager.get("../../etc/passwd")


def test_update_appends_versions_and_never_overwrites(manager):
    base, _ = manager.get("analysis/market")
    v2 = manager.update_prompt("analysis/market", base + "\nBe brief.", "shorter answers")
    v3 = manager.update_prompt("analysis/market", base + "\nBe very brief.", "even shorter")
    assert (v2, v3) == (2, 3)
    assert manager.get("analysis/market") == (base + "\nBe very brief.", 3)
    history = manager.versions("analysis/market")
    assert [v.version for v in history] == [1, 2, 3]
    assert [v.reason for v in history] == ["base template", "shorter answers", "even shorter"]
    assert history[0].template == base and history[0].source == "package"
    folder = manager.root / "analysis" / "market.versions"
    assert (folder / "v2.prompt").read_text() == base + "\nBe brief."
    # A fresh manager on the same folder sees the same history.
    assert PromptManager(manager.root).get("analysis/market")[1] == 3


def test_update_must_keep_the_placeholders(manager):
    with pytest.raises(ConfigError, match=r"missing \['terms'\]"):
        manager.update_prompt("rules/generate", "{theme} {context_json} {insight_json}", "drop")
    with pytest.raises(ConfigError, match=r"unknown \['extra'\]"):
        manager.update_prompt(
            "rules/generate", "{theme} {context_json} {insight_json} {terms} {extra}", "add"
        )
    assert manager.get("rules/generate")[1] == 1


def test_diff_and_rollback(manager):
    base, _ = manager.get("strategy/insight")
    manager.update_prompt("strategy/insight", base.replace("Plan a", "Design a"), "wording")
    patch = manager.diff("strategy/insight", 1)
    assert "-Plan a" in patch and "+Design a" in patch
    assert manager.rollback("strategy/insight", 1) == 3
    assert manager.get("strategy/insight") == (base, 3)
    assert manager.versions("strategy/insight")[-1].reason == "rollback to v1"
    assert manager.diff("strategy/insight", 1, 3) == ""
    with pytest.raises(ConfigError, match="no version 9"):
        manager.rollback("strategy/insight", 9)


def test_a_plain_override_file_is_the_base(tmp_path):
    root = tmp_path / "workspace" / "prompts"
    (root / "rules").mkdir(parents=True)
    (root / "rules" / "generate.prompt").write_text(
        "Rules for {theme} {context_json} {insight_json} {terms}"
    )
    (root / "rules" / "extra.prompt").write_text("Hello {who}")
    manager = PromptManager(root)
    assert manager.get("rules/generate")[0].startswith("Rules for")
    assert manager.versions("rules/generate")[0].source == "override"
    assert "rules/extra" in manager.names()
    assert manager.format_prompt("rules/extra", who="quant") == "Hello quant"
