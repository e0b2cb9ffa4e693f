"""Checking a case-study document directly, and `refcheck extract` from the main command."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.pdfs import make_pdf
from tests.server import EvidenceServer

DOCUMENT = """\
Title of case study: Improving outcomes for families

1. Summary of the impact
The research changed how councils work with families.

5. Sources to corroborate the impact
a) Evaluation of the Springboard project, {base}/long-page
b) Council report (2012), {base}/gone404
"""


def test_a_case_study_document_is_checked_without_a_case_file(
        tmp_path: Path, run_cli: Any, server: EvidenceServer) -> None:
    document = tmp_path / "case-study.txt"
    document.write_text(DOCUMENT.format(base=server.base))
    run = run_cli(str(document), "-f", "json")
    assert run.exit_code == 1, run.stderr
    links = {link["source"]: link for link in json.loads(run.stdout)["links"]}
    assert links["a"]["status"] == "ok" and links["b"]["status"] == "dead"
    assert links["b"]["place"] == "line 8" and links["b"]["file"] == str(document)
    text = run_cli(str(document)).stdout
    assert f"{server.url('/gone404')}  (line 8)" in text


def test_a_case_study_saved_as_a_web_page_is_checked_directly(
        tmp_path: Path, run_cli: Any, server: EvidenceServer) -> None:
    document = tmp_path / "case-study.htm"
    document.write_text(
        "<html><head><title>Case study</title></head><body>"
        "<p><b>Title of case study:</b> Improving outcomes for families</p>"
        "<p><b>5. Sources to corroborate the impact</b></p>"
        f"<p>a) Evaluation of the Springboard project, {server.base}/long-page</p>"
        f"<p>b) <a href='{server.base}/gone404'>Council report (2012)</a></p></body></html>",
        encoding="utf-8")
    run = run_cli(str(document), "-f", "json")
    assert run.exit_code == 1, run.stderr
    links = {link["source"]: link for link in json.loads(run.stdout)["links"]}
    assert links["a"]["status"] == "ok" and links["b"]["status"] == "dead"
    assert links["b"]["place"] == "line 4" and links["b"]["file"] == str(document)


def test_a_markdown_case_study_is_checked_whichever_suffix_extract_reads(
        tmp_path: Path, run_cli: Any, server: EvidenceServer) -> None:
    # `refcheck extract` reads `.markdown` as Markdown; checking it must not read it as YAML.
    document = tmp_path / "case-study.markdown"
    document.write_text(
        "**Title of case study:** Improving outcomes for families\n\n"
        "## 5. Sources to corroborate the impact\n\n"
        f"a) Evaluation of the Springboard project, {server.base}/long-page\n\n"
        f"b) [Council report (2012)]({server.base}/gone404)\n")
    run = run_cli(str(document), "-f", "json")
    assert run.exit_code == 1, run.stderr
    links = {link["source"]: link for link in json.loads(run.stdout)["links"]}
    assert links["a"]["status"] == "ok" and links["b"]["status"] == "dead"


def test_a_document_that_cannot_be_read_is_a_located_error(tmp_path: Path,
                                                           run_cli: Any) -> None:
    document = tmp_path / "broken.pdf"
    document.write_bytes(b"%PDF-1.4 this is not really a PDF")
    run = run_cli(str(document))
    assert run.exit_code == 2
    assert str(document) in run.stderr and "Traceback" not in run.stderr


def test_a_document_error_names_the_document_once(tmp_path: Path, run_cli: Any) -> None:
    document = tmp_path / "fake.pdf"
    document.write_bytes(b"not a pdf\n")
    run = run_cli("--check-only", str(document))
    assert run.exit_code == 2
    assert run.stderr.splitlines()[0] == (
        f"{document}: error: not a PDF (it does not start with %PDF); check that the "
        "download is complete")


def test_a_word_97_document_is_named_for_what_it_is(tmp_path: Path, run_cli: Any) -> None:
    # Not "not UTF-8 text; save it as UTF-8", as if it were a case file.
    document = tmp_path / "case study.doc"
    document.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
                         + "WordDocument".encode("utf-16-le"))
    run = run_cli("--check-only", str(document))
    assert run.exit_code == 2
    assert run.stderr.splitlines()[0] == (
        f"{document}: error: a Word 97-2003 document (.doc), which refcheck does not read; "
        "open it in Word and save it as .docx (File > Save As > Word Document), and extract "
        "from that")


def test_a_utf16_text_case_study_is_read_like_its_utf8_copy(
        tmp_path: Path, run_cli: Any, server: EvidenceServer) -> None:
    # Notepad's and Word's "Unicode" text: UTF-16 with a byte-order mark, CRLF lines.
    text = DOCUMENT.format(base=server.base).replace("outcomes", "outcomes for café owners")
    utf8, utf16 = tmp_path / "utf8.txt", tmp_path / "utf16.txt"
    utf8.write_bytes(text.encode("utf-8"))
    utf16.write_bytes(text.replace("\n", "\r\n").encode("utf-16"))
    runs = [run_cli(str(path), "-f", "json", "--no-archive") for path in (utf8, utf16)]
    assert [run.exit_code for run in runs] == [1, 1], runs[1].stderr
    found = [[(link["source"], link["url"], link["status"], link["place"])
              for link in json.loads(run.stdout)["links"]] for run in runs]
    assert found[0] == found[1] and len(found[1]) == 2


def test_refcheck_extract_is_a_subcommand(tmp_path: Path, server: EvidenceServer) -> None:
    document = tmp_path / "case-study.txt"
    document.write_text(DOCUMENT.format(base=server.base))
    run = subprocess.run([sys.executable, "-m", "refcheck", "extract", str(document)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "sources:" in run.stdout and server.url("/gone404") in run.stdout


#: refcheck where the cryptography package is missing from the install (a broken or
#: hand-made environment: refcheck's dependencies bring it), so pypdf has no AES.
WITHOUT_CRYPTOGRAPHY = """\
import builtins, sys
real = builtins.__import__
def without(name, *args, **kwargs):
    if name.split(".")[0] in ("cryptography", "Crypto"):
        raise ImportError(name)
    return real(name, *args, **kwargs)
builtins.__import__ = without
from refcheck.__main__ import main
sys.argv[0] = "refcheck"
main()
"""


@pytest.mark.parametrize("algorithm", ["AES-128", "AES-256"])
def test_a_pdf_protected_against_changes_without_cryptography_is_a_message(
        tmp_path: Path, algorithm: str) -> None:
    # Acrobat's and Word's "restrict editing": it opens with no password, encrypted with AES.
    pytest.importorskip("cryptography")
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf([
        "Title of case study: Protected", "5. Sources to corroborate the impact",
        "1. Annual report of the evaluation, http://www.example.org/annual-report.pdf"]))))
    writer.encrypt(user_password="", owner_password="owner", algorithm=algorithm)
    document = tmp_path / "protected.pdf"
    with document.open("wb") as stream:
        writer.write(stream)
    for args in (["extract", str(document)], ["--check-only", str(document)]):
        run = subprocess.run([sys.executable, "-c", WITHOUT_CRYPTOGRAPHY, *args],
                             capture_output=True, text=True, timeout=60)
        assert run.returncode == 2, run.stderr
        assert "Traceback" not in run.stderr
        assert run.stderr.startswith((f"refcheck extract: {document}: ", f"{document}: "))
        assert ("the PDF is protected against changes (AES encryption), and reading it needs "
                "the cryptography package, which is not installed") in run.stderr


def _protected_pdf(lines: list[str]) -> bytes:
    """A PDF as Acrobat's and Word's "restrict editing" writes it: it opens with no
    password, and is encrypted with AES."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(lines))))
    writer.encrypt(user_password="", owner_password="owner", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_a_pdf_protected_against_changes_is_read_as_installed(tmp_path: Path) -> None:
    """pypdf reads AES only with the cryptography package: refcheck's dependencies bring
    it, so an installed refcheck extracts such a PDF."""
    from importlib.metadata import requires

    assert any(r.replace(" ", "").startswith("pypdf[crypto]") for r in requires("refcheck")
               or ()), "refcheck must depend on pypdf[crypto]"
    pytest.importorskip("cryptography")
    document = tmp_path / "protected.pdf"
    document.write_bytes(_protected_pdf([
        "Title of case study: Protected", "5. Sources to corroborate the impact",
        "1. Annual report of the evaluation, http://www.example.org/annual-report.pdf"]))
    run = subprocess.run([sys.executable, "-m", "refcheck", "extract", str(document)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "http://www.example.org/annual-report.pdf" in run.stdout


def test_a_cited_pdf_that_cannot_be_read_leaves_its_quote_unknown(
        tmp_path: Path, server: EvidenceServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cited PDF refcheck cannot read the text of (here AES with no cryptography) is
    checked as a PDF: its quote is not found or missed, and no link is an internal error."""
    pytest.importorskip("cryptography")
    from tests import server as served

    body = _protected_pdf(["Family intervention workers are dedicated to the families."])
    monkeypatch.setitem(served.ROUTES, "/protected.pdf",
                        lambda h: h.send(200, body, content_type="application/pdf"))
    case = tmp_path / "case.yaml"
    case.write_text(f"case:\n  title: Protected\nsources:\n  - id: a\n    title: Report\n"
                    f"    url: {server.url('/protected.pdf')}\n"
                    "    quote: Family intervention workers are dedicated\n")
    run = subprocess.run([sys.executable, "-c", WITHOUT_CRYPTOGRAPHY, str(case), "-f", "json",
                          "--no-archive"], capture_output=True, text=True, timeout=60)
    assert "Traceback" not in run.stderr
    link = json.loads(run.stdout)["links"][0]
    assert link["status"] == "ok", (link["status"], link["detail"])
    assert link["detail"].endswith("could not read the page's text, so the quote was not "
                                   "checked"), link["detail"]


def test_a_document_refused_is_not_called_a_case_file(tmp_path: Path, run_cli: Any) -> None:
    """A PDF without section 5 was refused, then told "correct the case file and run
    again", of a file that is no case file."""
    document = tmp_path / "study.txt"
    document.write_text("An annual report\n\nhttp://www.example.org/report.pdf\n")
    run = run_cli(str(document))
    assert run.exit_code == 2
    assert "case file" not in run.stderr.replace("no case files", "")
    assert run.stderr.endswith(
        "refcheck: nothing was checked; correct what is named above and run again.\n")
