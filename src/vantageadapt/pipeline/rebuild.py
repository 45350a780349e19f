"""Rebuild a run's report from what the database holds (and the run's data file)."""

from __future__ import annotations

from pathlib import Path

from vantageadapt.agent import Workspace, WorkspaceRunner
from vantageadapt.pipeline import persist
from vantageadapt.pipeline.stages import load_split, run_dir_for
from vantageadapt.report import write_report
from vantageadapt.settings import RunSettings, load_settings
from vantageadapt.store import DatabaseConnection


async def rebuild_report(run_id: str, out: Path | None, database_url: str | None) -> Path:
    """Read the run back, re-split its data (fingerprint checked) and write the report."""
    url = database_url or load_settings().store.database_url
    async with DatabaseConnection(url) as db:
        state = await db.resume_state(run_id)
        calibration = await db.latest_calibration(run_id)
    result = persist.run_result(state)
    if calibration is not None:
        result.calibration = calibration.model_dump(mode="json", exclude={"settings"})
    split = load_split(RunSettings.model_validate(state.run.settings))
    persist.check_same_data(state.run, split.test_fingerprint)
    run_dir = run_dir_for(run_id)
    path = out or run_dir / "report.html"
    if not (run_dir / "workspace").is_dir():
        return write_report(result, path, split=split)
    # The run's custom indicators come from its workspace, computed in a worker.
    with WorkspaceRunner(Workspace.create(run_dir)) as runner:
        hooks = runner.current()
        return write_report(result, path, split=split, custom_indicators=hooks.custom_indicators)
