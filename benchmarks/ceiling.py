"""What the speed benchmarks share: the minimal numba loops they compare against, the
clock that times every side in turns and the throughput / ceiling / vectorbt figures they
print."""

import argparse
import json
import resource
import time
from collections.abc import Callable

import numpy as np
from numba import njit, prange

REPEATS = 3


class SpeedClock:
    """Times ours, the ceiling and vectorbt the same way, then prints their figures.

    Each side runs once untimed when it is handed over (ours first: its result is read then,
    and the peak memory right after it, before the others run). `race` then times the sides
    in turns, one run of each per round for `repeats` rounds, and keeps each side's fastest
    run: a burst of load on a shared machine falls on every side alike, not on whichever side
    was being timed when it came.
    """

    def __init__(self, repeats: int = REPEATS) -> None:
        self.repeats = repeats
        self.runs: dict[str, Callable[[], object]] = {}
        self.seconds: dict[str, float] = {}
        self.jit_seconds = 0.0
        self.peak_mb = 0.0
        self.vectorbt_sets = 0
        self.vectorbt_bar_sets = 0.0

    def warm(self, run: Callable[[], object]) -> None:
        """Our JIT warm-up (its seconds are reported, not counted)."""
        began = time.perf_counter()
        run()
        self.jit_seconds = time.perf_counter() - began

    def ours(self, run: Callable[[], object]) -> None:
        """Run ours once (untimed), read the peak memory, and enter it in the race."""
        self.enter("ours", run)
        self.peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def ceiling(self, run: Callable[[], object]) -> None:
        """Enter the minimal loop on the same bar-sets as ours."""
        self.enter("ceiling", run)

    def vectorbt(self, run: Callable[[], object], sets: int, bar_sets: float) -> None:
        """Enter vectorbt on `sets` of the sets, `bar_sets` in all."""
        self.enter("vectorbt", run)
        self.vectorbt_sets, self.vectorbt_bar_sets = sets, bar_sets

    def enter(self, side: str, run: Callable[[], object]) -> None:
        """Run `side` once (untimed) and enter it in the race (its time: `seconds[side]`)."""
        run()
        self.runs[side] = run

    def race(self) -> None:
        """Time the entered sides in turns; each side's seconds are its fastest run."""
        self.seconds = dict.fromkeys(self.runs, float("inf"))
        for _ in range(max(self.repeats, 1)):
            for side, run in self.runs.items():
                began = time.perf_counter()
                run()
                self.seconds[side] = min(self.seconds[side], time.perf_counter() - began)

    def figures(self, bar_sets: float) -> dict[str, float]:
        """Throughputs (bar-sets per second) of ours and of the ceiling on our `bar_sets`,
        vectorbt's on its own, `ceiling_ratio` and `ratio` (vectorbt) of ours over each."""
        throughput = bar_sets / self.seconds["ours"]
        ceiling = bar_sets / self.seconds["ceiling"]
        vectorbt = self.vectorbt_bar_sets / self.seconds["vectorbt"]
        return {
            "bar_sets": bar_sets,
            "repeats": self.repeats,
            "seconds": round(self.seconds["ours"], 3),
            "throughput": round(throughput),
            "ceiling_throughput": round(ceiling),
            "ceiling_ratio": round(throughput / ceiling, 3),
            "vectorbt_sets": self.vectorbt_sets,
            "vectorbt_throughput": round(vectorbt),
            "ratio": round(throughput / vectorbt, 2),
            "jit_seconds": round(self.jit_seconds, 2),
            "peak_rss_mb": round(self.peak_mb, 1),
        }


def speed_main(
    doc: str, measure: Callable[..., dict], rows: tuple[int, int], vectorbt_sets: int, *sizes: int
) -> None:
    """A speed benchmark's command line (--quick: rows[0] rows per asset, else rows[1];
    --vectorbt-sets; --repeats): `measure(*sizes, rows, vectorbt_sets, repeats=...)` printed
    as one JSON line."""
    parser = argparse.ArgumentParser(description=doc)
    quick = f"{rows[0]:,} rows per asset instead of {rows[1]:,}"
    parser.add_argument("--quick", action="store_true", help=quick)
    parser.add_argument("--vectorbt-sets", type=int, default=vectorbt_sets)
    parser.add_argument("--repeats", type=int, default=REPEATS, help="timed runs per side")
    args = parser.parse_args()
    n = rows[0] if args.quick else rows[1]
    print(json.dumps(measure(*sizes, n, args.vectorbt_sets, repeats=args.repeats)))


def vectorbt_from_signals(close, entries, exits, *, ratios: bool, **settings) -> None:
    """vectorbt's simulation of these signal frames, reading its total return and trade count
    (and, with `ratios`, the Sortino ratio and max drawdown the search's score reads)."""
    import vectorbt as vbt

    portfolio = vbt.Portfolio.from_signals(close, entries=entries, exits=exits, **settings)
    portfolio.total_return()
    portfolio.trades.count()
    if ratios:
        portfolio.sortino_ratio()
        portfolio.max_drawdown()


@njit(cache=True, nogil=True, parallel=True)
def ceiling_nb(price, volume, mas, vmas, widx, tps, sls, fees, init_cash):
    """The practical ceiling: this exact strategy, one lot, no records, final equity only."""
    out = np.empty(tps.shape[0])
    for s in prange(tps.shape[0]):
        ma, vma, tp, sl = mas[widx[s]], vmas[widx[s]], tps[s], sls[s]
        cash, units, entry = init_cash, 0.0, 0.0
        for t in range(price.shape[0]):
            p = price[t]
            if units > 0.0:
                if p >= entry * (1 + tp) or p <= entry * (1 - sl) or p < ma[t]:
                    cash += units * p * (1 - fees)
                    units = 0.0
                    continue
            elif p > ma[t] and volume[t] > vma[t]:
                notional = cash / (1 + fees)
                units = notional / p
                cash -= notional * (1 + fees)
                entry = p
        out[s] = cash + units * price[-1]
    return out


@njit(cache=True, nogil=True, parallel=True)
def breakout_ceiling_nb(price, volume, highs, lows, vmas, sets, fees, init_cash, start, stop):
    """The search benchmark's ceiling: the breakout rule with lots, no records, final equity.

    sets columns: index into highs, lows, vmas, then take_profit, stop_loss, order_size,
    max_orders (as floats).
    """
    out = np.empty(sets.shape[0])
    for s in prange(sets.shape[0]):
        high, low, vma = highs[int(sets[s, 0])], lows[int(sets[s, 1])], vmas[int(sets[s, 2])]
        tp, sl, size, most = sets[s, 3], sets[s, 4], sets[s, 5], int(sets[s, 6])
        units = np.zeros(most)
        entry = np.zeros(most)
        n = 0
        cash = init_cash
        for t in range(start, stop):
            p = price[t]
            i = 0
            while i < n:
                if p >= entry[i] * (1 + tp) or p <= entry[i] * (1 - sl):
                    cash += units[i] * p * (1 - fees)
                    n -= 1
                    units[i], entry[i] = units[n], entry[n]
                else:
                    i += 1
            if n > 0 and p < low[t]:
                for i in range(n):
                    cash += units[i] * p * (1 - fees)
                n = 0
            if n < most and p > high[t] and volume[t] > vma[t]:
                held = 0.0
                for i in range(n):
                    held += units[i] * p
                notional = min(size * (cash + held), cash / (1 + fees))
                units[n] = notional / p
                entry[n] = p
                cash -= notional * (1 + fees)
                n += 1
        value = cash
        for i in range(n):
            value += units[i] * price[stop - 1]
        out[s] = value
    return out
