"""Threads for work whose heavy part releases the GIL (numba kernels, numpy, hashing)."""

from __future__ import annotations

import functools
import os
from concurrent.futures import ThreadPoolExecutor

import numba


def worker_threads() -> ThreadPoolExecutor:
    """This process's shared pool, one thread per numba thread (a forked child gets its own)."""
    return _pool(os.getpid())


@functools.cache
def _pool(pid: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(numba.config.NUMBA_NUM_THREADS, thread_name_prefix="vantage")
