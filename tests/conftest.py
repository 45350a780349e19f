"""Suite-wide fixtures: every test gets its own VANTAGE_HOME, database and working folder."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path, monkeypatch):
    """No test reads or writes the user's files, keys or network."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("VANTAGE_HOME", str(home))
    monkeypatch.setenv("VANTAGE_DATABASE_URL", f"sqlite+aiosqlite:///{home / 'vantage.db'}")
    for var in (
        "OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
        "VANTAGE_PROVIDER",
        "VANTAGE_MODEL",
        "VANTAGE_BASE_URL",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    return home
