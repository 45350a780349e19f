"""Engine throughput on a 10 x 10 x 10 grid vs vectorbt and a minimal numba loop; one JSON line.

Each side (ours, the ceiling, vectorbt) runs once after its JIT warm-up, then the sides are
timed in turns for `--repeats` rounds (3), each side's fastest run counted; ours and the
ceiling both compute their moving averages inside each run.
"""

from __future__ import annotations

import ceiling
import numpy as np
import pandas as pd

from vantageadapt.backtest import EngineConfig, evaluate_grid
from vantageadapt.models import Conditions
from vantageadapt.rules.indicator_store import IndicatorStore
from vantageadapt.rules.indicators import rolling_mean

CONDITIONS = Conditions(entry=["price > ma_{w}", "volume > volume_ma_{w}"], exit=["price < ma_{w}"])
WINDOWS = [10 * (i + 1) for i in range(10)]
TAKE_PROFITS = [0.01 * (i + 1) for i in range(10)]
STOP_LOSSES = [0.005 * (i + 1) for i in range(10)]
FEES = 0.001


def make_frame(rows: int, seed: int = 0) -> pd.DataFrame:
    """A random-walk price and lognormal volume at one-minute spacing."""
    rng = np.random.default_rng(seed)
    index = pd.date_range("2020-01-01", periods=rows, freq="min", tz="UTC", name="timestamp")
    price = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.002, rows)))
    volume = rng.lognormal(0.0, 1.0, rows)
    return pd.DataFrame({"price": price, "volume": volume}, index=index)


def grid() -> list[dict[str, float]]:
    """The 1,000 parameter sets, window-major."""
    return [
        {"w": w, "take_profit": tp, "stop_loss": sl, "order_size": 1.0, "max_orders": 1}
        for w in WINDOWS
        for tp in TAKE_PROFITS
        for sl in STOP_LOSSES
    ]


def ceiling_run(frame: pd.DataFrame, sets: list[dict[str, float]]):
    """The minimal loop over every set, its indicators included, as a timed call (JIT warmed)."""
    price = frame["price"].to_numpy()
    volume = frame["volume"].to_numpy()
    widx = np.array([WINDOWS.index(int(s["w"])) for s in sets], dtype=np.int64)
    tps = np.array([s["take_profit"] for s in sets])
    sls = np.array([s["stop_loss"] for s in sets])
    tiny = np.ones((len(WINDOWS), 10))
    ceiling.ceiling_nb(np.ones(10), np.ones(10), tiny, tiny, widx, tps, sls, FEES, 1e4)

    def run() -> None:
        mas = np.stack([rolling_mean(price, w) for w in WINDOWS])
        vmas = np.stack([rolling_mean(volume, w) for w in WINDOWS])
        ceiling.ceiling_nb(price, volume, mas, vmas, widx, tps, sls, FEES, 1e4)

    return run


def vectorbt_run(frame: pd.DataFrame, n_sets: int):
    """vectorbt's from_signals on the first window's tp x sl sets, as a timed call (JIT warmed).

    Only the cheapest outputs are read (its sharpe_ratio() alone takes longer than the
    simulation), so the comparison flatters vectorbt, never us."""

    def prepared(data: pd.DataFrame):
        price, volume = data["price"], data["volume"]
        w = WINDOWS[0]
        ma, vma = price.rolling(w).mean(), volume.rolling(w).mean()
        wide = {
            name: np.repeat(values[:, None], n_sets, 1)
            for name, values in (
                ("close", price.to_numpy()),
                ("entries", ((price > ma) & (volume > vma)).to_numpy()),
                ("exits", (price < ma).to_numpy()),
            )
        }
        tp = np.array([tp for tp in TAKE_PROFITS for _ in STOP_LOSSES])[:n_sets]
        sl = np.array([sl for _ in TAKE_PROFITS for sl in STOP_LOSSES])[:n_sets]

        def run() -> None:
            frames = {k: pd.DataFrame(v, index=price.index) for k, v in wide.items()}
            ceiling.vectorbt_from_signals(
                frames["close"], frames["entries"], frames["exits"], ratios=False,
                sl_stop=sl, tp_stop=tp, fees=FEES, init_cash=10_000.0, freq="1min",
            )  # fmt: skip

        return run

    prepared(make_frame(2_000, seed=2))()  # vectorbt's JIT, untimed as ours is
    return prepared(frame)


def measure(
    rows: int, vectorbt_sets: int, sets: list | None = None, repeats: int = ceiling.REPEATS
) -> dict:
    """Time the engine, the ceiling and vectorbt on one frame, in turns for `repeats` rounds
    (`ceiling.SpeedClock`); the figures as a dict. Ours starts each run with an empty
    indicator store, as the ceiling computes its moving averages in each run.

    `sets` replaces the 1,000 parameter sets (tests use a few)."""
    frame = make_frame(rows)
    sets = sets if sets is not None else grid()
    config = EngineConfig(fees=FEES)

    clock = ceiling.SpeedClock(repeats)
    clock.warm(lambda: evaluate_grid(make_frame(2_000, seed=1), CONDITIONS, sets[:2], config))
    metrics = []

    def ours() -> None:
        metrics[:] = [evaluate_grid(frame, CONDITIONS, sets, config, store=IndicatorStore())]

    clock.ours(ours)
    clock.ceiling(ceiling_run(frame, sets))
    n_vbt = min(vectorbt_sets, len(sets))
    clock.vectorbt(vectorbt_run(frame, n_vbt), n_vbt, rows * n_vbt)
    clock.race()
    return {
        "rows": rows,
        "sets": len(sets),
        **clock.figures(rows * len(sets)),
        "mean_trades": float(metrics[0][:, 5].mean()),
    }


def main() -> None:
    """Measure and print one JSON line."""
    ceiling.speed_main(__doc__, measure, (100_000, 1_000_000), 100)


if __name__ == "__main__":
    main()
