"""Breadth per iteration: tune K candidate rule sets, pick one on validation, measure how sure.

The strategist's (composed) rules are the first candidate; K-1 more come from one structured
answer with K hypotheses, which is shown how earlier hypotheses did on validation. The
iteration's trial budget is shared: each candidate is screened with half of it split evenly
(tuned on train rows, scored on validation rows by the fixed evaluator), the best is refined
with the other half by a second search, and the better of its two searches on validation is
the iteration's strategy. Both
windows took part in the choice, so its deflated Sharpe is measured on the train and
validation rows of the search's assets, counting every backtest of the run so far; the PBO is
measured there too, over the top trials of all K searches (picking a family is part of the
search). The sealed test rows are never used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from vantageadapt.llm.hypotheses import HypothesisOutcome
from vantageadapt.models import TradingRules
from vantageadapt.optimize.significance import (
    MAX_COLUMNS,
    TrialRows,
    rules_significance,
    top_trials,
)
from vantageadapt.pipeline.stages import RunParts, optimize
from vantageadapt.results import IterationResult

MAIN = "strategist rules"
REFINE_SEED = 7_919  # the refining search samples other points than the screening one


@dataclass
class Breadth:
    """The picked candidate's rules and search, every candidate's outcome, and significance."""

    rules: TradingRules
    result: Any  # OptimizationResult of the picked candidate
    outcomes: list[dict[str, Any]]
    deflated_sharpe: float
    pbo: float | None
    periods: str


def feedback(history: list[IterationResult]) -> list[Any]:
    """Earlier hypotheses and whether they held on validation, oldest first."""
    return [
        HypothesisOutcome(
            iteration=item.index,
            name=o["name"],
            held=bool(o["held"]),
            validation_score=float(o["validation_score"]),
            validation_return=float(o["validation_return"]),
        )
        for item in history
        for o in item.hypotheses
    ]


async def candidates(
    parts: RunParts, rules: TradingRules, insight: Any, context: Any, history: list
) -> list[tuple[str, TradingRules]]:
    """The strategist's rules, then up to K-1 distinct hypotheses."""
    k = parts.settings.optimize.hypotheses
    found = [(MAIN, rules)]
    if k <= 1:
        return found
    answer = await parts.llm.generate_hypotheses(
        insight, context, parts.settings.theme, k, feedback(history)
    )
    for item in answer.hypotheses:
        if len(found) >= k:
            break
        if all(item.rules.conditions != r.conditions for _, r in found):
            found.append((item.name, item.rules))
    return found


def _better(screened: Any, refined: Any) -> tuple[Any, float]:
    """The search with the higher validation score, counting both searches' trials and trace."""
    best = refined if refined.validation_score > screened.validation_score else screened
    trace = pd.concat([screened.landscape, refined.landscape], ignore_index=True)
    merged = replace(best, trials=screened.trials + refined.trials, landscape=trace)
    return merged, float(best.validation_score)


def _held(result: Any, score: float) -> bool:
    """A hypothesis holds when the fixed evaluator's validation score and return are positive."""
    return math.isfinite(score) and score > 0 and result.out_of_sample.total_return > 0


async def search(parts: RunParts, found: list[tuple[str, TradingRules]], hooks: Any) -> Breadth:
    """Tune each candidate on a share of the trials; pick on validation; measure the pick."""
    total = parts.settings.optimize.trials
    # Screen every candidate on half the budget, then refine the best with the rest.
    screen = max(1, total // (2 * len(found))) if len(found) > 1 else total
    searched = []
    for name, rules in found:
        label = "trials" if len(found) == 1 else f"trials: {name}"
        result = await optimize(parts, rules, hooks, trials=screen, label=label, significance=False)
        searched.append((name, rules, result, float(result.validation_score)))
    pick = max(range(len(searched)), key=lambda i: (searched[i][3], -i))
    rest = total - screen * len(found)
    if rest > 0:
        name, rules, screened, _ = searched[pick]
        refined = await optimize(
            parts, rules, hooks, trials=rest, label=f"refine: {name}", significance=False,
            seed=parts.llm.seed + REFINE_SEED,
        )  # fmt: skip
        searched[pick] = (name, rules, *_better(screened, refined))
    order = [pick, *(i for i in range(len(searched)) if i != pick)]
    per = max(2, MAX_COLUMNS // len(searched))
    columns = []
    for i in order:
        _, rules, result, _ = searched[i]
        names = [c for c in result.landscape.columns if c != "score"]
        params = result.landscape[names].to_dict("records")
        columns += top_trials(rules, params, result.landscape["score"].tolist(), per)
    _, rules, result, _ = searched[pick]
    split = parts.split
    with parts.progress.stage("significance"):
        windows = {s: (0, len(split.dev[s])) for s in result.subset}
        rows = TrialRows(
            split.dev, windows, parts.engine, hooks.custom_indicators, keys=parts.dev_keys
        )
        sig = rules_significance(rows, columns, parts.trials_so_far)
    outcomes = [
        {
            "name": name,
            "trials": int(res.trials),
            "validation_score": score if math.isfinite(score) else -1e9,
            "validation_return": float(res.out_of_sample.total_return),
            "held": _held(res, score),
            "picked": i == pick,
        }
        for i, (name, _, res, score) in enumerate(searched)
    ]
    pbo = None if math.isnan(sig.pbo) else sig.pbo
    periods = f"{sig.periods} x {sig.period}"
    return Breadth(rules, result, outcomes, sig.deflated_sharpe, pbo, periods)
