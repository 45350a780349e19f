"""`vantage prompts` commands: list, show, history, diff and roll back prompt templates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from vantageadapt.commands.shared import JsonOption
from vantageadapt.errors import ConfigError

prompts_app = typer.Typer(
    help="The strategist's prompt templates and their versions.",
    no_args_is_help=True,
    add_completion=False,
)

RootOption = Annotated[
    Path | None,
    typer.Option(
        "--root",
        help="Override folder (default $VANTAGE_HOME/prompts; a run's workspace/prompts works).",
    ),
]


def _manager(root: Path | None):
    from vantageadapt.prompts import PromptManager

    return PromptManager(root)


@prompts_app.command("list")
def list_prompts(root: RootOption = None, as_json: JsonOption = False) -> None:
    """Every template with its current version."""
    manager = _manager(root)
    rows = []
    for name in manager.names():
        versions = manager.versions(name)
        rows.append({"name": name, "version": versions[-1].version, "reason": versions[-1].reason})
    if as_json:
        typer.echo(json.dumps({"root": str(manager.root), "prompts": rows}))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"prompts (overrides in {manager.root})")
    for header in ("name", "version", "last change"):
        table.add_column(header)
    for row in rows:
        table.add_row(row["name"], str(row["version"]), row["reason"])
    Console().print(table)


@prompts_app.command("show")
def show(
    name: Annotated[str, typer.Argument(help="Template name, e.g. rules/generate.")],
    version: Annotated[
        int | None, typer.Option("--version", help="Version to show (default: current).")
    ] = None,
    root: RootOption = None,
    as_json: JsonOption = False,
) -> None:
    """Print a template (the current version unless --version)."""
    versions = {v.version: v for v in _manager(root).versions(name)}
    chosen = versions[max(versions)] if version is None else versions.get(version)
    if chosen is None:
        raise ConfigError(f"prompt {name!r} has no version {version}; versions 1..{max(versions)}")
    if as_json:
        typer.echo(chosen.model_dump_json())
    else:
        typer.echo(chosen.template, nl=False)


@prompts_app.command("history")
def history(
    name: Annotated[str, typer.Argument(help="Template name, e.g. rules/generate.")],
    root: RootOption = None,
    as_json: JsonOption = False,
) -> None:
    """Every version of a template: number, time, reason, hash."""
    versions = _manager(root).versions(name)
    rows = [v.model_dump(exclude={"template"}) for v in versions]
    if as_json:
        typer.echo(json.dumps({"name": name, "versions": rows}))
        return
    for row in rows:
        stamp = row["created_at"] or "(package)"
        typer.echo(f"v{row['version']}  {stamp}  {row['sha256'][:12]}  {row['reason']}")


@prompts_app.command("diff")
def diff(
    name: Annotated[str, typer.Argument(help="Template name.")],
    old: Annotated[int, typer.Argument(help="Older version.")],
    new: Annotated[int | None, typer.Argument(help="Newer version (default: current).")] = None,
    root: RootOption = None,
) -> None:
    """A unified diff between two versions of a template."""
    typer.echo(_manager(root).diff(name, old, new), nl=False)


@prompts_app.command("rollback")
def rollback(
    name: Annotated[str, typer.Argument(help="Template name.")],
    version: Annotated[int, typer.Argument(help="Version to make current again.")],
    root: RootOption = None,
    as_json: JsonOption = False,
) -> None:
    """Make an old version current (stored as a new version; nothing is overwritten)."""
    new = _manager(root).rollback(name, version)
    if as_json:
        typer.echo(json.dumps({"name": name, "restored": version, "version": new}))
    else:
        typer.echo(f"{name}: v{version} restored as v{new}")


def register(app: typer.Typer) -> None:
    """Add the `prompts` commands to the root app."""
    app.add_typer(prompts_app, name="prompts")
