"""`refcheck merge SHARD.json... [-f FORMAT] [-o FILE] [--report FORMAT:PATH]`: options
in, exit code out; the work is ``merge.merge``'s."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from refcheck.errors import RefcheckError
from refcheck.local import command_app
from refcheck.model import ExitCode, decide
from refcheck.options import FormatOption, OutputOption, QuietOption, ReportsOption
from refcheck.report import Format

EPILOG = """\
\b
Examples:
  refcheck merge shard-1.json shard-2.json shard-3.json shard-4.json
  refcheck merge shard-*.json --format html -o report.html
  refcheck merge shard-*.json --format github --report junit:refcheck.xml

\b
Each shard's report is the JSON one it wrote (refcheck --shard K/N ... --report
json:shard-K.json). The reports must be of one audit: the same N, the same case files,
each shard once.

\b
Exit codes: as for a run of the whole audit (0, 1, 3), and
  2    the reports cannot be merged (not refcheck's, not shards', not of one audit, a
       shard twice), or a report could not be written
  4    incomplete: a shard is missing, was interrupted or had no network (what there is
       is merged and reported)
"""

app = command_app()


@app.command(epilog=EPILOG)
def merge_command(
    context: typer.Context,
    shards: Annotated[list[Path], typer.Argument(
        metavar="SHARD.json...", help="The JSON reports the shards wrote.",
        show_default=False)],
    format: FormatOption = Format.terminal,
    output: OutputOption = None,
    reports: ReportsOption = None,
    quiet: QuietOption = False,
    fail_on: Annotated[str | None, typer.Option(
        metavar="LIST", help="Statuses that make the exit code 1 (comma-separated, or "
        "`none`). [default: the shards' own]", show_default=False)] = None,
) -> None:
    """Join the JSON reports of the shards of one audit (refcheck --shard K/N) into its
    whole report, in any format, with the exit code one run of the whole audit would
    have."""
    from refcheck.cli import _err, opened_destinations, parse_report_option
    from refcheck.config import parse_fail_on
    from refcheck.merge import merge, read_shard_file
    from refcheck.report import format_of_file

    named = format_of_file(str(output)) if output is not None else None
    source = context.get_parameter_source("format")
    if named is not None and getattr(source, "name", None) == "DEFAULT":
        format = named  # `-o audit.html`: the page, not the terminal's text
    try:
        chosen = parse_fail_on(fail_on) if fail_on is not None else None
        extra = [parse_report_option(text) for text in reports or ()]
        files = [read_shard_file(path) for path in shards]
        merged = merge(files, chosen)
        destinations = opened_destinations(format, output, quiet, extra, shards)
    except RefcheckError as exc:
        _err(f"refcheck merge: {exc}")
        raise typer.Exit(ExitCode.USAGE) from None
    for message in merged.messages:
        _err(f"refcheck merge: {message}")
    outcome = decide(merged.report, merged.fail_on)
    failed = False
    for destination in destinations:
        failed = not destination.write(merged.report, outcome) or failed
    raise typer.Exit(ExitCode.USAGE if failed else outcome.exit_code)


def run(argv: list[str]) -> int:
    """`refcheck merge ARGS`: the exit code."""
    from refcheck.local import run_typer

    return run_typer(app, argv, "refcheck merge")
