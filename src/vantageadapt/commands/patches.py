"""`vantage patches`: browse the Gödel agent's patches and export the kept ones as a patch file."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import typer

from vantageadapt.commands.shared import (
    DbOption,
    JsonOption,
    OutOption,
    command_group,
    emit,
    query_store,
    show_records,
    store_location,
)
from vantageadapt.errors import ConfigError

# Where each kind of workspace file lives in a source checkout of VantageAdapt.
_CODE_HOME = "src/vantageadapt/agent/workspace_template"
_PROMPT_HOME = "src/vantageadapt/prompts/templates"


def _patch(url: str | None, patch_id: str) -> Any:
    """One patch by id or by a unique id prefix (as `list` shows them)."""
    found = query_store(url, "get_patch", patch_id)
    if found is not None:
        return found
    matches = [p for p in query_store(url, "list_patches") if p.id.startswith(patch_id)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise ConfigError(f"patch id prefix {patch_id!r} matches {len(matches)} patches; type more")
    raise ConfigError(
        f"patch {patch_id!r} not found in {store_location(url)}; see `vantage patches list`"
    )


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def _when(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S")


def _print_list(items: list[Any]) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    kept = sum(p.status == "kept" for p in items)
    table = Table(title=f"{len(items)} patches ({kept} kept), oldest first")
    columns = ("id", "created (UTC)", "run / iter", "kind", "target", "op", "status", "stage")
    for column in (*columns, "score", "reason"):
        table.add_column(column, no_wrap=True)
    for p in items:
        colour = "green" if p.status == "kept" else "red"
        table.add_row(
            p.id[:12],
            _when(p.created_at),
            f"{(p.run_id or '-')[:8]} / {p.iteration or '-'}",
            p.kind,
            p.target,
            p.op,
            Text(p.status, style=colour),
            p.stage or "-",
            f"{_score(p.score_before)} -> {_score(p.score_after)}",
            # Plain text: reasons hold brackets rich would read as markup; `show` has the rest.
            Text(p.reason if len(p.reason) <= 90 else p.reason[:89] + "…"),
        )
    console = Console(soft_wrap=False)
    if not console.is_terminal:
        console.width = 240  # piped output: keep one patch per line
    console.print(table)


def _print_patch(item: Any, *, diff: bool) -> None:
    from rich.console import Console
    from rich.syntax import Syntax
    from rich.text import Text

    console = Console()
    console.print(
        f"[bold]patch {item.id}[/]  {item.status}  run {item.run_id}  "
        f"iteration {item.iteration or '-'}",
        highlight=False,
    )
    console.print(f"created: {_when(item.created_at)} UTC", highlight=False)
    console.print(f"stage:   {item.stage or '(not recorded)'}", highlight=False)
    console.print(f"{item.kind} {item.op} on {item.target}", highlight=False)
    console.print(f"parent:  {item.parent_id or '(pristine workspace)'}", highlight=False)
    console.print(
        f"score:   {_score(item.score_before)} -> {_score(item.score_after)} (validation)",
        highlight=False,
    )
    console.print(Text(f"reason:  {item.reason}"))
    if diff:
        console.print(Syntax(item.diff or "(no diff)", "diff", background_color="default"))


def _checkout_path(kind: str, target: str) -> str:
    home = _PROMPT_HOME if kind == "prompt" else _CODE_HOME
    return f"{home}/{target}" if kind == "code" else f"{home}/{target}.prompt"


def export_text(run_id: str, patches: list[Any]) -> str:
    """The run's kept patches, in order, as one patch file for `git apply` in a checkout."""
    parts = [
        f"VantageAdapt run {run_id}: {len(patches)} kept patch(es), oldest first.\n"
        "Review, then apply in a checkout of VantageAdapt with `git apply FILE`.\n"
    ]
    for p in patches:
        path = _checkout_path(p.kind, p.target)
        body = []
        for line in p.diff.splitlines(keepends=True):
            if line.startswith("--- a/"):
                line = f"--- a/{path}\n"
            elif line.startswith("+++ b/"):
                line = f"+++ b/{path}\n"
            body.append(line)
        score = f"{_score(p.score_before)} -> {_score(p.score_after)}"
        reason = " ".join(p.reason.split())
        parts.append(
            f"\npatch {p.id} (iteration {p.iteration or '-'}, validation {score}): {reason}\n"
            f"diff --git a/{path} b/{path}\n" + "".join(body)
        )
    return "".join(parts)


def register(app: typer.Typer) -> None:
    """Add the `patches` commands to the root app."""
    group = command_group(app, "patches", "Browse the agent's code and prompt patches.")

    @group.command("list")
    def list_(
        run_id: str | None = typer.Option(None, "--run", help="Only this run's patches."),
        status: str | None = typer.Option(None, "--status", help="kept or rejected."),
        as_json: JsonOption = False,
        db: DbOption = None,
    ) -> None:
        """List patches, kept and rejected, oldest first."""
        if status not in (None, "kept", "rejected"):
            raise ConfigError(f"--status {status!r}: use kept or rejected")
        items = query_store(db, "list_patches", run_id=run_id, status=status)
        show_records(items, as_json, _print_list, key="patches")

    @group.command("show")
    def show(
        patch_id: str = typer.Argument(..., metavar="ID", help="Patch id (or unique prefix)."),
        diff: bool = typer.Option(False, "--diff", help="Print the unified diff too."),
        as_json: JsonOption = False,
        db: DbOption = None,
    ) -> None:
        """Show one patch: target, operation, status, scores, reason, parent (and diff)."""
        show_records(_patch(db, patch_id), as_json, lambda item: _print_patch(item, diff=diff))

    @group.command("export")
    def export(
        run_id: str = typer.Argument(..., metavar="RUN_ID", help="Run id (see `patches list`)."),
        out: OutOption = None,
        db: DbOption = None,
    ) -> None:
        """Write the run's kept patches as one file you can review and `git apply` by hand."""
        if query_store(db, "get_run", run_id) is None:
            raise ConfigError(
                f"run {run_id!r} not found in {store_location(db)}; see `vantage patches list`"
            )
        from vantageadapt.agent.lineage import standing

        # A kept code patch that failed later in the run was rolled back: not exported.
        kept = standing(query_store(db, "list_patches", run_id=run_id))
        if not kept:
            raise ConfigError(
                f"run {run_id} kept no patches; nothing to export "
                f"(see `vantage patches list --run {run_id}` for the rejected ones)"
            )
        text = export_text(run_id, kept)
        emit(text, out)
