"""Which database to use, in which async driver, and how to name it without its password."""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import quote

from vantageadapt.errors import ConfigError, StoreError
from vantageadapt.logs import mask_secrets
from vantageadapt.settings import DEFAULT_DATABASE_URL, read_dotenv

# Plain or sync-driver spellings users type -> the async drivers this package ships.
_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+pysqlite": "sqlite+aiosqlite",
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+psycopg2": "postgresql+asyncpg",
    "postgresql+psycopg": "postgresql+asyncpg",
}
SUPPORTED = ("sqlite+aiosqlite", "postgresql+asyncpg")


def resolve_database_url(flag: str | None = None) -> str:
    """The URL to use: `--db` flag, then VANTAGE_DATABASE_URL (environment, then .env),
    then the default SQLite file."""
    if flag:
        return flag
    if os.environ.get("VANTAGE_DATABASE_URL"):
        return os.environ["VANTAGE_DATABASE_URL"]
    return read_dotenv(Path(".env")).get("VANTAGE_DATABASE_URL") or DEFAULT_DATABASE_URL


_SCHEME = re.compile(r"^(?P<scheme>[A-Za-z][\w+.-]*://)(?P<rest>.*)$", re.DOTALL)


def _encode_userinfo(url: str) -> str:
    """Percent-encode a password that holds a raw '@' (everything up to the last '@')."""
    match = _SCHEME.match(url)
    if match is None:
        return url
    rest = match["rest"]
    userinfo, at, host = rest.rpartition("@")
    if not at or "@" not in userinfo or ":" not in userinfo:
        return url
    user, _, password = userinfo.partition(":")
    return f"{match['scheme']}{quote(user, safe='')}:{quote(password, safe='')}@{host}"


def parse_url(url: str):  # -> sqlalchemy.engine.URL
    """SQLAlchemy's URL for `url` (a raw '@' in the password is read as part of it)."""
    from sqlalchemy.engine import make_url

    return make_url(_encode_userinfo(url))


def mask_url(url: str) -> str:
    """The URL with its password hidden, safe for messages and logs."""
    from sqlalchemy.exc import ArgumentError

    try:
        return parse_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError, TypeError):
        return mask_secrets(url)


def normalize_url(url: str):  # -> sqlalchemy.engine.URL
    """Parse the URL and switch it to an async driver; ConfigError (exit 2) when unusable."""
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = parse_url(url)
    except (ArgumentError, ValueError, TypeError) as exc:
        if "://" not in url and url.isprintable():
            raise ConfigError(
                f"database URL {mask_url(url)!r} is not a URL; for a SQLite file write "
                f"sqlite+aiosqlite:///{url}"
            ) from None
        raise ConfigError(
            f"database URL {mask_url(url)!r} does not parse ({exc}); use e.g. "
            "sqlite+aiosqlite:///vantage.db or postgresql+asyncpg://user:pass@host/db"
        ) from None
    name = _ASYNC_DRIVERS.get(parsed.drivername, parsed.drivername)
    if name not in SUPPORTED:
        raise ConfigError(
            f"database URL {mask_url(url)!r} uses driver {parsed.drivername!r}; supported: "
            f"{', '.join(SUPPORTED)} (set --db or VANTAGE_DATABASE_URL)"
        )
    return parsed.set(drivername=name)


CONNECT_HINT = "check the URL given by --db or VANTAGE_DATABASE_URL and that the server is running"


def store_error(action: str, url: str, exc: BaseException, hint: str = CONNECT_HINT) -> StoreError:
    """One-line StoreError for a failed database action, password masked."""
    reason = getattr(exc, "orig", None) or exc
    text = f"{type(reason).__name__}: {reason}".strip()
    text = " ".join(text.split())
    if len(text) > 300:
        text = text[:297] + "..."
    password = _password(url)
    if password and len(password) >= 3:
        text = text.replace(password, "***")
    message = f"database {mask_url(url)}: {action} failed ({text})" + (f"; {hint}" if hint else "")
    return StoreError(mask_secrets(message))


def _password(url: str) -> str | None:
    from sqlalchemy.exc import ArgumentError

    try:
        password = parse_url(url).password
    except (ArgumentError, ValueError, TypeError):
        return None
    return None if password is None else str(password)
