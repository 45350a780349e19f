"""`--provider local` without loading a model: which file, and how its replies are read."""

from __future__ import annotations

import pytest

from vantageadapt.errors import ConfigError
from vantageadapt.llm.local_provider import _reply, default_model_path, resolve_model_path
from vantageadapt.settings import load_settings


def test_model_path_must_be_an_existing_gguf(tmp_path):
    with pytest.raises(ConfigError, match=r"existing \.gguf"):
        resolve_model_path(str(tmp_path / "missing.gguf"))
    text = tmp_path / "model.bin"
    text.write_text("x")
    with pytest.raises(ConfigError, match=r"existing \.gguf"):
        resolve_model_path(str(text))
    gguf = tmp_path / "tiny.gguf"
    gguf.write_bytes(b"GGUF")
    assert resolve_model_path(str(gguf)) == gguf


def test_default_model_is_smollm2_from_its_wheel():
    path = default_model_path()
    assert path is not None and path.suffix == ".gguf" and "SmolLM2-135M" in path.name
    assert resolve_model_path(None) == path


def test_replies_are_read_leniently():
    raw = '{"regime": "BREAKOUT", "note": "line\nbreak"}'
    call = {"function": {"name": "report_market_context", "arguments": raw}}
    response = {
        "choices": [{"message": {"content": None, "tool_calls": [call]}}],
        "usage": {"prompt_tokens": 11, "completion_tokens": 7},
    }
    reply = _reply(response, "report_market_context")
    assert reply.arguments == {"regime": "BREAKOUT", "note": "line\nbreak"}
    assert (reply.prompt_tokens, reply.completion_tokens) == (11, 7)
    fenced = {"choices": [{"message": {"content": '```json\n{"a": 1}\n```'}}]}
    assert _reply(fenced, "t").arguments == {"a": 1}
    cut = {
        "choices": [{"message": {"tool_calls": [{"function": {"name": "t", "arguments": '{"a'}}]}}]
    }
    assert _reply(cut, "t").arguments is None and _reply(cut, "t").text == '{"a'


def test_local_provider_and_llm_settings_are_configuration():
    settings = load_settings(
        {"llm": {"provider": "local", "tool_choice": "auto", "timeout": 300}},
        environ={"VANTAGE_LLM__MAX_ATTEMPTS": "2"},
        dotenv=None,
    )
    assert settings.llm.provider == "local" and settings.llm.tool_choice == "auto"
    assert settings.llm.timeout == 300 and settings.llm.max_attempts == 2
    with pytest.raises(ConfigError, match="tool_choice"):
        load_settings({"llm": {"tool_choice": "required"}}, environ={}, dotenv=None)
