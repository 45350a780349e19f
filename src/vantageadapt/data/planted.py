"""Planted markets: synthetic DEX trades with a known edge of adjustable strength, or none.

Every planted market has the same per-trade volatility (`VOLATILITY`, Student-t shocks scaled
up inside bursts of heavy trading), the same trade spacing process as the default sample and
deeper pools (`POOL_SOL`, see the calibration below); only the serial structure differs.
`strength` (0-5, default 1) scales the edge; 0 gives a market with no edge of that kind.

- `none`: independent returns; nothing to find (the null case).
- `trend`: spells (about 800 trades each) of persistent drift, up or down, of
  `strength * TREND_DRIFT * VOLATILITY` per trade. A long-only strategy that joins up-spells
  early and stands aside in down-spells earns it.
- `revert`: the log price is a slow random walk plus a mean-reverting AR(1) deviation
  (half-life about `REVERT_HALF_LIFE` trades) carrying a share
  `min(0.9, strength * REVERT_SHARE)` of the per-trade variance. Buying dips below the band
  and selling at the mean earns it.
- `volume`: drift of `strength * VOLUME_DRIFT * VOLATILITY` per trade inside bursts of heavy
  trading (which the volume column shows; about one every 1,000 trades), and a small opposite
  drift outside them, so holding throughout earns nothing. Buying on high volume earns it.

Calibration against the default engine's costs (AMM fills, 10 SOL account): a round trip pays
the pool fee and the fee twice (0.25 % + 0.1 % each way, 0.7 % in all) plus price impact of
about 2 x order / pool SOL. Planted pools therefore start at `POOL_SOL` (2,000-10,000 SOL, so a
5 SOL order costs 0.1-0.5 % in impact, where the default sample's 80-400 SOL pools cost
2.5-12.5 %), and `VOLATILITY` (1.2 % per trade; it was 0.3 %) sets the size of every edge's
moves against these costs. Measured at strength 1 (3 assets x 30,000 trades, seed 100): the
Bollinger dip rule (`price < bb_lower_{w}`, exit `price > ma_{w}`) tuned by `vantage optimize`
makes 1.1 % per round trip on `revert` before costs (moves scale with the volatility: at the
earlier 0.3 % about a quarter of that, below the 0.7 % fee floor alone) and +14 % on the sealed
test after them; an EMA crossover rides `trend` spells of about 65 %. The same rules tuned the
same way lose on the `none` market of the same seed (tests/data/test_planted.py pins both). The
revert edge's margin over costs is modest (about 1.5 x the fee floor): it shrinks with the
share, so strengths well below 1 may not pay.
"""

from __future__ import annotations

import numpy as np

from vantageadapt.data.shocks import ar1, bursts
from vantageadapt.errors import ConfigError

EDGES = ("none", "trend", "revert", "volume")
VOLATILITY = 0.012
TREND_DRIFT = 0.07
SPELL_TRADES = 800
REVERT_HALF_LIFE = 40
REVERT_SHARE = 0.7
VOLUME_DRIFT = 0.15
MAX_STRENGTH = 5.0
# SOL reserves a planted market's pools start from (the default sample's: 80-400), deep
# enough that the default 10 SOL account's orders cost little price impact.
POOL_SOL = (2_000.0, 10_000.0)


def check_edge(edge: str, strength: float) -> None:
    """ConfigError unless `edge` is a known kind and 0 <= strength <= MAX_STRENGTH."""
    if edge not in EDGES:
        raise ConfigError(f"--edge {edge!r}: use one of {', '.join(EDGES)}")
    if not 0.0 <= strength <= MAX_STRENGTH:
        raise ConfigError(f"--edge-strength {strength}: use a number from 0 to {MAX_STRENGTH:g}")


def _trend_drift(rng: np.random.Generator, rows: int, size: float, shocks: np.ndarray):
    """Per-trade drift: spells of +size or -size, leaning back toward the start level."""
    drift = np.empty(rows)
    pos, level = 0, 0.0
    while pos < rows:
        length = int(np.clip(rng.lognormal(np.log(SPELL_TRADES), 0.5), 200, 5_000))
        stop = min(rows, pos + length)
        up = rng.random() < 1.0 / (1.0 + np.exp(2.0 * level))
        drift[pos:stop] = size if up else -size
        level += float(drift[pos:stop].sum() + shocks[pos:stop].sum())
        pos = stop
    return drift


def planted_returns(
    rng: np.random.Generator, rows: int, edge: str, strength: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per-trade log returns with the planted edge, and each trade's activity multiplier."""
    check_edge(edge, strength)
    burst = bursts(rng, rows, every=1_000 if edge == "volume" else 4_000)
    shocks = rng.standard_t(3, size=rows) / np.sqrt(3.0) * VOLATILITY
    if edge == "revert":
        share = min(0.9, strength * REVERT_SHARE)
        phi = 0.5 ** (1.0 / REVERT_HALF_LIFE)
        walk = np.sqrt(1.0 - share) * shocks * burst
        deviation = ar1(np.sqrt(share) * rng.standard_t(3, size=rows) / np.sqrt(3.0), phi)
        returns = walk + np.diff(VOLATILITY * deviation, prepend=0.0)
    else:
        returns = shocks * burst
        if edge == "trend":
            returns += _trend_drift(rng, rows, strength * TREND_DRIFT * VOLATILITY, returns)
        elif edge == "volume":
            # Up inside bursts, down a little outside, so holding throughout earns nothing.
            heavy = burst > 1.0
            up = strength * VOLUME_DRIFT * VOLATILITY
            down = up * heavy.sum() / max(1, rows - heavy.sum())
            returns += np.where(heavy, up, -down)
    return returns, burst
