"""``refcheck cache info`` and ``refcheck cache clear``: what the memory of past runs holds,
and forgetting it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from refcheck.build import Options, cache_directory
from refcheck.cache import FILE_NAME, MemoryUnavailable, clear, summary
from refcheck.errors import UsageError
from refcheck.local import command_app
from refcheck.model import ExitCode
from refcheck.report import literal

app = command_app(
    name="refcheck cache",
    no_args_is_help=True,
    help="The memory of past runs: what each link did, successes to reuse, archive "
         "captures found.",
)

CacheDir = Annotated[Path | None, typer.Option(
    help="Folder of the memory. [env: REFCHECK_CACHE_DIR] [default: the user's cache "
         "folder, or the settings file's cache-dir]", show_default=False)]
Config = Annotated[Path | None, typer.Option(
    help="A TOML file of settings. [env: REFCHECK_CONFIG]", show_default=False)]


def _directory(cache_dir: Path | None, config: Path | None) -> Path:
    try:
        return cache_directory(Options(cache_dir=cache_dir, config=config))
    except UsageError as exc:
        typer.echo(literal(f"refcheck: {exc}"), err=True)
        raise typer.Exit(ExitCode.USAGE) from None


@app.command()
def info(cache_dir: CacheDir = None, config: Config = None) -> None:
    """Where the memory is and what it holds."""
    directory = _directory(cache_dir, config)
    try:
        held = summary(directory)
    except MemoryUnavailable as exc:
        typer.echo(literal(f"memory of past runs: {directory / FILE_NAME}"))
        typer.echo(literal(f"  not usable: {exc}"))
        if exc.advice:
            typer.echo(literal(f"  {exc.advice}"))
        return
    span = (f"{held.oldest:%Y-%m-%d %H:%M} to {held.newest:%Y-%m-%d %H:%M} UTC"
            if held.oldest and held.newest else "no runs yet")
    typer.echo(literal(f"memory of past runs: {held.path}"))
    typer.echo(f"  size: {held.size / 1024:.0f} KiB")
    typer.echo(f"  links seen: {held.urls}, in {held.observations} observations ({span})")
    typer.echo(f"  successes kept for reuse: {held.successes}")
    typer.echo(f"  archive captures remembered: {held.captures}")


@app.command(name="clear")
def clear_command(cache_dir: CacheDir = None, config: Config = None) -> None:
    """Forget everything: every link is fetched again and its history starts afresh."""
    directory = _directory(cache_dir, config)
    try:
        removed = clear(directory)
    except OSError as exc:
        typer.echo(literal(f"refcheck: cannot clear the memory in {directory}: "
                           f"{exc.strerror or exc}"), err=True)
        raise typer.Exit(1) from None
    if removed:
        typer.echo(literal(f"memory of past runs cleared: {directory}"))
    else:
        typer.echo(literal(f"nothing to clear: no memory of past runs in {directory}"))


def run_cache(argv: list[str]) -> int:
    """``refcheck cache ...``: the exit code."""
    try:
        app(args=argv, prog_name="refcheck cache", standalone_mode=True)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
    return 0
