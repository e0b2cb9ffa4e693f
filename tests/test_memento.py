"""Memento parsing, on the archives' recorded answers verbatim (tests/fixtures/archives)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from refcheck.archive.memento import (
    format_http_date,
    format_timestamp,
    parse_cdx_rows,
    parse_http_date,
    parse_link_format,
    parse_timestamp,
    usable_cdx_row,
)

FIXTURES = Path(__file__).parent / "fixtures" / "archives"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


def headers(name: str) -> dict[str, str]:
    out = {}
    for line in fixture(name).splitlines():
        if ":" in line and not line.startswith(("#", "HTTP/")):
            key, _, value = line.partition(":")
            out[key.strip().lower()] = value.strip()
    return out


def test_ukgwa_timemap_pywb_shape() -> None:
    entries = parse_link_format(fixture("ukgwa_timemap_link_head5.txt"))
    assert [sorted(e.rels) for e in entries] == [["self"], ["timegate"], ["original"],
                                                 ["memento"], ["memento"]]
    first = entries[3]
    assert first.uri == ("https://webarchive.nationalarchives.gov.uk/ukgwa/20031020010412mp_/"
                         "http://www.nationalarchives.gov.uk:80/")
    assert first.datetime == dt.datetime(2003, 10, 20, 1, 4, 12, tzinfo=dt.UTC)
    assert first.params["collection"] == "full_zipnum"  # unknown attributes are kept
    assert entries[0].params["from"] == "Mon, 20 Oct 2003 01:04:12 GMT"


def test_ia_timemap_with_first_memento_rel_set() -> None:
    entries = parse_link_format(fixture("ia_timemap_link_head5.txt"))
    assert entries[0].rels == {"original"}
    assert entries[3].rels == {"first", "memento"}
    assert "memento" in entries[3].rels and "memento" in entries[4].rels
    assert entries[4].datetime == dt.datetime(1998, 12, 12, 2, 44, 10, tzinfo=dt.UTC)


def test_link_header_of_a_memento() -> None:
    link = headers("ia_memento_200_headers.txt")["link"]
    entries = parse_link_format(link)
    rels = [e.rels for e in entries]
    assert {"prev", "memento"} in rels and {"last", "memento"} in rels
    this = next(e for e in entries if e.rels == {"memento"})
    assert this.uri == "https://web.archive.org/web/20171124151315/https://www.fws.gov/birds/"
    assert parse_http_date(headers("ia_memento_200_headers.txt")["memento-datetime"]) == \
        this.datetime


def test_replayed_redirect_carries_memento_datetime() -> None:
    replay = headers("ia_memento_301_historical_redirect_headers.txt")
    assert "memento-datetime" in replay and "location" in replay
    never = headers("ia_memento_404_never_archived_headers.txt")
    assert "memento-datetime" not in never and never["x-ts"] == "404"


def test_pywb_timegate_link_header() -> None:
    gate = headers("pywb_awa_timegate_302_headers.txt")
    assert gate["vary"] == "accept-datetime"
    entries = parse_link_format(gate["link"])
    memento = next(e for e in entries if "memento" in e.rels)
    assert memento.uri.endswith("/awa/20100205144751mp_/http://www.nla.gov.au/")
    timemap = next(e for e in entries if "timemap" in e.rels)
    assert timemap.params["type"] == "application/link-format"


def test_link_format_tolerates_what_archives_send() -> None:
    text = ('<http://a/1>;rel="first  memento" ;\n  datetime="Mon, 20 Oct 2003 01:04:12 GMT",\n'
            '<http://a/2>; datetime="Sun, 04 Jan 2004 23:32:58 GMT"; license="x, y; z";\n'
            '   rel=memento; REL="ignored",,\n'
            '<http://a/3?x=1,2>; rel="last memento"; datetime="Sun, 04 Jan 2005 23:32:58 GMT",')
    entries = parse_link_format(text)
    assert [e.uri for e in entries] == ["http://a/1", "http://a/2", "http://a/3?x=1,2"]
    assert entries[0].rels == {"first", "memento"}
    assert entries[1].rels == {"memento"}  # attribute order varies; first rel counts
    assert entries[1].params["license"] == "x, y; z"
    assert entries[2].rels == {"last", "memento"}


def test_cut_off_entry_is_dropped_not_misread() -> None:
    entries = parse_link_format('<http://a/1>; rel="memento"; datetime="Mon, 20 Oct 2003 '
                                '01:04:12 GMT",\n<http://a/2')
    assert [e.uri for e in entries] == ["http://a/1"]


def test_ia_json_timemap_rows_cut_off_after_five_lines() -> None:
    rows = list(parse_cdx_rows(fixture("ia_timemap_json_head5.txt")))
    assert len(rows) == 4  # the header row names the fields; four complete captures
    assert rows[0]["timestamp"] == "19981206012233"
    assert rows[0]["statuscode"] == "200"
    assert rows[3]["original"] == "http://discontents.com.au:80/"


def test_cdx_json_array_and_empty_answer() -> None:
    text = '[["timestamp","original","statuscode"],\n["20131101000000","http://a/","200"]]'
    assert list(parse_cdx_rows(text)) == [
        {"timestamp": "20131101000000", "original": "http://a/", "statuscode": "200"}]
    assert list(parse_cdx_rows("[]")) == []


def test_pywb_ndjson_rows_and_fuzzy_rows_dropped() -> None:
    (row,) = parse_cdx_rows(fixture("ukgwa_timemap_json_line1.ndjson"))
    assert row["timestamp"] == "20031020010412" and row["status"] == "200"
    assert usable_cdx_row(row)
    assert not usable_cdx_row({**row, "is_fuzzy": "1"})


def test_timestamps_and_http_dates() -> None:
    when = dt.datetime(2012, 1, 19, 19, 23, 32, tzinfo=dt.UTC)
    assert parse_timestamp("20120119192332") == when
    assert format_timestamp(when) == "20120119192332"
    assert parse_timestamp("2013") == dt.datetime(2013, 1, 1, tzinfo=dt.UTC)
    assert parse_timestamp("201311") == dt.datetime(2013, 11, 1, tzinfo=dt.UTC)
    assert parse_timestamp("not a date") is None
    assert format_http_date(dt.datetime(2013, 11, 29, tzinfo=dt.UTC)) == \
        "Fri, 29 Nov 2013 00:00:00 GMT"
    assert parse_http_date("Fri, 29 Nov 2013 00:00:00 GMT") == \
        dt.datetime(2013, 11, 29, tzinfo=dt.UTC)
