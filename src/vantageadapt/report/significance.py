"""How sure the run is: the best iteration's deflated Sharpe and PBO, and any calibration."""

from __future__ import annotations

from vantageadapt.results import SIGNIFICANT, IterationResult, RunResult


def pbo_text(pbo: float | None) -> str:
    """PBO as shown: a number, or why there is none."""
    return "n/a (too few periods or trials)" if pbo is None else f"{pbo:.2f}"


def hypotheses_text(item: IterationResult) -> str:
    """Each candidate of the iteration: name, held or failed on validation, picked."""
    return "; ".join(
        f"{h['name']}: {'held' if h['held'] else 'failed'}{' (picked)' if h['picked'] else ''}"
        for h in item.hypotheses
    )


def significance_facts(run: RunResult) -> dict[str, str]:
    """Report facts: significance of the best iteration and the latest calibration."""
    facts: dict[str, str] = {}
    best = run.best
    if best is not None:
        verdict = "significant" if best.deflated_sharpe >= SIGNIFICANT else "not significant"
        facts["deflated Sharpe (best iteration)"] = (
            f"{best.deflated_sharpe:.3f} ({verdict} at 0.95; {best.trials_to_date} backtests "
            f"counted; {best.significance_periods or 'periods n/a'})"
        )
        facts["probability of backtest overfitting (best iteration)"] = pbo_text(best.pbo)
        if best.hypotheses:
            facts["hypotheses (best iteration, on validation)"] = hypotheses_text(best)
    cal = run.calibration
    if cal:
        facts["calibration: false-discovery rate"] = (
            f"{cal['false_discovery_rate']:.2f} ({cal['discoveries']} of {cal['nulls']} "
            "null runs significant)"
        )
        if cal.get("p_value") is not None:
            facts["calibration: permutation p-value"] = (
                f"{cal['p_value']:.3f} (share of null runs whose sealed-test score reaches "
                f"this run's {cal['real_score']:.4g})"
            )
    return facts
