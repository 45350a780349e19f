"""Executors that run (asset, window, parameter sets) evaluations: local threads or Dask."""

from __future__ import annotations

import math
import re
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

import numpy as np
import pandas as pd

from vantageadapt.errors import ConfigError, ExecutorError
from vantageadapt.models import Conditions
from vantageadapt.rules.indicator_store import IndicatorStore, content_key, default_store

_DASK = re.compile(r"^dask://(?P<host>[^:/\s]+):(?P<port>\d{1,5})$")
CONNECT_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class Job:
    """Evaluate `param_sets` on one asset, trading rows [start, stop)."""

    symbol: str
    start: int
    stop: int
    param_sets: tuple[Mapping[str, float], ...]


@dataclass(frozen=True)
class SearchInputs:
    """What an executor evaluates jobs on: the frames by symbol, the rules' conditions, the
    engine settings and the custom indicators the conditions may read."""

    frames: Mapping[str, pd.DataFrame]
    conditions: Conditions
    config: Any
    custom_indicators: Mapping[str, Callable] | None = None


class Executor(Protocol):
    """Runs jobs and returns one (n_sets, n_metrics) array per job, in job order."""

    def run(self, jobs: Sequence[Job]) -> list[np.ndarray]:
        """Evaluate every job."""
        ...

    def close(self) -> None:
        """Release workers and connections."""
        ...


def _evaluate(
    frame: pd.DataFrame,
    conditions: Conditions,
    param_sets: Sequence[Mapping[str, float]],
    config: Any,
    start: int,
    stop: int,
    custom_indicators: Mapping[str, Callable] | None,
) -> np.ndarray:
    from vantageadapt.backtest import evaluate_grid

    return evaluate_grid(
        frame,
        conditions,
        list(param_sets),
        config,
        start=start,
        stop=stop,
        custom_indicators=custom_indicators,
    )


class LocalExecutor:
    """In-process: one numba-parallel kernel call per asset and tuple of sets, all windows in it."""

    def __init__(
        self,
        inputs: SearchInputs,
        store: IndicatorStore | None = None,
        keys: Mapping[str, str] | None = None,
    ) -> None:
        frames = self._frames = inputs.frames
        self._args = (inputs.conditions, inputs.config)
        self._custom = inputs.custom_indicators
        self._store = store if store is not None else default_store()
        self._keys = keys if keys is not None else {s: content_key(f) for s, f in frames.items()}
        self._layout: tuple[tuple, Any] = ((), None)  # the last tuple of sets and its layout

    def _layout_of(self, sets: tuple[Mapping[str, float], ...]) -> Any:
        """Which signals the sets read: the same on every asset, so worked out once per tuple
        (a search runs each of its batches' one tuple on every asset)."""
        from vantageadapt.backtest.grid import set_layout

        known, layout = self._layout
        if known is not sets:
            layout = set_layout(self._args[0], sets, self._args[1], self._custom)
            self._layout = (sets, layout)
        return layout

    def run(self, jobs: Sequence[Job]) -> list[np.ndarray]:
        """Jobs on one asset with one tuple of sets share signals and one kernel call."""
        from vantageadapt.backtest import evaluate_windows

        conditions, config = self._args
        # Custom indicators are not trusted to be causal: each window's rows end at its stop.
        by_stop = bool(self._custom)
        batches: dict[tuple[str, int, int], list[int]] = {}
        for i, job in enumerate(jobs):
            key = (job.symbol, id(job.param_sets), job.stop if by_stop else -1)
            batches.setdefault(key, []).append(i)
        out: list[np.ndarray] = [np.empty(0)] * len(jobs)
        for (symbol, _, _), members in batches.items():
            sets = jobs[members[0]].param_sets
            metrics = evaluate_windows(
                self._frames[symbol],
                conditions,
                sets,
                config,
                windows=[(jobs[i].start, jobs[i].stop) for i in members],
                custom_indicators=self._custom,
                store=self._store,
                key=self._keys[symbol],
                layout=self._layout_of(sets),
            )
            for position, i in enumerate(members):
                out[i] = metrics[position]
        return out

    def close(self) -> None:
        """Nothing to release."""


def parse_dask_address(spec: str) -> str:
    """`dask://HOST:PORT` -> `tcp://HOST:PORT`; ConfigError for anything else."""
    match = _DASK.match(spec.strip())
    if not match or not 0 < int(match["port"]) < 65536:
        raise ConfigError(f"bad executor {spec!r}; use 'local' or 'dask://HOST:PORT'")
    return f"tcp://{match['host']}:{match['port']}"


def _probe(address: str, timeout: float) -> None:
    """Fail fast (ExecutorError) when nothing listens at the scheduler's address."""
    host, _, port = address.removeprefix("tcp://").rpartition(":")
    try:
        with socket.create_connection((host, int(port)), timeout=timeout):
            pass
    except OSError as exc:
        raise ExecutorError(
            f"cannot reach the Dask scheduler at {address} ({exc.strerror or 'timed out'}); "
            "start it or use --executor local"
        ) from None


class DaskExecutor:
    """Farms (asset x parameter chunk) evaluations out to a Dask cluster."""

    def __init__(
        self,
        address: str,
        inputs: SearchInputs,
        *,
        timeout: float = CONNECT_TIMEOUT_S,
    ) -> None:
        _probe(address, timeout)
        from distributed import Client

        self._address = address
        try:
            self._client = Client(address, timeout=timeout, set_as_default=False)
        except Exception as exc:  # anything that is not a Dask handshake means no scheduler
            raise ExecutorError(
                f"no Dask scheduler answered at {address} within {timeout:g}s "
                f"({type(exc).__name__}); start one there or use --executor local"
            ) from None
        frames = inputs.frames.items()
        self._frames = {sym: self._client.scatter(f, broadcast=False) for sym, f in frames}
        self._args = (inputs.conditions, inputs.config, inputs.custom_indicators)

    def _chunk_size(self, n_sets: int) -> int:
        threads = sum(self._client.nthreads().values()) or 1
        return max(1, math.ceil(n_sets / threads))

    def run(self, jobs: Sequence[Job]) -> list[np.ndarray]:
        """Submit every (job, chunk) at once, gather, and stitch chunks back in order."""
        conditions, config, custom = self._args
        futures: list[list[Any]] = []
        try:
            for job in jobs:
                size = self._chunk_size(len(job.param_sets))
                chunks = [job.param_sets[i : i + size] for i in range(0, len(job.param_sets), size)]
                futures.append(
                    [
                        self._client.submit(
                            _evaluate,
                            self._frames[job.symbol],
                            conditions,
                            chunk,
                            config,
                            job.start,
                            job.stop,
                            custom,
                            pure=False,
                        )
                        for chunk in chunks
                    ]
                )
            results = self._client.gather([f for fs in futures for f in fs])
        except (OSError, TimeoutError) as exc:
            raise ExecutorError(
                f"lost the Dask scheduler at {self._address} ({type(exc).__name__}); "
                "check the cluster or use --executor local"
            ) from None
        out, pos = [], 0
        for fs in futures:
            out.append(np.concatenate(results[pos : pos + len(fs)], axis=0))
            pos += len(fs)
        return out

    def close(self) -> None:
        """Close the client (the cluster keeps running)."""
        self._client.close()


def make_executor(
    spec: str,
    inputs: SearchInputs,
    store: IndicatorStore | None = None,
    keys: Mapping[str, str] | None = None,
) -> Executor:
    """`local` or `dask://HOST:PORT`; ExecutorError (exit 3) if the cluster cannot be reached.

    `store` and `keys` (the frames' content keys, when the caller has them) serve `local`."""
    if spec == "local":
        return LocalExecutor(inputs, store, keys)
    custom = _for_dask(inputs.conditions, inputs.custom_indicators)
    return DaskExecutor(parse_dask_address(spec), replace(inputs, custom_indicators=custom))


def _for_dask(
    conditions: Conditions, custom_indicators: Mapping[str, Callable] | None
) -> dict[str, Callable] | None:
    """The custom indicators the rules use; ConfigError (exit 2) when one is kept workspace
    code, which runs only in this run's sandboxed worker and cannot go to a Dask cluster."""
    if not custom_indicators:
        return None
    text = " ".join([*conditions.entry, *conditions.exit])
    used = {n: f for n, f in custom_indicators.items() if re.search(rf"\b{re.escape(n)}_\d", text)}
    sandboxed = sorted(n for n, f in used.items() if getattr(f, "runs_in_worker", False))
    if sandboxed:
        raise ConfigError(
            f"the rules use custom indicator(s) {', '.join(sandboxed)} from a kept code patch, "
            "which runs only in this run's sandboxed worker, not on a Dask cluster; "
            "use --executor local"
        )
    return used or None
