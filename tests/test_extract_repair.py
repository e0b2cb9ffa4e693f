"""URL recovery, rule by rule, on real fragments of the shared corpus
(tests/fixtures/extract/fragments.txt): each test names the damage it pins."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from refcheck.extract import finder, repair
from refcheck.extract.document import Document, Link, Place
from refcheck.extract.engine import _Pool, _reconcile, comparable
from refcheck.extract.model import ExtractedUrl
from refcheck.extract.text import from_text

FRAGMENTS = Path(__file__).parent / "fixtures" / "extract" / "fragments.txt"


@cache
def _blocks() -> dict[str, str]:
    text = FRAGMENTS.read_text(encoding="utf-8")
    out = {}
    for block in re.split(r"^== ", text, flags=re.MULTILINE)[1:]:
        head, _, body = block.partition("\n")
        out[head.split("|")[0].strip()] = body
    return out


def fragment(name: str) -> Document:
    return from_text(_blocks()[name], name)


def found(name: str) -> list[finder.Found]:
    return finder.find(fragment(name).lines)


def urls(name: str) -> list[str]:
    return [f.url for f in found(name)]


def test_every_rule_is_described() -> None:
    for name, rule in repair.RULES.items():
        assert rule.name == name and rule.damage and rule.repair


def test_wrap_after_the_urls_own_hyphen_keeps_the_hyphen_over_three_lines() -> None:
    (url,) = found("wrap-hyphen-three-lines")
    assert url.url == ("http://www.northernireland.gov.uk/index/media-centre/news-departments/"
                       "news-ofmdfm/news-ofmdfm-march-2012/news-ofmdfm-220312-junior-ministers-"
                       "visit-clooney-family-centre.htm")
    assert url.rules == ("wrap",) and not url.uncertain
    assert len(url.places) == 3 and url.printed.count("\n") == 2


def test_wrap_between_two_letters_joins_when_the_rest_is_a_file_name() -> None:
    assert urls("wrap-between-letters") == [
        "https://www.gov.uk/government/uploads/system/uploads/attachment_data/file/136551/"
        "Improving_outcomes_second_annual_report.pdf"]


def test_wrap_after_a_dot_joins_a_file_extension() -> None:
    assert urls("wrap-after-dot") == [
        "https://www.gov.uk/government/uploads/system/uploads/attachment_data/file/213785/"
        "dh_123394.pdf"]


def test_wrap_inside_angle_brackets_joins_the_piece_that_closes_them() -> None:
    # `<…agricu` / `lture.pdf>`: the `>` does not hide the file name.
    assert urls("wrap-inside-angle-brackets") == [
        "http://downloads.theccc.org.uk.s3.amazonaws.com/0610/pr_supporting_research_SAC_"
        "agriculture.pdf"]


def test_wrap_before_an_underscore_or_a_slash() -> None:
    assert urls("wrap-before-underscore")[0].endswith("/file/200978/low_income_dynamics_1991-"
                                                      "2008.pdf")
    assert urls("wrap-before-slash")[0].endswith("/PublicationsPolicyAndGuidance/DH_094364")


def test_wrap_inside_a_percent_escape() -> None:
    assert urls("wrap-in-escape") == [
        "http://www.csi.edu.au/assets/assetdoc/67877789328ec931/Measuring%20Financial%20"
        "Exclusion%20in%20Austraila%20May%202012.pdf"]


def test_url_ending_a_sentence_does_not_take_the_next_line() -> None:
    assert urls("end-before-sentence") == ["http://progress.unwomen.org/pdfs/EN-Report-Progress.pdf"]
    assert urls("end-before-word") == ["http://www.rip.org.uk/putting-it-into-practice/e-learning"]
    assert urls("end-before-colon-word") == ["http://www.poetrytranslation.org"]


def test_a_short_link_ending_a_sentence_is_not_joined_to_the_next() -> None:
    # The issue's own example: `http://bit.ly/AbC12x.` / `The report ...`.
    lines = from_text("see http://bit.ly/AbC12x.\nThe report was cited", "x").lines
    assert [f.url for f in finder.find(lines)] == ["http://bit.ly/AbC12x"]


def test_a_url_broken_inside_its_scheme_is_found_whole() -> None:
    text = ("Pegg (2012) http://www.jonathanpegg.com/pages/content/index.asp?PageID=255 and htt\n"
            "p://www.example.org/a/report.pdf (cited), the archived http:\n"
            "//www.bbc.co.uk/news and http://webarchive.nationalarchives.gov.uk/+/http:\n"
            "//www.hm-treasury.gov.uk/sternreview_index.htm with h\n"
            "ttps://example.com/x, but not with\n"
            "tp://example.org/y")
    found = finder.find(from_text(text, "x").lines)
    assert [f.url for f in found] == [
        "http://www.jonathanpegg.com/pages/content/index.asp?PageID=255",
        "http://www.example.org/a/report.pdf", "http://www.bbc.co.uk/news",
        "http://webarchive.nationalarchives.gov.uk/+/http://www.hm-treasury.gov.uk/"
        "sternreview_index.htm", "https://example.com/x"]
    assert found[1].printed == "htt\np://www.example.org/a/report.pdf"


def test_geometry_a_line_ending_short_of_the_margin_does_not_continue() -> None:
    url = ("https://www.gov.uk/government/uploads/system/uploads/attachment_data/file/136551/"
           "Improving_o")
    # Measured on pdfs/10: the line runs to the margin (gap 0) and the next begins "utcomes".
    assert repair.continues(url, "utcomes", wrap=True, gap=0.0, lead=40.0) is not None
    # The same text on a line that stops 150 points short: the next word would have fitted.
    assert repair.continues(url, "utcomes", wrap=True, gap=150.0, lead=40.0) is None
    # Without geometry (text, API records), a bare word is not taken.
    assert repair.continues(url, "utcomes", wrap=True) is None


def test_geometry_a_word_cut_at_the_margin_continues_a_slug_a_folder_and_a_number() -> None:
    # A generator that cuts long words at the margin (ReportLab's, Word's for a URL
    # longer than the line) leaves a character or two of 10-point text: 6 to 12 points.
    slug = "http://www.education.gov.uk/speeches/michael-gove-speaks-to-the-ro"
    assert repair.continues(slug, "yal-society-on-maths-and-science.", wrap=True, gap=12.0,
                            lead=198.0) == repair.Join("wrap")
    assert repair.continues("http://www.profpaulharper.com/home/school-o", "utreach",
                            wrap=True, gap=6.0, lead=42.0) is not None
    assert repair.continues("http://www.portraitsoftware.com/products/",
                            "portrait-uplift-optimizer", wrap=True, gap=0.0,
                            lead=150.0) is not None
    assert repair.continues("https://twitter.com/gemgemloulou/status/24143845006104", "5760",
                            wrap=True, gap=0.0, lead=24.0) is not None
    # Short of the margin by more than the next word, or by more than a few of its
    # characters, the line was ended on purpose.
    assert repair.continues("http://www.profpaulharper.com/home/school-o", "utreach",
                            wrap=True, gap=30.0, lead=42.0) is None
    assert repair.continues("http://www.example.org/report/", "state-of-the-art",
                            wrap=True, gap=100.0, lead=80.0) is None
    assert repair.continues("http://www.example.org/report/", "well-known", wrap=True,
                            gap=0.0, lead=50.0) is None
    assert repair.continues("https://twitter.com/x/status/2414", "2013", wrap=True,
                            gap=30.0, lead=24.0) is None


def test_a_url_broken_after_a_slash_as_word_breaks_urls_continues() -> None:
    # Word breaks a long URL after `/`, leaving the line as short as the rest is long.
    assert repair.continues("http://www.theorsociety.com/", "Pages/Awards/Beale.aspx#2011",
                            wrap=True, gap=33.0, lead=154.0) == repair.Join("wrap")
    assert repair.continues("http://youtu.be/", "LnQYJa9-aR0", wrap=True, gap=11.0,
                            lead=60.5) == repair.Join("wrap")
    assert repair.continues("http://www.education.gov.uk/speeches/a00191729/",
                            "michael-gove-speaks-to-the-royal-society", wrap=True, gap=49.5,
                            lead=297.0) is not None
    # Words of the sentence after a URL that ends in `/` are not taken.
    for word in ("and/or", "McDonald", "Pages", "well-known"):
        assert repair.continues("http://www.example.org/", word, wrap=True, gap=11.0,
                                lead=60.0) is None, word


def test_an_archived_url_broken_after_the_archives_prefix_continues() -> None:
    for prefix, rest in (("http://webarchive.nationalarchives.gov.uk/20130129110402/",
                          "http://www.hm-treasury.gov.uk/as2011_documents.htm"),
                         ("http://webarchive.nationalarchives.gov.uk/+/http://",
                          "www.cst.gov.uk/reports/files/report.pdf"),
                         ("http://webarchive.nationalarchives.gov.uk/+/",
                          "http://www.cst.gov.uk/reports/files/report.pdf")):
        lines = from_text(f"Report {prefix}\n{rest} (2011)", "x").lines
        assert [f.url for f in finder.find(lines)] == [prefix + rest]
    # Another URL, or a DOI, after a folder of numbers is a URL of its own.
    lines = from_text("http://eprints.lse.ac.uk/00000283/\nDOI:10.1111/1467-923X.00138",
                      "x").lines
    assert next(f.url for f in finder.find(lines)) == "http://eprints.lse.ac.uk/00000283/"
    lines = from_text("http://www.example.org/\nhttp://www.example.com/", "x").lines
    assert [f.url for f in finder.find(lines)] == ["http://www.example.org/",
                                                   "http://www.example.com/"]


def test_geometry_a_hyphen_break_short_of_the_margin_still_continues() -> None:
    # pdfs/00: Word broke at the URL's hyphen; the rest (181 pt) did not fit in 126 pt.
    assert repair.continues("http://www.cbs.nl/NR/rdonlyres/2FC2BE74-1AF0-462A-9C76-",
                            "9C836EA07655/0/201203x10pub.pdf", wrap=True, gap=126.0,
                            lead=181.0) == repair.Join("wrap")


def test_space_inside_a_url_next_to_a_separator() -> None:
    assert urls("space-after-slash") == [
        "http://www.insidehousing.co.uk/%E2%80%98no-evidence-that-migrants-snatch-social-"
        "housing/1449648.article"]
    (url,) = found("space-after-hyphen")
    assert url.url == "http://www.sussex.ac.uk/economics/documents/wps-46-2012.pdf"
    assert url.rules == ("space",)


def test_ocr_damage_in_the_salford_text() -> None:
    a, d, e, f, *_ = found("salford-sources")
    assert a.url.endswith("/file/66113/121214_Working_with_troubled_families_FINAL_v2.pdf")
    assert "ocr-split" in a.rules and a.uncertain
    assert a.alternative is not None and a.alternative.endswith("/121214Working_with_troubled_"
                                                                "families_FINAL_v2.pdf")
    assert d.url.endswith("%20(8a)%20Think%20family.pdf") and "ocr-split" in d.rules
    assert "lost-underscore" in e.rules and "/pdf_file/0004/" in e.url
    assert f.url.endswith("/cwdcouncil.org.uk/social-care/research-events")
    assert "ocr-pipe" in f.rules and f.uncertain


def test_a_damaged_url_printed_cleanly_elsewhere_is_confirmed() -> None:
    document = fragment("salford-sources")
    pool = _Pool(document)
    _, d, e, f, *_ = found("salford-sources")

    def confirmed(item: finder.Found) -> ExtractedUrl:
        return pool.confirm(ExtractedUrl(item.url, item.printed, item.places, item.rules,
                                         item.uncertain, item.alternative))

    assert confirmed(e).url == ("http://www.childprotectioninquiry.qld.gov.au/__data/assets/"
                                "pdf_file/0004/175999/Boyle_Chris.pdf")
    assert "confirmed" in confirmed(e).rules and not confirmed(e).uncertain
    assert not confirmed(d).uncertain
    # Nothing else in the document prints the CWDC URL: it stays uncertain.
    assert confirmed(f).uncertain


def test_missing_scheme_gets_http() -> None:
    (url,) = found("no-scheme")
    assert url.url == "http://www.evaloc.org.uk" and url.rules == ("no-scheme",)


def test_one_slash_after_the_scheme_is_repaired_but_not_inside_an_archive_url() -> None:
    assert urls("one-slash") == [
        "http://www.sciencedirect.com/science/publication?issn=10966374&volume=19&issue=4"]
    assert urls("one-slash-in-archive") == [
        "http://webarchive.nationalarchives.gov.uk/+/http:/www.cabinetoffice.gov.uk/media/"
        "227102/fair-access.pdf"]


def test_trailing_punctuation_is_the_sentences_not_the_urls() -> None:
    assert urls("trailing") == [
        "http://www.hscic.gov.uk/catalogue/PUB09300",
        "http://neon.vb.cbs.nl/casc/..%5Ccasc%5Cmu.htm",
        "http://neon.vb.cbs.nl/casc/..%5Ccascprivate%5Cdeliverables%5CMUManual4.3.pdf"]


def test_an_encoded_space_after_the_url_is_not_part_of_it() -> None:
    assert [(f.url, f.rules) for f in found("encoded-tail")] == [
        ("http://www.citizensadvice.org.uk/towards_a_business_case_for_legal_aid.pdf",
         ("encoded-tail",)),
        ("http://www.guardian.co.uk/education/2001/jul/10/internationaleducationnews.students",
         ("encoded-tail",)),
        # Quotes the address opens itself are its own.
        ("http://www.gov.uk/government/news/uk-sets-out-%E2%80%98bioenergy-principles%E2%80%99",
         ())]


def test_brackets_around_the_url_go_and_brackets_it_opens_stay() -> None:
    assert urls("brackets") == [
        "http://www.genet.ac.uk",
        "http://www.pewstates.org/uploadedFiles/PCS_Assets/2011/CRITA_FINAL(1).pdf"]


def test_text_glued_behind_is_cut_off() -> None:
    first, second = found("glued-behind")
    assert first.url.endswith("Financial%20Reports%20Complete_v001_p11272.pdf")
    assert "glued" in first.rules and "wrap" in first.rules
    assert second.url == "http://www.cardiff.ac.uk/welsh/resources/LlawlyfrCofrestru2008_cywir.pdf"


def test_text_glued_in_front_is_not_part_of_the_url() -> None:
    assert urls("glued-in-front") == [
        "http://www.allianceforacavityfreefuture.org/Caries/Consumer/en/us/whats-new/pdf/"
        "EU_Chapter_Caries_Fact_Sheet.pdf"]


def test_html_entities_are_decoded() -> None:
    (url,) = found("entities")
    assert url.url == ("http://worldwide.espacenet.com/publicationDetails/biblio?DB=EPODOC&II=4"
                       "&ND=3&adjacent=true&locale=en_EP&FT=D&date=20111117&CC=US"
                       "&NR=2011277746A1&KC=A1")
    assert "entity" in url.rules


def test_invisible_characters_are_removed() -> None:
    printed = "http://www.hscic.gov.uk/cata\u00adlogue/PUB\u200b09300"
    assert repair.clean(printed) == repair.Cleaned("http://www.hscic.gov.uk/catalogue/PUB09300",
                                                   ("invisible",))


def test_search_and_mail_redirectors_are_unwrapped() -> None:
    (url,) = found("redirector")
    assert url.url == ("http://www.eqecat.com/pdfs/activity-catastrophic-windstorm-events-"
                       "europe-2010.pdf")
    # pdfs/04: Outlook Web Access wrapped the link target of a printed degruyter.com URL.
    owa = ("https://owa.ncl.ac.uk/owa/redir.aspx?C=AOFiZj1waU6jkiBnAvJTp94WTDtzftAIASOuYzToRsC"
           "OGFoTxSEID1NTVuvmm6k5xT_aWmVJGt8.&URL=http%3a%2f%2fwww.degruyter.com%2fview%2fj%2f"
           "bejeap.2005.5.issue-1%2fbejeap.2006.5.1.1520%2fbejeap.2006.5.1.1520.xml")
    assert repair.unwrap_redirector(owa) == ("http://www.degruyter.com/view/j/bejeap.2005.5."
                                             "issue-1/bejeap.2006.5.1.1520/bejeap.2006.5.1."
                                             "1520.xml")
    safelinks = ("https://eur02.safelinks.protection.outlook.com/?url=http%3A%2F%2Fwww.evaloc.org"
                 ".uk%2F&data=02%7C01")
    assert repair.unwrap_redirector(safelinks) == "http://www.evaloc.org.uk/"
    assert repair.unwrap_redirector("http://www.google.co.uk/search?q=evaloc") is None


def test_dois_printed_as_dois() -> None:
    (doi,) = found("doi-after-line-break")
    assert doi.doi == "10.1111/j.1475-4959.2012.00471.x"
    first, second, astm = found("doi-label")
    assert first.doi == "10.1016/S1470-2045(09)70028-2"
    assert second.doi == "10.1520/E2760-10" and second.rules == ("space",)
    assert astm.doi is None


def test_a_doi_url_that_lost_its_10_gets_it_back() -> None:
    (url,) = found("doi-prefix")
    assert url.url == "http://dx.doi.org/10.1002/hec.2914" and url.rules == ("doi-prefix",)


_PLACE = (Place(line=1, page=4),)


def _found(url: str, printed: str) -> finder.Found:
    return finder.Found(url=url, printed=printed, places=_PLACE, rules=("wrap",))


def test_the_link_target_wins_over_the_text() -> None:
    # pdfs/26: the link ends `&q` where the text prints `&q=`.
    printed = ("http://cordis.europa.eu/search/index.cfm?fuseaction=result.document&RS_LANG=EN"
               "&RS_\nRCN=11485582&q=")
    target = printed.replace("\n", "")[:-1]
    result = _reconcile(_found(printed.replace("\n", ""), printed), Link(target, printed, _PLACE))
    assert result.url == target and result.from_link and "link" in result.rules


def test_a_link_target_damaged_by_its_author_loses_to_the_print() -> None:
    # pdfs/04: a space typed before the wrap became %20 in the link.
    printed = ("https://www.gov.uk/government/\nuploads/system/uploads/attachment_data/file/"
               "213333/ACRA201218A.pdf")
    text_url = printed.replace("\n", "")
    typed = text_url.replace("government/", "government/%20")
    result = _reconcile(_found(text_url, printed), Link(typed, printed, _PLACE))
    assert result.url == text_url and "link-typo" in result.rules
    assert (result.link_target, result.link_damage) == (typed, "a space typed into it")
    # pdfs/16: the words after the URL went into the link.
    ctf = "https://www.gov.uk/government/uploads/child_trust_fund_140513.pdf"
    swallowed = ctf + "%20%20See%20page%207"
    assert _reconcile(_found(ctf, ctf), Link(swallowed, ctf, _PLACE)).url == ctf
    # pdfs/06: the link lost the printed %5C escapes.
    neon = "http://neon.vb.cbs.nl/casc/..%5Ccasc%5Cmu.htm"
    lost = _reconcile(_found(neon, neon), Link("http://neon.vb.cbs.nl/casc/..cascmu.htm", neon,
                                               _PLACE))
    assert lost.url == neon and lost.link_damage == "the printed %5C escapes lost"


@pytest.mark.parametrize(("a", "b"), [
    ("http://www.evaloc.org.uk", "https://WWW.EVALOC.ORG.UK/"),
    ("http://example.org/a%20b", "http://example.org/a b"),
    ("http://dx.doi.org/10.1002/car.934", "https://doi.org/10.1002/car.934"),
])
def test_comparison_ignores_scheme_host_case_escapes_and_a_slash(a: str, b: str) -> None:
    assert comparable(a) == comparable(b)


def test_a_footnote_number_glued_in_front_is_not_part_of_the_host() -> None:
    assert urls("footnote-marker") == [
        "http://www.sccjr.ac.uk/about-us/.../assessing-risk-in-intimate-partner-offenders/"]


def test_a_host_without_scheme_or_www_and_a_page_number_after_it() -> None:
    (url,) = found("page-after-short-link")
    assert url.url == "http://bit.ly/18Y55gu" and url.rules == ("no-scheme",)


# -- the next item, the next URL, the next sentence ------------------------------------------

def test_the_next_items_label_does_not_continue_the_url() -> None:
    # REF2014 records print labels of their own kinds at the start of the next line.
    assert urls("label-next-line") == [
        "http://www.official-documents.gov.uk/document/cm75/7513/7513.asp",  # `5.C2 ONS …`
        "http://www.bbc.co.uk/programmes/b00773jh",  # `3b: Report …`
        "http://tinyurl.com/nm5em4u",  # `5.FIN Commercial …`
        "http://social.un.org/ageing-working-group/documents/egm/participants.pdf",  # `5.d.April`
    ]
    assert all(not f.rules for f in found("label-next-line"))


def test_a_label_glued_to_the_next_word_does_not_continue_the_url() -> None:
    assert urls("label-glued-to-word") == [
        "http://www.audit-scotland.gov.uk/media/article.php?id=68"]  # not `id=6812Sutherland`


def test_a_piece_alone_on_its_line_after_a_hyphen_continues_even_if_it_looks_like_a_label(
        ) -> None:
    (url,) = found("lone-piece-after-hyphen")
    assert url.url.endswith("/book/978-1-4419-5770-2") and url.rules == ("wrap",)
    # With more words after it on its line, the same piece would be the next item's label.
    assert repair.continues("http://x.org/book/978-1-4419-5770-", "2", wrap=True,
                            alone=False) is None


def test_urls_glued_together_are_told_apart() -> None:
    first, second, third, fourth, fifth = found("glued-url")
    assert first.url.endswith("/ICC-ASP10-GenDeba-TheNetherlands-ENG.pdf")
    assert "glued" in first.rules
    assert second.url.endswith("/ICC-ASP10-GenDeba-Norway-ENG.pdf")
    assert third.url == "http://www.russellsage.org/"  # a footnote number glued in front
    assert fourth.url.endswith("/107/107i.pdf")  # not `107i.pdf2)http://…`
    assert fifth.url == "http://www.official-documents.gov.uk/document/cm77/7757/7757.pdf"


def test_an_archived_url_and_a_redirectors_parameter_are_not_split() -> None:
    lines = from_text("http://webarchive.nationalarchives.gov.uk/20130107105354/http://www.dh"
                      ".gov.uk/a.pdf and http://www.google.co.uk/url?q=http://www.eqecat.com/"
                      "x.pdf", "x").lines
    assert [f.url for f in finder.find(lines)] == [
        "http://webarchive.nationalarchives.gov.uk/20130107105354/http://www.dh.gov.uk/a.pdf",
        "http://www.eqecat.com/x.pdf"]


def test_a_complete_file_name_ends_the_url() -> None:
    assert urls("after-file-name") == ["http://www.hse.gov.uk/research/rrpdf/rr715.pdf",
                                       "http://www.hse.gov.uk/research/rrhtm/rr834.htm"]
    # What goes on with the file ending, a query or a fragment still continues.
    url = "http://www.hse.gov.uk/research/rrhtm/rr834.htm"
    assert repair.continues(url, "l", wrap=True, gap=0.0, lead=5.0) is not None
    assert repair.continues(url, "#section-2", wrap=True) == repair.Join("wrap")
    assert repair.continues(url.replace(".htm", ".asp"), "x?id=3",
                            wrap=True) == repair.Join("wrap")


def test_a_capitalised_word_after_a_full_stop_begins_the_next_sentence() -> None:
    # `Article` and `Epub` are file endings too; capitalised, they are the sentence's.
    kyoto, doi = found("sentence-after-dot")
    assert kyoto.url == ("http://unfccc.int/essential_background/kyoto_protocol/items/"
                         "1678.php")
    assert doi.doi == "10.1016/j.diabres.2012.03.009"
    # The lower-case ending after a wrap at the dot is still joined (`dh_123394.` / `pdf`).
    assert urls("wrap-after-dot")[0].endswith("/dh_123394.pdf")


def test_an_opening_bracket_glued_on_behind_is_cut_off() -> None:
    assert urls("glued-open-bracket") == [
        "http://www.youtube.com/watch?v=GfWEWwrGJqA",
        "http://www.theguardian.com/world/2011/mar/08/pass-notes-gods-wife",
        "http://www.anzsog.edu.au/events/events-calendar/2012/09/16/ssc-new-zealand-"
        "partnership-program-event/363/professor-gerry-stoker-nudge-nudge-think-think-"
        "experiments-in-the-small-statebig-society-wellington"]


def test_brackets_a_url_opens_itself_are_kept() -> None:
    wiki, lse, holyrood = urls("brackets-the-url-opens")
    assert wiki == "http://en.wikipedia.org/wiki/Way_to_Heaven_(play)"
    assert lse.endswith("/Ethical_dilemmas_(LSERO).pdf")
    assert holyrood.endswith("Threatening_Communications_(Scotland)_Bill_2011.pdf")


def test_text_glued_on_after_a_closing_bracket_the_url_did_not_open_is_cut_off() -> None:
    assert urls("glued-after-close") == ["http://www.lse.ac.uk/collections/law/wps/wps1.htm#0913",
                                         "http://www.bis.org/publ/bcbs173.pdf"]


def test_a_page_number_glued_on_behind_a_file_name_is_cut_off() -> None:
    assert urls("glued-page") == [
        "http://filestore.aqa.org.uk/subjects/AQA-PLSH2-W-WRE-JUN10.PDF"]


def test_a_doi_broken_after_a_hyphen_by_a_space_is_joined() -> None:
    (doi,) = found("doi-space-after-hyphen")
    assert doi.doi == "10.4271/2001-01-3552" and doi.rules == ("space",)


# -- a document's own links ----------------------------------------------------------------

def test_an_archived_url_in_the_one_slash_form_is_written_as_the_link_has_it() -> None:
    # pdfs/44: the PDF prints `/http://www.dh.gov.uk/…`, its link `/http:/www.dh.gov.uk/…`
    # (as a browser shows an archived URL). The archive serves both: the link is not
    # damaged, so it is what is written, with the printed form beside it.
    (item,) = found("archived-one-slash-link")
    target = item.url.replace("/http://www.dh", "/http:/www.dh")
    result = _reconcile(item, Link(target, item.printed, item.places))
    assert result.url == target and result.from_link and "link" in result.rules
    assert result.link_target is None


def test_a_query_wrapped_after_its_question_mark_continues_a_question_does_not() -> None:
    unog, charity, ted = urls("wrap-after-question-mark")
    assert unog.endswith("d96d?OpenDocument&ExpandSection=3#_Section3")
    assert charity.endswith("/CharityFramework.aspx?RegisteredCharityNumber=227530&"
                            "SubsidiaryNumber=0")
    assert ted == ("http://www.ted.com/talks/onora_o_neill_what_we_don_t_understand_about_"
                   "trust.html")


def test_an_equals_sign_on_the_next_line_completes_a_parameter_not_a_path() -> None:
    cordis, cnr, short = urls("lone-equals")
    assert cordis.endswith("&RS_RCN=11481701&q=")
    assert cnr == "http://www.cnr.it/eventi/file/documento/id/7890"
    assert short == "http://www.actionforchildren.org.uk/neglectreview"  # `= 774` visits


def test_a_footnote_number_or_a_backslash_behind_the_url_is_not_part_of_it() -> None:
    doi, short, award = found("glued-footnote")
    assert doi.doi == "10.1063/1.1469218"
    assert short.url == "http://tinyurl.com/kyqmcng" and "glued" in short.rules
    assert award.url == "http://www.queensawardsmagazine.com/2012winners"


def test_a_query_ampersand_read_as_an_entity_is_restored() -> None:
    """Seven REF2014 records hold `?section=444&#167;ionTitle=…`: `&sectionTitle` read as
    `&sect` + `ionTitle`. The `&` and the name are restored, certainly; so they are when a
    document writes `&sectionTitle` unescaped beside an `&amp;`, which decoding the
    entities would otherwise damage."""
    doc = from_text("5. Sources to corroborate the impact\n"
                    "[e] http://www.rcophth.ac.uk/page.asp?section=444&#167;ionTitle=Quality\n"
                    "[f] http://a.test/landing.asp?section=1&sectionTitle=The+Active&amp;x=1\n",
                    "t.txt")
    got = finder.find(doc.lines)
    assert [f.url for f in got] == [
        "http://www.rcophth.ac.uk/page.asp?section=444&sectionTitle=Quality",
        "http://a.test/landing.asp?section=1&sectionTitle=The+Active&x=1"]
    assert all("entity-name" in f.rules and not f.uncertain for f in got)


def test_a_mistyped_scheme_is_found_and_repaired() -> None:
    """As the REF2014 records print them; each was left in the title, and the source
    written without a URL (or, doubled or with backslashes, written as printed)."""
    doc = from_text("5. Sources to corroborate the impact\n"
                    "[1] BBC, available online: htttp://www.bbc.co.uk/programmes/b0137tff;\n"
                    "[2] Cuneiform Texts (http//oracc.org/dccmt)\n"
                    "[3] Journal website http//:www.performance-research.org\n"
                    "[4] Doubled http://http://www.example.org/x and https;//www.example.org/y\n"
                    "[5] Solar http://dx.doi.org\\10.1007\\s11214-010-9654-y\n", "t.txt")
    got = finder.find(doc.lines)
    assert [(f.url, f.printed) for f in got] == [
        ("http://www.bbc.co.uk/programmes/b0137tff", "htttp://www.bbc.co.uk/programmes/b0137tff"),
        ("http://oracc.org/dccmt", "http//oracc.org/dccmt"),
        ("http://www.performance-research.org", "http//:www.performance-research.org"),
        ("http://www.example.org/x", "http://http://www.example.org/x"),
        ("https://www.example.org/y", "https;//www.example.org/y"),
        ("http://dx.doi.org/10.1007/s11214-010-9654-y",
         "http://dx.doi.org\\10.1007\\s11214-010-9654-y")]
    assert all(f.rules == ("scheme",) and not f.uncertain for f in got)
