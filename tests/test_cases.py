"""Case files: every problem located as file:line:column, never a traceback."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from refcheck import cases
from refcheck.errors import CaseFileError
from refcheck.urls import url_problem
from tests.conftest import cited_urls

GOOD = """\
case:
  title: Improving outcomes
  institution: University of Salford
  id: 19409
  date: 2013-11-29
sources:
  - id: a
    title: Working with Troubled Families
    url: https://www.gov.uk/report.pdf
  - id: b
    title: Two addresses
    urls:
      - http://example.org/one
      - http://example.org/two
    quote: Springboard model
  - id: g
    title: Letter from Action for Children
    note: held by the University
references:
  - id: "1"
    title: A paper
    url: https://doi.org/10.1002/car.934
    doi: 10.1002/car.934
"""


def problems(text: str, name: str = "case.yaml") -> list[str]:
    with pytest.raises(CaseFileError) as info:
        cases.parse(text, name)
    return [str(p) for p in info.value.problems]


def test_good_case_file_is_read_with_positions() -> None:
    loaded = cases.parse(GOOD, "salford.yaml")
    case = loaded.case
    assert case.title == "Improving outcomes"
    assert case.id == "19409"
    assert case.date == dt.date(2013, 11, 29)
    assert [s.id for s in case.sources] == ["a", "b", "g", "1"]
    a, b, g, ref = case.sources
    assert a.urls[0].url == "https://www.gov.uk/report.pdf"
    assert (a.urls[0].position.line, a.urls[0].position.column) == (9, 10)
    assert [u.position.line for u in b.urls] == [13, 14]
    assert b.quote == "Springboard model"
    assert g.urls == () and g.note == "held by the University"
    assert ref.kind == "reference" and ref.doi == "10.1002/car.934"
    assert loaded.warnings == []


def test_shipped_salford_case_file_is_valid() -> None:
    loaded = cases.load(Path(__file__).parent.parent / "cases" / "salford.yaml")
    ids = [s.id for s in loaded.case.sources if s.kind == "source"]
    assert ids == ["a", "b", "c", "d", "e", "f", "g"]
    assert loaded.warnings == []
    urls = [u.url for s in loaded.case.sources for u in s.urls]
    assert not any(" " in u or "qgld" in u or "pdf file" in u for u in urls)
    assert loaded.case.date == dt.date(2013, 11, 29)


def test_not_yaml_is_located() -> None:
    assert problems("case:\n  title: x\n  bad: [\n") == [
        "case.yaml:4:1: error: not valid YAML: did not find expected node content"
    ]


def test_empty_file_is_refused() -> None:
    assert "file is empty" in problems("  \n")[0]


def test_missing_title_and_wrong_types_are_each_located() -> None:
    text = "case:\n  institution: X\nsources:\n  - id: a\n    url: [1, 2]\n  - 7\n"
    found = problems(text)
    assert "case.yaml:2:3: error: case has no `title:`; expected the case study's title" in found
    assert any(p.startswith("case.yaml:5:10: error: source a url must be text") for p in found)
    assert any(p.startswith("case.yaml:6:5: error: source must be a mapping") for p in found)
    assert any("source a has no `title:`" in p for p in found)


def test_empty_url_is_an_error() -> None:
    text = "case:\n  title: T\nsources:\n  - id: a\n    title: A\n    url:\n"
    assert problems(text) == ["case.yaml:6:9: error: source a url is empty; expected text"]


def test_duplicate_source_ids_name_both_lines() -> None:
    text = ("case:\n  title: T\nsources:\n  - id: a\n    title: A\n  - id: a\n    title: B\n")
    assert problems(text) == [
        "case.yaml:6:5: error: source id `a` is used twice (first at line 4); "
        "each source needs its own id"
    ]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("ftp://example.org/x", "uses `ftp:`; refcheck checks http:// and https:// addresses"),
        ("www.example.org/x", "has no scheme; expected an address starting with https://"),
        ("mailto:someone@example.org", "is an email address (`mailto:`), not a web page: "
         "refcheck checks web pages; write it under `note:` instead"),
        ("http:///path-only", "has no host name"),
    ],
)
def test_url_that_is_not_http_is_an_error(url: str, expected: str) -> None:
    text = f"case:\n  title: T\nsources:\n  - id: a\n    title: A\n    url: {url}\n"
    (found,) = problems(text)
    assert found.startswith("case.yaml:6:10: error: source a url")
    assert expected in found


@pytest.mark.parametrize(
    ("url", "expected"),
    [  # each as the REF2014 records print it
        ("htttp://www.bbc.co.uk/programmes/b0137tff", "`htttp://`; write "
         "`http://www.bbc.co.uk/programmes/b0137tff`"),
        ("http//www.pediatrics.org/x", "`http//`; write `http://www.pediatrics.org/x`"),
        ("http//:www.psi-web.org", "`http//:`; write `http://www.psi-web.org`"),
        ("http:/www.sciencedirect.com/science", "`http:/`; write "
         "`http://www.sciencedirect.com/science`"),
        ("https;//www.example.org/x", "`https;//`; write `https://www.example.org/x`"),
        ("ｈｔｔｐ：／／www.example.org/x", "write `http://www.example.org/x`"),
        ("ttp://www.example.org/x", "`ttp://`; write `http://www.example.org/x`"),
    ],
)
def test_a_mistyped_scheme_is_an_error_naming_the_repair(url: str, expected: str) -> None:
    text = f"case:\n  title: T\nsources:\n  - id: a\n    title: A\n    url: {url}\n"
    (found,) = problems(text)
    assert found.startswith("case.yaml:6:10: error: source a url")
    assert "begins with a mistyped scheme" in found and expected in found


def test_a_scheme_in_capitals_is_not_mistyped() -> None:
    text = "case:\n  title: T\nsources:\n  - id: a\n    title: A\n    url: Http://e.org/x\n"
    assert cases.parse(text, "case.yaml").warnings == []


@pytest.mark.parametrize(("url", "fix"), [
    # As the REF2014 records print a DOI typed on Windows.
    ("http://dx.doi.org\\10.1007\\s11214-010-9654-y",
     "has `\\` where a web address has `/` (a browser reads it as `/`); write "
     "`http://dx.doi.org/10.1007/s11214-010-9654-y`"),
    ("http://http://www.example.org/x", "begins with a mistyped scheme, `http://http://`; "
     "write `http://www.example.org/x`"),
    ('"http:// cinemastandrews.org.uk/"', "begins with a mistyped scheme, `http:// `; write "
     "`http://cinemastandrews.org.uk/`"),
])
def test_a_damaged_http_address_warns_with_the_repair_and_is_invalid(url: str, fix: str) -> None:
    """Requested as written, each would be `dead` (the host `http`, or all of
    `dx.doi.org\\10.1007\\…`, is never found): a warning, and the run reports it
    `invalid` without requesting it, while the other links are checked."""
    text = f"case:\n  title: T\nsources:\n  - id: a\n    title: A\n    url: {url}\n"
    loaded = cases.parse(text, "case.yaml")
    (found,) = [str(w) for w in loaded.warnings]
    assert found == f"case.yaml:6:10: warning: source a url `{url.strip(chr(34))}`: {fix}"
    (cited,) = loaded.case.sources[0].urls
    problem = url_problem(cited.url)
    assert problem is not None and not problem.fatal and problem.message == fix


@pytest.mark.parametrize("url", ["doi:10.1002/car.934", '"DOI: 10.1002/car.934"',
                                 "10.1002/car.934"])
def test_a_doi_written_as_a_url_says_how_to_write_it(url: str) -> None:
    """Not `uses doi:`, "remove the space" or `https://10.1002/car.934?`."""
    text = f"case:\n  title: T\nsources:\n  - id: a\n    title: A\n    url: {url}\n"
    (found,) = problems(text)
    assert found == (f"case.yaml:6:10: error: source a url `{url.strip(chr(34))}` is a DOI, "
                     "not a web address; write it under `doi:` (`doi: 10.1002/car.934`), or "
                     "as the URL `https://doi.org/10.1002/car.934`")


def test_unknown_key_warns_with_closest_known_key() -> None:
    text = "case:\n  title: T\nsources:\n  - id: a\n    title: A\n    ulr: http://x.org/\n"
    loaded = cases.parse(text, "c.yaml")
    assert [str(w) for w in loaded.warnings] == [
        "c.yaml:6:5: warning: source a: unknown key `ulr` is ignored; did you mean `url`?"
    ]
    assert loaded.case.sources[0].urls == ()


def test_url_and_urls_together_is_an_error() -> None:
    text = ("case:\n  title: T\nsources:\n  - id: a\n    title: A\n    url: http://x.org/\n"
            "    urls: [http://y.org/]\n")
    assert "source a has both `url` and `urls`" in problems(text)[0]


def test_bad_date_is_located() -> None:
    text = "case:\n  title: T\n  date: 29/11/2013\nsources: []\n"
    assert problems(text) == [
        "case.yaml:3:9: error: case date `29/11/2013` is not a date; expected YYYY-MM-DD, "
        "e.g. 2013-11-29"
    ]


def test_missing_sections_are_reported() -> None:
    found = problems("something: else\n")
    assert any("missing `case:`" in p for p in found)
    assert any("missing `sources:`" in p for p in found)


def test_two_documents_are_refused() -> None:
    assert "found a second (`---`)" in problems(GOOD + "---\ncase: {}\n")[0]


def test_python_object_tags_are_never_constructed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = f"case:\n  title: !!python/object/apply:os.system ['touch {marker}']\nsources: []\n"
    assert problems(text) == ["case.yaml:2:10: error: case title must be text; found a list"]
    assert not marker.exists()


def test_billion_laughs_is_harmless() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 12)]
    text = "\n".join(lines) + "\ncase:\n  title: T\nsources: *a11\n"
    # 10**12 strings if constructed; composed, it is a dozen nodes and a prompt complaint.
    found = problems(text)
    assert any("source must be a mapping" in p for p in found)


def test_alias_expansion_through_urls_hits_the_node_limit() -> None:
    many = ", ".join(f"http://e.org/{i}" for i in range(2000))
    sources = "\n".join(f"  - {{id: s{i}, title: t, urls: *u}}" for i in range(100))
    text = f"u: &u [{many}]\ncase: {{title: T}}\nsources:\n{sources}\n"
    found = problems(text)
    assert any("more than 100,000 YAML nodes (an alias-expansion bomb?)" in p for p in found)


@pytest.mark.parametrize("target", ["loop.yaml", "moved-away.yaml"])
def test_a_link_to_nothing_is_called_so_not_a_missing_file(tmp_path: Path, target: str) -> None:
    (tmp_path / "loop.yaml").symlink_to(tmp_path / target)
    with pytest.raises(CaseFileError) as info:
        cases.discover([str(tmp_path / "loop.yaml")])
    assert "a symbolic link to nothing" in str(info.value.problems[0])


def test_oversized_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"# " + b"x" * (cases.MAX_FILE_BYTES + 10) + b"\n")
    with pytest.raises(CaseFileError) as info:
        cases.load(path)
    assert "a case file may be at most" in str(info.value)
    # and what to do about it
    assert "split a larger one into a case file per case study, in a folder" in str(info.value)


def test_missing_file_and_empty_directory(tmp_path: Path) -> None:
    with pytest.raises(CaseFileError) as info:
        cases.discover([str(tmp_path / "nope.yaml"), str(tmp_path)])
    messages = [str(p) for p in info.value.problems]
    assert messages[0].endswith("nope.yaml: error: no such file or directory; expected a case file")
    assert "holds no case files" in messages[1]


def test_directory_gives_its_yaml_files_sorted(tmp_path: Path) -> None:
    for name in ("b.yml", "a.yaml", "notes.txt"):
        (tmp_path / name).write_text("x")
    assert [p.name for p in cases.discover([str(tmp_path)])] == ["a.yaml", "b.yml"]


def test_non_utf8_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin.yaml"
    path.write_bytes("case:\n  title: caf\xe9\n".encode("latin-1"))
    with pytest.raises(CaseFileError) as info:
        cases.load(path)
    assert "not UTF-8 text" in str(info.value)


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_a_non_utf8_byte_is_located_and_named(tmp_path: Path, bom: bytes) -> None:
    """A case file saved as Windows' "ANSI" was refused with "not UTF-8 text (byte 58)":
    no line, and a count of bytes nobody can find. Now the line and column of the first
    bad byte, the line with a caret, and what the byte is in Windows-1252."""
    path = tmp_path / "case.yaml"
    path.write_bytes(bom + "case:\r\n  title: Caf\u00e9 \u2013 \u00a3 Salford\r\n".encode("utf-8")
                     + b"sources:\r\n  - id: a\r\n    title: Caf\xe9 report\r\n")
    with pytest.raises(CaseFileError) as info:
        cases.load(path)
    assert [str(p) for p in info.value.problems] == [
        f"{path}:5:15: error: this file is not UTF-8 text: the byte 0xE9 here (in "
        "Windows-1252, `\u00e9`) is not UTF-8; save it as UTF-8 (in Notepad: File > Save As, "
        "Encoding: UTF-8)\n"
        "        title: Caf\ufffd report\n"
        "                  ^"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_file_is_refused_saying_so(tmp_path: Path, encoding: str) -> None:
    # Notepad's "Unicode" has a byte-order mark; some tools write UTF-16 without one.
    path = tmp_path / "case.yaml"
    path.write_bytes(GOOD.encode(encoding))
    with pytest.raises(CaseFileError) as info:
        cases.load(path)
    assert [str(p) for p in info.value.problems] == [
        f"{path}: error: this file is UTF-16 text (Windows' \"Unicode\"); save it as UTF-8 "
        "(in Notepad: File > Save As, Encoding: UTF-8)"]


@pytest.mark.parametrize(("char", "shown"), [
    ("\x0b", "\\x0b, a vertical tab"), ("\x0c", "\\x0c, a form feed or page break"),
    ("\x00", "\\x00, a NUL byte"), ("\x1b", "\\x1b, an escape character"),
    ("\x01", "\\x01"),
])
def test_control_character_is_located_and_named(char: str, shown: str) -> None:
    text = GOOD.replace("Working with Troubled", f"Working{char}with Troubled")
    assert problems(text) == [
        f"case.yaml:8:19: error: an invisible control character ({shown}) is here, often "
        "left by text pasted from Word or a PDF; YAML does not allow it: delete it (and "
        "type the space or line break it stood for)\n"
        f"        title: Working{char}with Troubled Families\n"
        "                      ^"]


@pytest.mark.parametrize(("value", "column", "message"), [
    ('"http://a.b/\\ud800"', 22, "the escape `\\ud800` is not a valid character (\\ud800 to "
     "\\udfff are halves of a UTF-16 pair, not characters); write the character itself, or "
     "its \\U form with 8 digits, e.g. \\U0001F600"),
    ('"C:\\Users\\report.pdf"', 13, "the escape `\\U` needs 8 hexadecimal digits after it; "
     "in double quotes a backslash starts an escape (\\n, \\t, \\u00e9): put the value in "
     "single quotes to keep each backslash as it is, or write each as \\\\"),
    ('"a \\q b"', 13, "the escape `\\q` is not one YAML knows; in double quotes"),
])
def test_a_bad_escape_is_not_called_an_unclosed_quote(value: str, column: int,
                                                       message: str) -> None:
    text = f"case:\n  title: T\nsources:\n  - id: a\n    title: x\n    url: {value}\n"
    [problem] = problems(text)
    assert problem.startswith(f"case.yaml:6:{column}: error: {message}")
    assert "never closed" not in problem
    assert problem.splitlines()[1:] == [f"        url: {value}", " " * (column + 3) + "^"]


def test_a_very_long_line_is_shown_cut_around_the_place() -> None:
    # 50,000 `[`: YAML's nesting limit is met at column 1009 of a 50,010-character line.
    [problem] = problems("case:\n  title: T\nsources: " + "[" * 50_000 + "\n")
    message, excerpt, caret = problem.splitlines()
    assert message == "case.yaml:3:1009: error: not valid YAML: exceeded maximum nesting depth"
    assert excerpt == "    …" + "[" * 100 + "…"
    assert caret == " " * 4 + " " * 51 + "^"


def test_plain_web_addresses_skip_the_split_without_changing_any_answer(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """url_problem's shortcut for plain http(s) addresses gives the answer the full check
    gives, for real cited URLs (damaged ones too) and the shortcut's own edges."""
    urls = cited_urls()
    urls += ["HTTP://A.TEST/x", "https://a.test", "http://", "http:///x", "http://?q",
             "http://#f", "http://@a.test", "http://[::1]/", "http://[::1/", "http://a]b/",
             "http:// a.test", "ftp://a.test", "www.a.test/x", "https:/a.test", "mailto:a@b"]
    fast = [url_problem(u) for u in urls]
    monkeypatch.setattr("refcheck.urls.host_of", lambda url: "")  # the shortcut never taken
    assert fast == [url_problem(u) for u in urls]


@pytest.mark.parametrize(("url", "warning"), [
    ("https://[::1", "the `[` that starts an IPv6 address is never closed; write the address "
     "between brackets, e.g. http://[2001:db8::1]/"),
    ('"http://a.b/\\u0000x"', "the invisible control character `\\x00` (character 12) cannot "
     "be part of a web address; delete it (it is often left by text pasted from a document)"),
    ('"http://a.test/lost/\\e[2J"', "the invisible control character `\\x1b` (character 20)"),
    # The C1 controls: ESC [ in one character (CSI), and the next line of old Unicode text
    # (NEL), which is no space to write %20 for.
    ('"http://a.test/lost/\\x9b2J"', "the invisible control character `\\x9b` (character 20)"),
    ('"http://a.test/lost/a\\x85b"', "the invisible control character `\\x85` (character 21)"),
    ('"http://a.test/lost/re\\u00adport.pdf"', "the invisible character `\\xad` (soft "
     "hyphen, character 22) cannot be part of a web address; delete it (it is often left by "
     "text pasted from a document or a web page)"),
    ("http://a.test/young-carers\u200b-evaluation", "the invisible character `\\u200b` "
     "(zero width space, character 27)"),
    ("http://127.0.0.2:99999/", "port 99999 is out of range (1-65535); correct the number "
     "after the `:`, or delete `:99999` to use the usual port"),
    (f"http://{'a' * 300}.com/", "a part of the host name is 300 characters long, more than "
     "the 63 allowed between dots (and 253 for the whole name)"),
    # As a REF2014 record prints it: requested, it would be `dead` for a host not found.
    ("http://www,ras.org.uk/images/beyondthestars.pdf", "the host name `www,ras.org.uk` has "
     "a `,`, which no host name has: `www.ras.org.uk` was probably meant"),
])
def test_an_address_the_run_calls_invalid_is_a_located_warning(url: str, warning: str) -> None:
    """--check-only (and the pre-commit hook, and --strict) warn of every address the run
    reports `invalid` without requesting it, as they warn of a space in one."""
    text = f"case:\n  title: T\nsources:\n  - id: a\n    title: A\n    url: {url}\n"
    loaded = cases.parse(text, "case.yaml")
    (found,) = [str(w) for w in loaded.warnings]
    assert found.startswith("case.yaml:6:10: warning: source a url `")
    assert f"`: {warning}" in found
    if url.startswith("https://["):
        assert "port" not in found  # the missing `]` is named, not the port
    (cited,) = loaded.case.sources[0].urls  # still checked, and reported `invalid`
    problem = url_problem(cited.url)
    assert problem is not None and not problem.fatal and problem.message.startswith(warning)


@pytest.mark.parametrize(("url", "hint"), [
    ("http://a.test/report.pdf\u201d", "remove the trailing closing curly quote `\u201d`, "
     "copied with the address: `http://a.test/report.pdf` was probably meant"),
    ("http://a.test/legal_aid.pdf%20", "remove the trailing `%20` (an encoded space), copied "
     "with the address: `http://a.test/legal_aid.pdf` was probably meant"),
    ("http://a.test/legal_aid.pdf%E2%80%9D", "remove the trailing `%E2%80%9D` (an encoded "
     "closing curly quote)"),
    ("http://a.test/annual\u2010report.pdf", "character 21 is a typographic dash (`\u2010`, "
     "U+2010), which copying from a PDF or Word puts for `-`: write `-` there"),
    ("http://a.test/annual\u2011report.pdf", "a typographic dash (`\u2011`, U+2011)"),
    ("http://www.nice.org.uk/guidance/index.jsp?action=download&amp;o=58975", "`&amp;` is "
     "how HTML writes `&` (the address was copied out of a web page's source or the REF2014 "
     "data): write `&` there"),
    # As seven REF2014 records hold them: `&sect` and `&para` read as entities.
    ("http://www.rcophth.ac.uk/page.asp?section=444\u00a7ionTitle=Quality+Standards",
     "`\u00a7` in the query is `&sect` read as an HTML entity (the `&` before a parameter's "
     "name, decoded by a web page or the REF2014 data): write "
     "`http://www.rcophth.ac.uk/page.asp?section=444&sectionTitle=Quality+Standards`"),
    ("http://www.uimp.es/x.php?tipo=ACA\u00b6metros=actividad",
     "write `http://www.uimp.es/x.php?tipo=ACA&parametros=actividad`"),
    # The citation's words and brackets copied with the address.
    ("http://a.test/x.pdf(accessed 12 May 2013).", "remove `(accessed 12 May 2013).`, the "
     "citation's note copied with it: `http://a.test/x.pdf` was probably meant"),
    ("http://a.test/x.pdf).", "remove the `).` at the end: `http://a.test/x.pdf` was "
     "probably meant"),
    ("http://a.test/x.pdf>", "remove the trailing `>`: `http://a.test/x.pdf` was probably "
     "meant"),
    ("http://www.ccfmoz.com/agenda/cin&#233;ma-cinema/", "`&#233;` is how HTML writes "
     "`\u00e9` (the address was copied out of a web page's source or the REF2014 data), and "
     "its `#` would end the address there: write `\u00e9` for it"),
    ("http://a.test/annual&#8211;report.pdf", "write `\u2013` (for a dash, `-`) for it"),
    ("http://a.test/news/2012/annual-rep\u2026", "the address ends in `\u2026`, as one "
     "shortened for display does, so the rest of it is missing"),
])
def test_what_copying_leaves_in_an_address_is_a_located_warning(url: str, hint: str) -> None:
    """A closing quote, an encoded space or quote, a typographic hyphen, HTML's `&amp;`:
    each is requested as written (and would be dead), so the case file says what to
    change."""
    text = f"case:\n  title: T\nsources:\n  - id: a\n    title: A\n    url: {url}\n"
    (found,) = [str(w) for w in cases.parse(text, "c.yaml").warnings]
    assert found.startswith(f"c.yaml:6:10: warning: source a url `{url}`: ")
    assert hint in found


@pytest.mark.parametrize(("url", "hint"), [
    ("Available at: http://a.test/x", "remove `Available at:` before the address: "
     "`http://a.test/x` was probably meant"),
    ("http://www.example.org/evalu- ation.pdf", "remove the space in `evalu- ation` (a line "
     "break's, from copying out of a PDF): the hyphen may be the line break's too, so try "
     "`evalu-ation` and `evaluation`"),
    ("http://a.test/x.pdf [accessed 3 May 2013]", "remove `[accessed 3 May 2013]`, the "
     "citation's note copied with it: `http://a.test/x.pdf` was probably meant"),
])
def test_the_citations_words_copied_with_an_address_are_named(url: str, hint: str) -> None:
    """Not "remove the space": the words to remove, and the address left."""
    text = f'case:\n  title: T\nsources:\n  - id: a\n    title: A\n    url: "{url}"\n'
    (found,) = [str(w) for w in cases.parse(text, "c.yaml").warnings]
    assert found == f"c.yaml:6:10: warning: source a url `{url}`: {hint}"


def test_a_letter_or_sign_of_the_query_itself_is_no_entity() -> None:
    for url in ("http://a.test/search?q=po\u00e9tique=1", "http://a.test/a\u00a7b=1",
                "http://a.test/?price=\u00a35"):
        text = f"case:\n  title: T\nsources:\n  - id: a\n    title: A\n    url: {url}\n"
        assert cases.parse(text, "c.yaml").warnings == [], url


def test_a_joiner_inside_a_persian_or_indic_word_of_an_address_is_its_own() -> None:
    """Persian and the Indic scripts write some words with a zero-width non-joiner or
    joiner: in an address in that language it is part of it."""
    for url in ("https://fa.wikipedia.test/wiki/\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
                "https://hi.example.test/\u0915\u094d\u200d\u0937"):
        text = f"case:\n  title: T\nsources:\n  - id: a\n    title: A\n    url: {url}\n"
        assert cases.parse(text, "c.yaml").warnings == [], url
    # Between Latin letters it was pasted.
    text = ("case:\n  title: T\nsources:\n  - id: a\n    title: A\n"
            "    url: http://a.test/young\u200dcarers\n")
    assert "zero width joiner" in str(cases.parse(text, "c.yaml").warnings[0])


@pytest.mark.parametrize("url", [
    "https://www.gov.uk/government/news/uk-sets-out-%E2%80%98bioenergy-principles%E2%80%99",
    "http://a.test/\u201cquoted\u201d",
    "http://senedd.test/doc.pdf?langoption=3&ttl=Performance%20and%20Standards%20",
])
def test_quotes_an_address_opens_itself_and_a_querys_space_are_its_own(url: str) -> None:
    text = f"case:\n  title: T\nsources:\n  - id: a\n    title: A\n    url: {url}\n"
    assert cases.parse(text, "c.yaml").warnings == []


def test_a_doi_also_cited_as_its_url_in_other_letters_is_checked_once() -> None:
    """DOIs ignore case: the source's doi.org URL in capitals is the same DOI."""
    text = ("case:\n  title: T\nsources:\n  - id: a\n    title: A\n"
            "    url: https://doi.org/10.1002/CAR.934\n    doi: 10.1002/car.934\n")
    (source,) = cases.parse(text, "c.yaml").case.sources
    assert [u.url for u in source.urls] == ["https://doi.org/10.1002/CAR.934"]


@pytest.mark.parametrize(("doi", "ending"), [
    ("'doi: 10.1002/car.934.'", "full stop"),
    ("'10.1002/car.934,'", "comma"),
    ("https://doi.org/10.1002/car.934)", "closing bracket"),
])
def test_a_doi_with_a_sentences_punctuation_is_warned_of_as_a_url_is(
        doi: str, ending: str) -> None:
    # Copied out of prose as a URL is: the DOI system does not know it with the full stop,
    # and a warning before the run says why it will be reported not registered.
    text = f"case:\n  title: T\nsources:\n  - id: a\n    title: A\n    doi: {doi}\n"
    (warning,) = cases.parse(text, "c.yaml").warnings
    assert f"source a doi `{doi.strip(chr(39))}`: remove the trailing {ending}" in str(warning)
    assert str(warning).endswith(": `10.1002/car.934` was probably meant")


def test_a_sici_doi_ending_in_its_own_bracket_is_not_warned_of() -> None:
    text = ("case:\n  title: T\nsources:\n  - id: a\n    title: A\n"
            "    doi: '10.1002/(SICI)1097-4571(199806)49:8<693::AID-ASI4>3.0.CO;2-0'\n"
            "  - id: b\n    title: B\n    doi: '10.1175/1520-0469(1999)056'\n")
    assert cases.parse(text, "c.yaml").warnings == []


def test_a_space_in_an_address_is_warned_of_once() -> None:
    text = ("case:\n  title: T\nsources:\n  - id: a\n    title: A\n"
            "    url: http://a.test/Boyle C hris.pdf\n")
    assert [str(w) for w in cases.parse(text, "c.yaml").warnings] == [
        "c.yaml:6:10: warning: source a url `http://a.test/Boyle C hris.pdf`: remove the space "
        "(often damage from copying out of a PDF), or write %20 where the address really has one"]


def test_a_file_of_many_sources_and_no_aliases_is_not_called_a_bomb() -> None:
    """A case file of 15,000 plain sources (a corpus pasted into one file, under 1 MiB)
    was refused as "more than 100,000 YAML nodes (an alias-expansion bomb?)": it has no
    alias. Now it is told what is wrong with it and what to do."""
    text = "case:\n  title: T\nsources:\n" + "".join(
        f"  - {{id: s{i}, title: t, url: 'http://e.org/{i}'}}\n" for i in range(15000))
    found = problems(text)
    assert len(found) == 1
    assert "alias" not in found[0].replace("no aliases", "")
    assert "more than 100,000 YAML nodes and no aliases: a case file holds one case " \
           "study's sources, a few dozen; split this one into a case file per case study, " \
           "in a folder, and check the folder" in found[0]


def test_a_list_of_bare_urls_is_told_how_to_write_each_source() -> None:
    """A source list pasted as bare URLs (`- https://…`) was told only "source must be a
    mapping of `key: value` lines"; now each item is told the lines to write."""
    text = ("case:\n  title: T\nsources:\n  - https://www.gov.uk/report.pdf\n"
            "  - Letter from Action for Children\n")
    assert problems(text) == [
        "case.yaml:4:5: error: source must be a mapping of `key: value` lines; found "
        "`https://www.gov.uk/report.pdf` on its own. Write it as `- id: 1`, with `title: …` "
        "and `url: https://www.gov.uk/report.pdf` on the lines below, indented to line up "
        "with `id`",
        "case.yaml:5:5: error: source must be a mapping of `key: value` lines; found "
        "`Letter from Action for Children` on its own. Write it as `- id: 2`, with "
        "`title: Letter from Action for Children` and, if it has one, `url: …` on the lines "
        "below, indented to line up with `id`"]


@pytest.mark.parametrize(("text", "expected"), [
    ("case:\n  title: T\nsources:\n  - id: a\n    title: t\n    url:\n      - http://a.org/\n"
     "      - http://b.org/\n",
     ["case.yaml:7:7: error: source a url must be text, one address; found a list. For several "
      "addresses, write `urls:` (with an s) instead of `url:`"]),
    ("case:\n  title: T\nsources:\n  - id: a\n    title: t\n    urls: http://a.org/\n",
     ["case.yaml:6:11: error: source a urls must be a list of one or more addresses; found "
      "`http://a.org/`. For one address, write `url:` (no s) instead of `urls:`"]),
    ("case:\n  title: T\n  sources:\n    - id: a\n      title: t\n",
     ["case.yaml:3:3: error: `sources:` is indented under `case:`, so it is read as part of "
      "the case; start it at the beginning of its line, as `case:` is, and indent its items "
      "under it"]),
])
def test_url_urls_and_sources_in_the_wrong_shape_say_what_to_write(
        text: str, expected: list[str]) -> None:
    """`url:` given a list was told only "must be text; found a list", `urls:` given one
    address "must be a list", and `sources:` indented under `case:` "missing `sources:`"
    with a warning that `sources` is an unknown key of the case. Now each says the fix."""
    assert problems(text) == expected


def test_references_indented_under_case_are_warned_of_so() -> None:
    loaded = cases.parse("case:\n  title: T\n  references:\n    - id: R1\n      title: t\n"
                         "sources: []\n", "case.yaml")
    assert [str(w) for w in loaded.warnings] == [
        "case.yaml:3:3: warning: `references:` is indented under `case:`, so it is read as "
        "part of the case; start it at the beginning of its line, as `case:` is, and indent "
        "its items under it; until then it is ignored"]


def test_an_ampersand_as_written_in_a_query_is_no_mistake() -> None:
    text = ("case:\n  title: T\nsources:\n  - id: a\n    title: A\n    url: http://www.nice"
            ".org.uk/guidance/index.jsp?action=download&o=58975\n")
    assert cases.parse(text, "c.yaml").warnings == []
