"""The worker's entry point: the only place workspace or candidate code is ever imported.

Run as `python -I -m vantageadapt.agent.worker_main FOLDER` inside bubblewrap (FOLDER is the
read-only `/workspace` bind), or with `--template` for the package's own, trusted modules.
It imports trusted package code first, takes the protocol's stdout for itself (workspace
`print` goes to stderr), then serves requests (see `protocol`) until stdin closes.
Nothing here is a security boundary: the sandbox around this process is.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import traceback
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd

from vantageadapt.agent import contracts
from vantageadapt.agent.protocol import MAX_FRAMES, decode, encode
from vantageadapt.agent.seccomp import load_filter
from vantageadapt.agent.workspace import MODULE_FILES, version_of
from vantageadapt.models import MarketContext, StrategyInsight
from vantageadapt.optimize.scoring import batched
from vantageadapt.optimize.space import SearchSpace


def _template_folder() -> Path:
    return Path(str(resources.files("vantageadapt.agent") / "workspace_template"))


def import_modules(
    folder: Path, *, prefix: str = "vantage_workspace_"
) -> tuple[dict[str, ModuleType], str]:
    """Import every workspace module of `folder`; the version is sha256 over their sources."""
    sources = {name: (folder / name).read_text(encoding="utf-8") for name in MODULE_FILES}
    version = version_of(sources)
    loaded: dict[str, ModuleType] = {}
    for name in MODULE_FILES:
        module_name = f"{prefix}{name.removesuffix('.py')}"
        spec = importlib.util.spec_from_file_location(module_name, folder / name)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot import workspace module {name}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
        loaded[name] = module
    return loaded, version


class Server:
    """Answers the main process's requests with the loaded workspace modules."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.modules: dict[str, ModuleType] = {}
        self.frames: dict[str, pd.DataFrame] = {}
        self.handlers: dict[str, Callable[..., Any]] = {
            "load": self.load,
            "contracts": self.contracts,
            "compose": self.compose,
            "space": self.space,
            "score": self.score,
            "frame": self.frame,
            "indicator": self.indicator,
        }

    def load(self, args: dict, arrays: dict) -> tuple[dict, dict]:
        self.modules, version = import_modules(self.folder)
        table = self.modules["indicators.py"].CUSTOM_INDICATORS
        names = [str(name) for name in table] if isinstance(table, dict) else []
        return {"version": version, "indicators": names}, {}

    def contracts(self, args: dict, arrays: dict) -> tuple[dict, dict]:
        return {"notes": contracts.run_contracts(self.modules)}, {}

    def compose(self, args: dict, arrays: dict) -> tuple[dict, dict]:
        insight = StrategyInsight.model_validate(args["insight"])
        context = MarketContext.model_validate(args["context"])
        rules = self.modules["strategy_generator.py"].compose_rules(insight, context, args["theme"])
        return {"rules": rules}, {}

    def space(self, args: dict, arrays: dict) -> tuple[dict, dict]:
        space = SearchSpace.model_validate(args["space"])
        adjusted = self.modules["search_space.py"].adjust_search_space(space)
        return {"space": adjusted.model_dump(mode="json")}, {}

    def score(self, args: dict, arrays: dict) -> tuple[dict, dict]:
        batch = batched(self.modules["scoring.py"].score)
        scores = batch(arrays["in_sample"], arrays.get("holdout"), args["n_assets"], args["rows"])
        return {}, {"scores": scores}

    def frame(self, args: dict, arrays: dict) -> tuple[dict, dict]:
        if len(self.frames) >= MAX_FRAMES:
            self.frames.pop(next(iter(self.frames)))
        index = pd.DatetimeIndex(arrays["index"].astype("datetime64[ns]"), name="timestamp")
        data = {name: arrays[f"c{i}"] for i, name in enumerate(args["columns"])}
        self.frames[args["key"]] = pd.DataFrame(data, index=index.tz_localize("UTC"))
        return {}, {}

    def indicator(self, args: dict, arrays: dict) -> tuple[dict, dict]:
        table = self.modules["indicators.py"].CUSTOM_INDICATORS
        frame = self.frames[args["key"]]
        if args.get("stop") is not None:
            frame = frame.iloc[: int(args["stop"])]
        values = np.asarray(table[args["name"]](frame, int(args["window"])))
        return {}, {"values": values.astype(np.float64, copy=False)}


def warm_up() -> None:
    """Run the contract tests once on the package's own template (trusted code) while the
    worker waits to be taken: the first use of pandas' rolling windows, pydantic validators
    and the like costs ~0.4 s in a fresh process, paid here instead of in the candidate's
    wall-clock time. A failure here is ignored (the real request reports its own)."""
    try:
        modules, _ = import_modules(_template_folder(), prefix="vantage_warmup_")
        contracts.run_contracts(modules)
    except Exception:
        pass


def main(argv: list[str]) -> int:
    """Serve requests on stdin/stdout until stdin closes.

    argv: FOLDER or `--template`, then optionally `--seccomp NUMBER:HEX`, the seccomp filter
    this process loads before it serves anything (it fails to start if it cannot).
    """
    args = list(argv)
    if "--seccomp" in args:
        at = args.index("--seccomp")
        load_filter(args[at + 1])
        del args[at : at + 2]
    folder = _template_folder() if args[:1] == ["--template"] else Path(args[0])
    # The protocol keeps the real stdout; anything workspace code prints goes to stderr.
    channel = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    reader = sys.stdin.buffer
    server = Server(folder)
    warm_up()
    while True:
        try:
            body, arrays = decode(reader.readline, reader.read)
        except Exception:  # stdin closed or garbled: the main process is gone or done
            return 0
        try:
            result, out = server.handlers[body["op"]](body.get("args", {}), arrays)
            message = encode({"ok": True, "result": result}, out)
        except BaseException as exc:  # workspace code failing is an answer, not a crash
            tail = traceback.format_exception(type(exc), exc, exc.__traceback__)[-4:]
            message = encode(
                {
                    "ok": False,
                    "error": f"{type(exc).__name__}: {exc}"[:2000],
                    "traceback": "".join(tail)[-3000:],
                }
            )
        channel.write(message)
        channel.flush()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
