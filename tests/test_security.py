"""What reaches people and third parties: credentials masked in every field of every format,
never sent to the archives, and text from files and servers shown literally everywhere."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import io
import json
import typing
from pathlib import Path
from typing import Any

import pytest

from refcheck.model import (
    Capture,
    Case,
    CitedUrl,
    Evidence,
    Hop,
    LinkResult,
    Lookup,
    LookupOutcome,
    Position,
    RunReport,
    Source,
    Status,
    decide,
)
from refcheck.report import Format
from refcheck.urls import mask, without_secrets
from tests.conftest import write_case
from tests.server import EvidenceServer

NOW = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)
SECRETS = ("PW-s3cr3t", "TOK-s3cr3t", "SIG-s3cr3t", "CRED-s3cr3t", "FRAG-s3cr3t", "CODE-s3cr3t",
           "SESS-s3cr3t", "CLIENT-s3cr3t")
#: One string with every kind of credential the issue names, inside a URL nested in another.
PLANTED = ("https://bob:PW-s3cr3t@evidence.example.org/r.pdf?page=2&token=TOK-s3cr3t"
           "&sig=SIG-s3cr3t&X-Amz-Credential=CRED-s3cr3t&code=CODE-s3cr3t&session=SESS-s3cr3t"
           "&client_secret=CLIENT-s3cr3t#access_token=FRAG-s3cr3t")


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def _planted(kind: Any) -> Any:
    """A value of ``kind`` whose every string holds the planted secrets."""
    if kind is str or kind == "str":
        return f"see {PLANTED} and \x1b]52;c;Y2xpcA==\x07 here"
    return None


def _plant(cls: type[Any], **given: Any) -> Any:
    """An instance of the dataclass ``cls`` with every string field planted."""
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for field in dataclasses.fields(cls):
        if field.name in given:
            values[field.name] = given[field.name]
            continue
        hint = hints[field.name]
        if hint is str or (typing.get_origin(hint) in (typing.Union, type(str | None))
                           and str in typing.get_args(hint)):
            values[field.name] = _planted(str)
    return dataclasses.replace(cls(**{**_defaults(cls), **values}))


def _defaults(cls: type[Any]) -> dict[str, Any]:
    required: dict[str, Any] = {}
    hints = typing.get_type_hints(cls)
    for field in dataclasses.fields(cls):
        if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            hint = hints[field.name]
            required[field.name] = {
                int: 1, dt.datetime: NOW, Status: Status.DEAD,
                LookupOutcome: LookupOutcome.FOUND,
            }.get(hint, _planted(str))
    return required


def planted_report() -> RunReport:
    position = Position(_planted(str), 3, 5)
    cited = CitedUrl(PLANTED, position)
    source = _plant(Source, urls=(cited,), position=position)
    case = _plant(Case, sources=(source,), date=dt.date(2013, 11, 29))
    capture = _plant(Capture, captured=NOW)
    lookup = _plant(Lookup, outcome=LookupOutcome.FAILED, capture=capture)
    hop = Hop(PLANTED, 301, PLANTED)
    results = [_plant(LinkResult, case=case, source=source, cited=cited, status=status,
                      checked_at=NOW, http_status=404, redirects=(hop,), archive=capture,
                      lookups=(lookup,), evidence=evidence)
               for status, evidence in ((Status.DEAD, Evidence.UNKNOWN),
                                        (Status.MOVED, Evidence.LIVE))]
    return RunReport(cases=[case], results=results, started_at=NOW, finished_at=NOW)


def test_the_planted_report_really_holds_secrets_in_every_string_field() -> None:
    """The walk below is only as good as the planting: every string field of a result
    (and its case, source, capture, lookup) holds the secrets before rendering."""
    result = planted_report().results[0]
    for value in (result, result.case, result.source, result.archive, result.lookups[0]):
        assert value is not None
        for field in dataclasses.fields(value):
            text = getattr(value, field.name)
            if isinstance(text, str) and not isinstance(text, enum.Enum):
                assert "TOK-s3cr3t" in text, field.name


@pytest.mark.parametrize("form", list(Format))
@pytest.mark.parametrize("terminal", [False, True])
def test_no_format_shows_a_planted_secret_or_a_raw_escape(
        form: Format, terminal: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    run = planted_report()
    out = Tty() if terminal else io.StringIO()
    form.renderer().render(run, decide(run), out)
    text = out.getvalue()
    assert "evidence.example.org" in text  # the URLs are there, masked
    for secret in SECRETS:
        assert secret not in text, secret
    assert "\x1b]52" not in text and "\x07" not in text  # the OSC 52 sequence is inert
    if form is Format.json:
        json.loads(text)


@pytest.mark.parametrize(("url", "shown"), [
    ("https://user:hunter2@example.org/x", "https://****:****@example.org/x"),
    ("https://token@example.org/x", "https://****@example.org/x"),
    ("https://e.org/x?token=abc&page=2", "https://e.org/x?token=****&page=2"),
    ("https://e.org/x?X-Amz-Credential=AK%2F2013&X-Amz-Signature=ab&X-Amz-Security-Token=t",
     "https://e.org/x?X-Amz-Credential=****&X-Amz-Signature=****&X-Amz-Security-Token=****"),
    ("https://e.org/cb?code=abc&state=1", "https://e.org/cb?code=****&state=1"),
    ("https://e.org/x?client_secret=a&auth=b&session=c&signature=d",
     "https://e.org/x?client_secret=****&auth=****&session=****&signature=****"),
    ("https://e.org/#access_token=abc&state=1", "https://e.org/#access_token=****&state=1"),
    ("https://e.org/a;jsessionid=ABC?x=1", "https://e.org/a;jsessionid=****?x=1"),
    ("http://[not-a-host/x?token=abc", "http://[not-a-host/x?token=****"),  # urlsplit fails
    ("https://a.org/ukgwa/*/https://u:pw@b.org/?api_key=k",
     "https://a.org/ukgwa/*/https://****:****@b.org/?api_key=****"),
    ("https://e.org/a?next=/b?token=x", "https://e.org/a?next=/b?token=****"),
    ("https://e.org/x?design=1&keywords=k&key_stage=2", "https://e.org/x?design=1&keywords=k"
     "&key_stage=2"),
    # Two words written as one, in one case; an ordinary word with "key" in it is not.
    ("https://e.org/x?accesstoken=a&SSOTOKEN=b&csrfmiddlewaretoken=c&authkey=d&monkey=e",
     "https://e.org/x?accesstoken=****&SSOTOKEN=****&csrfmiddlewaretoken=****&authkey=****"
     "&monkey=e"),
    ("https://onedrive.live.com/?cid=7F&resid=7F%21105&authkey=%21AHs1",
     "https://onedrive.live.com/?cid=7F&resid=7F%21105&authkey=****"),
    # phpBB's session, and a story's number under the same name.
    ("https://e.org/viewtopic.php?t=5&sid=0123456789abcdef0123456789abcdef",
     "https://e.org/viewtopic.php?t=5&sid=****"),
    ("http://e.org/readstory.asp?sid=106&ln=5.0.1", "http://e.org/readstory.asp?sid=106&ln=5.0.1"),
    # Written without the scheme, as a case file may hold it; an email address is no
    # password, nor is a mailto: address.
    ("//bob:hunter2@e.org/x", "//****:****@e.org/x"),
    ("url `bob:hunter2@e.org/x` has no scheme", "url `****:****@e.org/x` has no scheme"),
    ("see (bob:hunter2@10.0.0.1/x)", "see (****:****@10.0.0.1/x)"),
    ("https://e.org/a?next=//u:hunter2@b.org/", "https://e.org/a?next=//****:****@b.org/"),
    ("write to bob@example.org", "write to bob@example.org"),
    ("url `e.org/x?access_token=abc` has no scheme",
     "url `e.org/x?access_token=****` has no scheme"),
    # A name with a percent-escape is the server's name without it; the archives are
    # never sent such a parameter, and no report shows its value.
    ("https://e.org/x?%74oken=abc&to%6Ben=def&access%5Ftoken=g",
     "https://e.org/x?%74oken=****&to%6Ben=****&access%5Ftoken=****"),
    ("mailto:someone@example.org", "mailto:someone@example.org"),
    # A password holding a character no address can hold there: the URL is invalid, but
    # it is shown. An @ in a path after a port is no password.
    ("https://bob:pa#ss@e.org/x", "https://****:****@e.org/x"),
    ("see `https://bob:p/ss?w@10.0.0.1:8080/x` there",
     "see `https://****:****@10.0.0.1:8080/x` there"),
    ("https://e.org:8443/@carers/story", "https://e.org:8443/@carers/story"),
    ("https://medium.com/@carers/story-1a2b", "https://medium.com/@carers/story-1a2b"),
])
def test_one_masking_function_covers_every_form(url: str, shown: str) -> None:
    assert mask(url) == shown


@pytest.mark.parametrize(("url", "sent"), [
    ("https://bob:pw@e.org/r.pdf", "https://e.org/r.pdf"),
    ("https://e.org/r.pdf?token=t&page=2&api_key=k&sig=s&access_token=a&X-Amz-Signature=x"
     "&X-Amz-Security-Token=y&password=p", "https://e.org/r.pdf?page=2"),
    ("https://e.org/r.pdf#access_token=a", "https://e.org/r.pdf"),
    ("https://e.org/a;jsessionid=ABC?x=1", "https://e.org/a?x=1"),
    # An area code names the evidence: a lookup without it would find another page.
    ("https://stats.example.gov.uk/area?code=E06000001", "https://stats.example.gov.uk/area"
     "?code=E06000001"),
    ("https://e.org/plain/page.html", "https://e.org/plain/page.html"),
    ("https://e.org/viewtopic.php?t=5&sid=0123456789abcdef0123456789abcdef",
     "https://e.org/viewtopic.php?t=5"),
    ("https://onedrive.live.com/?cid=7F&resid=7F%21105&authkey=%21AHs1",
     "https://onedrive.live.com/?cid=7F&resid=7F%21105"),
    ("https://e.org/n.php?p=lot&sid=463&lot=2003", "https://e.org/n.php?p=lot&sid=463&lot=2003"),
])
def test_what_third_parties_are_sent(url: str, sent: str) -> None:
    assert without_secrets(url) == sent


def test_archives_are_never_sent_the_cited_urls_credentials(
        tmp_path: Path, run_cli: Any, server: EvidenceServer) -> None:
    """A dead link with credentials: the archives are asked for it without them, and the
    report says so."""
    url = server.url("/gone").replace("http://", "http://bob:PW-s3cr3t@") + "?token=TOK-s3cr3t"
    case = write_case(tmp_path, [{"id": "a", "title": "Report", "url": url}])
    run = run_cli(str(case), "-f", "json")
    with server.lock:
        archive_requests = [p for p in server.seen if p.startswith(("/ukgwa", "/wayback"))]
    assert archive_requests  # the archives were asked
    for path in archive_requests:
        assert "s3cr3t" not in path and "bob" not in path
    link = json.loads(run.stdout)["links"][0]
    assert "s3cr3t" not in run.stdout + run.stderr
    assert link["lookup_url"] == server.url("/gone")
    text = run_cli(str(case)).stdout
    assert "asked for the address without its credentials" in text


def test_a_password_in_a_cited_url_is_never_sent_even_to_its_own_server(
        tmp_path: Path, run_cli: Any, server: EvidenceServer,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """No Authorization header is made from a URL's ``user:password@``: the page answers
    as it does to anyone."""
    from tests import server as served
    from tests.server import page

    monkeypatch.setitem(served.ROUTES, "/private", lambda h: h.send(200, page(
        f"Authorization: {h.headers.get('Authorization') or 'none'}",
        "<p>" + "The report of the evaluation. " * 40 + "</p>")))
    url = server.url("/private").replace("http://", "http://bob:PW-s3cr3t@")
    case = write_case(tmp_path, [{"id": "a", "title": "Report", "url": url}])
    link = json.loads(run_cli(str(case), "-f", "json", "--no-archive").stdout)["links"][0]
    assert link["status"] == "ok" and link["page_title"] == "Authorization: none"


def test_a_page_named_by_a_short_sid_is_looked_up_and_shown_as_cited(
        tmp_path: Path, run_cli: Any, server: EvidenceServer) -> None:
    """``readstory.asp?sid=106`` names a story, not a session: the archives are asked for
    that story (not ``readstory.asp?ln=1``, another page), and the report shows it."""
    url = server.url("/gone?sid=106&ln=1")
    case = write_case(tmp_path, [{"id": "a", "title": "Story", "url": url}])
    run = run_cli(str(case))
    with server.lock:
        archive_requests = [p for p in server.seen if p.startswith(("/ukgwa", "/wayback"))]
    assert archive_requests
    for path in archive_requests:
        assert "sid%3D106" in path or "sid=106" in path, path
    assert url in run.stdout and "without its credentials" not in run.stdout


def test_a_fragment_left_out_of_the_archives_question_is_not_called_a_credential(
        tmp_path: Path, run_cli: Any, server: EvidenceServer) -> None:
    """A dead link cited with a fragment (or with `&#8211;` copied from HTML, whose `#`
    begins one) was reported "the archives were asked for the address without its
    credentials": it has none, and the fragment is never sent to anyone."""
    for url in (server.url("/gone#section-2"), server.url("/gone&#8211;report")):
        case = write_case(tmp_path, [{"id": "a", "title": "Report", "url": url}])
        run = run_cli(str(case))
        assert "dead" in run.stdout and "credentials" not in run.stdout, url


OSC52 = "\x1b]52;c;cm0gLXJmIH4=\x07"  # "set the clipboard to `rm -rf ~`"
CLEAR = "\x1b[2J"


def test_escape_sequences_in_case_files_never_reach_stderr(tmp_path: Path, run_cli: Any) -> None:
    """An unknown key and a bad URL, both written with YAML escapes: the warning and the
    error quote them, literally."""
    case = tmp_path / "case.yaml"
    case.write_text('case:\n  title: T\n  "\\e[2Jtitle": x\nsources:\n'
                    '  - id: a\n    title: A\n    url: "\\e]52;c;cm0gLXJmIH4=\\a"\n')
    run = run_cli(str(case))
    assert run.exit_code == 2
    assert "\x1b" not in run.stderr and "\x07" not in run.stderr
    assert "\\x1b[2Jtitle" in run.stderr  # shown, so the user can find and fix it
    assert "\\x1b]52;c;cm0gLXJmIH4=\\x07" in run.stderr


def test_an_escape_sequence_in_a_file_name_is_shown_not_obeyed(
        tmp_path: Path, run_cli: Any) -> None:
    case = write_case(tmp_path, [{"id": "a", "title": "A letter"}], name=f"c{CLEAR}{OSC52}.yaml")
    for form in ("terminal", "json"):
        run = run_cli(str(case), "-f", form)
        assert run.exit_code == 0, run.stderr
        assert "\x1b" not in run.stdout + run.stderr and "\x07" not in run.stdout
    assert "\\x1b[2J" in run_cli(str(case)).stdout


def test_an_escape_sequence_in_a_missing_file_name_is_shown_not_obeyed(
        tmp_path: Path, run_cli: Any) -> None:
    run = run_cli(str(tmp_path / f"missing{OSC52}.yaml"))
    assert run.exit_code == 2
    assert "\x1b" not in run.stderr and "no such file" in run.stderr


@pytest.mark.parametrize(("given", "words"), [
    ("Evidence checker\r\nX-Injected: 1",
     "`Evidence checker\\r\\nX-Injected: 1` holds a line break"),
    ("Evidence checker\x1b[2J", "holds a control character"),
    ("Evidence checker\x00", "holds a control character"),
    ("Vérificateur", "holds characters other than plain ASCII"),
    ("  ", "is empty"),
])
def test_a_user_agent_that_is_no_header_value_is_refused_before_anything_is_fetched(
        tmp_path: Path, run_cli: Any, server: EvidenceServer, given: str, words: str) -> None:
    """Every request would be refused (or a header injected): said at once, with the option,
    instead of a run where nothing could be reached and "connect to the internet"."""
    case = write_case(tmp_path, [{"id": "a", "title": "Page", "url": server.url("/page")}])
    for how in (["--user-agent", given], ["--config", str(tmp_path / "refcheck.toml")]):
        (tmp_path / "refcheck.toml").write_text(f"user-agent = {json.dumps(given)}\n")
        run = run_cli(str(case), "--check-only", *how)
        assert run.exit_code == 2, run.stderr
        assert words in run.stderr
        assert ("--user-agent: " if how[0] == "--user-agent" else "refcheck.toml:1: user-agent: "
                ) in run.stderr
        assert "\x1b" not in run.stderr and "\x00" not in run.stderr
    assert server.seen == []


@pytest.mark.parametrize("url", ["//bob:PW-s3cr3t@evidence.example.org/r.pdf",
                                 "bob:PW-s3cr3t@evidence.example.org/r.pdf"])
def test_a_password_in_an_address_without_its_scheme_is_not_shown_in_the_error(
        tmp_path: Path, run_cli: Any, url: str) -> None:
    """The case file's error quotes the address: its password is masked there too, and the
    user is told what is missing (not that ``bob:`` is a scheme refcheck does not check)."""
    case = write_case(tmp_path, [{"id": "a", "title": "Report", "url": url}])
    run = run_cli(str(case))
    assert run.exit_code == 2
    assert "s3cr3t" not in run.stderr and "`bob:`" not in run.stderr
    assert ("has no scheme; expected an address starting with https:// "
            "(https://****:****@evidence.example.org/r.pdf?)") in run.stderr


@pytest.mark.parametrize("url", ["https://bob:PW#s3cr3t@evidence.example.org/r.pdf",
                                 "https://bob:PW?s3cr3t@evidence.example.org/r.pdf",
                                 "https://bob:PW/s3cr3t@evidence.example.org/r.pdf"])
def test_a_password_no_parser_finds_is_not_shown_nor_part_of_it_named_a_port(
        tmp_path: Path, run_cli: Any, url: str) -> None:
    """A password with ``#``, ``?`` or ``/`` in it ends the host for every parser: the
    address is invalid and never requested, and neither its report nor the case file's
    warning shows the password (nor calls its first part a port to delete)."""
    case = write_case(tmp_path, [{"id": "a", "title": "Report", "url": url}])
    for args in (("--check-only",), ("-f", "json", "--no-archive")):
        run = run_cli(str(case), *args)
        for output in (run.stdout, run.stderr):
            assert "s3cr3t" not in output and "PW" not in output
    link = json.loads(run.stdout)["links"][0]
    assert link["status"] == "invalid"
    assert link["url"] == "https://****:****@evidence.example.org/r.pdf"
    assert "take the user name and password out of the case file" in link["detail"]
