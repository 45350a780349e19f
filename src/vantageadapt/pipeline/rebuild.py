"""Rebuild a finished run's report from what the database holds."""

from __future__ import annotations

from pathlib import Path

from vantageadapt.pipeline import persist


async def rebuild_report(run_id: str, out: Path | None, database_url: str | None) -> Path:
    """Read the run back, re-split its data (fingerprint checked) and write the report."""
    from vantageadapt.agent import Workspace
    from vantageadapt.pipeline.loop import run_dir_for
    from vantageadapt.report import write_report
    from vantageadapt.settings import load_settings
    from vantageadapt.store import DatabaseConnection

    url = database_url or load_settings().store.database_url
    async with DatabaseConnection(url) as db:
        state = await db.resume_state(run_id)
    result = persist.run_result(state)
    run_dir = run_dir_for(run_id)
    indicators = (
        Workspace.create(run_dir).load().custom_indicators
        if (run_dir / "workspace").is_dir()
        else None
    )
    return write_report(result, out or run_dir / "report.html", custom_indicators=indicators)
