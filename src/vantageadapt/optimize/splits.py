"""Time splits inside the search window: the inner holdout and walk-forward folds."""

from __future__ import annotations

from dataclasses import dataclass

from vantageadapt.errors import ConfigError

INNER_HOLDOUT = 0.25  # the search's decay check uses the last quarter of the train rows


@dataclass(frozen=True)
class Fold:
    """Rows [fit_start, fit_stop) are scored in-sample, [fit_stop, check_stop) as holdout."""

    fit_start: int
    fit_stop: int
    check_stop: int


def inner_holdout(train_rows: int, fraction: float = INNER_HOLDOUT) -> Fold:
    """One fold: the first (1 - fraction) of the train rows, then the last `fraction`."""
    if not 0.0 < fraction < 1.0:
        raise ConfigError(f"holdout fraction {fraction} must be between 0 and 1 (exclusive)")
    cut = train_rows - round(train_rows * fraction)
    if cut < 2 or cut >= train_rows:
        raise ConfigError(
            f"only {train_rows} train rows: too few to hold out {fraction:.0%}; use more data"
        )
    return Fold(0, cut, train_rows)


def walk_forward(train_rows: int, folds: int) -> list[Fold]:
    """Anchored walk-forward: fold k fits rows [0, (k+1)c) and checks [(k+1)c, (k+2)c)."""
    if folds < 1:
        raise ConfigError(f"walk-forward folds must be >= 1, got {folds}")
    chunk = train_rows // (folds + 1)
    if chunk < 2:
        raise ConfigError(f"only {train_rows} train rows: too few for {folds} walk-forward folds")
    out = []
    for k in range(folds):
        stop = train_rows if k == folds - 1 else (k + 2) * chunk
        out.append(Fold(0, (k + 1) * chunk, stop))
    return out


def validation_starts(row_counts: dict[str, int], fraction: float) -> dict[str, int]:
    """Row where each asset's held-out tail begins, for a tail of `fraction` of its rows."""
    if not 0.0 < fraction < 1.0:
        raise ConfigError(f"validation fraction {fraction} must be between 0 and 1 (exclusive)")
    return {sym: n - round(n * fraction) for sym, n in row_counts.items()}
