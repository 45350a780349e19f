"""The `calibrations` table's record and its two queries (save one, read a run's latest)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vantageadapt.store.schema import CalibrationRow, utcnow


class CalibrationRecord(BaseModel):
    """One calibration: null runs of a data set, their false-discovery rate, a run's p-value."""

    model_config = ConfigDict(extra="forbid")

    id: str
    run_id: str | None = None
    theme: str
    data_fingerprint: str
    nulls: int
    discoveries: int
    false_discovery_rate: float
    real_score: float | None = None
    p_value: float | None = None
    null_runs: list[dict[str, Any]] = Field(default_factory=list)
    settings: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime = Field(default_factory=utcnow)


async def add(session: AsyncSession, record: CalibrationRecord) -> None:
    """Insert one calibration row."""
    session.add(CalibrationRow(**record.model_dump()))


async def latest_for_run(session: AsyncSession, run_id: str) -> CalibrationRecord | None:
    """The newest calibration that measured `run_id`'s p-value, or None."""
    query = (
        select(CalibrationRow)
        .where(CalibrationRow.run_id == run_id)
        .order_by(CalibrationRow.created_at.desc())
        .limit(1)
    )
    row = (await session.execute(query)).scalar_one_or_none()
    if row is None:
        return None
    return CalibrationRecord.model_validate(
        {name: getattr(row, name) for name in CalibrationRecord.model_fields}
    )
