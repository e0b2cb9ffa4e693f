"""`refcheck extract`: the case file on stdout or in a file, one per record with --out-dir,
a summary on stderr, and exit code 2 with a message (never a traceback) on bad input."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from refcheck import cases
from refcheck.extract import run_extract
from refcheck.extract.command import summary
from refcheck.extract.document import Document, Line, Link, Place
from refcheck.extract.engine import from_document

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
SALFORD = FIXTURES / "salford.txt"


def test_case_file_on_stdout_and_summary_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_extract([str(SALFORD)]) == 0
    out, err = capsys.readouterr()
    assert cases.parse(out, "stdout.yaml").warnings == []
    assert "7 sources, 0 references, 6 URLs (6 repaired, 2 uncertain)" in err
    assert "uncertain, line 11: https://www.gov.uk/" in err


def test_output_file_and_date(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "case.yaml"
    assert run_extract([str(SALFORD), "-o", str(target), "--date", "2014-01-31"]) == 0
    loaded = cases.load(target)
    assert str(loaded.case.date) == "2014-01-31"
    assert capsys.readouterr().out == ""


def test_extract_refuses_to_write_over_the_case_study_it_reads(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    study = tmp_path / "study.txt"
    study.write_bytes(SALFORD.read_bytes())
    assert run_extract([str(study), "-o", str(study)]) == 2
    assert "is one of the files being read" in capsys.readouterr().err
    assert study.read_bytes() == SALFORD.read_bytes()


def test_a_case_file_reached_by_a_link_is_written_where_it_is_and_the_link_kept(
        tmp_path: Path) -> None:
    """`-o case.yaml`, a link to the copy in a shared folder: that copy is the one written,
    the link stays, and the file is as readable as the one it replaces."""
    (tmp_path / "shared").mkdir()
    real = tmp_path / "shared" / "salford.yaml"
    real.write_text("last week's case file\n")
    real.chmod(0o644)
    link = tmp_path / "case.yaml"
    link.symlink_to(real)
    assert run_extract([str(SALFORD), "-o", str(link)]) == 0
    assert link.is_symlink()
    assert len(cases.load(real).case.sources) == 7
    assert real.stat().st_mode & 0o777 == 0o644
    assert sorted(p.name for p in real.parent.iterdir()) == ["salford.yaml"]


def test_out_dir_writes_one_case_file_per_record_and_reports_a_bad_one(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = tmp_path / "records.jsonl"
    good = (FIXTURES / "records.jsonl").read_text(encoding="utf-8").splitlines()
    records.write_text(f'{good[0]}\n{{"id": "9", "title": "no sources"}}\n{good[1]}\n',
                       encoding="utf-8")
    out_dir = tmp_path / "cases"
    assert run_extract([str(records), "--out-dir", str(out_dir)]) == 2
    assert sorted(p.name for p in out_dir.iterdir()) == ["42147.yaml", "597.yaml"]
    for path in out_dir.iterdir():
        assert cases.load(path).warnings == []
    err = capsys.readouterr().err
    assert f"{records}:2: record 9 has no `sources`" in err
    assert "2 case files written" in err and "1 records refused" in err


@pytest.mark.parametrize(("argv", "message"), [
    (["missing.pdf"], "missing.pdf: cannot read: No such file or directory"),
    ([str(SALFORD), "--date", "29/11/2013"], "--date `29/11/2013` is not a date"),
    ([str(FIXTURES / "records.jsonl")], "extract it with --out-dir DIR"),
    ([str(SALFORD), "-o", "x.yaml", "--out-dir", "d"], "not both"),
    (["--no-such-option"], "No such option"),
])
def test_bad_input_exits_2_with_a_message(argv: list[str], message: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert run_extract(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def _pdf04_with_its_link() -> Document:
    """pdfs/04, source IMP9 (page 4, lines 36-42), and the PDF's link over the URL: Word
    made it from the text with the space typed before the wrap (`government/%20uploads`)."""
    printed = [
        "5. Sources to corroborate the impact",
        "IMP9)  Sutton, M., Kristensen, S., Lau, Y-S., Glover, G., Whittaker, W., Wildman, J.,",
        "and Smith, P. (2012). ‘Developing the Mental Health Funding Formula for Allocations to",
        "General Practices Phase 3: Estimation of a formula based on person-level data’.",
        "Commissioned by ACRA. Available at: https://www.gov.uk/government/",
        "uploads/system/uploads/attachment_data/file/213333/ACRA201218A-Developing-the-",
        "Mental-Health-Funding-Formula-For-Allocations-to-General-Practices.pdf (accessed",
        "07/08/13).",
    ]
    lines = [Line(text, Place(line=35 + n, page=4), gap=20.0, lead=40.0)
             for n, text in enumerate(printed)]
    url = ("https://www.gov.uk/government/uploads/system/uploads/attachment_data/file/213333/"
           "ACRA201218A-Developing-the-Mental-Health-Funding-Formula-For-Allocations-to-General-"
           "Practices.pdf")
    link = Link(url.replace("government/", "government/%20"), "\n".join(printed[4:7]),
                tuple(line.place for line in lines[4:7]))
    return Document(name="04.pdf", lines=lines, links=[link], kind="pdf")


def test_a_damaged_link_is_named_beside_the_printed_url_and_in_the_summary() -> None:
    extraction = from_document(_pdf04_with_its_link())
    (source,) = extraction.sources
    (url,) = source.urls
    assert url.url.endswith("/government/uploads/system/uploads/attachment_data/file/213333/"
                            "ACRA201218A-Developing-the-Mental-Health-Funding-Formula-For-"
                            "Allocations-to-General-Practices.pdf")
    assert url.link_target is not None and "/government/%20uploads/" in url.link_target
    text = extraction.to_yaml()
    assert (f"    # the PDF's link points to {url.link_target}\n"
            "    # written as printed instead: the link looks damaged (a space typed into it)"
            ) in text
    assert cases.parse(text, "x.yaml").warnings == []
    assert extraction.summary.disagreeing == (url,)
    report = summary(extraction, None)
    assert "1 URL (1 repaired, 0 uncertain, 1 where the document's link points elsewhere)" \
        in report
    assert (f"  link differs, page 4, line 39: wrote {url.url} as printed; the link points to "
            f"{url.link_target}") in report


def test_an_escape_sequence_in_a_file_name_is_shown_not_obeyed(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert run_extract(["no-such-\x1b]0;pwned\x07.pdf"]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\\x1b" in err


def test_what_extract_says_on_stderr_is_shown_not_obeyed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A file name, a record's id and the folder named reach stderr: an escape sequence
    in them is shown, not sent to the terminal, as every other command shows it."""
    study = tmp_path / "study-\x1b]0;pwned\x07.txt"
    study.write_bytes(SALFORD.read_bytes())
    assert run_extract([str(study)]) == 0
    records = tmp_path / "records.jsonl"
    records.write_text('{"id": "9\\u001b[2J", "title": "no sources"}\n', encoding="utf-8")
    assert run_extract([str(records), "--out-dir", str(tmp_path / "out\x1b[2J")]) == 2
    err = capsys.readouterr().err
    assert "study-\\x1b]0;pwned\\x07.txt: 7 sources" in err
    assert "record 9\\x1b[2J has no `sources`" in err and "out\\x1b[2J" in err
    assert "\x1b" not in err and "\x07" not in err


def test_a_folder_given_to_extract_names_every_kind_it_reads(tmp_path: Path) -> None:
    from refcheck.extract.engine import extract
    from refcheck.extract.model import ExtractionError

    with pytest.raises(ExtractionError) as caught:
        extract(tmp_path)
    assert str(caught.value).endswith("a directory; expected a case-study PDF, .docx, .txt, "
                                      ".md, web page (.htm) or REF records (.json) file")


def test_the_summary_counts_one_of_a_kind_in_the_singular(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """It said "1 sources, 0 references, 1 URLs"."""
    study = tmp_path / "study.txt"
    study.write_text("A study\n\n5. Sources to corroborate the impact\n\n"
                     "a. Annual report http://www.example.org/report.pdf\n")
    assert run_extract([str(study)]) == 0
    err = capsys.readouterr().err
    assert "study.txt: 1 source, 0 references, 1 URL (0 repaired, 0 uncertain)" in err


def test_ctrl_c_during_out_dir_says_what_was_written(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C while a corpus was being written ended with exit code 130 and not a word:
    nothing said how many case files were written, whether they were whole, or what to
    do. Now it says, and the files written are whole."""
    import refcheck.extract as extract_package

    real = extract_package.extract_records

    def stopped_after_one(path: Path, **kwargs: object) -> Iterator[object]:
        results = real(path, **kwargs)  # type: ignore[arg-type]
        yield next(results)
        raise KeyboardInterrupt

    monkeypatch.setattr(extract_package, "extract_records", stopped_after_one)
    out_dir = tmp_path / "cases"
    records = FIXTURES / "records.jsonl"
    assert run_extract([str(records), "--out-dir", str(out_dir)]) == 130
    assert [cases.load(p).warnings for p in out_dir.iterdir()] == [[]]
    assert capsys.readouterr().err == (
        f"refcheck extract: interrupted (Ctrl-C) after line 1 of {records}: 1 case file "
        f"written to {out_dir}, each whole; the records after it were not read. Run the "
        "command again to write them all.\n")


def test_a_case_file_given_to_extract_is_told_to_be_checked(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`refcheck extract case.yaml` was told "no section 5 … found; is this a REF impact
    case study?", of a case file; now it is told it is one already, and how to check it."""
    case = tmp_path / "case.yaml"
    case.write_text("case:\n  title: T\nsources: []\n")
    assert run_extract([str(case)]) == 2
    assert capsys.readouterr().err == (
        f"refcheck extract: {case}: already a case file (YAML), which refcheck checks as it "
        f"is: refcheck {case}. Extract from the case study itself (its PDF, .docx or text)\n")
