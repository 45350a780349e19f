"""The calibrations table: saved and read back per run, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from vantageadapt.store import DatabaseConnection
from vantageadapt.store.calibrations import CalibrationRecord

from .builders import run_record


def _calibration(run_id: str | None, fdr: float, **extra) -> CalibrationRecord:
    return CalibrationRecord(
        id=f"cal-{fdr}-{run_id}",
        run_id=run_id,
        theme="breakout trading",
        data_fingerprint="d" * 64,
        nulls=4,
        discoveries=round(fdr * 4),
        false_discovery_rate=fdr,
        real_score=1.5,
        p_value=0.25,
        null_runs=[{"index": 1, "discovery": False, "test_score": 0.3}],
        settings={"iterations": 2},
        **extra,
    )


async def test_latest_calibration_of_a_run(db_url):
    async with DatabaseConnection(db_url) as db:
        run = run_record()
        await db.save_run(run)
        assert await db.latest_calibration(run.id) is None
        older = _calibration(run.id, 0.25)
        newer = _calibration(run.id, 0.5, created_at=older.created_at + timedelta(minutes=1))
        await db.save_calibration(older)
        await db.save_calibration(newer)
        await db.save_calibration(_calibration(None, 0.75))  # no run: not this run's
        got = await db.latest_calibration(run.id)
    assert got is not None
    assert got.id == newer.id
    assert got.false_discovery_rate == 0.5
    assert got.p_value == 0.25
    assert got.null_runs == [{"index": 1, "discovery": False, "test_score": 0.3}]
