"""The command-line options that several commands share (the check, ``fix``,
``preserve``, ``merge``), declared once: each option's name, limits and help are the same
wherever it is offered."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from refcheck.report import Format

# The report.
FormatOption = Annotated[Format, typer.Option(
    "--format", "-f", help="terminal: for people; json, markdown, html, junit, github "
    "(annotations), csv.")]
OutputOption = Annotated[Path | None, typer.Option(
    "--output", "-o", help="Write the report to this file instead of standard output.")]
ReportsOption = Annotated[list[str] | None, typer.Option(
    "--report", metavar="FORMAT:PATH", help="Also write the report in FORMAT to PATH "
    "(repeatable), e.g. --report junit:report.xml --report html:report.html.",
    show_default=False)]
QuietOption = Annotated[bool, typer.Option(
    "--quiet/--no-quiet", "-q", help="Show only the sources that need attention, and the "
    "summary (--no-quiet: everything, whatever the settings file says).")]

# Checking.
FailOnOption = Annotated[str, typer.Option(
    help="Statuses that make the exit code 1 (comma-separated, or `none`).")]
ConcurrencyOption = Annotated[int, typer.Option(
    min=1, max=1024, help="Requests in flight at once, over all hosts.")]
PerHostOption = Annotated[int, typer.Option(
    min=1, max=64, help="Requests in flight at once to any one host.")]
TimeoutOption = Annotated[float, typer.Option(
    min=0.1, help="Seconds to wait to connect, and between bytes of an answer.")]
RetriesOption = Annotated[int, typer.Option(
    min=0, max=10, help="Extra tries after a time-out, reset, 429 or 5xx.")]
UserAgentOption = Annotated[str, typer.Option(help="User-Agent header to send.")]
ArchiveOption = Annotated[str | None, typer.Option(
    help="Archives to look in for lost pages, in order. [default: ukgwa,wayback]",
    show_default=False)]
AsOfOption = Annotated[str | None, typer.Option(
    help="Prefer archive captures nearest this date (YYYY-MM-DD) instead of the case "
         "date.", show_default=False)]
ConfigOption = Annotated[Path | None, typer.Option(
    help="A TOML file of settings (see README). [env: REFCHECK_CONFIG]",
    show_default=False)]
ProbeUrlOption = Annotated[str | None, typer.Option(
    help="Asked only when no link answered, to tell 'no network' from dead hosts. "
         "[env: REFCHECK_PROBE_URL]", show_default=False)]
