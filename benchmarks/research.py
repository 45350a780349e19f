"""Research power: does the loop find planted edges, refuse null markets, and earn its keep?

Prints one JSON line. Markets come from `vantage data sample --edge` (seeded):
- `power`: share of planted markets (trend and mean reversion, `--edge-strength` as given)
  where the best iteration is significant (deflated Sharpe >= 0.95) and the sealed test is
  positive;
- `size`: share of null markets (`--edge none`: same volatility, no edge) where the best
  iteration is significant (a false discovery);
- `efficiency`: the loop's mean sealed-test return on the planted markets over that of a
  reference rule family (EMA crossover on trend markets, a Bollinger dip rule on reversion
  markets) tuned by the optimizer on the same train/validation rows with the same trial budget
  as the whole loop (iterations x trials), scored once on the same sealed test (each market's
  figure is in `reference_test_returns`, per edge: a negative one means the planted edge does
  not pay the default engine's costs, so the loop cannot be expected to find it);
each with self-improvement (`improve`) and without (`no_improve`), on paired seeds (the same
markets and run seeds). `ratio` fields compare improve with no_improve.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from vantageadapt.data import load_trade_data, split_frames
from vantageadapt.data.sample import write_sample_data
from vantageadapt.models import TradingRules

SIGNIFICANT = 0.95
THEME = "breakout trading"
REFERENCE = {
    "trend": {
        "conditions": {"entry": ["ema_{fast} > ema_{slow}"], "exit": ["ema_{fast} < ema_{slow}"]},
        "parameters": {"fast": 20, "slow": 80, "take_profit": 0.3, "stop_loss": 0.15},
    },
    "revert": {
        "conditions": {"entry": ["price < bb_lower_{w}"], "exit": ["price > ma_{w}"]},
        "parameters": {"w": 40, "take_profit": 0.3, "stop_loss": 0.15},
    },
}


def run_loop(path: Path, home: Path, seed: int, improve: bool, args: argparse.Namespace) -> dict:
    """One full offline run; its best iteration's significance and sealed-test return."""
    os.environ["VANTAGE_HOME"] = str(home)
    from vantageadapt.pipeline import run_pipeline
    from vantageadapt.settings import load_settings

    flags = {
        "theme": THEME,
        "iterations": args.iterations,
        "seed": seed,
        "report": home / f"{path.stem}-{improve}.html",
        "data": {"path": path},
        "optimize": {"trials": args.trials},
        "agent": {"enabled": improve},
        "store": {"database_url": f"sqlite+aiosqlite:///{home}/{path.stem}-{improve}.db"},
    }
    result = run_pipeline(load_settings(flags, dotenv=None, environ={}))
    best = result.best
    return {
        "dsr": best.deflated_sharpe if best else 0.0,
        "pbo": best.pbo if best else None,
        "test_return": float(result.test.get("total_return", 0.0)),
        "seconds": result.wall_seconds,
    }


def run_reference(path: Path, edge: str, budget: int, seed: int) -> float:
    """The reference family tuned on the run's train/validation rows, scored on its test."""
    from vantageadapt.backtest import EngineConfig, backtest_assets
    from vantageadapt.optimize import OptimizeSettings, run_parameter_optimization

    split = split_frames(load_trade_data(path))
    rules = TradingRules.model_validate(
        {**REFERENCE[edge], "parameters": {**REFERENCE[edge]["parameters"], "order_size": 0.5}}
    )
    result = run_parameter_optimization(
        split.dev,
        rules,
        settings=OptimizeSettings(trials=budget, seed=seed, significance=False),
        validation_start=split.validation_start,
    )
    tuned = TradingRules(conditions=rules.conditions, parameters=result.best_parameters)
    _, test = backtest_assets(split.full, tuned, EngineConfig(), start=split.test_start)
    return float(test.total_return)


def _job(job: tuple) -> dict:
    kind, edge, seed, path, home, args = job
    if kind == "reference":
        budget = args.iterations * args.trials
        return {"edge": edge, "seed": seed, "reference": run_reference(path, edge, budget, seed)}
    improve = kind == "improve"
    return {
        "edge": edge,
        "seed": seed,
        "improve": improve,
        **run_loop(path, home, seed, improve, args),
    }


def _markets(args: argparse.Namespace, folder: Path) -> list[tuple[str, int, Path]]:
    planted = [(edge, s) for edge in ("trend", "revert") for s in range(args.planted)]
    nulls = [("none", s) for s in range(args.nulls)]
    out = []
    for edge, s in planted + nulls:
        path = folder / f"{edge}{s}.pkl"
        strength = 1.0 if edge == "none" else args.strength
        write_sample_data(
            path,
            assets=args.assets,
            rows=args.rows,
            seed=100 + s,
            edge=edge,
            edge_strength=strength,
        )
        out.append((edge, s, path))
    return out


def summarize(rows: list[dict], improve: bool) -> dict:
    """Power, size and the loop's mean planted test return, for one arm."""
    arm = [r for r in rows if r.get("improve") is improve]
    planted = [r for r in arm if r["edge"] != "none"]
    nulls = [r for r in arm if r["edge"] == "none"]
    found = [r["dsr"] >= SIGNIFICANT and r["test_return"] > 0 for r in planted]
    false = [r["dsr"] >= SIGNIFICANT for r in nulls]
    return {
        "power": float(np.mean(found)) if found else None,
        "size": float(np.mean(false)) if false else None,
        "planted_test_return": float(np.mean([r["test_return"] for r in planted])),
        "planted": len(planted),
        "nulls": len(nulls),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small markets, short loops")
    parser.add_argument("--workers", type=int, default=1, help="parallel runs (processes)")
    parser.add_argument(
        "--strength", type=float, default=1.25, help="planted edge strength (default 1.25)"
    )
    parser.add_argument("--planted", type=int, help="seeds per planted edge (3 quick, 5 full)")
    parser.add_argument("--nulls", type=int, help="null markets (10 quick, 20 full)")
    args = parser.parse_args()
    sizes = (3, 30_000, 3, 10, 2, 60) if args.quick else (5, 60_000, 5, 20, 3, 60)
    planted, nulls = args.planted, args.nulls
    args.assets, args.rows, args.planted, args.nulls, args.iterations, args.trials = sizes
    args.planted = planted if planted is not None else args.planted
    args.nulls = nulls if nulls is not None else args.nulls
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="vantage-research-", ignore_cleanup_errors=True) as tmp:
        folder = Path(tmp)
        markets = _markets(args, folder)
        jobs = [
            (kind, edge, s, path, folder, args)
            for edge, s, path in markets
            for kind in ("improve", "no_improve")
        ]
        jobs += [("reference", e, s, p, folder, args) for e, s, p in markets if e != "none"]
        if args.workers > 1:
            with ProcessPoolExecutor(args.workers) as pool:
                rows = [_note(row) for row in pool.map(_job, jobs)]
        else:
            rows = [_note(_job(job)) for job in jobs]
    reference = float(np.mean([r["reference"] for r in rows if "reference" in r]))
    by_edge = {
        edge: [round(r["reference"], 4) for r in rows if r.get("edge") == edge and "reference" in r]
        for edge in ("trend", "revert")
    }
    arms = {name: summarize(rows, name == "improve") for name in ("improve", "no_improve")}
    for arm in arms.values():
        ret = arm["planted_test_return"]
        arm["efficiency"] = ret / reference if reference > 0 else None
    print(
        json.dumps(
            {
                "benchmark": "research",
                "quick": args.quick,
                "power": arms["improve"]["power"],
                "size": arms["improve"]["size"],
                "efficiency": arms["improve"]["efficiency"],
                "improve": arms["improve"],
                "no_improve": arms["no_improve"],
                "power_ratio": _ratio(arms["improve"]["power"], arms["no_improve"]["power"]),
                "reference_test_return": reference,
                "reference_test_returns": by_edge,
                "edge_strength": args.strength,
                "markets": {"assets": args.assets, "rows": args.rows},
                "loop": {"iterations": args.iterations, "trials": args.trials},
                "runs": [r for r in rows if "reference" not in r],
                "wall_seconds": round(time.perf_counter() - began, 1),
            }
        )
    )


def _note(row: dict) -> dict:
    """One progress line per finished job, on stderr."""
    print(json.dumps(row), file=sys.stderr, flush=True)
    return row


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


if __name__ == "__main__":
    main()
