"""Logging: rich to stderr, debug to a rotating file with -v; secrets never logged."""

from __future__ import annotations

import logging
import os
import re
from logging.handlers import RotatingFileHandler
from pathlib import Path

from rich.logging import RichHandler

from vantageadapt.home import vantage_home

_SECRET_PATTERNS = (
    re.compile(r"(sk-[A-Za-z0-9_\-]{8,})"),
    re.compile(r"(://[^:/@\s]+:)(\S+)(@)"),  # to the last '@': a password may hold one
)
# In text from untrusted code: NAME=value pairs whose name sounds secret, and long tokens.
_SECRET_ASSIGNMENT = re.compile(
    r"(?i)([A-Z0-9_]*(?:KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH)[A-Z0-9_]*\s*[=:]\s*)"
    r"([^\s'\",}]+)"
)
_LONG_TOKEN = re.compile(r"[A-Za-z0-9_\-+/=]{32,}")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SECRET_NAME = re.compile(r"(?i)KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH")


def mask_secrets(text: str) -> str:
    """Hide API keys and the password part of database URLs."""
    text = _SECRET_PATTERNS[0].sub("sk-***", text)
    text = _SECRET_PATTERNS[1].sub(r"\1***\3", text)
    for var in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
        key = os.environ.get(var)
        if key and len(key) >= 6:
            text = text.replace(key, "***")
    return text


def scrub_untrusted(text: str, limit: int = 500) -> str:
    """Text from untrusted code (a worker's error), safe to store or show to a model.

    Masks what mask_secrets masks, the value of every secret-named environment variable of
    this process, NAME=value pairs with a secret-sounding name and long opaque tokens; drops
    control characters; cuts to `limit` characters.
    """
    text = mask_secrets(text)
    for name, value in os.environ.items():
        if _SECRET_NAME.search(name) and len(value) >= 6:
            text = text.replace(value, "***")
    text = _SECRET_ASSIGNMENT.sub(r"\1***", text)
    text = _LONG_TOKEN.sub("***", text)
    text = _CONTROL.sub(" ", text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class _MaskingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_secrets(record.getMessage())
        record.args = ()
        return True


def setup_logging(*, verbose: bool = False, log_dir: Path | None = None) -> None:
    """Configure the `vantageadapt` logger once per process."""
    root = logging.getLogger("vantageadapt")
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    root.propagate = False
    console = RichHandler(
        level=logging.DEBUG if verbose else logging.INFO,
        show_path=False,
        rich_tracebacks=False,
        markup=False,
    )
    console.addFilter(_MaskingFilter())
    from rich.console import Console

    console.console = Console(stderr=True)
    root.addHandler(console)
    if verbose:
        folder = log_dir or vantage_home() / "logs"
        folder.mkdir(parents=True, exist_ok=True)
        file_handler = RotatingFileHandler(
            folder / "vantage.log", maxBytes=5_000_000, backupCount=3, encoding="utf-8"
        )
        file_handler.setLevel(logging.DEBUG)
        file_handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        )
        file_handler.addFilter(_MaskingFilter())
        root.addHandler(file_handler)
