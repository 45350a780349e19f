"""The `vantage` command: assembles each part's commands and maps errors to exit codes."""

from __future__ import annotations

import datetime
import gc
import logging
import sys
import tempfile
import traceback

import click
import typer
from rich.console import Console

from vantageadapt import __version__
from vantageadapt.commands import (
    backtest,
    calibrate,
    data,
    db,
    doctor,
    optimize,
    patches,
    prompts,
    report,
    run,
    strategies,
)
from vantageadapt.errors import EXIT_INTERNAL, VantageError
from vantageadapt.home import vantage_home
from vantageadapt.logs import mask_secrets, setup_logging

app = typer.Typer(
    name="vantage",
    help="Find, tune and check trading strategies, with a self-improving agent.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
_state = {"debug": False}
# Typer ships its own copy of click: usage errors come from either.
_USAGE_ERRORS = tuple(
    {click.ClickException}
    | {base for base in typer.BadParameter.__mro__ if base.__name__ == "ClickException"}
)
_stderr = Console(stderr=True)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"vantage {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    verbose: bool = typer.Option(
        False, "--verbose", "-v", help="Debug logs to stderr and a log file."
    ),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """Find, tune and check trading strategies, with a self-improving agent."""
    _state["debug"] = debug
    setup_logging(verbose=verbose)


for module in (
    data,
    backtest,
    optimize,
    run,
    calibrate,
    report,
    db,
    strategies,
    prompts,
    patches,
    doctor,
):
    module.register(app)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; one clear line and a mapped exit code for every expected failure."""
    try:
        _main(sys.argv[1:] if argv is None else argv)
    finally:
        if argv is None:
            # The process ends next: with the heap frozen, the interpreter's shutdown skips
            # its repeated scans of every object (seconds once numba, pandas and scipy are
            # loaded); modules are still torn down and at-exit handlers run.
            gc.freeze()


def _main(args: list[str]) -> None:
    command = typer.main.get_command(app)
    _state["debug"] = "--debug" in args
    try:
        result = command.main(args=args, prog_name="vantage", standalone_mode=False)
    except _USAGE_ERRORS as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except (click.exceptions.Abort, typer.Abort):
        _stderr.print("aborted")
        sys.exit(130)
    except KeyboardInterrupt:
        _stderr.print("interrupted")
        sys.exit(130)
    except VantageError as exc:
        if _state["debug"]:
            traceback.print_exc()
        logging.getLogger("vantageadapt").debug("error", exc_info=True)
        _stderr.print(f"[bold red]error:[/] {_one_line(exc)}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except Exception as exc:  # a bug: one line naming the log that holds the traceback
        if _state["debug"]:
            traceback.print_exc()
        where = _log_traceback(exc)
        _stderr.print(
            f"[bold red]internal error:[/] {type(exc).__name__}: {_one_line(exc)[:200]}; "
            f"the traceback is in {where} (please report it)",
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(EXIT_INTERNAL)
    sys.exit(result if isinstance(result, int) else 0)


def _one_line(exc: BaseException) -> str:
    return " ".join(mask_secrets(str(exc)).split())


def _log_traceback(exc: BaseException) -> str:
    """Append the traceback to $VANTAGE_HOME/logs/vantage.log (else a temp file); its path."""
    text = "".join(traceback.format_exception(exc))
    stamp = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    entry = f"{stamp} CRITICAL vantageadapt: internal error\n{mask_secrets(text)}\n"
    folder = vantage_home() / "logs"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "vantage.log"
        with path.open("a", encoding="utf-8") as log:
            log.write(entry)
        return str(path.resolve())
    except OSError:
        with tempfile.NamedTemporaryFile(
            "w", prefix="vantage-crash-", suffix=".log", delete=False, encoding="utf-8"
        ) as log:
            log.write(entry)
        return log.name


if __name__ == "__main__":
    main()
