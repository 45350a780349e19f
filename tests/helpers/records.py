"""Small valid records shared by the tests of several parts."""

from __future__ import annotations

from typing import Any

from vantageadapt.store import PatchRecord


def patch_record(patch_id: str, **fields: Any) -> PatchRecord:
    """A kept code patch to scoring.py; `fields` override any of its values."""
    values = {
        "target": "scoring.py",
        "op": "modify_code",
        "status": "kept",
        "reason": "punish few trades",
    }
    return PatchRecord(id=patch_id, **(values | fields))
