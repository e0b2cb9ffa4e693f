"""`refcheck fix CASEFILE... [--dry-run] [--upgrade-https]`: options in, exit code out;
the work is ``fix.fix_files``'s."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from refcheck.build import Options, build_settings, fitted_to_descriptors
from refcheck.errors import UsageError
from refcheck.http import DEFAULT_USER_AGENT, HttpSettings
from refcheck.local import command_app
from refcheck.model import DEFAULT_FAIL_ON, Archive, ExitCode
from refcheck.options import (
    ArchiveOption,
    AsOfOption,
    ConcurrencyOption,
    ConfigOption,
    FailOnOption,
    PerHostOption,
    ProbeUrlOption,
    RetriesOption,
    TimeoutOption,
    UserAgentOption,
)

EPILOG = """\
\b
Examples:
  refcheck fix cases/salford.yaml --dry-run   show what would change, change nothing
  refcheck fix cases/                         fix every case file in a folder
  refcheck fix case-study.pdf -o case.yaml    a fixed case file from the document

\b
What is changed (only URL values; a comment above each keeps the old one):
  moved      to the new address, when the new page's title matches the source's
  dead, soft-404, drifted
             to the archived copy found (for drifted: one that holds the quote)
  pre-2021 UKGWA addresses      to their current form
  http:// redirecting to https  to https (only with --upgrade-https)

\b
Exit codes: as for a check, of the file as it is after the fixes (a rewritten link is
ok); 2 also when a file changed on disk meanwhile and was not overwritten.
"""

app = command_app()


@app.command(epilog=EPILOG)
def fix_command(
    ctx: typer.Context,
    casefiles: Annotated[list[str], typer.Argument(
        metavar="CASEFILE...", help="Case files (YAML), folders of them, or one case-study "
        "document (.pdf, .docx, .txt).", show_default=False)],
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Print the changes as a unified diff; change nothing.")] = False,
    upgrade_https: Annotated[bool, typer.Option(
        "--upgrade-https", help="Also change http:// addresses that redirect to the same "
        "page over https.")] = False,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", metavar="FILE", show_default=False,
        help="For a document: where to write its fixed case file. [default: beside it, "
             "NAME.yaml]")] = None,
    fail_on: FailOnOption = ",".join(sorted(s.value for s in DEFAULT_FAIL_ON)),
    archive: ArchiveOption = None,
    no_archive: Annotated[bool, typer.Option(
        "--no-archive", help="Do not look for archived copies (then only moves and "
        "addresses are changed).")] = False,
    as_of: AsOfOption = None,
    ukgwa_url: Annotated[str | None, typer.Option(
        help="Base URL of the UK Government Web Archive. [env: REFCHECK_UKGWA_URL]",
        show_default=False)] = None,
    wayback_url: Annotated[str | None, typer.Option(
        help="Base URL of the Wayback Machine. [env: REFCHECK_WAYBACK_URL]",
        show_default=False)] = None,
    doi_url: Annotated[str | None, typer.Option(
        help="Base URL of the DOI system's handle API. [env: REFCHECK_DOI_URL]",
        show_default=False)] = None,
    config: ConfigOption = None,
    probe_url: ProbeUrlOption = None,
    concurrency: ConcurrencyOption = 64,
    per_host: PerHostOption = 4,
    timeout: TimeoutOption = 10.0,
    retries: RetriesOption = 2,
    user_agent: UserAgentOption = DEFAULT_USER_AGENT,
) -> None:
    """Rewrite the URLs of case files that a check finds moved, lost or out of date.

    Only URL values change: comments, order, quoting and blank lines stay exactly as they
    were, and each changed URL keeps its old address in a comment above it.
    """
    from refcheck.cli import Parts, typed_options
    from refcheck.fix import FixRequest, fix_files

    parts: Parts = ctx.obj if isinstance(ctx.obj, Parts) else Parts()
    options = Options(
        fail_on=fail_on, archive=archive, no_archive=no_archive, as_of=as_of,
        archive_urls={Archive.UKGWA: ukgwa_url, Archive.WAYBACK: wayback_url},
        doi_url=doi_url, probe_url=probe_url, config=config,
        http=HttpSettings(concurrency=concurrency, per_host=per_host, connect_timeout=timeout,
                          read_timeout=timeout, retries=retries, user_agent=user_agent),
        casefiles=tuple(casefiles), given=typed_options(ctx))
    try:
        settings = build_settings(options)
    except UsageError as exc:
        from refcheck.fix import say

        say(f"refcheck fix: {exc}", err=True)
        raise typer.Exit(ExitCode.USAGE) from None
    settings, limited = fitted_to_descriptors(settings)
    if limited:
        from refcheck.fix import say

        say(f"refcheck fix: {limited}", err=True)
    request = FixRequest(paths=tuple(casefiles), settings=settings, dry_run=dry_run,
                         upgrade_https=upgrade_https, output=output)
    raise typer.Exit(fix_files(request, parts))


def run(argv: list[str]) -> int:
    """`refcheck fix ARGS`: the exit code."""
    from refcheck.local import run_typer

    return run_typer(app, argv, "refcheck fix")
