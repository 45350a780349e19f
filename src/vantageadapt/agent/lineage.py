"""The run's patch lineage: every PatchRecord in order, in `workspace/lineage.jsonl`.

A new agent on the same workspace reads it back, so the lineage survives a resume.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from pathlib import Path

from vantageadapt.agent.patches import ROLLBACK
from vantageadapt.results import PatchRecord

LINEAGE_FILE = "lineage.jsonl"


def standing(outcomes: Iterable[PatchRecord], kind: str | None = None) -> list[PatchRecord]:
    """The kept patches (of `kind`, or any) no later rollback undid, oldest first."""
    outcomes = list(outcomes)
    undone = {o.parent_id for o in outcomes if o.op == ROLLBACK}
    return [
        o for o in outcomes if o.status == "kept" and o.id not in undone and kind in (None, o.kind)
    ]


class Lineage:
    """Appends outcomes to the lineage file and reads them back."""

    def __init__(self, root: Path) -> None:
        self.path = Path(root) / LINEAGE_FILE

    def read(self) -> list[PatchRecord]:
        """Every outcome recorded so far (none for a new workspace)."""
        if not self.path.is_file():
            return []
        lines = self.path.read_text(encoding="utf-8").splitlines()
        return [PatchRecord.model_validate(json.loads(line)) for line in lines if line]

    def append(self, outcome: PatchRecord) -> None:
        """Add one outcome at the end."""
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(outcome.model_dump_json() + "\n")

    def keep_only(self, outcomes: list[PatchRecord], saved: Collection[str]) -> list[PatchRecord]:
        """Rewrite the file with the outcomes whose ids are in `saved`; return those."""
        kept = [o for o in outcomes if o.id in saved]
        if len(kept) != len(outcomes):
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text("".join(o.model_dump_json() + "\n" for o in kept), encoding="utf-8")
            tmp.replace(self.path)
        return kept
