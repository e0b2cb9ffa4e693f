"""The named repairs: every kind of damage a printed URL is known to suffer, what is done
about it, and the pure functions that do it.

Two kinds of rule live here. Joining rules decide, for a URL that meets a line break or a
space, whether the text after it is more of the same URL (``continues``); cleaning rules
take a joined candidate and undo damage inside it (``clean``). Every repair made to a URL
is recorded by the name of its rule, so the case file and the summary can say what was
done, and every rule has a unit test built from a real fragment of the shared corpus.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlsplit

from refcheck.urls import backslashed, copied_tail, entity_decoded, mistyped_scheme


@dataclass(frozen=True)
class Rule:
    name: str
    damage: str  # what was wrong, as printed
    repair: str  # what was done


RULES: dict[str, Rule] = {rule.name: rule for rule in (
    Rule("wrap", "the URL is wrapped over two or more lines",
         "joined without the line break; a hyphen at the break is kept. Not joined: the "
         "next item's label (`5.C2 ONS …`, `3b: Report`, `12Sutherland`), a word after a "
         "complete file name (`rr834.htm` / `Grants`) or after a full stop (`…php.` / "
         "`Article`)"),
    Rule("space", "a space inside the URL, next to a separator (`housing/ 1449648.article`, "
         "`families_ FINAL_v2.pdf`)", "the space removed"),
    Rule("lost-underscore", "`_` printed as a space (`pdf file/0004`)",
         "the space read as `_`; uncertain unless the document prints the URL cleanly"),
    Rule("ocr-split", "OCR split a word of the URL (`%20T hink`, `Boyle C hris.pdf`, "
         "`121 214 Working`)", "the pieces joined; uncertain unless the document confirms it"),
    Rule("ocr-pipe", "OCR read `l` as `|` (`socia |-care`)", "`|` read as `l`; uncertain"),
    Rule("confirmed", "a damaged printing of a URL the document also prints cleanly",
         "the clean printing used"),
    Rule("entity", "HTML entities in the text (`&amp;`)", "entities decoded"),
    Rule("entity-name", "a query's `&` and the parameter's name read as an HTML entity "
         "(`?section=444§ionTitle=…`, as the REF2014 records hold it)",
         "the `&` and the name restored (`&sectionTitle=`)"),
    Rule("invisible", "soft hyphens, zero-width spaces or typographic dashes inside the URL",
         "removed, or read as `-`"),
    Rule("ligature", "a ligature the typesetter printed inside the URL (`ﬁ`, `ﬂ`, `ﬀ`: "
         "`pro\ufb01le`)", "read as its letters (`profile`)"),
    Rule("no-scheme", "no scheme (`www.evaloc.org.uk`)", "`http://` added"),
    Rule("one-slash", "`http:/` with one slash at the start", "the second slash added"),
    Rule("scheme", "a scheme typed wrong or twice (`htttp://`, `http//`, `http//:`, "
         "`https;//`, `http:\\`, `http://http://`), or `\\` for `/` (`dx.doi.org\\10.1007\\…`)",
         "`http://` or `https://` written, and `/` for `\\`"),
    Rule("trailing", "punctuation of the sentence after the URL (`.`, `,`, `;`, `:`)",
         "removed"),
    Rule("encoded-tail", "a space or closing quote after the URL, percent-encoded with it "
         "(`legal_aid.pdf%20`, `%E2%80%9D`)", "removed"),
    Rule("bracket", "a closing bracket or quote that belongs to the text around the URL",
         "removed; brackets the URL opens itself are kept (`CRITA_FINAL(1).pdf`)"),
    Rule("glued", "text glued on behind the URL (`report.pdf(accessed 3 May 2013)`, "
         "`GfWEWwrGJqA(for`, `bcbs173.pdf)\"clear`, `rr715.pdfp33`, `kyqmcng,[172]`), or "
         "another URL glued on (`…ENG.pdf;http://…`, `14http://…`)", "cut off"),
    Rule("redirector", "the link goes through a mail or search redirector (Outlook "
         "safelinks, Outlook Web Access, Google `/url?q=`)", "unwrapped to the real target"),
    Rule("doi", "a DOI printed as `doi: 10.1016/…` or `DOI:` and a line break",
         "read as the DOI"),
    Rule("doi-prefix", "a DOI URL that lost its `10` (`dx.doi.org/.1002/hec.2914`)",
         "`10` restored"),
    Rule("link", "the printed URL differs from the PDF's or document's link target",
         "the link target used"),
    Rule("link-typo", "the link target itself is damaged (a space typed into it, its "
         "backslashes lost, words of the sentence after it)", "the printed URL used"),
)}

def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: File name endings: a fragment ending in one of these is the end of a URL's path.
EXTENSIONS = _words(
    "pdf htm html shtml xhtml asp aspx ashx php php3 jsp jspx cfm cgi pl do action doc docx "
    "xls xlsx ppt pptx pps txt rtf csv xml json zip jpg jpeg png gif tif mp3 mp4 wav avi mov "
    "stm ece article thtml sflb epub odt ods swf wmv")

#: Words that follow a URL in running text and are never the rest of it.
STOP_WORDS = _words(
    "a an and or the of in on at to for from with by as is are was were be been which that "
    "this these those it its see also accessed available last viewed retrieved visited "
    "downloaded consulted date page pages pp p para paragraph section chapter vol no "
    "published online via archived cited here there has have had shows show describes "
    "provides confirms corroborates includes including about")

_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")
_EXT_END = re.compile(r"\.([A-Za-z0-9]{2,7})[.,;:)\]'\"]*$")
_ID_LIKE = re.compile(
    r"^[(\[]?(?:[A-Z]{1,4}\d{0,3}(?:\.\d{1,3})?|\d{1,3}(?:\.\d{1,3})*|[ivxlcIVXLC]{1,6}|[a-z])"
    r"[.):\]]*$")
#: Labels of the REF2014 records' own kinds: `3b:`, `5.3a`, `10b.`, `5.C2`, `5.FIN`, `5.d.`.
_LABEL = re.compile(r"^(?:\d{1,3}(?:\.\d{1,3})*[a-z]|\d{1,2}\.(?:[A-Z]{1,3}\d{0,2}|[a-z]))[.):]?$")
#: A label glued to the word after it: `12Sutherland`, `6.Evidence`, `5.d.April`.
_LABEL_GLUED = re.compile(
    r"^\(?[A-Za-z]{0,3}\d{1,3}(?:\.\d{1,3})*(?:\.[a-z](?![a-z]))?[.:)\]]?(?=[A-Z][a-z]{2})")
#: A capitalised word of the sentence: `Article`, `Epub`, `Action` (not a file ending).
_TITLE_WORD = re.compile(r"^[A-Z][a-z]+[.,;:)]*$")
_HOSTISH = re.compile(r"^[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:uk|com|org|net|gov|edu|int|eu|info|"
                      r"ac|co|io|de|fr|nl|be|ie|au|ca|us|it|es|ch|se|no|dk|nz|in|jp|cn)"
                      r"(?:[/:]|$)", re.IGNORECASE)

#: Characters that never end a URL: the URL goes on after them.
OPEN_ENDINGS = tuple("-_=&?%+~")


def has_extension(fragment: str) -> bool:
    match = _EXT_END.search(fragment)
    return match is not None and match.group(1).lower() in EXTENSIONS


_PAGE_REF = re.compile(r"^(?:pp?|paras?|fig|figs|no|nos|vol|ch|sec|s)\.\s?\d", re.IGNORECASE)


def is_stop_word(token: str) -> bool:
    """A word of the sentence around a URL, never part of it: `and`, `accessed`, `p.24`."""
    return token.strip(".,;:()[]'\"").lower() in STOP_WORDS or bool(_PAGE_REF.match(token))


_DATE = re.compile(r"^\d{1,4}/\d{1,2}(?:/\d{2,4})?$")


def looks_like_url_part(token: str) -> bool:
    """A fragment that can only be part of a URL: a path, a query, an escape, an
    underscore, a file name, a host name."""
    core = token.rstrip(".,;:)]>'\"")
    if not core or _DATE.match(core):
        return False
    if any(mark in core for mark in ("/", "=", "_", "~", "?", "#")):
        # `and/or` is a word of the sentence; `Pages/Awards/Beale.aspx` is a path.
        return (not is_stop_word(core.split("/", 1)[0]) or core.startswith("/")
                or core.count("/") >= 2 or has_extension(core))
    if "&" in core and len(core) > 1:
        return True
    if _ESCAPE.search(core) or has_extension(core):
        return True
    return bool(_HOSTISH.match(core))


def looks_like_id(token: str) -> bool:
    """A label that opens an item (`[5.2]`, `C5`, `D.`, `21.`, `(iv)`, `3b:`, `5.C2`)."""
    return bool(_ID_LIKE.match(token) or _LABEL.match(token))


def ends_file_name(url: str) -> bool:
    """The URL's path ends in a complete file name (`…/rr834.htm`, `…/dh_123394.pdf`)."""
    path = url.split("//", 1)[-1]
    return "/" in path and has_extension(path.rsplit("/", 1)[-1])


def _extends_ending(url: str, token: str) -> bool:
    """The token goes on with the file ending: `.htm` / `l`, `.asp` / `x?id=3`."""
    match = _EXT_END.search(url)
    more = re.match(r"[A-Za-z0-9]*", token)
    return bool(match and more and more.group(0)
                and (match.group(1) + more.group(0)).lower() in EXTENSIONS)


def starts_url(token: str) -> bool:
    lowered = token.lstrip("([<\"'").lower()
    return lowered.startswith(("http:", "https:", "www.", "ftp:", "doi:"))


@dataclass(frozen=True)
class Join:
    """Whether the next text continues the URL, by which rule, and how sure."""

    rule: str
    glue: str = ""
    uncertain: bool = False


def continues(url: str, token: str, *, wrap: bool, gap: float | None = None,
              lead: float | None = None, alone: bool = False) -> Join | None:
    """Does ``token`` (the next word after a line break, or after a space when ``wrap`` is
    false) continue ``url``? ``gap`` and ``lead`` are the PDF's geometry: how far short of
    the right margin the URL's line ends, and the width of the next line's first word;
    ``alone`` says the token is all of its line (so it is not an item's label)."""
    if token[:1].isalnum() and (url.endswith("://") or (
            re.match(r"https?:|www\.", token, re.IGNORECASE)
            and _ARCHIVE_PREFIX.search(url))):
        # The host after its scheme (`http://` / `www.…`), or the archived URL after an
        # archive's prefix (`…/+/` / `http://www.cst.gov.uk/…`).
        return Join("wrap")
    if not token or starts_url(token) or token[0] in "([{<\"'\u201c\u2018`\u2014\u2013\u2022*":
        return None
    if token == "=":
        # `…&q` / `= and …` completes the parameter; `…/neglectreview` / `= 774` is a sum.
        return Join("wrap") if wrap and re.search(r"[?&][^=&#/]+$", url) else None
    if token in ("-", "&", "|") or is_stop_word(token):
        return None
    last = url[-1]
    strong = looks_like_url_part(token)
    if not wrap:
        return _space_join(url, token, strong)
    if gap is not None and lead is not None and gap > lead + 8.0:
        # The next word would have fitted on this line: the line was ended on purpose.
        return None
    if _LABEL_GLUED.match(token) and not strong:
        return None  # the next item: `12Sutherland (2008) …`, `5.d.April 2011 …`
    if looks_like_id(token) and not token[:1].islower() and not strong \
            and not (alone and last in OPEN_ENDINGS):
        # An item's label, unless it is all of its line after an open ending
        # (`…/978-1-4419-5770-` / `2`).
        return None
    if last == "?" and "=" not in token and _TITLE_WORD.match(token):
        return None  # a question mark, then the next sentence: `…trust.html?` / `Material`
    if last in OPEN_ENDINGS:
        return Join("wrap")
    if ends_file_name(url) and token[0] not in "?#&=/;%" and not _extends_ending(url, token):
        # A complete file name ends the URL: `…/rr715.pdf` / `p33`, `…/rr834.htm` / `Grants`.
        return None
    if token.startswith("/") and re.search(r"https?:/?$", url, re.IGNORECASE):
        # An archived URL's own, broken inside its scheme (`…/+/http:` / `//www.…`).
        return Join("wrap")
    if last in ".,;:!)]'\"":
        # A sentence ends here, unless what follows is a file ending or more host name;
        # a capitalised word (`Article`, `Epub`) begins the next sentence.
        if last == "." and (token.lower().rstrip(".,;:)") in EXTENSIONS or strong) \
                and not _TITLE_WORD.match(token):
            return Join("wrap")
        return None
    if strong:
        return Join("wrap")
    if last == "/" and _CODE.match(token):
        # A short link's code or a video's id after its folder (`youtu.be/` /
        # `LnQYJa9-aR0`): letters of both cases and digits, which no word mixes.
        return Join("wrap")
    if token[0].isupper():
        return None
    if any(c.isdigit() for c in token) and any(c.isalpha() for c in token) \
            and not re.match(r"^\d+(st|nd|rd|th|s)\b", token):
        return Join("wrap")
    if last == "/" and re.match(r"[a-z0-9]+(?:-[a-z0-9]+){2,}\b", token):
        # A slug after its folder, too long for the line's end (`…/products/` /
        # `portrait-uplift-optimizer`): a word of the sentence is seldom three joined
        # by hyphens.
        return Join("wrap", uncertain=True)
    if not last.isalnum():
        return None
    if last.isdigit() and token.rstrip(".,;:)").isdigit() and _full(gap, lead, token):
        # A number broken at the margin (`…/status/24143845006104` / `5760`).
        return Join("wrap", uncertain=True)
    segment = re.split(r"[/?&=#]", url)[-1]
    if token[0].islower() and re.search(r"[a-z0-9]-[a-z0-9]", token) and "-" in segment:
        # A slug broken inside a word (`…/michael-gove-speaks-to-the-ro` / `yal-society-on-
        # maths`): its words are joined by hyphens as the URL's are.
        return Join("wrap", uncertain=not _full(gap, lead, token))
    if token[0].isalpha() and _full(gap, lead, token):
        # A word broken at the margin with no separator: likely, not proven.
        return Join("wrap", uncertain=True)
    return None


#: An identifier of letters of both cases (one after its first) and digits.
_CODE = re.compile(r"^(?=[A-Za-z0-9_-]*\d)(?=.[A-Za-z0-9_-]*[a-z])(?=.[A-Za-z0-9_-]*[A-Z])"
                   r"[A-Za-z0-9_-]{5,}[.,;:)]?$")


#: The end of a web archive's URL, before the archived one: the UK Government Web
#: Archive's `/+/`, a Wayback timestamp `/20130107105354/`.
_ARCHIVE_PREFIX = re.compile(r"/(?:\+|\d{14})/$")


def _full(gap: float | None, lead: float | None, token: str) -> bool:
    """Whether the line ends at the right margin, to within two points or two or three
    characters of the next line's text (a breaker cutting a word at the margin leaves
    less than a character or two; the average width is the next word's)."""
    if gap is None:
        return False
    if gap <= 2.0:
        return True
    return lead is not None and bool(token) and gap <= 2.5 * lead / len(token)


def _space_join(url: str, token: str, strong: bool) -> Join | None:
    last = url[-1]
    if last in "/_" or (last == "-" and strong) or token[0] in "_/":
        return Join("space") if strong or token[0] in "_/" else None
    segment = re.split(r"[/=&?]", url)[-1]
    if strong and "_" in url.split("//", 1)[-1] and token[0].islower() and segment.isalpha():
        return Join("lost-underscore", glue="_", uncertain=True)
    if re.search(r"(?:^|[^A-Za-z])[A-Z]$", segment) and token[0].islower() and strong:
        return Join("ocr-split", uncertain=True)
    if strong and segment.isalnum() and (token[0].islower() or token[0].isdigit()) \
            and ("/" in token or has_extension(token)):
        # A space inside a file or folder name: `_` lost (API text), a space the author
        # typed (`%20`), or one the text layer made up. The URL's own habits decide.
        path = url.split("//", 1)[-1]
        glue = "_" if "_" in path else "%20" if "%20" in path else ""
        return Join("lost-underscore" if glue == "_" else "space", glue=glue, uncertain=True)
    return None


# -- cleaning ------------------------------------------------------------------------------

_INVISIBLE = str.maketrans({"\u00ad": "", "\u200b": "", "\u200c": "", "\u200d": "",
                            "\ufeff": "", "\u2010": "-", "\u2011": "-", "\u2012": "-",
                            "\u2013": "-"})
#: The Latin ligatures of Unicode's Alphabetic Presentation Forms, as a PDF's text map gives
#: them for the glyphs a typesetter joined: no URL holds one, its letters were typed.
_LIGATURES = str.maketrans({"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi",
                            "\ufb04": "ffl", "\ufb05": "st", "\ufb06": "st"})
_TRAILING = ".,;:!?'\"`\\\u2019\u201d\u2026*"
_CLOSERS = {")": "(", "]": "[", "}": "{", ">": "<"}
_GLUED = re.compile(
    r"(?<=[a-z0-9/])\((?=(?:accessed|last|viewed|retrieved|visited|date|see|pdf|html|online|"
    r"available|archived|link|copy|report)\b)", re.IGNORECASE)
_GLUED_AFTER_FILE = re.compile(r"\.(?i:pdf|html?|aspx?|php|docx?)(?=[(\[]|[A-Z][a-z]|p{1,2}\.?\d)")
#: An opening bracket glued on behind the URL that nothing in it closes: `GfWEWwrGJqA(for`,
#: `pass-notes-gods-wife(08.03.2011`; not `CRITA_FINAL(1).pdf` or `Mercury_(planet)`.
_GLUED_OPEN = re.compile(r"(?<=[A-Za-z0-9/])[(\[](?=(?:[A-Za-z]{2,}|\d{1,2}[./]\d{1,2}[./]\d{2,4})"
                         r"[^)\]]*$)")
_OPENERS = {")": ("(", "%28"), "]": ("[", "%5B")}
#: A footnote's number in brackets glued on behind: `tinyurl.com/kyqmcng,[172]`.
_FOOTNOTE = re.compile(r"(?<=[A-Za-z0-9/.,;])\[\d{1,3}\][.,;:)]*$")
_PIPE = re.compile(r"(?<=[a-z])\|(?=[-a-z_.])|(?<=[-_/])\|(?=[a-z])")
_ONE_SLASH = re.compile(r"^(https?):/(?!/)", re.IGNORECASE)
_DOI_LOST_10 = re.compile(r"^(https?://(?:dx\.)?doi\.org/)\.(\d{4,9}/)", re.IGNORECASE)


@dataclass(frozen=True)
class Cleaned:
    url: str
    rules: tuple[str, ...]


def clean(candidate: str, *, doi: bool = False) -> Cleaned:
    """Undo the damage inside a joined candidate, naming each rule that changed it. The
    candidate is already cut where the URL ends (``cut_glued`` and ``strip_tail``)."""
    rules: list[str] = []
    url = candidate

    def apply(name: str, new: str) -> None:
        nonlocal url
        if new != url:
            rules.append(name)
            url = new

    if "&" in url and ";" in url:
        apply("entity", html.unescape(url))
    if (decoded := entity_decoded(url)) is not None:
        apply("entity-name", decoded[1])
    apply("invisible", url.translate(_INVISIBLE))
    apply("ligature", url.translate(_LIGATURES))
    if doi:
        return Cleaned(url, tuple(rules))
    apply("ocr-pipe", _PIPE.sub("l", url))
    apply("one-slash", _ONE_SLASH.sub(r"\1://", url))
    if (typo := mistyped_scheme(url)) is not None:
        apply("scheme", typo[1])
    elif (slashed := backslashed(url)) is not None:
        apply("scheme", slashed)
    if not url.lower().startswith(("http:", "https:")):
        apply("no-scheme", ("https://" if url.lower().startswith(("doi.org", "dx.doi.org"))
                            else "http://") + url)
    while (tail := copied_tail(url)) is not None and tail[0].startswith("%"):
        apply("encoded-tail", url[:-len(tail[0])])
    apply("doi-prefix", _DOI_LOST_10.sub(r"\g<1>10.\2", url))
    unwrapped = unwrap_redirector(url)
    if unwrapped is not None:
        apply("redirector", unwrapped)
    return Cleaned(url, tuple(rules))


def cut_glued(text: str, before: str = "") -> int | None:
    """Where text glued on behind a URL begins in ``text``, the URL's last piece
    (`report.pdf(accessed`, `bcbs173.pdf)"clear`, `rr715.pdfp33`), or None. ``before`` is
    the URL so far, for the brackets it opens."""
    cuts = []
    for pattern in (_GLUED, _GLUED_OPEN, _FOOTNOTE):
        glued = pattern.search(text)
        if glued:
            cuts.append(glued.start())
    after_file = _GLUED_AFTER_FILE.search(text)
    if after_file:
        cuts.append(after_file.end())
    closing = _unopened_close(before, text)
    if closing is not None:
        cuts.append(closing)
    return min(cuts) if cuts else None


def _unopened_close(before: str, text: str) -> int | None:
    """A closing bracket the URL did not open, with more text glued on after it
    (`wps1.htm#0913).Source`, `ja020340f).Detailed`): where it is in ``text``."""
    for closer, (opener, escaped) in _OPENERS.items():
        at = text.find(closer)
        while at >= 0:
            so_far = before + text[:at]
            opened = so_far.count(opener) + so_far.upper().count(escaped)
            if opened <= so_far.count(closer):
                if re.match(r"[.,;:]*[\"'A-Za-z0-9]", text[at + 1:]):
                    return at
                break
            at = text.find(closer, at + 1)
    return None


def strip_tail(url: str) -> str:
    """The URL without the sentence's punctuation and the brackets it did not open."""
    return _strip_tail(url)


def _strip_tail(url: str) -> str:
    """Strip sentence punctuation, closing brackets the URL did not open, and an opening
    bracket (no URL ends in one: `…small-statebig-society-wellington(`)."""
    changed = True
    while changed and url:
        changed = False
        while url and url[-1] in _TRAILING:
            url, changed = url[:-1], True
        if url and url[-1] in _CLOSERS:
            opener = _CLOSERS[url[-1]]
            if url.count(opener) < url.count(url[-1]):
                url, changed = url[:-1], True
        elif url and url[-1] in "([{<":
            url, changed = url[:-1], True
    return url


_REDIRECT_PARAMS = ("url", "q", "u", "target", "dest", "destination")


def unwrap_redirector(url: str) -> str | None:
    """The real target of an Outlook safelinks, Outlook Web Access or Google redirect."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    path = parts.path.lower()
    redirector = (host.endswith("safelinks.protection.outlook.com")
                  or path.endswith("/redir.aspx")
                  or (host.startswith(("www.google.", "google.")) and path == "/url")
                  or host == "l.facebook.com")
    if not redirector or not parts.query:
        return None
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name.lower() in _REDIRECT_PARAMS and value.lower().startswith(("http://",
                                                                           "https://")):
            return value
    return None


def decoded(url: str) -> str:
    return unquote(url)
