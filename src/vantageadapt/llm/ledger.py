"""What strategist calls cost: request hashing, prices, the token/cost budget, the reply cache."""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from vantageadapt.errors import BudgetExceeded
from vantageadapt.home import vantage_home

logger = logging.getLogger(__name__)


class Price(NamedTuple):
    """USD per million tokens a model charges: prompt (input) and answer (output) tokens."""

    input: float
    output: float


# Matched by model-name prefix, longest first.
PRICES: dict[str, Price] = {
    "gpt-4o-mini": Price(0.15, 0.60),
    "gpt-4o": Price(2.50, 10.00),
    "gpt-4.1-nano": Price(0.10, 0.40),
    "gpt-4.1-mini": Price(0.40, 1.60),
    "gpt-4.1": Price(2.00, 8.00),
    "gpt-5-nano": Price(0.05, 0.40),
    "gpt-5-mini": Price(0.25, 2.00),
    "gpt-5": Price(1.25, 10.00),
    "o4-mini": Price(1.10, 4.40),
    "o3": Price(2.00, 8.00),
    "claude-3-5-haiku": Price(0.80, 4.00),
    "claude-haiku-4-5": Price(1.00, 5.00),
    "claude-3-7-sonnet": Price(3.00, 15.00),
    "claude-sonnet-4": Price(3.00, 15.00),
    "claude-opus-4": Price(15.00, 75.00),
}


def price_of(model: str) -> Price | None:
    """A known model's price (USD per million input and output tokens), else None."""
    name = model.lower().rsplit("/", 1)[-1]  # "openai/gpt-4o" on OpenRouter
    for prefix in sorted(PRICES, key=len, reverse=True):
        if name.startswith(prefix):
            return PRICES[prefix]
    return None


def cost_usd(model: str, prompt_tokens: int, completion_tokens: int) -> float | None:
    """Cost of one call where the model's price is known."""
    price = price_of(model)
    if price is None:
        return None
    return (prompt_tokens * price.input + completion_tokens * price.output) / 1_000_000


def canonical_json(value: Any) -> str:
    """Stable JSON text: sorted keys, no spaces, so equal requests hash equal."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def request_hash(request: dict[str, Any]) -> str:
    """sha256 of the canonical request (never includes a key: keys live in headers)."""
    return hashlib.sha256(canonical_json(request).encode("utf-8")).hexdigest()


def estimate_tokens(text: str) -> int:
    """A generous token estimate (3 characters a token) so the budget errs on the safe side."""
    return math.ceil(len(text) / 3)


@dataclass
class Budget:
    """Limits for --max-cost (USD) and --max-tokens over one run; checked before each call."""

    max_cost: float | None = None
    max_tokens: int | None = None
    spent_cost: float = 0.0
    spent_tokens: int = 0
    _warned: set[str] = field(default_factory=set, repr=False)

    def check(self, *, purpose: str, model: str, tokens: int, cost: float | None) -> None:
        """Raise BudgetExceeded if a call of about `tokens` tokens and `cost` would pass a limit."""
        if self.max_tokens is not None and self.spent_tokens + tokens > self.max_tokens:
            raise BudgetExceeded(
                f"the next strategist call ({purpose}) may use about {tokens} tokens, but "
                f"{self.spent_tokens} of --max-tokens {self.max_tokens} are spent; raise "
                "--max-tokens, rerun with --cache, or use --provider offline"
            )
        if self.max_cost is None:
            return
        if cost is None:
            if model not in self._warned:
                self._warned.add(model)
                logger.warning(
                    "no price known for model %r: --max-cost cannot limit it (use --max-tokens)",
                    model,
                )
            return
        if self.spent_cost + cost > self.max_cost:
            raise BudgetExceeded(
                f"the next strategist call ({purpose}) may cost about ${cost:.4f}, but "
                f"${self.spent_cost:.4f} of --max-cost ${self.max_cost:g} is spent; raise "
                "--max-cost, rerun with --cache, or use --provider offline"
            )

    def charge(self, *, tokens: int, cost: float | None) -> None:
        """Count a finished call."""
        self.spent_tokens += tokens
        self.spent_cost += cost or 0.0


class ResponseCache:
    """Provider replies on disk, one JSON file per request hash."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder if folder is not None else vantage_home() / "cache"

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored reply for a request hash, or None (a corrupt file counts as a miss)."""
        path = self._path(key)
        if not path.is_file():
            return None
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            logger.warning("ignoring unreadable cache entry %s", path)
            return None

    def put(self, key: str, reply: dict[str, Any]) -> None:
        """Store a reply atomically."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(reply, sort_keys=True), encoding="utf-8")
        tmp.replace(path)
