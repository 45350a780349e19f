"""The workspace's hooks as the pipeline uses them, answered by a worker process.

`WorkspaceHooks` has the workspace modules' API (compose_rules, adjust_search_space, score,
custom indicators) but holds no workspace code: each call is a request to its worker, and each
answer is checked as untrusted data before use.
"""

from __future__ import annotations

import collections
import hashlib
import json
import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from vantageadapt.agent.protocol import MAX_FRAMES
from vantageadapt.agent.worker import Worker, WorkerError
from vantageadapt.errors import RuleError
from vantageadapt.models import METRIC_NAMES
from vantageadapt.optimize.space import SearchSpace
from vantageadapt.rules import check_indicator_name

_INDICATOR_CACHE_BYTES = 256 * 2**20


def frame_key(frame: pd.DataFrame) -> str:
    """A content key for a frame (its index, columns and values), to send each frame once."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(np.asarray(frame.index.asi8 if hasattr(frame.index, "asi8") else []).tobytes())
    for name in frame.columns:
        digest.update(str(name).encode())
        column = frame[name]
        if column.dtype.kind in "fiub":
            digest.update(np.ascontiguousarray(column.to_numpy()).tobytes())
    return digest.hexdigest()


def _pointers(frame: pd.DataFrame) -> tuple[int, int] | None:
    """Where a frame's price and index values start in memory (None when not addressable)."""
    if "price" not in frame.columns or not isinstance(frame.index, pd.DatetimeIndex):
        return None
    price = frame["price"].to_numpy()
    stamps = frame.index.asi8
    if price.dtype != np.float64 or not price.flags.c_contiguous or not len(price):
        return None
    return price.__array_interface__["data"][0], stamps.__array_interface__["data"][0]


def score_one(
    batch_score: Any,
    in_sample: Mapping[str, float],
    holdout: Mapping[str, float] | None,
    rows: int,
) -> float:
    """One set's score through a batch score: each metrics mapping as one METRIC_NAMES row."""

    def row(metrics: Mapping[str, float]) -> np.ndarray:
        return np.array([[float(metrics.get(name, 0.0)) for name in METRIC_NAMES]])

    held = None if holdout is None else row(holdout)
    return float(batch_score(row(in_sample), held, int(in_sample.get("n_assets", 1)), rows)[0])


class CustomIndicator:
    """`fn(frame, window) -> array` for one custom indicator, computed by the worker."""

    runs_in_worker = True  # cannot leave this process (e.g. to a Dask cluster)

    def __init__(self, hooks: WorkspaceHooks, name: str) -> None:
        self.hooks, self.name = hooks, name

    def __call__(self, frame: pd.DataFrame, window: int) -> np.ndarray:
        return self.hooks.indicator(frame, self.name, window)

    def __repr__(self) -> str:
        return f"CustomIndicator({self.name!r}, worker version {self.hooks.version[:8]})"


class WorkspaceHooks:
    """One loaded version of the workspace modules, living in `worker`."""

    def __init__(self, worker: Worker, *, expected_version: str | None = None) -> None:
        self.worker = worker
        result, _ = worker.request("load")
        if not isinstance(result, dict) or not isinstance(result.get("version"), str):
            raise WorkerError("the worker did not report what it loaded")
        self.version: str = result["version"]
        if expected_version is not None and self.version != expected_version:
            raise WorkerError("the worker loaded other modules than the workspace holds")
        names = result.get("indicators")
        if not isinstance(names, list) or len(names) > 64:
            raise WorkerError("CUSTOM_INDICATORS must be a dict of at most 64 indicators")
        for name in names:
            try:
                check_indicator_name(name)
            except RuleError as exc:
                raise WorkerError(f"indicators.py: {exc}") from None
        self.indicator_names: tuple[str, ...] = tuple(names)
        self.custom_indicators: dict[str, Callable[[pd.DataFrame, int], np.ndarray]] = {
            name: CustomIndicator(self, name) for name in self.indicator_names
        }
        self._frames: collections.OrderedDict[str, None] = collections.OrderedDict()
        self._values: collections.OrderedDict[tuple, np.ndarray] = collections.OrderedDict()
        # (price data address, index data address) of registered frames -> (key, frame); a
        # row prefix of a frame shares both addresses, and the frame is held so they stay its.
        self._registered: dict[tuple[int, int], tuple[str, pd.DataFrame]] = {}
        self._bytes = 0

    # --- hooks --------------------------------------------------------------------------------
    def contracts(self) -> list[str]:
        """Run the contract tests in the worker; their notes (WorkerError on a failure)."""
        result, _ = self.worker.request("contracts")
        notes = result.get("notes") if isinstance(result, dict) else None
        if not isinstance(notes, list):
            raise WorkerError("the contract run returned no notes")
        return [str(n)[:200] for n in notes[:50]]

    def compose_rules(self, insight: Any, context: Any, theme: str) -> dict[str, Any] | None:
        """The strategy generator's rules dict (validated by the caller), or None."""
        args = {
            "insight": insight.model_dump(mode="json"),
            "context": context.model_dump(mode="json"),
            "theme": theme,
        }
        result, _ = self.worker.request("compose", args)
        rules = result.get("rules") if isinstance(result, dict) else None
        if rules is not None and not isinstance(rules, dict):
            raise WorkerError("compose_rules must return a rules dict or None")
        return rules

    def adjust_search_space(self, space: SearchSpace) -> SearchSpace:
        """The search space as the workspace adjusts it (same parameter names)."""
        result, _ = self.worker.request("space", {"space": space.model_dump(mode="json")})
        try:
            adjusted = SearchSpace.model_validate(result["space"])
        except Exception as exc:
            raise WorkerError(f"adjust_search_space returned an invalid space: {exc}") from None
        if sorted(adjusted.names) != sorted(space.names):
            raise WorkerError(
                f"adjust_search_space changed the parameter names {space.names} -> {adjusted.names}"
            )
        return adjusted

    def batch_score(
        self, in_sample: np.ndarray, holdout: np.ndarray | None, n_assets: int, rows: int
    ) -> np.ndarray:
        """scoring.score for each row of (sets, METRIC_NAMES) arrays; non-finite -> -inf."""
        arrays = {"in_sample": np.asarray(in_sample, dtype=np.float64)}
        if holdout is not None:
            arrays["holdout"] = np.asarray(holdout, dtype=np.float64)
        _, out = self.worker.request("score", {"n_assets": n_assets, "rows": rows}, arrays)
        scores = out.get("scores")
        if scores is None or scores.shape != (len(in_sample),) or scores.dtype.kind != "f":
            raise WorkerError(f"score returned no float for each of {len(in_sample)} sets")
        scores = scores.astype(np.float64)
        scores[~np.isfinite(scores)] = -math.inf
        return scores

    def score(
        self, in_sample: Mapping[str, float], holdout: Mapping[str, float] | None, rows: int
    ) -> float:
        """scoring.score for one set (a ScoreFn)."""
        return score_one(self.batch_score, in_sample, holdout, rows)

    def register_frames(self, frames: Mapping[str, pd.DataFrame]) -> None:
        """Send the run's frames once; their row prefixes (the search's windows) then go by
        reference, not by content."""
        for frame in frames.values():
            pointers = _pointers(frame)
            if pointers is not None and pointers not in self._registered:
                key = frame_key(frame)
                if key not in self._frames:
                    self._send_frame(key, frame)
                self._registered[pointers] = (key, frame)

    def indicator(self, frame: pd.DataFrame, name: str, window: int) -> np.ndarray:
        """The custom indicator `name_window` over `frame`, computed in the worker."""
        key, stop = self._locate(frame)
        cached = self._values.get((key, stop, name, int(window)))
        if cached is not None:
            return cached
        args = {"key": key, "stop": stop, "name": name, "window": window}
        _, out = self.worker.request("indicator", args)
        values = checked_values(name, window, out.get("values"), len(frame))
        self._remember((key, stop, name, int(window)), values)
        return values

    def _locate(self, frame: pd.DataFrame) -> tuple[str, int | None]:
        """(worker frame key, row stop): a registered frame's prefix, else the frame itself."""
        pointers = _pointers(frame)
        if pointers is not None:
            found = self._registered.get(pointers)
            if found is not None and len(frame) <= len(found[1]):
                key, base = found
                if list(frame.columns) == list(base.columns) and key in self._frames:
                    return key, len(frame)
        key = frame_key(frame)
        if key not in self._frames:
            self._send_frame(key, frame)
        return key, None

    # --- plumbing -----------------------------------------------------------------------------
    def _send_frame(self, key: str, frame: pd.DataFrame) -> None:
        columns = [c for c in frame.columns if frame[c].dtype.kind in "fiub"]
        index = frame.index
        stamps = (
            index.tz_convert("UTC").tz_localize(None).asi8
            if isinstance(index, pd.DatetimeIndex) and index.tz is not None
            else np.asarray(getattr(index, "asi8", np.arange(len(frame))))
        )
        arrays = {"index": np.asarray(stamps, dtype=np.int64)}
        arrays.update({f"c{i}": frame[c].to_numpy() for i, c in enumerate(columns)})
        self.worker.request("frame", {"key": key, "columns": [str(c) for c in columns]}, arrays)
        self._frames[key] = None
        if len(self._frames) > MAX_FRAMES:  # the worker forgets its oldest frame alike
            self._frames.popitem(last=False)

    def _remember(self, key: tuple, values: np.ndarray) -> None:
        self._values[key] = values
        self._bytes += values.nbytes
        while self._bytes > _INDICATOR_CACHE_BYTES and len(self._values) > 1:
            _, old = self._values.popitem(last=False)
            self._bytes -= old.nbytes

    def close(self) -> None:
        """End the worker."""
        self.worker.close()


class TemplateHooks:
    """The package's own shipped template modules, run in this process.

    Used only while the workspace holds exactly the shipped template (the same code, which is
    the package's and trusted, like the rest of it); any kept patch makes the runner use a
    worker. Answers go through the same shape checks as a worker's, so results are the same.
    """

    worker = None  # no process behind it

    def __init__(self) -> None:
        from vantageadapt.agent.workspace import template_sources, version_of
        from vantageadapt.agent.workspace_template import (  # the package's own code
            indicators,
            scoring,
            search_space,
            strategy_generator,
        )
        from vantageadapt.optimize.scoring import batched

        self.version: str = version_of(template_sources())
        self.modules = {
            "indicators.py": indicators,
            "scoring.py": scoring,
            "search_space.py": search_space,
            "strategy_generator.py": strategy_generator,
        }
        table = indicators.CUSTOM_INDICATORS
        self.indicator_names: tuple[str, ...] = tuple(table)
        self.custom_indicators: dict[str, Callable[[pd.DataFrame, int], np.ndarray]] = {
            name: _checked_indicator(name, fn) for name, fn in table.items()
        }
        self._score = scoring.score
        self._batch = batched(scoring.score)
        self._compose = strategy_generator.compose_rules
        self._adjust = search_space.adjust_search_space

    @property
    def alive(self) -> bool:
        return True

    def contracts(self) -> list[str]:
        """Run the contract tests here (the template's own code)."""
        from vantageadapt.agent.contracts import run_contracts

        return [str(n)[:200] for n in run_contracts(self.modules)[:50]]

    def compose_rules(self, insight: Any, context: Any, theme: str) -> dict[str, Any] | None:
        """The strategy generator's rules dict, as JSON data (the worker's shape)."""
        rules = self._compose(insight, context, theme)
        return None if rules is None else json.loads(json.dumps(rules))

    def adjust_search_space(self, space: SearchSpace) -> SearchSpace:
        """The search space as the template adjusts it."""
        adjusted = self._adjust(SearchSpace.model_validate(space.model_dump(mode="json")))
        return SearchSpace.model_validate(adjusted.model_dump(mode="json"))

    def batch_score(
        self, in_sample: np.ndarray, holdout: np.ndarray | None, n_assets: int, rows: int
    ) -> np.ndarray:
        """scoring.score for each row of (sets, METRIC_NAMES) arrays; non-finite -> -inf."""
        held = None if holdout is None else np.asarray(holdout, dtype=np.float64)
        return self._batch(np.asarray(in_sample, dtype=np.float64), held, n_assets, rows)

    def score(
        self, in_sample: Mapping[str, float], holdout: Mapping[str, float] | None, rows: int
    ) -> float:
        """scoring.score for one set, through the same rows as the worker's."""
        return score_one(self.batch_score, in_sample, holdout, rows)

    def register_frames(self, frames: Mapping[str, pd.DataFrame]) -> None:
        """Nothing to send: the indicators run here."""

    def close(self) -> None:
        """Nothing to end."""


def checked_values(name: str, window: int, values: np.ndarray | None, rows: int) -> np.ndarray:
    """A custom indicator's output as read-only float64, one per row, no inf; else WorkerError."""
    if values is None or values.shape != (rows,) or values.dtype.kind not in "fiub":
        raise WorkerError(f"indicator {name}_{window} must return {rows} float values, one per row")
    values = values.astype(np.float64)
    if np.isinf(values).any():
        raise WorkerError(f"indicator {name}_{window} returns inf; use NaN instead")
    values.flags.writeable = False
    return values


def _checked_indicator(
    name: str, fn: Callable[[pd.DataFrame, int], np.ndarray]
) -> Callable[[pd.DataFrame, int], np.ndarray]:
    """`fn` with the worker path's output checks (float64 per row, no inf, read-only)."""

    def indicator(frame: pd.DataFrame, window: int) -> np.ndarray:
        return checked_values(name, window, np.asarray(fn(frame, int(window))), len(frame))

    indicator.__name__ = name
    return indicator
