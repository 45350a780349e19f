"""`vantage report RUN_ID`: rebuild a run's HTML report from the database."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import typer

from vantageadapt.outputs import check_output_path


def register(app: typer.Typer) -> None:
    """Add the `report` command to the root app."""
    app.command("report")(report)


def report(
    run_id: str = typer.Argument(..., help="The run's id (see `vantage run` output)."),
    out: Path = typer.Option(
        None, "--out", help="Where to write (default $VANTAGE_HOME/runs/<id>/report.html)."
    ),
    db: str = typer.Option(None, "--db", help="Database URL (default VANTAGE_DATABASE_URL)."),
    as_json: bool = typer.Option(False, "--json", help="Print {run_id, report} on stdout."),
) -> None:
    """Regenerate the HTML report of a stored run (re-reads its data to redraw the curves)."""
    from vantageadapt.pipeline.rebuild import rebuild_report

    if out is not None:
        check_output_path(out)
    path = asyncio.run(rebuild_report(run_id, out, db))
    if as_json:
        sys.stdout.write(json.dumps({"run_id": run_id, "report": str(path)}) + "\n")
    else:
        typer.echo(str(path))
