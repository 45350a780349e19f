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


def mask_secrets(text: str) -> str:
    """Hide API keys and the password part of database URLs."""
    text = _SECRET_PATTERNS[0].sub("sk-***", text)
    text = _SECRET_PATTERNS[1].sub(r"\1***\3", text)
    for var in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY"):
        key = os.environ.get(var)
        if key and len(key) >= 6:
            text = text.replace(key, "***")
    return text


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
