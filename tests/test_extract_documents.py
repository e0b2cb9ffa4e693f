"""Reading case studies: PDF, Word, text and REF2014 records into case files, and every
kind of bad input refused with a message that names the file and what to do."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import quopri
import zipfile
from pathlib import Path

import pytest

from refcheck import cases
from refcheck.extract import REF2014_DEADLINE, ExtractionError, extract, extract_records
from tests.pdfs import make_pdf

FIXTURES = Path(__file__).parent / "fixtures" / "extract"
SALFORD = FIXTURES / "salford.txt"
RECORDS = FIXTURES / "records.jsonl"


def loads_cleanly(yaml_text: str) -> cases.LoadedCase:
    loaded = cases.parse(yaml_text, "extracted.yaml")
    assert loaded.warnings == []
    return loaded


def test_salford_text_gives_the_hand_made_case_files_urls() -> None:
    extraction = extract(SALFORD)
    loaded = loads_cleanly(extraction.to_yaml())
    hand_made = cases.load(Path(__file__).parents[1] / "cases" / "salford.yaml").case
    wanted = {s.id: [u.url for u in s.urls] for s in hand_made.sources if s.kind == "source"}
    got = {s.id: [u.url for u in s.urls] for s in loaded.case.sources}
    assert got == wanted
    assert loaded.case.title == hand_made.title
    assert loaded.case.date == REF2014_DEADLINE
    summary = extraction.summary
    assert (summary.sources, summary.urls) == (7, 6)
    # Source a's lost underscore and f's `|` are not proven by the text: uncertain.
    assert {u.url.rsplit("/", 1)[-1] for u in summary.uncertain} == {
        "121214_Working_with_troubled_families_FINAL_v2.pdf", "research-events"}


def test_repaired_urls_keep_their_printed_form_in_a_comment() -> None:
    text = extract(SALFORD).to_yaml()
    assert "# printed (lines 11-12): https://www.gov.uk/government/uploads/" in text
    assert "#                        214 Working_with_troubled_families_ FINAL_v2.pdf" in text
    assert "# REF2014 submission deadline" in text


def test_yaml_lines_map_back_to_the_document() -> None:
    extraction = extract(SALFORD)
    lines = extraction.to_yaml().splitlines()
    for number, place in extraction.places.items():
        assert "http" in lines[number - 1]
        assert place.page is None and place.line >= 1
    loaded = cases.parse(extraction.to_yaml(), "x.yaml")
    first = loaded.case.sources[0].urls[0]
    assert extraction.place_of_line(first.position.line) == extraction.sources[0].urls[0].place


def test_date_option_replaces_the_default() -> None:
    extraction = extract(SALFORD, date=dt.date(2021, 3, 31))
    assert "date: 2021-03-31\n" in extraction.to_yaml()
    assert not extraction.date_is_default


def test_yaml_special_text_is_quoted(tmp_path: Path) -> None:
    path = tmp_path / "case.txt"
    path.write_text('Title of case study: "Quoted": a #1 case\n5. Sources to corroborate the '
                    'impact\n1. Report: part one # two, yes http://example.org/a#b\n'
                    "2. 'Yes': null & *star http://example.org/x\n", encoding="utf-8")
    loaded = loads_cleanly(extract(path).to_yaml())
    assert loaded.case.title == '"Quoted": a #1 case'
    assert [s.title for s in loaded.case.sources] == ["Report: part one # two, yes",
                                                      "'Yes': null & *star"]
    assert loaded.case.sources[0].urls[0].url == "http://example.org/a#b"


def test_url_in_angle_brackets_leaves_no_brackets_in_the_title(tmp_path: Path) -> None:
    # `<http://…>`, as e-mail and Markdown write a URL.
    path = tmp_path / "case.txt"
    path.write_text("Title of case study: T\n5. Sources to corroborate the impact\n"
                    "1. Environment Agency report (2014): <http://www.example.org/a.pdf>\n"
                    "2. Briefing <www.example.org/b>.\n"
                    "3. Smith, J. (2012) Water. <doi:10.1000/xyz123>\n", encoding="utf-8")
    loaded = loads_cleanly(extract(path).to_yaml())
    assert [(s.title, [u.url for u in s.urls]) for s in loaded.case.sources] == [
        ("Environment Agency report (2014)", ["http://www.example.org/a.pdf"]),
        ("Briefing.", ["http://www.example.org/b"]),
        ("Smith, J. (2012) Water.", ["https://doi.org/10.1000/xyz123"])]


def test_capital_letter_and_roman_ids(tmp_path: Path) -> None:
    # `A.` `B.` `C.` (or `I.` `II.`) number the sources; an initial starting a line
    # (`F. Bechhofer`) is not an id.
    path = tmp_path / "case.txt"
    path.write_text("Title of case study: T\n5. Sources to corroborate the impact\n"
                    "A. Report of the Select Committee http://www.example.org/a.pdf\n"
                    "B. Letter from the Director, with comments by\n"
                    "F. Bechhofer (2012)\n"
                    "C. Minutes http://www.example.org/c\n"
                    "D.\n  Briefing http://www.example.org/d\n", encoding="utf-8")
    assert [(s.id, s.title) for s in loads_cleanly(extract(path).to_yaml()).case.sources] == [
        ("A", "Report of the Select Committee"),
        ("B", "Letter from the Director, with comments by F. Bechhofer (2012)"),
        ("C", "Minutes"), ("D", "Briefing")]
    path.write_text("Title of case study: T\n5. Sources to corroborate the impact\n"
                    "I. Report http://www.example.org/1\nII. Minutes http://www.example.org/2\n"
                    "III. Letter\n", encoding="utf-8")
    assert [s.id for s in loads_cleanly(extract(path).to_yaml()).case.sources] == [
        "I", "II", "III"]
    path.write_text("Title of case study: T\n5. Sources to corroborate the impact\n"
                    "F. Bechhofer & D. McCrone (2008) Talking http://www.example.org/f\n\n"
                    "A. Park (2007) Attitudes http://www.example.org/p\n", encoding="utf-8")
    assert [(s.id, s.title) for s in loads_cleanly(extract(path).to_yaml()).case.sources] == [
        ("1", "F. Bechhofer & D. McCrone (2008) Talking"), ("2", "A. Park (2007) Attitudes")]


def test_bullets_are_sources_of_their_own(tmp_path: Path) -> None:
    # Bullets with no ids printed: `•`, or U+F0B7 as a PDF from Word gives Symbol's bullet.
    path = tmp_path / "case.txt"
    path.write_text("Title of case study: T\n5. Sources to corroborate the impact\n"
                    "\u2022 Letter from the Director of\n  Public Health\n"
                    "\u2022 Environment Agency report http://www.example.org/a.pdf\n"
                    "\uf0b7 Briefing http://www.example.org/b\n", encoding="utf-8")
    loaded = loads_cleanly(extract(path).to_yaml())
    assert [(s.id, s.title, [u.url for u in s.urls]) for s in loaded.case.sources] == [
        ("1", "Letter from the Director of Public Health", []),
        ("2", "Environment Agency report", ["http://www.example.org/a.pdf"]),
        ("3", "Briefing", ["http://www.example.org/b"])]


@pytest.mark.parametrize("mark", ["-", "\u2013", "*"])
def test_hyphen_and_dash_bullets_are_sources_of_their_own(tmp_path: Path, mark: str) -> None:
    # A list typed with hyphens or dashes for bullets; one line starting with a dash inside
    # a source (`- 15`) is a wrapped line, not a bullet.
    path = tmp_path / "case.txt"
    path.write_text("Title of case study: T\n5. Sources to corroborate the impact\n"
                    f"{mark} Letter from the Director of Public Health\n"
                    f"{mark} Environment Agency report http://www.example.org/a.pdf\n"
                    f"{mark} Briefing http://www.example.org/b\n", encoding="utf-8")
    loaded = loads_cleanly(extract(path).to_yaml())
    assert [(s.id, s.title, [u.url for u in s.urls]) for s in loaded.case.sources] == [
        ("1", "Letter from the Director of Public Health", []),
        ("2", "Environment Agency report", ["http://www.example.org/a.pdf"]),
        ("3", "Briefing", ["http://www.example.org/b"])]
    path.write_text("Title of case study: T\n5. Sources to corroborate the impact\n"
                    "Hansard, HC Deb, 4 May 2012, columns 12\n- 15\n\n"
                    "Environment Agency report http://www.example.org/a.pdf\n",
                    encoding="utf-8")
    loaded = loads_cleanly(extract(path).to_yaml())
    assert [s.title for s in loaded.case.sources] == [
        "Hansard, HC Deb, 4 May 2012, columns 12 - 15", "Environment Agency report"]
    # Remarks under each citation, indented or after an em dash, are the citation's.
    path.write_text("Title of case study: T\n5. Sources to corroborate the impact\n"
                    "  Hansard, HC Deb, 4 May 2012\n      - the minister cites the study\n\n"
                    "  Environment Agency report http://www.example.org/a.pdf\n"
                    "      - accessed on 12/08/13\n\n"
                    "  Briefing http://www.example.org/b\n  \u2014 impact on policy\n\n"
                    "  Guidelines http://www.example.org/c\n  \u2014 impact on practice\n",
                    encoding="utf-8")
    loaded = loads_cleanly(extract(path).to_yaml())
    assert [(s.title, [u.url for u in s.urls]) for s in loaded.case.sources] == [
        ("Hansard, HC Deb, 4 May 2012 - the minister cites the study", []),
        ("Environment Agency report", ["http://www.example.org/a.pdf"]),
        ("Briefing \u2014 impact on policy", ["http://www.example.org/b"]),
        ("Guidelines \u2014 impact on practice", ["http://www.example.org/c"])]


@pytest.mark.parametrize("heading", [
    "Sources to corroborate", "5. Sources", "5 Sources:", "Corroborating sources",
    "5. Corroborating evidence", "Section 5: Sources to corroborate"])
def test_section_5_under_another_templates_heading(tmp_path: Path, heading: str) -> None:
    # Drafts and other templates word section 5's heading otherwise; a sentence starting
    # with the same words is not a heading.
    path = tmp_path / "case.txt"
    path.write_text("Title of case study: T\n4. Details of the impact\n"
                    "Sources to corroborate this are listed below, http://www.example.org/x\n"
                    f"{heading}\n1. Letter from the Director\n"
                    "2. Environment Agency report http://www.example.org/a.pdf\n",
                    encoding="utf-8")
    loaded = loads_cleanly(extract(path).to_yaml())
    assert [(s.id, s.title, [u.url for u in s.urls]) for s in loaded.case.sources] == [
        ("1", "Letter from the Director", []),
        ("2", "Environment Agency report", ["http://www.example.org/a.pdf"])]


_MARKDOWN = """\
# Impact case study (REF3)

**Institution:** University of Example

**Title of case study:** Better water for all

## 1. Summary of the impact

The agency cited [S1] and the [briefing][brief].

## 3. References to the research

1. Smith, J. (2012) Water. *Journal*, 3, 1-10. <https://doi.org/10.1000/xyz123>
1. Jones, K. (2013) [Rivers and
   lakes](https://www.example.org/rivers_and_lakes_2013).

## 5. Sources to corroborate the impact

- **S1** Environment Agency report (2014): <http://www.example.org/river_plan_2014.pdf>
- **S2** [Parliamentary briefing on water][brief]
* S3 Data at http://www.example.org/data_set_v2.csv (_Office for National Statistics_)
- S4 Letter from the Director (available on request)

[brief]: http://www.example.org/briefing "Briefing"
"""


def test_markdown_case_study_as_people_write_it(tmp_path: Path) -> None:
    path = tmp_path / "case.md"
    path.write_text(_MARKDOWN, encoding="utf-8")
    extraction = extract(path)
    loaded = loads_cleanly(extraction.to_yaml())
    assert (loaded.case.title, loaded.case.institution) == ("Better water for all",
                                                            "University of Example")
    assert [(s.id, s.title, [u.url for u in s.urls]) for s in loaded.case.sources] == [
        ("S1", "Environment Agency report (2014)",
         ["http://www.example.org/river_plan_2014.pdf"]),
        ("S2", "Parliamentary briefing on water", ["http://www.example.org/briefing"]),
        ("S3", "Data at (Office for National Statistics)", ["http://www.example.org/data_set_v2.csv"]),
        ("S4", "Letter from the Director (available on request)", []),
        # The list `1.` `1.` is numbered 1, 2, as it is shown.
        ("1", "Smith, J. (2012) Water. Journal, 3, 1-10.",
         ["https://doi.org/10.1000/xyz123"]),
        ("2", "Jones, K. (2013) Rivers and lakes.",
         ["https://www.example.org/rivers_and_lakes_2013"])]
    assert ("# the link on 'Parliamentary briefing on water' (line 20)"
            in extraction.to_yaml())


def test_markdown_bullets_are_items_and_a_numbered_source_is_not_a_definition(
        tmp_path: Path) -> None:
    path = tmp_path / "case.md"
    path.write_text("Title of case study: T\n\n### Sources to corroborate the impact\n\n"
                    "- Report one http://www.example.org/one\n"
                    "- Report two http://www.example.org/two\n\n"
                    "[3]: http://www.example.org/three (accessed 2013)\n", encoding="utf-8")
    assert _sources(path) == {"1": ["http://www.example.org/one"],
                              "2": ["http://www.example.org/two"],
                              "3": ["http://www.example.org/three"]}


def _docx(tmp_path: Path, body: str, rels: str = "") -> Path:
    path = tmp_path / "case.docx"
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    r = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml",
                         f"<w:document {w} {r}><w:body>{body}</w:body></w:document>")
        archive.writestr("word/_rels/document.xml.rels",
                         '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                         f'relationships">{rels}</Relationships>')
    return path


def _p(*runs: str) -> str:
    return "<w:p>" + "".join(runs) + "</w:p>"


def _t(text: str) -> str:
    return f'<w:r><w:t xml:space="preserve">{text}</w:t></w:r>'


def test_docx_text_and_hyperlinks(tmp_path: Path) -> None:
    rel = ('<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
           'relationships/hyperlink" Target="http://www.jrf.org.uk/sites/files/jrf/2103-housing-'
           'immigration-asylum.pdf" TargetMode="External"/>')
    body = "".join([
        _p(_t("Title of case study: Community cohesion")),
        _p(_t("Institution: Sheffield Hallam University")),
        _p(_t("3. References to the research")),
        _p(_t("Ref 4. Robinson, D. (2007) The Housing Pathways of New Immigrants. "),
           '<w:hyperlink r:id="rId9">', _t("JRF report"), "</w:hyperlink>"),
        _p(_t("5. Sources to corroborate the impact")),
        _p(_t("S3. The final report is available at: "),
           '<w:fldSimple w:instr=\' HYPERLINK "http://wales.gov.uk/topics/?lang=en" \'>',
           _t("the report"), "</w:fldSimple>"),
        _p(_t("S4. Audit Commission report http://archive.audit-commission.gov.uk/a.pdf")),
    ])
    extraction = extract(_docx(tmp_path, body, rel))
    loaded = loads_cleanly(extraction.to_yaml())
    assert loaded.case.title == "Community cohesion"
    assert loaded.case.institution == "Sheffield Hallam University"
    by_id = {(str(s.kind), s.id): [u.url for u in s.urls] for s in loaded.case.sources}
    assert by_id[("source", "S3")] == ["http://wales.gov.uk/topics/?lang=en"]
    assert by_id[("source", "S4")] == ["http://archive.audit-commission.gov.uk/a.pdf"]
    assert by_id[("reference", "Ref 4")] == [
        "http://www.jrf.org.uk/sites/files/jrf/2103-housing-immigration-asylum.pdf"]
    assert '# the link on \'JRF report\'' in extraction.to_yaml()


def _sources(path: Path) -> dict[str, list[str]]:
    """Each source's URLs, as the written case file gives them."""
    loaded = loads_cleanly(extract(path).to_yaml())
    return {s.id: [u.url for u in s.urls] for s in loaded.case.sources if s.kind == "source"}


_HEAD = _p(_t("Title of case study: T")) + _p(_t("5. Sources to corroborate the impact"))


def test_the_words_a_link_is_over_stay_in_the_title(tmp_path: Path) -> None:
    rel = ('<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/'
           '2006/relationships/hyperlink" Target="http://www.example.org/briefing" '
           'TargetMode="External"/>')
    body = _HEAD + "".join([
        _p(_t("S1 "), '<w:hyperlink r:id="rId9">', _t("Parliamentary briefing (2013)"),
           "</w:hyperlink>"),
        _p(_t("S2 Report, "), '<w:hyperlink r:id="rId9">', _t("here"), "</w:hyperlink>"),
        _p(_t("S3 Jackson, J. (2012) "), '<w:hyperlink r:id="rId9">',
           _t("Why do people comply with the law?"), "</w:hyperlink>", _t(" Journal, 52.")),
        _p(_t("S4 Hough, M. (2013) Policing. "), '<w:hyperlink r:id="rId9">', _t("DOI."),
           "</w:hyperlink>")])
    loaded = loads_cleanly(extract(_docx(tmp_path, body, rel)).to_yaml())
    assert [(s.id, s.title) for s in loaded.case.sources] == [
        ("S1", "Parliamentary briefing (2013)"), ("S2", "Report"),
        ("S3", "Jackson, J. (2012) Why do people comply with the law? Journal, 52."),
        ("S4", "Hough, M. (2013) Policing.")]


def test_docx_plain_paragraphs_are_a_source_each(tmp_path: Path) -> None:
    # No ids, no blank paragraphs between: Word spaces its paragraphs itself.
    body = _HEAD + "".join([
        _p(_t("The following are held on file:")),
        _p(_t("Letter from the Director, Anglian Water, 12 March 2013")),
        _p(_t("Environment Agency report http://www.example.org/ea.pdf (2011)")),
        _p(_t("BBC News, 4 May 2012")),
        _p(_t("http://www.bbc.co.uk/news/uk-123")),
        _p(_t("Met Office guidance http://www.example.org/met")),
    ])
    loaded = loads_cleanly(extract(_docx(tmp_path, body)).to_yaml())
    sources = [(s.title, [u.url for u in s.urls]) for s in loaded.case.sources]
    assert sources == [
        ("Letter from the Director, Anglian Water, 12 March 2013", []),
        ("Environment Agency report (2011)", ["http://www.example.org/ea.pdf"]),
        ("BBC News, 4 May 2012", ["http://www.bbc.co.uk/news/uk-123"]),
        ("Met Office guidance", ["http://www.example.org/met"]),
    ]


def _row(*cells: str) -> str:
    return "<w:tr>" + "".join(f"<w:tc>{cell}</w:tc>" for cell in cells) + "</w:tr>"


def test_docx_table_of_sources_with_an_id_cell_a_row(tmp_path: Path) -> None:
    # One source a row, its id in a cell of its own, as Word shows it side by side.
    table = "<w:tbl>" + "".join([
        _row(_p(_t("Ref")), _p(_t("Source"))),
        _row(_p(_t("a")), _p(_t("Letter from the Director, Anglian Water"))),
        _row(_p(_t("b")), _p(_t("Environment Agency report http://www.example.org/ea.pdf"))),
        _row(_p(_t("c")), _p(_t("BBC News, 4 May 2012")),
             _p(_t("http://www.bbc.co.uk/news/uk-123"))),
    ]) + "</w:tbl>"
    loaded = loads_cleanly(extract(_docx(tmp_path, _HEAD + table)).to_yaml())
    sources = [(s.id, s.title, [u.url for u in s.urls]) for s in loaded.case.sources]
    assert sources == [
        ("a", "Letter from the Director, Anglian Water", []),
        ("b", "Environment Agency report", ["http://www.example.org/ea.pdf"]),
        ("c", "BBC News, 4 May 2012", ["http://www.bbc.co.uk/news/uk-123"]),
    ]


def test_docx_text_box_is_a_paragraph_of_its_own(tmp_path: Path) -> None:
    # Word writes a text box twice (for itself and for older readers), inside a run of the
    # paragraph it is anchored in.
    box = _p(_t("S2. Sidebar report http://www.example.org/box.pdf"))
    shape = ('<w:r><mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/markup-'
             'compatibility/2006"><mc:Choice Requires="wps"><w:drawing><w:txbxContent>'
             f"{box}</w:txbxContent></w:drawing></mc:Choice><mc:Fallback><w:pict>"
             f"<w:txbxContent>{box}</w:txbxContent></w:pict></mc:Fallback>"
             "</mc:AlternateContent></w:r>")
    body = _HEAD + _p(_t("S1. Report http://www.example.org/one.pdf"), shape) + _p(
        _t("S3. Third http://www.example.org/three.pdf"))
    assert _sources(_docx(tmp_path, body)) == {
        "S1": ["http://www.example.org/one.pdf"], "S2": ["http://www.example.org/box.pdf"],
        "S3": ["http://www.example.org/three.pdf"]}


def _field(*instruction: str, shown: str) -> str:
    """A complex field, its instruction in as many w:instrText runs as given."""
    return ('<w:r><w:fldChar w:fldCharType="begin"/></w:r>'
            + "".join(f'<w:r><w:instrText xml:space="preserve">{part}</w:instrText></w:r>'
                      for part in instruction)
            + '<w:r><w:fldChar w:fldCharType="separate"/></w:r>' + _t(shown)
            + '<w:r><w:fldChar w:fldCharType="end"/></w:r>')


def test_docx_hyperlink_field_split_over_runs(tmp_path: Path) -> None:
    # Word splits a field's instruction where it was edited or its formatting changes.
    body = _HEAD + _p(_t("S1. Annual report, see "), _field(
        ' HYPERLINK "http://www.exa', "mple.org/annual-", 'report.pdf" \\o "Open"',
        shown="here"), _t("."))
    assert _sources(_docx(tmp_path, body)) == {
        "S1": ["http://www.example.org/annual-report.pdf"]}


def test_docx_link_keeps_the_fragment_word_keeps_apart(tmp_path: Path) -> None:
    # Word writes https://data.example.org/#/reports/2012 as the relationship's target
    # and w:anchor="/reports/2012" (or, in a field, the \\l switch).
    rel = ('<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/'
           '2006/relationships/hyperlink" Target="https://data.example.org/" '
           'TargetMode="External"/>')
    body = _HEAD + "".join([
        _p(_t("S1. Dashboard "), '<w:hyperlink r:id="rId3" w:anchor="/reports/2012">',
           _t("https://data.example.org/#/reports/2012"), "</w:hyperlink>"),
        _p(_t("S2. Minutes, "), _field(' HYPERLINK "http://www.example.org/minutes" \\l '
                                        '"item-4" ', shown="item 4")),
    ])
    path = _docx(tmp_path, body, rel)
    assert _sources(path) == {"S1": ["https://data.example.org/#/reports/2012"],
                              "S2": ["http://www.example.org/minutes#item-4"]}
    assert "repaired" not in extract(path).to_yaml()


def test_docx_tracked_changes_are_read_as_accepted(tmp_path: Path) -> None:
    # A draft with its changes tracked: S2 moved after S1 (w:moveFrom where it was,
    # w:moveTo where it is), and a URL corrected (w:del, w:ins).
    moved = _t("S2. Council minutes http://www.example.org/minutes.pdf")
    body = _HEAD + "".join([
        _p('<w:moveFrom w:id="1" w:author="A">', moved, "</w:moveFrom>"),
        _p(_t("S1. Report http://www.example.org/"),
           '<w:del w:id="2" w:author="A"><w:r><w:delText>draft</w:delText></w:r></w:del>',
           '<w:ins w:id="3" w:author="A">', _t("final"), "</w:ins>", _t(".pdf")),
        _p('<w:moveTo w:id="4" w:author="A">', moved, "</w:moveTo>"),
    ])
    assert _sources(_docx(tmp_path, body)) == {
        "S1": ["http://www.example.org/final.pdf"],
        "S2": ["http://www.example.org/minutes.pdf"]}


def test_docx_hidden_text_is_not_read(tmp_path: Path) -> None:
    # Hidden text (Font > Hidden, w:vanish) is neither shown nor printed.
    def hidden(text: str, props: str = "<w:vanish/>") -> str:
        return f'<w:r><w:rPr>{props}</w:rPr><w:t xml:space="preserve">{text}</w:t></w:r>'

    rel = ('<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/'
           '2006/relationships/hyperlink" Target="http://www.example.org/hidden-link" '
           'TargetMode="External"/>')
    body = _HEAD + "".join([
        _p(_t("S1 Report http://www.example.org/"), hidden("old/"), _t("new.pdf")),
        _p(hidden("S2 Draft note http://www.example.org/draft-only")),
        _p(_t("S2 Letter "), '<w:hyperlink r:id="rId9">', hidden("link"), "</w:hyperlink>"),
        # Shown: hidden switched off, or hidden only before a tracked formatting change,
        # or only the paragraph mark hidden.
        _p(_t("S3 Data "), hidden("http://www.example.org/shown", '<w:vanish w:val="0"/>')),
        _p('<w:pPr><w:rPr><w:vanish/></w:rPr></w:pPr>', _t("S4 Minutes "),
           hidden("http://www.example.org/minutes",
                  '<w:rPrChange w:id="1" w:author="A"><w:rPr><w:vanish/></w:rPr>'
                  "</w:rPrChange>")),
    ])
    assert _sources(_docx(tmp_path, body, rel)) == {
        "S1": ["http://www.example.org/new.pdf"], "S2": [],
        "S3": ["http://www.example.org/shown"], "S4": ["http://www.example.org/minutes"]}


_W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def _with_parts(path: Path, numbering: str = "", styles: str = "") -> Path:
    """The document given Word's lists (numbering.xml) and styles (styles.xml)."""
    with zipfile.ZipFile(path, "a") as archive:
        if numbering:
            archive.writestr("word/numbering.xml",
                             f"<w:numbering {_W_NS}>{numbering}</w:numbering>")
        if styles:
            archive.writestr("word/styles.xml", f"<w:styles {_W_NS}>{styles}</w:styles>")
    return path


def _list(number: int, *levels: tuple[str, str], start: int = 1) -> str:
    """An abstract list definition: each level's format and label (`%1.`)."""
    return (f'<w:abstractNum w:abstractNumId="{number}">' + "".join(
        f'<w:lvl w:ilvl="{level}"><w:start w:val="{start}"/><w:numFmt w:val="{kind}"/>'
        f'<w:lvlText w:val="{label}"/></w:lvl>' for level, (kind, label) in enumerate(levels))
        + "</w:abstractNum>")


def _num(num_id: int, abstract: int, start_over: int | None = None) -> str:
    override = ("" if start_over is None else
                f'<w:lvlOverride w:ilvl="0"><w:startOverride w:val="{start_over}"/>'
                "</w:lvlOverride>")
    return f'<w:num w:numId="{num_id}"><w:abstractNumId w:val="{abstract}"/>{override}</w:num>'


def _item(text: str, num_id: int = 1, level: int = 0) -> str:
    """A paragraph Word numbers: its number is not in its text."""
    return (f'<w:p><w:pPr><w:pStyle w:val="ListParagraph"/><w:numPr><w:ilvl w:val="{level}"/>'
            f'<w:numId w:val="{num_id}"/></w:numPr></w:pPr>{_t(text)}</w:p>')


def _entries(path: Path) -> list[tuple[str, str, list[str]]]:
    loaded = loads_cleanly(extract(path).to_yaml())
    return [(s.id, s.title, [u.url for u in s.urls]) for s in loaded.case.sources]


def test_docx_numbered_list_gives_a_source_per_item(tmp_path: Path) -> None:
    # Word's numbered list (Home > Numbering): the numbers come from numbering.xml.
    body = _HEAD + "".join([
        _item("Environment Agency report (2014) http://www.example.org/a.pdf"),
        _item("Letter from the Director"),
        _item("Parliamentary briefing http://www.example.org/briefing")])
    path = _with_parts(_docx(tmp_path, body),
                       _list(0, ("decimal", "%1.")) + _num(1, 0))
    assert _entries(path) == [
        ("1", "Environment Agency report (2014)", ["http://www.example.org/a.pdf"]),
        ("2", "Letter from the Director", []),
        ("3", "Parliamentary briefing", ["http://www.example.org/briefing"])]
    assert "not numbered in the document" not in extract(path).to_yaml()


@pytest.mark.parametrize(("kind", "label", "ids"), [
    ("lowerLetter", "%1)", ["a", "b", "c"]),
    ("upperLetter", "%1.", ["A", "B", "C"]),
    ("lowerRoman", "(%1)", ["(i)", "(ii)", "(iii)"]),
    ("upperRoman", "%1.", ["I", "II", "III"]),
    ("decimal", "[%1]", ["[1]", "[2]", "[3]"]),
    ("decimal", "S%1.", ["S1", "S2", "S3"]),
])
def test_docx_list_ids_are_those_word_shows(tmp_path: Path, kind: str, label: str,
                                            ids: list[str]) -> None:
    body = _HEAD + "".join(_item(f"Report {n} http://www.example.org/{n}") for n in "123")
    path = _with_parts(_docx(tmp_path, body), _list(0, (kind, label)) + _num(1, 0))
    assert _entries(path) == [(ids[n], f"Report {n + 1}", [f"http://www.example.org/{n + 1}"])
                              for n in range(3)]


def test_docx_list_restarted_and_continued_as_word_counts(tmp_path: Path) -> None:
    # Section 3 and 5 are lists of one definition: section 5's list restarts at 1 (Restart
    # Numbering: w:startOverride); a list of the same definition without it continues.
    body = "".join([
        _p(_t("Title of case study: T")), _p(_t("3. References to the research")),
        _item("Smith (2010) Water http://www.example.org/r1"),
        _item("Jones (2011) Rivers http://www.example.org/r2"),
        _p(_t("4. Details of the impact")), _p(_t("The research changed policy.")),
        _p(_t("5. Sources to corroborate the impact")),
        _item("Report http://www.example.org/s1", num_id=2),
        _item("Minutes http://www.example.org/s2", num_id=2),
        _p(_t("(a copy is held by the university)")),
        _item("Letter from the Director", num_id=3)])
    path = _with_parts(_docx(tmp_path, body), _list(0, ("decimal", "%1.")) + _num(1, 0)
                       + _num(2, 0, start_over=1) + _num(3, 0))
    loaded = loads_cleanly(extract(path).to_yaml())
    assert [(s.kind, s.id) for s in loaded.case.sources] == [
        ("source", "1"), ("source", "2"), ("source", "3"),
        ("reference", "1"), ("reference", "2")]
    assert loaded.case.sources[1].title == "Minutes (a copy is held by the university)"


def test_docx_nested_list_levels(tmp_path: Path) -> None:
    # A level restarts when the level above it advances: 1, 1.1, 1.2, 2, 2.1.
    body = _HEAD + "".join([
        _item("Government reports"),
        _item("Report one http://www.example.org/1-1", level=1),
        _item("Report two http://www.example.org/1-2", level=1),
        _item("Press"),
        _item("Article http://www.example.org/2-1", level=1)])
    path = _with_parts(_docx(tmp_path, body),
                       _list(0, ("decimal", "%1."), ("decimal", "%1.%2")) + _num(1, 0))
    assert [(entry[0], entry[1]) for entry in _entries(path)] == [
        ("1", "Government reports"), ("1.1", "Report one"), ("1.2", "Report two"),
        ("2", "Press"), ("2.1", "Article")]


def test_docx_bulleted_list_gives_a_source_per_bullet(tmp_path: Path) -> None:
    # Word's bullets are a symbol font's character (U+F0B7 in Symbol).
    body = _HEAD + "".join([
        _item("Environment Agency report http://www.example.org/a.pdf"),
        _item("Letter from the Director"),
        _item("Briefing http://www.example.org/b")])
    path = _with_parts(_docx(tmp_path, body), _list(0, ("bullet", "\uf0b7")) + _num(1, 0))
    assert _entries(path) == [
        ("1", "Environment Agency report", ["http://www.example.org/a.pdf"]),
        ("2", "Letter from the Director", []), ("3", "Briefing", ["http://www.example.org/b"])]


def test_docx_list_numbered_through_its_style(tmp_path: Path) -> None:
    # The "List Number" style numbers its paragraphs; a paragraph may take it off (numId 0).
    styles = ('<w:style w:type="paragraph" w:default="1" w:styleId="Normal"/>'
              '<w:style w:type="paragraph" w:styleId="ListNumber"><w:basedOn w:val="Normal"/>'
              '<w:pPr><w:numPr><w:numId w:val="4"/></w:numPr></w:pPr></w:style>'
              '<w:style w:type="paragraph" w:styleId="Sources"><w:basedOn w:val='
              '"ListNumber"/></w:style>')

    def styled(text: str, style: str = "ListNumber", props: str = "") -> str:
        return f'<w:p><w:pPr><w:pStyle w:val="{style}"/>{props}</w:pPr>{_t(text)}</w:p>'

    body = _HEAD + "".join([
        styled("Report http://www.example.org/one"),
        styled("(the summary is on page 4)", props='<w:numPr><w:numId w:val="0"/></w:numPr>'),
        styled("Minutes http://www.example.org/two", style="Sources")])
    path = _with_parts(_docx(tmp_path, body), _list(7, ("decimal", "%1.")) + _num(4, 7),
                       styles)
    assert _entries(path) == [
        ("1", "Report (the summary is on page 4)", ["http://www.example.org/one"]),
        ("2", "Minutes", ["http://www.example.org/two"])]


def test_docx_list_without_numbering_part_keeps_the_typed_ids(tmp_path: Path) -> None:
    # A w:numPr whose list is not defined (no numbering.xml) shows no number in Word.
    body = _HEAD + _item("S1. Report http://www.example.org/one") + _item(
        "S2. Minutes http://www.example.org/two")
    assert _entries(_docx(tmp_path, body)) == [
        ("S1", "Report", ["http://www.example.org/one"]),
        ("S2", "Minutes", ["http://www.example.org/two"])]


def test_docx_text_hidden_through_its_style_is_not_read(tmp_path: Path) -> None:
    # A character style or a paragraph style with Font > Hidden hides its text too.
    styles = ('<w:style w:type="character" w:styleId="Hide"><w:rPr><w:vanish/></w:rPr>'
              '</w:style><w:style w:type="character" w:styleId="Note"><w:basedOn w:val='
              '"Hide"/></w:style><w:style w:type="paragraph" w:styleId="Draft"><w:rPr>'
              "<w:vanish/></w:rPr></w:style>")

    def styled(text: str, style: str, props: str = "") -> str:
        return (f'<w:r><w:rPr><w:rStyle w:val="{style}"/>{props}</w:rPr>'
                f'<w:t xml:space="preserve">{text}</w:t></w:r>')

    body = _HEAD + "".join([
        _p(_t("S1 Report http://www.example.org/"), styled("old/", "Hide"), _t("new.pdf")),
        '<w:p><w:pPr><w:pStyle w:val="Draft"/></w:pPr>'
        + _t("S2 Draft note http://www.example.org/draft-only") + "</w:p>",
        _p(_t("S2 Minutes http://www.example.org/minutes"), styled(".old", "Note")),
        # Shown: the run's own formatting says it is not hidden.
        _p(_t("S3 Data "), styled("http://www.example.org/shown", "Hide",
                                  '<w:vanish w:val="0"/>')),
    ])
    path = _with_parts(_docx(tmp_path, body), styles=styles)
    assert _sources(path) == {"S1": ["http://www.example.org/new.pdf"],
                              "S2": ["http://www.example.org/minutes"],
                              "S3": ["http://www.example.org/shown"]}


def test_docx_non_breaking_hyphen_is_a_hyphen(tmp_path: Path) -> None:
    body = _HEAD + _p(_t("S1. Annual report http://www.example.org/annual"),
                      "<w:r><w:noBreakHyphen/></w:r>", _t("report"),
                      "<w:r><w:softHyphen/></w:r>", _t("2012.pdf"))
    assert _sources(_docx(tmp_path, body)) == {
        "S1": ["http://www.example.org/annual-report2012.pdf"]}


def _ole(*streams: str) -> bytes:
    """An OLE compound file's start and its directory's stream names (UTF-16)."""
    return (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
            + b"".join(name.encode("utf-16-le") + bytes(64 - 2 * len(name)) for name in streams))


def _zip(*members: tuple[str, str]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for member, text in members:
            archive.writestr(member, text)
    return out.getvalue()


@pytest.mark.parametrize(("name", "data", "message"), [
    ("draft.doc", _ole("Root Entry", "WordDocument", "1Table"),
     "draft.doc: a Word 97-2003 document (.doc), which refcheck does not read; open it in "
     "Word and save it as .docx"),
    ("locked.docx", _ole("Root Entry", "EncryptionInfo", "EncryptedPackage"),
     "locked.docx: the Word document is protected with a password"),
    ("draft.rtf", b"{\\rtf1\\ansi 5. Sources to corroborate the impact\\par}",
     "draft.rtf: a Rich Text (RTF) file, which refcheck does not read"),
    ("saved-as.doc", b"{\\rtf1\\ansi\\deff0 text}",
     "saved-as.doc: a Rich Text (RTF) file"),
    ("draft.odt", _zip(("mimetype", "application/vnd.oasis.opendocument.text"),
                       ("content.xml", "<office:document-content/>")),
     "draft.odt: an OpenDocument file (LibreOffice, OpenOffice), which refcheck does not "
     "read; open it in LibreOffice or Word and save it as Word (.docx)"),
    ("draft.pages", _zip(("Index/Document.iwa", ""), ("Metadata/Properties.plist", "")),
     "draft.pages: a Pages document, which refcheck does not read; in Pages choose "
     "File > Export To > Word"),
])
def test_other_word_processors_files_are_named_with_what_to_do(
        tmp_path: Path, name: str, data: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(ExtractionError) as caught:
        extract(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)


def test_docx_footnote_is_read_with_the_source_that_refers_to_it(tmp_path: Path) -> None:
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    r = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    footnotes = (f"<w:footnotes {w} {r}>"
                 '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r>'
                 "</w:p></w:footnote>"
                 f'<w:footnote w:id="1"><w:p>{_t("See the details.")}</w:p></w:footnote>'
                 f'<w:footnote w:id="2"><w:p>{_t(" http://www.parliament.uk/report.pdf")}'
                 "</w:p></w:footnote>"
                 f'<w:footnote w:id="3"><w:p>{_t(" Agenda item 4, ")}<w:hyperlink r:id="rId1">'
                 f'{_t("the minutes")}</w:hyperlink></w:p></w:footnote></w:footnotes>')
    note_rels = ('<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                 'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats'
                 '.org/officeDocument/2006/relationships/hyperlink" Target="http://www.'
                 'example.org/minutes.pdf" TargetMode="External"/></Relationships>')

    def note(number: int) -> str:
        return f'<w:r><w:footnoteReference w:id="{number}"/></w:r>'

    body = "".join([
        _p(_t("Title of case study: T")), _p(_t("4. Details of the impact")),
        _p(_t("The committee took up the research."), note(1)),
        _p(_t("5. Sources to corroborate the impact")),
        _p(_t("S1. Report of the Select Committee (2012)."), note(2)),
        _p(_t("S2. Minutes of the council meeting"), note(3)),
        _p(_t("S3. Letter from the Director of Public Health")),
    ])
    path = _docx(tmp_path, body)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("word/footnotes.xml", footnotes)
        archive.writestr("word/_rels/footnotes.xml.rels", note_rels)
    loaded = loads_cleanly(extract(path).to_yaml())
    assert [(s.id, s.title, [u.url for u in s.urls]) for s in loaded.case.sources] == [
        ("S1", "Report of the Select Committee (2012).", ["http://www.parliament.uk/report.pdf"]),
        ("S2", "Minutes of the council meeting Agenda item 4, the minutes",
         ["http://www.example.org/minutes.pdf"]),
        ("S3", "Letter from the Director of Public Health", [])]


def test_docx_saved_as_strict_open_xml(tmp_path: Path) -> None:
    # Word's Save As "Strict Open XML Document (*.docx)": other namespaces, same elements.
    rel = ('<Relationship Id="rId4" Type="http://purl.oclc.org/ooxml/officeDocument/'
           'relationships/hyperlink" Target="http://www.example.org/minutes.pdf" '
           'TargetMode="External"/>')
    body = _HEAD + _p(_t("S1. Report http://www.example.org/report.pdf")) + _p(
        _t("S2. Council "), '<w:hyperlink r:id="rId4">', _t("minutes"), "</w:hyperlink>")
    path = _docx(tmp_path, body, rel)
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data.replace(
                b"schemas.openxmlformats.org/wordprocessingml/2006/main",
                b"purl.oclc.org/ooxml/wordprocessingml/main").replace(
                b"schemas.openxmlformats.org/officeDocument/2006/relationships",
                b"purl.oclc.org/ooxml/officeDocument/relationships"))
    assert _sources(path) == {"S1": ["http://www.example.org/report.pdf"],
                              "S2": ["http://www.example.org/minutes.pdf"]}


_WEB_PAGE = """\
<html xmlns:o="urn:schemas-microsoft-com:office:office"
xmlns:w="urn:schemas-microsoft-com:office:word">
<head><meta http-equiv=Content-Type content="text/html; charset={charset}">
<title>Case study</title><style><!-- p.MsoNormal {{margin:0cm}} --></style>
<!--[if gte mso 9]><xml><w:WordDocument></w:WordDocument></xml><![endif]--></head>
<body lang=EN-GB><div class=WordSection1>
<p class=MsoNormal><b>Title of case study:</b> Better water for all</p>
<p class=MsoNormal><b>5. Sources to corroborate the
impact</b></p>
<p class=MsoListParagraph><![if !supportLists]><span>1.<span>&nbsp;&nbsp; </span></span>
<![endif]>Environment Agency report (2014): <a
href="http://www.example.org/a.pdf?x=1&amp;y=2">http://www.example.org/a.pdf?x=1&amp;y=2</a></p>
<p class=MsoListParagraph>2.&nbsp; <a href="http://www.example.org/briefing">Parliamentary
briefing</a> &#8211; caf\u00e9 <span style='display:none;mso-hide:all'>http://old.example.org/
</span></p>
<ol start=3><li>Letter from the Director</li></ol>
</div></body></html>
"""


def _mhtml(page: str) -> bytes:
    body = quopri.encodestring(page.encode("utf-8")).decode("ascii")
    return ('MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary="----=_Part"\r\n'
            "\r\nThis document is a Single File Web Page.\r\n\r\n------=_Part\r\n"
            "Content-Location: file:///C:/case.htm\r\n"
            "Content-Transfer-Encoding: quoted-printable\r\n"
            'Content-Type: text/html; charset="utf-8"\r\n\r\n'
            f"{body}\r\n------=_Part--\r\n").encode("ascii")


@pytest.mark.parametrize(("name", "data"), [
    ("case.htm", _WEB_PAGE.format(charset="windows-1252").encode("cp1252")),
    # Word's "Web Page" kept under the name it had: not a Word document.
    ("case.doc", _WEB_PAGE.format(charset="utf-8").encode("utf-8")),
    ("case.mht", _mhtml(_WEB_PAGE.format(charset="utf-8"))),
])
def test_a_case_study_saved_as_a_web_page_is_read(tmp_path: Path, name: str,
                                                  data: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    loaded = loads_cleanly(extract(path).to_yaml())
    assert loaded.case.title == "Better water for all"
    # Text Word hid (display:none) is not read: it is not on the page.
    assert [(s.id, s.title, [u.url for u in s.urls]) for s in loaded.case.sources] == [
        ("1", "Environment Agency report (2014)", ["http://www.example.org/a.pdf?x=1&y=2"]),
        ("2", "Parliamentary briefing \u2013 caf\u00e9", ["http://www.example.org/briefing"]),
        ("3", "Letter from the Director", [])]


def test_a_web_page_that_leaves_its_tags_open_is_read_in_one_pass(tmp_path: Path) -> None:
    """200 KB of `<x<x<x…` after the page (a damaged file; a hostile one) cost Python's
    parser minutes, read from each `<` to the end; it is not on the page, and the case
    study is read as it is without it."""
    from tests.test_hostile import _within

    path = tmp_path / "case.htm"
    path.write_text(_WEB_PAGE.format(charset="utf-8") + "<x" * 100_000, "utf-8")
    loaded = loads_cleanly(_within(30, lambda: extract(path)).to_yaml())
    assert [s.id for s in loaded.case.sources] == ["1", "2", "3"]


def test_a_web_page_the_parser_cannot_make_out_is_a_message(tmp_path: Path) -> None:
    path = tmp_path / "case.html"
    path.write_text("<html><body><![ if ]>5. Sources to corroborate the impact", "utf-8")
    with pytest.raises(ExtractionError, match=r"case\.html: the web page's HTML is damaged"):
        extract(path)


def test_docx_that_is_not_a_zip_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "draft.docx"
    path.write_bytes(b"Title of case study: text saved with the wrong name\n")
    with pytest.raises(ExtractionError, match=r"draft\.docx: not a \.docx \(not a zip file\)"):
        extract(path)


def test_pdf_from_its_text_layer(tmp_path: Path) -> None:
    path = tmp_path / "case.pdf"
    path.write_bytes(make_pdf([
        "Impact case study (REF3b)", "Institution: University of Essex",
        "Title of case study: Changing how poverty is measured",
        "5. Sources to corroborate the impact",
        "[4] Cabinet Office (2010) State of the nation. See Figure 1.3.",
        "http://umbr4.cabinetoffice.gov.uk/media/410872/web-poverty-report.pdf",
    ]))
    extraction = extract(path)
    (source,) = extraction.sources
    assert source.id == "[4]" and source.title.startswith("Cabinet Office (2010) State")
    (url,) = source.urls
    assert url.url.endswith("/410872/web-poverty-report.pdf")
    assert (url.place.page, url.place.line) == (1, 6)
    assert str(url.place) == "page 1, line 6"
    loads_cleanly(extraction.to_yaml())


def test_pdf_url_wrapped_over_a_page_break(tmp_path: Path) -> None:
    path = tmp_path / "case.pdf"
    path.write_bytes(make_pdf([
        "Impact case study (REF3b)", "Title of case study: Changing how poverty is measured",
        "5. Sources to corroborate the impact",
        "[1] Cabinet Office (2010) State of the nation. http://www.example.org/reports/",
        "[2] Scotsman article, 2005. http://www.scotsman.com/news/sci-tech/counting-on-",
    ], more_pages=[["Impact case study (REF3b)", "Page 2",
                    "squirrels-for-help-1-671374 (the local press)",
                    "[3] Met Office http://www.metoffice.gov.uk/services"]]))
    assert _sources(path) == {
        "[1]": ["http://www.example.org/reports/"],
        "[2]": ["http://www.scotsman.com/news/sci-tech/counting-on-squirrels-for-help-1-671374"],
        "[3]": ["http://www.metoffice.gov.uk/services"]}


def sources_titles(path: Path) -> list[str]:
    return [s.title for s in loads_cleanly(extract(path).to_yaml()).case.sources]


def test_pdf_paragraphs_set_apart_by_space_are_a_source_each(tmp_path: Path) -> None:
    # No ids, no blank lines: Word's space after each paragraph sets the sources apart,
    # and a page break ends one where its last line stops short of the margin.
    path = tmp_path / "case.pdf"
    path.write_bytes(make_pdf([
        "Impact case study (REF3b)", "Title of case study: Changing how poverty is measured",
        "5. Sources to corroborate the impact",
        "Letter from the Director of Policy, Child Poverty Action Group, confirming the",
        "use of the measures in its briefings to ministers, 2012.",
        "Cabinet Office (2010) State of the nation report: poverty, worklessness and",
        "welfare dependency in the UK. http://www.example.org/state-of-the-nation.pdf",
        "Department for Work and Pensions, Households Below Average Income 2011, the",
        "series that adopted the measure (2012).",
        "Guardian, 2 May 2012: a leading article on the measure, its critics and the",
    ], space_before=frozenset({1, 3, 5, 7, 9}), more_pages=[[
        # A paragraph goes on past the page's head and number, however far apart.
        "Impact case study (REF3b)", "Page 2", "reply of the government.",
        "BBC News, 4 May 2012, reporting the measure and its use by the Treasury in its",
        "budget statement http://www.bbc.co.uk/news/uk-123",
        "Hansard, HC Deb 4 May 2012, col. 12, the minister's statement on the measure",
    ]]))
    loaded = loads_cleanly(extract(path).to_yaml())
    sources = [(s.title[:20], [u.url for u in s.urls]) for s in loaded.case.sources]
    assert sources == [
        ("Letter from the Dire", []),
        ("Cabinet Office (2010", ["http://www.example.org/state-of-the-nation.pdf"]),
        ("Department for Work ", []),
        ("Guardian, 2 May 2012", []),
        ("BBC News, 4 May 2012", ["http://www.bbc.co.uk/news/uk-123"]),
        ("Hansard, HC Deb 4 Ma", []),
    ]
    assert sources_titles(path)[3].endswith("its critics and the reply of the government.")


def test_pdf_text_map_giving_half_a_character_still_gives_a_case_file(tmp_path: Path) -> None:
    # A broken ToUnicode map: pypdf gives half a UTF-16 pair (a lone surrogate) for a glyph.
    path = tmp_path / "case.pdf"
    path.write_bytes(make_pdf([
        "Title of case study: Cleaner rivers ~ for all",
        "5. Sources to corroborate the impact",
        "1. Environment Agency report ~ (2014), http://www.example.org/a.pdf",
        "2. Another report of the evaluation, http://www.example.org/b.pdf",
    ], to_unicode={"~": "D83D"}))
    loaded = loads_cleanly(extract(path).to_yaml())
    assert loaded.case.title == "Cleaner rivers \ufffd for all"
    assert [(s.title, s.urls[0].url) for s in loaded.case.sources] == [
        ("Environment Agency report \ufffd (2014)", "http://www.example.org/a.pdf"),
        ("Another report of the evaluation", "http://www.example.org/b.pdf")]


def test_pdf_ligatures_inside_a_url_are_read_as_their_letters(tmp_path: Path) -> None:
    # A typesetter joins f-i and f-l into one glyph; the PDF's text map gives U+FB01/U+FB02,
    # which no URL holds: requested as printed, the address is another one.
    path = tmp_path / "case.pdf"
    path.write_bytes(make_pdf([
        "Title of case study: Cleaner rivers",
        "5. Sources to corroborate the impact",
        "1. Environment Agency pro~le, http://www.example.org/pro~les/over^ow.pdf",
    ], to_unicode={"~": "FB01", "^": "FB02"}))
    extraction = extract(path)
    loaded = loads_cleanly(extraction.to_yaml())
    assert [u.url for u in loaded.case.sources[0].urls] == [
        "http://www.example.org/profiles/overflow.pdf"]
    assert "printed (page 1, line 3): http://www.example.org/pro\ufb01les/over\ufb02ow.pdf" \
        in extraction.to_yaml()


def test_pdf_bullet_on_a_line_of_its_own_starts_a_source(tmp_path: Path) -> None:
    # A bullet set a point or two off its text's baseline is a line of its own in the text
    # layer; each still starts a source, not a `•` at the end of the one before.
    path = tmp_path / "case.pdf"
    path.write_bytes(make_pdf([
        "Title of case study: Cleaner rivers",
        "5. Sources to corroborate the impact",
        "~", "Letter from the Director of Public Health",
        "~", "Environment Agency report, http://www.example.org/a.pdf",
        "~", "Briefing http://www.example.org/b",
    ], to_unicode={"~": "2022"}))
    loaded = loads_cleanly(extract(path).to_yaml())
    assert [(s.id, s.title, [u.url for u in s.urls]) for s in loaded.case.sources] == [
        ("1", "Letter from the Director of Public Health", []),
        ("2", "Environment Agency report", ["http://www.example.org/a.pdf"]),
        ("3", "Briefing", ["http://www.example.org/b"])]


def test_pdf_url_cut_at_a_columns_edge_is_joined(tmp_path: Path) -> None:
    # A page of two columns: the left column's lines run to its own edge, far short of the
    # page's, and a URL cut there goes on on the next line.
    path = tmp_path / "case.pdf"
    path.write_bytes(make_pdf([
        "Title of case study: Cleaner rivers for all",
        "5. Sources to corroborate the impact",
        "1. Environment Agency, plan for the rivers of",
        "England, http://www.example.org/reports/plans",
        "forrivers2014.pdf",
        "2. Letter from the Director of Public Health",
    ], column=[
        "3. Briefing of the House of Commons Library on",
        "the state of the rivers and lakes of England,",
        "http://www.example.org/briefings/rivers.html",
        "4. Hansard, HC Deb 4 May 2012, col 12, on the",
        "rivers of England and the agency's report of",
    ]))
    loaded = loads_cleanly(extract(path).to_yaml())
    assert [(s.id, s.title, [u.url for u in s.urls]) for s in loaded.case.sources] == [
        ("1", "Environment Agency, plan for the rivers of England",
         ["http://www.example.org/reports/plansforrivers2014.pdf"]),
        ("2", "Letter from the Director of Public Health", []),
        ("3", "Briefing of the House of Commons Library on the state of the rivers and lakes "
         "of England", ["http://www.example.org/briefings/rivers.html"]),
        ("4", "Hansard, HC Deb 4 May 2012, col 12, on the rivers of England and the "
         "agency\u2019s report of", [])]


def test_encrypted_pdf_is_refused(tmp_path: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(["5. Sources"]))))
    writer.encrypt("secret", algorithm="RC4-128")
    path = tmp_path / "locked.pdf"
    with path.open("wb") as stream:
        writer.write(stream)
    with pytest.raises(ExtractionError, match=r"locked\.pdf: the PDF is encrypted"):
        extract(path)


def test_scanned_pdf_without_text_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(make_pdf([]))
    with pytest.raises(ExtractionError, match=r"scan\.pdf: the PDF has no text layer"):
        extract(path)


def test_corrupt_pdf_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(make_pdf(["5. Sources"])[:120])
    with pytest.raises(ExtractionError, match=r"broken\.pdf: "):
        extract(path)


def test_document_without_section_5_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("Title of case study: Notes\n1. Summary of the impact\nSome text.\n",
                    encoding="utf-8")
    with pytest.raises(ExtractionError, match=r"notes\.txt: no section 5"):
        extract(path)


@pytest.mark.parametrize("heading", [
    ["Section 5 \u2013 Sources to corroborate the impact"],
    ["5 - Sources to corroborate the impact"],
    ["5. Sources to corroborate impact"],
    ["\u2022 5. Sources to corroborate the impact"],
    ["- 5. Sources to corroborate the impact"],
    ["5. Sources to corroborate the", "impact"],
    ["5. Sources to corroborate the impact (indicative maximum of 10", "references)"],
    ["5. Sources to corroborate the impact (indicative maximum of 10 references)"],
])
def test_section_5_headings_as_people_write_them(tmp_path: Path, heading: list[str]) -> None:
    path = tmp_path / "case.txt"
    path.write_text("\n".join(["Title of case study: T", *heading,
                               "1. Report http://www.example.org/report.pdf",
                               "2. Letter from the Director"]), encoding="utf-8")
    assert [(s.id, s.title) for s in extract(path).sources] == [
        ("1", "Report"), ("2", "Letter from the Director")]


def test_dashed_headings_keep_section_4_out_of_the_references(tmp_path: Path) -> None:
    path = tmp_path / "case.txt"
    path.write_text("\n".join([
        "Title of case study: T", "Section 3 \u2013 References to the research",
        "1. Smith (2012) Water. http://www.example.org/paper",
        "Section 4 \u2013 Details of the impact", "The agency's plan http://www.example.org/plan",
        "Section 5 \u2013 Sources to corroborate the impact",
        "1. Report http://www.example.org/report.pdf"]), encoding="utf-8")
    extraction = extract(path)
    assert [u.url for r in extraction.references for u in r.urls] == [
        "http://www.example.org/paper"]
    assert [u.url for s in extraction.sources for u in s.urls] == [
        "http://www.example.org/report.pdf"]


def test_one_record_as_a_json_file(tmp_path: Path) -> None:
    record = json.loads(RECORDS.read_text(encoding="utf-8").splitlines()[0])
    path = tmp_path / "597.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    extraction = extract(path)
    loaded = loads_cleanly(extraction.to_yaml())
    assert loaded.case.id == "597" and loaded.case.institution == "University of Kent"
    urls = [u.url for s in loaded.case.sources for u in s.urls]
    assert ("http://www.paralympic.org/press-release/latest-testing-methods-result-suspension-"
            "two-russian-powerlifters-anti-doping") in urls
    assert "http://www.sciencedirect.com/science/publication?issn=10966374&volume=19&issue=4" \
        in urls
    refs = [s for s in loaded.case.sources if s.kind == "reference"]
    assert "10.1093/biostatistics/2.4.417" in {r.doi for r in refs}


def test_record_without_sources_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text('{"id": "7", "title": "T", "references": ""}', encoding="utf-8")
    with pytest.raises(ExtractionError, match=r"r\.json: record 7 has no `sources`"):
        extract(path)


def test_records_file_gzipped_with_a_bad_line(tmp_path: Path) -> None:
    lines = RECORDS.read_text(encoding="utf-8").splitlines()
    path = tmp_path / "records.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as stream:
        stream.write(lines[0] + "\nnot json\n" + lines[1] + "\n")
    results = list(extract_records(path))
    assert [r.ok for r in results] == [True, False, True]
    assert results[1].error is not None and results[1].error.startswith(f"{path}:2: not JSON")
    for result in results:
        if result.extraction is not None:
            loads_cleanly(result.extraction.to_yaml())


@pytest.mark.parametrize(("printed", "title", "institution"), [
    # pdfs/52: the label without a colon, the title after a blank line.
    (["Impact case study (REF3b)", "Institution: The University of Oxford", "",
      "Unit of Assessment: 2", "", "Title of case study", "",
      "SHAPING INTERNATIONAL AND UK TOBACCO POLICY AND PRACTICE", "", "Summary of the impact"],
     "SHAPING INTERNATIONAL AND UK TOBACCO POLICY AND PRACTICE", "The University of Oxford"),
    # pdfs/64: each value on the line after its label.
    (["Impact case study (REF3b)", "Institution:", "University of Cambridge",
      "Unit of Assessment:", "UoA2", "Title of case study:",
      "The epidemiology and promotion of physical activity",
      "1. Summary of the impact (indicative maximum 100 words)"],
     "The epidemiology and promotion of physical activity", "University of Cambridge"),
    # pdfs/46: no title label; the title alone between the fields and section 1.
    (["Impact case study (REF3b)", "Institution: The University of Edinburgh",
      "Unit of Assessment: 23 Sociology",
      "6: Nationalism and National Identity: Informing Political Life",
      "1. Summary of the impact"],
     "6: Nationalism and National Identity: Informing Political Life",
     "The University of Edinburgh"),
])
def test_title_and_institution_in_the_templates_variants(
        tmp_path: Path, printed: list[str], title: str, institution: str) -> None:
    path = tmp_path / "case.txt"
    path.write_text("\n".join([*printed, "Some text.", "5. Sources to corroborate the impact",
                               "1. http://www.example.org/report.pdf"]), encoding="utf-8")
    extraction = extract(path)
    assert (extraction.title, extraction.institution) == (title, institution)
