"""How the agent marks a kept code patch it undid: a record with this op (see `rollback`)."""

from __future__ import annotations

ROLLBACK = "rollback"  # the op of a record that undoes a kept code patch (its parent_id)
