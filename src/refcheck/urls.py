"""Pure functions on URLs: masking secrets, comparing, and naming what a URL points at."""

from __future__ import annotations

import functools
import html
import html.entities
import ipaddress
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlsplit, urlunsplit

#: Words that make a query or fragment parameter a secret, wherever they stand in its name
#: (``api_key``, ``X-Amz-Signature``, ``authToken``, ``client_secret``). Names are split into
#: words at ``_ - .`` and lower-to-upper case changes, so ``design`` or ``monkey`` are not
#: secrets while ``sig`` and ``key`` are.
SECRET_WORDS = frozenset({
    "token", "key", "apikey", "password", "passwd", "pwd", "pw", "pass", "passphrase", "secret",
    "signature", "sig", "auth", "authorization", "credential", "credentials", "session",
    "sessionid", "jsessionid", "phpsessid", "sid", "jwt", "ticket", "otp", "code",
})
#: Kept in the URLs refcheck sends to archives, though masked in reports: an OAuth ``code``
#: is single-use and short-lived, while ``code=`` is also how statistics sites name an area
#: (``?code=E06000001``), and a lookup without it would find no capture of the cited page.
SENT_TO_ARCHIVES = frozenset({"code"})
#: Parameters whose names contain a secret word but which carry none: education's Key Stage.
NOT_SECRET = frozenset({"key_stage", "keystage"})
MASK = "****"
#: Names that are a session's in some software and a page's in much other: PHP's and
#: phpBB's ``sid`` is a session (26 to 32 characters), but ``readstory.asp?sid=106``,
#: ``n.php?p=lot&sid=463`` and LibGuides' ``content.php?pid=…&sid=…`` name the page. Only a
#: value as long as a session's (``SESSION_LENGTH``) makes such a parameter a secret.
BY_LENGTH = frozenset({"sid"})
SESSION_LENGTH = 16

_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_NAME_WORDS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
#: ``scheme://userinfo@``: the userinfo runs to the last ``@`` before the path starts.
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)([^\s/?#\[\]<>\"']*)@")
#: The same address written without its scheme, as a case file may hold it (and an error
#: then quotes it): ``//user:pw@host/`` and ``user:pw@host/``, starting a word (or a
#: parameter's value: ``?next=//user:pw@host/``). Without the
#: ``//`` only a ``user:password`` counts, before a host with a dot in it, so that an email
#: address is not taken for one, nor is ``mailto:someone@host``.
_BARE_USERINFO = re.compile(
    r"(?i)(?<![^\s(<\[\"'`=])(//|(?!mailto:)(?=[\w.~%!$*+-]+:))"
    r"([^\s/?#\[\]<>\"'`]*)@(?=[a-z0-9-]+\.[a-z0-9.-]|\[|[0-9])")
#: A password written with a character an address cannot hold there (``#``, ``?``, ``/``):
#: no parser finds the user's part (``https://bob:pa#ss@e.org/``, taken as a fragment), and
#: the address is invalid, never requested; but it is shown, so what looks like
#: ``user:password@host`` is masked. Not a port (``host:8080/@user``, a path with ``@``).
_RAW_USERINFO = re.compile(
    r"(?i)\b([a-z][a-z0-9+.-]*://)([^\s/?#\[\]<>\"'`@:]+:(?!\d*(?:[/?#]|$))"
    r"[^\s@<>\"'`]*[/?#][^\s@<>\"'`]*)@(?=[a-z0-9-]+(?:\.[a-z0-9-]+)*(?::\d+)?(?:[/?#\s`'\")]|$))")
#: Where a parameter's name starts: ``?name=``, ``&name=``, ``;name=`` (in a path, or a
#: query separated by semicolons) and ``#name=`` (OAuth's implicit flow puts
#: ``access_token`` in the fragment).
_PARAM_NAME = re.compile(r"([?&#;])([^=&;#?/\s<>\"']+)=")
#: Where a secret value ends: a backquote too, which closes an address quoted in a message
#: (``url `e.org/x?token=****` has no scheme``).
_VALUE_END = re.compile(r"[&;#\s<>\"'`]|\Z")
_PATH_VALUE_END = re.compile(r"[&;#?/\s<>\"'`]|\Z")


#: URLs whose answers below are remembered: as many as a whole-corpus audit has (each is
#: asked of every link several times, from reading the case file to the report).
URLS_REMEMBERED = 1 << 16


#: A word written as one with another before it, in a single case: ``accesstoken``,
#: ``SSOTOKEN``, ``csrfmiddlewaretoken``, ``clientsecret``, OneDrive's ``authkey``. Only
#: endings no ordinary word has; ``key`` only after a word that makes it a credential
#: (``monkey``, ``hockey`` and ``turkey`` are not).
_COMPOUND_SECRET = re.compile(
    r".+(?:token|secret|password|passwd|passphrase|signature|credentials?|sessionid)"
    r"|(?:auth|access|api|private|secret|subscription|client)key")


@functools.lru_cache(maxsize=1024)
def is_secret_name(name: str) -> bool:
    """Whether a query or fragment parameter of this name carries a credential. The name
    is read as the server reads it, its percent-escapes undone (``%74oken`` is ``token``)."""
    if "%" in name:
        name = unquote(name)
    if name.lower() in NOT_SECRET:
        return False
    words = _NAME_WORDS.findall(name)
    return any(word.lower() in SECRET_WORDS or _COMPOUND_SECRET.fullmatch(word.lower())
               for word in words)


def mask(text: str) -> str:
    """Mask every credential in ``text``: the one masking function behind every output
    (terminal, JSON, stderr, error messages). ``text`` may be a URL, a URL that no parser
    accepts, a URL inside another (an archive's ``/*/https://user:pw@host/``), or prose
    quoting URLs. ``user:password@`` becomes ``****:****@``; the values of parameters named
    like secrets (``token``, ``api_key``, ``X-Amz-Credential``, ``sig``, ...; see
    ``SECRET_WORDS``), in the query or the fragment, become ``****``."""
    if "@" not in text and "=" not in text:
        return text  # nothing that could hold a credential: most URLs, titles and details

    def userinfo(match: re.Match[str]) -> str:
        user = match.group(2)
        return f"{match.group(1)}{MASK}:{MASK}@" if ":" in user else f"{match.group(1)}{MASK}@"

    if "@" in text:
        text = _BARE_USERINFO.sub(userinfo, _USERINFO.sub(userinfo, _RAW_USERINFO.sub(
            userinfo, text)))
    if "=" in text:
        text = _mask_params_in_prose(text)
    return text


#: Characters that end the sentence around a URL rather than belong to it, when they come
#: last: punctuation and closing quotes. A closing bracket is one too, unless it closes a
#: bracket opened inside the URL (``…/wiki/Salford_(city)``).
_AFTER_URL = frozenset(".,;:!?'\"`\u2019\u201d\u00bb")  # ` closes a quoted value
_BRACKETS = {")": "(", "]": "["}


def url_in_prose(candidate: str) -> str:
    """The URL in ``candidate``, a run of URL characters found in prose, without the
    punctuation that follows it there: in "moved to http://e.org/new; cite it" and
    "(http://e.org/a): gone" the URLs end before the ``;`` and the ``):``."""
    end = len(candidate)
    while end:
        last = candidate[end - 1]
        unclosed = (last in _BRACKETS
                    and candidate.count(_BRACKETS[last], 0, end) < candidate.count(last, 0, end))
        if not (last in _AFTER_URL or unclosed):
            break
        end -= 1
    return candidate[:end]


def _mask_params_in_prose(text: str) -> str:
    """``_mask_params`` for text that may quote URLs: a secret value that ends a URL ends
    with it (``url_in_prose``), so the punctuation after the URL is kept as written; its
    value up to there is masked whole."""
    out: list[str] = []
    at = 0
    for match in _URL_IN_TEXT.finditer(text):
        end = match.start() + len(url_in_prose(match.group(0)))
        if end < match.end():
            out.append(_mask_params(text[at:end]))
            at = end
    return "".join(out) + _mask_params(text[at:]) if out else _mask_params(text)


def _mask_params(text: str, replacement: str = MASK,
                 secret: Callable[[str], bool] = is_secret_name) -> str:
    """Mask secret values; every parameter name is looked at, including those inside
    another parameter's value (``?next=/b?token=x``)."""
    out: list[str] = []
    at = 0
    for name_at, value_at, end in _secret_params(text, secret):
        if name_at <= at:
            continue  # inside a value already masked
        out += (text[at:value_at], replacement)
        at = end
    return "".join(out) + text[at:] if out else text


def _secret_params(text: str, secret: Callable[[str], bool]) -> Iterator[tuple[int, int, int]]:
    """Where each parameter whose name ``secret`` picks is in ``text`` (where its name
    starts, where its value starts and ends), unless its value names a page (a short
    ``sid``)."""
    for match in _PARAM_NAME.finditer(text):
        if not secret(match.group(2)):
            continue
        ends = _PATH_VALUE_END if match.group(1) == ";" else _VALUE_END
        end = ends.search(text, match.end())
        assert end is not None  # \Z always matches
        if not names_a_page(match.group(2), text[match.end():end.start()]):
            yield match.start() + 1, match.end(), end.start()


#: Older names for ``mask``: a URL and free text are masked the same way.
redact = mask
redact_text = mask


def without_secrets(url: str) -> str:
    """``url`` as it may be sent to a third party (an archive, the DOI system): no
    ``user:password@``, no secret-looking parameters (``SENT_TO_ARCHIVES`` aside), no
    fragment. The cited URL's own server is still asked for the URL as cited; nobody else
    is given its credentials."""
    if "@" not in url and "=" not in url and "#" not in url:
        return url
    url = url.split("#", 1)[0]
    url = _USERINFO.sub(lambda m: m.group(1), url, count=1)
    base, mark, query = url.partition("?")
    base = _PATH_PARAM.sub(lambda m: "" if _strip(m.group(1)) and not names_a_page(
        m.group(1), m.group(2)) else m.group(0), base)
    if not mark:
        return base
    kept = [pair for pair in query.split("&") if not _stripped(*pair.partition("=")[::2])]
    url = f"{base}?{'&'.join(kept)}" if kept else base
    # A secret inside another parameter's value (``?next=/b?token=x``) is emptied.
    return _mask_params(url, "", _strip) if "=" in url else url


def credentials_in(url: str) -> frozenset[str]:
    """The credentials ``url`` carries, as ``without_secrets`` finds them: its
    ``user:password@`` and each secret-looking parameter with its value (``token=abc``)."""
    if "@" not in url and "=" not in url:
        return frozenset()
    found = {match.group(2) for match in _USERINFO.finditer(url)}
    found.update(url[name_at:end] for name_at, _, end in _secret_params(
        url, lambda name: _strip(unquote(name))))
    return frozenset(found)


#: ``;jsessionid=…`` in a path.
_PATH_PARAM = re.compile(r";([^=;/?#]+)=([^;/?#]*)")


def _strip(name: str) -> bool:
    return is_secret_name(name) and name.lower() not in SENT_TO_ARCHIVES


def _stripped(name: str, value: str) -> bool:
    name = unquote(name)
    return _strip(name) and not names_a_page(name, value)


def names_a_page(name: str, value: str) -> bool:
    """Whether a parameter named like a session (``BY_LENGTH``) has a page's short value
    (``sid=106``) rather than a session's: it is then no secret."""
    return name.lower() in BY_LENGTH and len(value) < SESSION_LENGTH


@dataclass(frozen=True)
class UrlProblem:
    """Why a written URL cannot be checked as it is. ``fatal``: it is not a web address at
    all, and the case file must be corrected before anything is checked; otherwise the URL
    is reported ``invalid`` and the other links are checked."""

    message: str
    fatal: bool
    #: Said already by ``url_hint`` when the case file is read (a space in the URL).
    hinted: bool = False


#: A space, a tab, a line break; not NEL (``\x85``), a control character that is no space.
_WHITESPACE = re.compile(r"[^\S\x85]")

#: The longest URL httpx, which builds every request, accepts.
MAX_URL_LENGTH = 65536
#: ASCII control characters, which httpx refuses anywhere in a URL.
#: C0 and C1 controls: ``\x9b`` is ESC [ in one character, to a terminal.
_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f-\x9f]")
#: ``scheme://`` and the authority after it (``user@host:port``), as httpx splits them.
_AUTHORITY = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://([^/?#]*)")
_IPV4_STYLE = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+")
_ASCII_DIGITS = re.compile(r"[0-9]+")


def address_defect(url: str) -> str | None:
    """Why ``url`` cannot be requested as written, in words for the person who cited it,
    or None. The one check behind both the case-file reader (``--check-only`` warns) and
    the run (the link is ``invalid``, never requested), and behind a redirect's target:
    what httpx's parser refuses (control characters, brackets, IP addresses, ports,
    international names) and what the resolver refuses (a host-name label longer than 63
    characters, or empty; a name longer than 253), and a port outside 1-65535, which
    would otherwise be taken modulo 65536 and reach another port. What is wrong comes
    first, then, after ``; ``, how to correct it, when there is more to say."""
    if len(url) > MAX_URL_LENGTH:
        return (f"the address is {len(url):,} characters long, more than the "
                f"{MAX_URL_LENGTH:,} a web address may have; check that only the address "
                "was copied")
    control = None if url.isprintable() else _CONTROL_CHARACTER.search(url)
    if control is not None:
        shown = control.group().encode("unicode_escape").decode("ascii")
        return (f"the invisible control character `{shown}` (character {control.start() + 1}) "
                "cannot be part of a web address; delete it (it is often left by text "
                "pasted from a document)")
    authority = _AUTHORITY.match(url)
    if authority is None:
        return None
    if "@" in url and _RAW_USERINFO.match(url):
        # Said without the host or port a parser would make of it: that is the password.
        return ("the address holds a user name and a password with a `#`, `?` or `/` in it, "
                "which ends the address's host there, so it cannot be requested as written; "
                "take the user name and password out of the case file (it is shared), or "
                "write those characters as %23, %3F and %2F")
    host_port = authority.group(1).rpartition("@")[2]
    if host_port.startswith("["):
        end = host_port.rfind("]")
        if end < 0:
            return ("the `[` that starts an IPv6 address is never closed; write the address "
                    "between brackets, e.g. http://[2001:db8::1]/")
        host, after = host_port[1:end], host_port[end + 1:]
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return f"`[{host}]` is not an IPv6 address"
        if after and not after.startswith(":"):
            return f"`{after}` after the `]` should be `:` and a port number, or nothing"
        port = after[1:]
    else:
        host, _, port = host_port.partition(":")
        if ":" in port:
            return (f"`{host_port}` looks like an IPv6 address; write it between brackets: "
                    f"`[{host_port}]`")
        problem = _host_defect(host)
        if problem is not None:
            return problem
    if port and not _ASCII_DIGITS.fullmatch(port):
        return (f"the port `{port}` (after the `:`) is not a number from 1 to 65535; most "
                f"addresses need no port: delete `:{port}`")
    if port and not 0 < int(port) < 65536:
        return (f"port {int(port)} is out of range (1-65535); correct the number after the "
                f"`:`, or delete `:{port}` to use the usual port")
    return None


#: What a host name never holds, though a URL's parser lets it through (``www,ras.org.uk``,
#: as a REF2014 record prints it): no resolver looks it up.
_NOT_IN_A_HOST = re.compile(r"[,;!$'()*+={}|^`\"]")


def _host_defect(host: str) -> str | None:
    """``address_defect`` for a host that is not in brackets."""
    if not host:
        return "there is no host name; expected http://host/path"
    if _IPV4_STYLE.fullmatch(host):
        try:
            ipaddress.IPv4Address(host)
        except ValueError:
            return f"`{host}` is not an IP address: each of its four numbers is at most 255"
        return None
    name = host
    if not host.isascii():
        import httpx  # only for the rare international name: its IDNA encoding, as sent

        try:
            name = httpx.URL(f"http://{host}/").raw_host.decode("ascii")
        except httpx.InvalidURL:
            return f"the host name `{host}` is not a valid international domain name"
    name = name[:-1] if name.endswith(".") else name  # the root's dot, rarely written
    sign = _NOT_IN_A_HOST.search(name)
    if sign is not None:
        meant = (f": `{host.replace(',', '.')}` was probably meant" if sign.group() == ","
                 else "; check that it was copied correctly")
        return (f"the host name `{host}` has a `{sign.group()}`, which no host name has"
                f"{meant}")
    if not name or name.startswith(".") or name.endswith(".") or ".." in name:
        return f"the host name `{host}` has an empty part between dots; remove the extra `.`"
    longest = max(map(len, name.split("."))) if len(name) > 63 else 0
    if longest > 63:
        return (f"a part of the host name is {longest:,} characters long, more than the 63 "
                "allowed between dots (and 253 for the whole name); check that it was copied "
                "correctly")
    if len(name) > 253:
        return (f"the host name is {len(name):,} characters long, more than the 253 allowed; "
                "check that it was copied correctly")
    return None


#: A scheme typed or copied wrong: ``htttp://``, ``ttp://``, ``http//``, ``http//:``,
#: ``http:/``, ``https;//``, ``http:\\``, ``http:// host`` (the REF2014 records hold each).
_SCHEME_TYPO = re.compile(r"(?i)(?:h{1,3}t{1,3}p{1,3}|t{1,2}p{1,2})(s?)\s*([:;]{0,2})\s*"
                          r"([/\\]{0,3})\s*:?\s*(?=[a-z0-9\[])")
#: Letters, colon and slashes as a full-width font prints them (U+FF48 for `h`, U+FF1A for `:`).
_FULL_WIDTH_SCHEME = re.compile("[A-Za-z\uff21-\uff3a\uff41-\uff5a]*[\uff1a:;][\uff0f/]*")


def mistyped_scheme(value: str) -> tuple[str, str] | None:
    """A URL whose ``http://`` or ``https://`` was typed or copied wrong, or twice
    (``http://http://``): (the damaged beginning as written, the URL repaired), or None.
    The repair is certain: nothing but the scheme is changed."""
    # Asked of every URL a case file holds: one whose `http://` is followed by a host's
    # first character (not `h` or `t`, which may begin a scheme typed twice) is well formed.
    after = 7 if value.startswith("http://") else 8 if value.startswith("https://") else 0
    if after and value[after:after + 1].isalnum() and value[after] not in "hHtT":
        return None
    text = value
    wide = _FULL_WIDTH_SCHEME.match(text)
    if wide is not None and not wide.group().isascii():
        text = unicodedata.normalize("NFKC", wide.group()) + text[wide.end():]
    rest, secure = text, ""
    while (typo := _SCHEME_TYPO.match(rest)) is not None and (typo.group(2) or typo.group(3)):
        rest, secure = rest[typo.end():], typo.group(1).lower()
    repaired = f"http{secure}://{backslashes_as_slashes(rest)}"
    damaged = value[:len(value) - len(rest)]
    if rest == text or damaged.lower() == f"http{secure}://" or "." not in host_of(repaired):
        return None  # `Http://` is `http://`: a scheme's letter case is not its own
    return damaged, repaired


def _doi_not_url(value: str) -> str | None:
    """The DOI written where a URL goes, as a DOI (``doi:10.1002/car.934``,
    ``DOI: 10.1002/car.934``, ``10.1002/car.934``), not as a doi.org address; or None."""
    if value[:1] not in "1dD" or value.lower().startswith(("doi.org", "dx.doi.org")):
        return None
    return normalise_doi(value)


def backslashes_as_slashes(address: str) -> str:
    """``\\`` for ``/`` before the query, as a browser reads it (``dx.doi.org\\10.1007\\…``,
    typed on Windows)."""
    path, mark, query = address.partition("?")
    return path.replace("\\", "/") + mark + query


def backslashed(value: str) -> str | None:
    """An http(s) address with ``\\`` for ``/`` before its query (``http://dx.doi.org\\
    10.1007\\…``): the address as a browser reads it, or None."""
    if "\\" not in value or "\\" not in value.partition("?")[0] \
            or not value[:8].lower().startswith(("http://", "https://")):
        return None
    return backslashes_as_slashes(value)


@functools.lru_cache(maxsize=URLS_REMEMBERED)
def url_problem(value: str) -> UrlProblem | None:
    """The one URL validator: None for an http(s) address refcheck can request. What
    cannot be requested as written (``address_defect``) is a problem that is not fatal:
    the case-file reader warns, and the run reports the link ``invalid``."""
    doi = _doi_not_url(value)
    if doi is not None:
        return UrlProblem(f"is a DOI, not a web address; write it under `doi:` (`doi: {doi}`), "
                          f"or as the URL `https://doi.org/{doi}`", fatal=True)
    typo = mistyped_scheme(value)
    if typo is not None:
        damaged, repaired = typo
        # `http://http://…` (the host `http`) and `http:// host` are web addresses that
        # cannot be requested as meant: like others, reported `invalid` while the rest of
        # the links are checked.
        return UrlProblem(f"begins with a mistyped scheme, `{damaged}`; write `{repaired}`",
                          fatal=not value[:8].lower().startswith(("http://", "https://")))
    slashed = backslashed(value)
    if slashed is not None:
        # Requested, the host would be all of `dx.doi.org\\10.1007\\…`: never found.
        return UrlProblem("has `\\` where a web address has `/` (a browser reads it as `/`); "
                          f"write `{slashed}`", fatal=False)
    if _WHITESPACE.search(value):
        return UrlProblem("contains a space, often damage from copying out of a PDF; remove "
                          "it, or write %20 where the address really has a space", fatal=False,
                          hinted=True)
    # Most URLs are plainly http(s) with a host: host_of reads that without splitting the
    # URL (urlsplit was a quarter of reading a large case file), and remembers the host
    # for the checker, which asks again.
    if value[:8].lower().startswith(("http://", "https://")) and host_of(value):
        return _defect(value)
    try:
        parts = urlsplit(value)
    except ValueError:
        return _defect(value)  # an unclosed `[`, say
    # ``bob:pw@host/`` is read as the scheme ``bob:``, and ``//host/`` as no scheme: both
    # are web addresses written without theirs.
    if not parts.scheme or _BARE_USERINFO.match(value):
        bare = value.removeprefix("//")
        if bare.startswith("www.") or "." in bare.split("/", 1)[0]:
            return UrlProblem("has no scheme; expected an address starting with https:// "
                              f"(https://{bare}?)", fatal=True)
        return UrlProblem("is not a web address; expected one starting with http:// or "
                          "https://", fatal=True)
    if parts.scheme.lower() == "mailto":
        return UrlProblem("is an email address (`mailto:`), not a web page: refcheck checks "
                          "web pages; write it under `note:` instead", fatal=True)
    if parts.scheme.lower() not in ("http", "https"):
        return UrlProblem(f"uses `{parts.scheme}:`; refcheck checks http:// and https:// "
                          "addresses only", fatal=True)
    if not parts.netloc:
        return UrlProblem("has no host name; expected http://host/path", fatal=True)
    return _defect(value)


def _defect(value: str) -> UrlProblem | None:
    defect = address_defect(value) or _invisible_character(value)
    return None if defect is None else UrlProblem(defect, fatal=False)


def _invisible_character(value: str) -> str | None:
    """An invisible formatting character in a cited address (Unicode's category Cf: Word's
    optional hyphen, a web page's zero-width space, a byte-order mark, a direction mark),
    pasted with it and never part of it: the address would be requested with it
    percent-encoded and answer 404. A server may redirect to such an address (a browser
    follows it), so this is a case file's defect only, not ``address_defect``'s."""
    if value.isprintable():
        return None
    at = next((i for i, c in enumerate(value) if unicodedata.category(c) == "Cf"
               and not _joins_letters(value, i)), None)
    if at is None:
        return None
    shown = value[at].encode("unicode_escape").decode("ascii")
    name = unicodedata.name(value[at], "a formatting character").lower()
    return (f"the invisible character `{shown}` ({name}, character {at + 1}) cannot be part "
            "of a web address; delete it (it is often left by text pasted from a document "
            "or a web page)")


def _joins_letters(value: str, at: int) -> bool:
    """A zero-width joiner or non-joiner between two letters of a script that writes with
    them (Persian, Arabic, the Indic scripts): part of the word, as in an address's path in
    that language. Between Latin letters it is pasted, not written."""
    if value[at] not in "\u200c\u200d" or not 0 < at < len(value) - 1:
        return False
    return all(unicodedata.category(c)[0] in "LM" and not c.isascii()
               for c in (value[at - 1], value[at + 1]))


#: Punctuation that ends a sentence, left behind when a URL is copied out of prose.
_TRAILING = {".": "full stop", ",": "comma", ";": "semicolon", ":": "colon",
             ")": "closing bracket", "]": "closing bracket", ">": "`>`"}
_OPENED_BY = {")": "(", "]": "[", ">": "<"}
_WRAPPERS = (("<", ">", "the < > around it"), ("\u201c", "\u201d", "the curly quotes around it"),
             ("\u2018", "\u2019", "the curly quotes around it"), ('"', '"', "the quotes around it"),
             ("(", ")", "the brackets around it"))


def unwrap_url(value: str) -> tuple[str, str] | None:
    """A URL written inside ``< >``, curly quotes or brackets: (the URL, what to remove)."""
    for opening, closing, what in _WRAPPERS:
        if value.startswith(opening) and value.endswith(closing) and len(value) > 2:
            inner = value[len(opening):-len(closing)].strip()
            if inner.lower().startswith(("http://", "https://", "www.")):
                return inner, what
    return None


#: What a document's typography leaves on the end of a URL copied out of it: a closing
#: curly quote, and a space or curly quote percent-encoded by the program it went through.
_TRAILING_COPIED = (("\u201d", "closing curly quote `\u201d`"),
                    ("\u2019", "closing curly quote `\u2019`"),
                    ("%20", "`%20` (an encoded space)"),
                    ("%E2%80%9D", "`%E2%80%9D` (an encoded closing curly quote)"),
                    ("%E2%80%99", "`%E2%80%99` (an encoded closing curly quote)"))
#: The last characters of those endings, in either case.
_LAST_CHARACTERS = tuple({c for ending, _ in _TRAILING_COPIED
                          for c in (ending[-1], ending[-1].lower())})
_OPENING = {"\u201d": "\u201c", "\u2019": "\u2018", "%E2%80%9D": "%E2%80%9C",
            "%E2%80%99": "%E2%80%98"}
#: Hyphens a PDF or Word may put where the address has ``-``: the typographic hyphen, the
#: non-breaking hyphen, the figure dash and the en dash.
_TYPOGRAPHIC_HYPHENS = re.compile("[\u2010-\u2013]")


def copied_tail(value: str) -> tuple[str, str] | None:
    """What copying left on the end of a URL (``_TRAILING_COPIED``): (the ending, what it
    is in words), or None."""
    if not value.endswith(_LAST_CHARACTERS):  # asked of every cited URL: most end so
        return None
    upper = value.upper()
    for ending, what in _TRAILING_COPIED:
        if upper.endswith(ending) and len(value) > len(ending):
            # Quotes the address opens itself (a news slug's
            # `%E2%80%98bioenergy-principles%E2%80%99`) are its own; so is a space ending a
            # query's value.
            opening = _OPENING.get(ending)
            if (opening is not None and opening in upper) or (
                    ending == "%20" and "?" in value):
                continue
            return ending, what
    return None


#: ``&amp;`` between a query's parameters (``?action=download&amp;o=58975``): HTML's
#: ``&``, copied with the address out of a page's source or the REF2014 records, which
#: hold the case studies' HTML.
_ENTITY_IN_QUERY = re.compile(r"\?[^#]*?(&amp;)(?=[^&=#;]+=|&|#|$)", re.IGNORECASE)


#: The characters HTML's entities written without their ``;`` stand for (``&sect`` is ``§``,
#: ``&para`` is ``¶``, ``&not`` is ``¬``), each with its entity's name: decoding a page
#: that writes a query's ``&`` unescaped turns ``?a=1&sectionTitle=x`` into
#: ``?a=1§ionTitle=x``, as the REF2014 records hold seven addresses.
_LEGACY_ENTITIES = {char: name for name, char in sorted(html.entities.html5.items(),
                                                       key=lambda item: item[0].islower())
                    if not name.endswith(";") and len(char) == 1 and not char.isascii()
                    and not unicodedata.category(char).startswith("L")}  # é may be the word's
_ENTITY_DECODED = re.compile(
    rf"(?<=[A-Za-z0-9_.+%~-])([{''.join(sorted(_LEGACY_ENTITIES))}])(?=[A-Za-z0-9_]*=)")


def entity_decoded(value: str) -> tuple[str, str] | None:
    """A query's ``&`` and the parameter name after it read as an HTML entity
    (``?section=444§ionTitle=…`` for ``?section=444&sectionTitle=…``): (the character,
    the URL repaired), or None. Certain: no address writes ``§`` between a value and the
    next parameter's name."""
    query = value.find("?")
    if query < 0 or value.isascii():  # each character an entity stands for is not ASCII
        return None
    before, after = value[:query + 1], value[query + 1:].split("#", 1)[0]
    found = _ENTITY_DECODED.search(after)
    if found is None:
        return None
    repaired = _ENTITY_DECODED.sub(lambda m: "&" + _LEGACY_ENTITIES[m.group(1)], after)
    return found.group(1), before + repaired + value[query + 1 + len(after):]


#: An HTML entity, named or numbered (``&#8211;``, ``&eacute;``).
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#x[0-9a-f]{1,6}|[a-z][a-z0-9]{1,31});", re.IGNORECASE)
#: A word broken at a line's end with a hyphen, and the space the break left
#: (``evalu- ation.pdf``).
_BREAK_HYPHEN = re.compile(r"([A-Za-z0-9]+)-[^\S\x85]+([A-Za-z0-9]+)")


def url_hint(value: str) -> str | None:
    """A likely mistake in a URL that can still be requested as written: the fix, in words,
    or None."""
    if mistyped_scheme(value) is not None or _doi_not_url(value) is not None:
        return None  # url_problem says what to write
    around = _text_around(value)
    if around is not None:
        return around
    if _WHITESPACE.search(value):
        broken = _BREAK_HYPHEN.search(value)
        if broken is not None:
            word = broken.group(1) + broken.group(2)
            return (f"remove the space in `{broken.group()}` (a line break's, from copying out of "
                    f"a PDF): the hyphen may be the line break's too, so try "
                    f"`{broken.group(1)}-{broken.group(2)}` and `{word}`")
        return ("remove the space (often damage from copying out of a PDF), or write %20 "
                "where the address really has one")
    tail = copied_tail(value)
    if tail is not None:
        ending, what = tail
        return (f"remove the trailing {what}, copied with the address: "
                f"`{value[:-len(ending)]}` was probably meant")
    written = _ENTITY.search(value) if "&" in value else None
    if written is not None and written.group().lower() != "&amp;" \
            and (char := html.unescape(written.group())) != written.group() \
            and (written.group()[1] == "#" or "?" not in value[:written.start()]):
        # A named one in a query may be a parameter (`?a=1&copy;`); a numbered one never is.
        as_dash = (" (for a dash, `-`)" if _TYPOGRAPHIC_HYPHENS.match(char) or char == "\u2014"
                   else "")
        ends = (", and its `#` would end the address there" if written.group()[1] == "#"
                else "")
        return (f"`{written.group()}` is how HTML writes `{char}` (the address was copied out "
                f"of a web page's source or the REF2014 data){ends}: write `{char}`{as_dash} for "
                "it")
    entity = _ENTITY_IN_QUERY.search(value)
    if entity is not None:
        return (f"`{entity.group(1)}` is how HTML writes `&` (the address was copied out of a "
                "web page's source or the REF2014 data): write `&` there, or the server gets "
                f"a parameter named `{entity.group(1)[1:]}…`")
    decoded = entity_decoded(value)
    if decoded is not None:
        char, repaired = decoded
        return (f"`{char}` in the query is `&{_LEGACY_ENTITIES[char]}` read as an HTML entity "
                f"(the `&` before a parameter's name, decoded by a web page or the REF2014 "
                f"data): write `{repaired}`")
    dash = _TYPOGRAPHIC_HYPHENS.search(value)
    if dash is not None:
        return (f"character {dash.start() + 1} is a typographic dash (`{dash.group()}`, "
                "U+{:04X}), which copying from a PDF or Word puts for `-`: write `-` "
                "there".format(ord(dash.group())))
    if value.endswith("\u2026"):
        return ("the address ends in `\u2026`, as one shortened for display does, so the rest "
                "of it is missing: copy the whole address from the page's address bar")
    kept = _without_trailing(value)
    if kept == value:
        return None
    cut = value[len(kept):]
    what = (f"trailing {_TRAILING[cut]}" if len(cut) == 1 else f"`{cut}` at the end")
    return f"remove the {what}: `{kept}` was probably meant"


def _without_trailing(value: str) -> str:
    """``value`` without the sentence's punctuation and the closing brackets it did not
    open (``…report.pdf).`` is ``…report.pdf``); ``..`` (a parent folder) is kept."""
    while value and value[-1] in _TRAILING and not value.endswith(".."):
        last = value[-1]
        if last in ")]>" and value.count(_OPENED_BY[last]) >= value.count(last):
            break  # balanced: CRITA_FINAL(1).pdf keeps its bracket
        value = value[:-1]
    return value


#: Text written before an address in the same value (``Available at: http://…``).
_TEXT_BEFORE = re.compile(r"(?i)^(?!https?:)(\S.*?[\s:(\[<])(?=https?://|www\.)")
#: A citation's note glued on after the address (``report.pdf(accessed 12 May 2013)``).
_NOTE_AFTER = re.compile(r"(?i)\s*[(\[]\s*(?:last\s+|date\s+)?(?:accessed|viewed|retrieved|"
                         r"visited|archived|consulted)\b.*$")


def _text_around(value: str) -> str | None:
    """The words of the citation copied with the address into the value: the fix."""
    before = _TEXT_BEFORE.match(value)
    if before is not None:
        return (f"remove `{before.group(1).strip()}` before the address: "
                f"`{_without_trailing(value[before.end():].strip())}` was probably meant")
    note = _NOTE_AFTER.search(value) if "(" in value or "[" in value else None
    if note is not None and note.start() > 0 and "://" in value[:note.start()]:
        return (f"remove `{note.group().strip()}`, the citation's note copied with it: "
                f"`{_without_trailing(value[:note.start()])}` was probably meant")
    return None


def dedupe_key(url: str) -> str:
    """URLs that would send the same request share a key (fragments are never sent)."""
    return url.split("#", 1)[0]


#: An http(s) URL whose host needs no unpicking (no user info, no IPv6 brackets).
_PLAIN_HOST = re.compile(r"https?://([A-Za-z0-9.-]+)(?::[0-9]*)?(?:[/?#]|\Z)", re.IGNORECASE)


@functools.lru_cache(maxsize=URLS_REMEMBERED)
def host_of(url: str) -> str:
    """The lower-cased host; cached, since several checks ask it of every link."""
    plain = _PLAIN_HOST.match(url)
    if plain:
        return plain.group(1).lower()
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


#: Query parameters that carry a visitor's session, not the page: PHP's ``PHPSESSID``,
#: Java's ``jsessionid``, ColdFusion's ``CFID``/``CFTOKEN``.
SESSION_PARAMS = frozenset({"jsessionid", "phpsessid", "sessionid", "sid", "cfid", "cftoken"})
#: The same in a path: Java's ``;jsessionid=…``.
_SESSION_PATH_PARAM = re.compile(rf";({'|'.join(sorted(SESSION_PARAMS))})=([^;/?#]*)",
                                 re.IGNORECASE)
#: ASP.NET's cookieless session, a path segment of its own: ``/(S(x3fj…))/page.aspx``.
_ASPNET_SESSION = re.compile(r"/\((?:[A-Za-z]\([^()/]*\))+\)(?=/|$)")
#: A folder's own page named: ``/reports/index.html`` is ``/reports/``.
_INDEX_FILE = re.compile(r"/(?:index|default)\.(?:html?|shtml|php|aspx?|jsp|cfm)$",
                         re.IGNORECASE)


def _is_session(name: str, value: str) -> bool:
    name = unquote(name)
    return name.lower() in SESSION_PARAMS and not names_a_page(name, value)


#: Query parameters that say where a visitor came from and choose nothing on the page:
#: Google Analytics' ``utm_*``, the BBC's ``at_medium``/``at_campaign``, the Guardian's
#: ``CMP``, ad networks' click ids, mailing lists' ids, ScienceDirect's ``via=ihub`` (the
#: DOI's linking hub), Google Books' ``redir_esc=y``. A server that adds one on its way to
#: the page has sent the visitor to the same page.
_TRACKING = re.compile(
    r"utm_\w+|at_(?:medium|campaign|custom\d+|link_\w+|ptr_name|format|bbc_team)|fbclid|gclid|"
    r"dclid|gbraid|wbraid|msclkid|mc_cid|mc_eid|_ga|_gl|_hsenc|_hsmi|mkt_tok|ocid|cmpid|cmp|"
    r"icid|s_cid|xtor", re.IGNORECASE)
_TRACKING_PAIRS = frozenset({("via", "ihub"), ("redir_esc", "y")})


def _is_tracking(name: str, value: str) -> bool:
    name = unquote(name)
    if not value and "=" in name:  # ``?via%3Dihub``, as ScienceDirect writes it
        name, _, value = name.partition("=")
    return bool(_TRACKING.fullmatch(name)) or (
        (name.lower(), unquote(value).lower()) in _TRACKING_PAIRS)


#: Springer Nature's cookie check (nature.com, link.springer.com): a visitor that did not
#: keep the cookie its sign-in service set is sent back to the page it asked for with
#: ``?error=cookies_not_supported&code=…``, the code that visit's own. The same page.
_COOKIE_CHECK = "error=cookies_not_supported"


def _is_cookie_check(pair: str, checked: bool) -> bool:
    return checked and (pair.lower() == _COOKIE_CHECK
                        or unquote(pair.partition("=")[0]).lower() == "code")


def without_session(url: str, *, cited: str | None = None) -> str:
    """``url`` without a visitor's session in its path or query: the address to cite when
    a server put one there on the way (a session is one visitor's, and expires), nor
    Springer Nature's ``?error=cookies_not_supported&code=…``, nor the parameters that
    only track where the visitor came from (``utm_source``, ``at_medium``, ``via=ihub``).
    A parameter named as a tracking one that the ``cited`` address has too is kept: the
    citer chose it, and a name such as ``cmp`` (the Guardian's campaign tag) may choose
    the page on another site (a comparison site's ``?cmp=respite-vs-day-care``)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    chosen = _param_names(cited) if cited is not None else frozenset()
    path = _ASPNET_SESSION.sub("", _SESSION_PATH_PARAM.sub(
        lambda m: m.group(0) if names_a_page(m.group(1), m.group(2)) else "", parts.path))
    query = parts.query
    if query:
        pairs = query.split("&")
        checked = _COOKIE_CHECK in (p.lower() for p in pairs)
        query = "&".join(pair for pair in pairs
                         if not _is_session(*pair.partition("=")[::2])
                         and not (_is_tracking(*pair.partition("=")[::2])
                                  and _param_name(pair) not in chosen)
                         and not _is_cookie_check(pair, checked))
    if path == parts.path and query == parts.query:
        return url
    return urlunsplit(parts._replace(path=path, query=query))


def _param_name(pair: str) -> str:
    return unquote(pair.partition("=")[0]).lower()


def _param_names(url: str) -> frozenset[str]:
    """The names of an address's query parameters, as ``_param_name`` spells them."""
    try:
        query = urlsplit(url).query
    except ValueError:
        return frozenset()
    return frozenset(_param_name(pair) for pair in query.split("&") if pair)


#: Second-level names under which a country's organisations register theirs:
#: ``salford.ac.uk``, ``bristol.gov.uk``, ``bbc.co.uk``, ``nhs.uk``'s trusts.
_SECOND_LEVEL = frozenset({"ac", "gov", "co", "org", "nhs", "ltd", "plc", "me", "net", "sch",
                           "police", "mod", "com", "edu"})


def site_of(host: str) -> str:
    """The name a host's organisation registered, roughly (no public-suffix list):
    ``www.research.salford.ac.uk`` → ``salford.ac.uk``, ``news.bbc.com`` → ``bbc.com``."""
    labels = host.lower().rstrip(".").split(".")
    if len(labels) >= 3 and labels[-2] in _SECOND_LEVEL and len(labels[-1]) == 2:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def _comparable(url: str, other: str) -> tuple[str, str, str]:
    # (A tracking parameter both addresses name is compared: ``?cmp=`` may choose a page.)
    parts = urlsplit(without_session(url, cited=other))
    host = (parts.hostname or "").lower()
    host = host.removeprefix("www.")
    # A site's mobile host is the site (``m.bbc.co.uk``, ``en.m.wikipedia.org``,
    # ``mobile.example.org``): a visitor sent from it to the desktop host has the same page.
    labels = host.split(".")
    if len(labels) >= 3:
        kept = [label for label in labels[:-2] if label not in ("m", "mobile")]
        host = ".".join([*kept, *labels[-2:]]).removeprefix("www.")
    port = parts.port
    if port in (80, 443):
        port = None
    path = _INDEX_FILE.sub("/", unquote(parts.path)).rstrip("/").lower() or ""
    # The query as its parameters say it, whatever their order or their spelling
    # (``?q=young+carers`` is ``?q=young%20carers``).
    query = "&".join(f"{k}={v}" for k, v in sorted(parse_qsl(parts.query,
                                                             keep_blank_values=True)))
    return (f"{host}:{port}" if port else host, path, query)


def is_trivial_move(original: str, final: str) -> bool:
    """http→https, ``www.`` added or dropped, a trailing slash, a folder's ``index.html``
    named or dropped, a default port, a visitor's session or tracking parameters added, the
    path's letter case or percent-encoding changed, the query's parameters put in another
    order: the same page (the server names its own spelling of the cited address)."""
    try:
        return _comparable(original, final) == _comparable(final, original)
    except ValueError:
        return False


#: Languages a site's front page is put under (``/en/``, ``/cy/``, ``/fr-fr/``). Not every
#: two letters: ``/hr/`` and ``/it/`` are more often a university's HR and IT sections.
_LANGUAGES = ("en|cy|ga|gd|fr|de|es|pt|nl|pl|zh|ar|ja|ko|ru|sv|da|fi|nb|nn|el|tr|cs|hu|ro|bg|"
              "sk|sl|lt|lv|et|uk|ur|hi|bn|pa|gu|ta|ca|eu|gl")
#: A front page's own names, English, Welsh (``hafan``), French, Spanish and German.
_HOME_NAMES = "index|default|home|homepage|home-page|welcome|start|hafan|accueil|inicio|startseite"
_HOME_PATH = re.compile(
    rf"^/?(?:(?:{_LANGUAGES})(?:[-_][a-z]{{2}})?(?:/|$))?"
    rf"(?:(?:pages/)?(?:{_HOME_NAMES})(?:\.[a-z]{{2,5}})?)?/?$",
    re.IGNORECASE,
)


#: Query parameters that choose no content: where the visitor came from (``ref``, and the
#: tracking parameters, ``_is_tracking``'s), and the language or region the front page is
#: shown in. Not ``src``, ``source`` or ``from``: ``/?src=report.pdf`` may well choose a
#: page.
_NOT_CONTENT = re.compile(
    r"ref|referrer|referer|campaign|lang|language|locale|hl|ln|region|country|redirected",
    re.IGNORECASE)
_HOME_VALUE = re.compile(rf"(?:{_HOME_NAMES})", re.IGNORECASE)


def is_home_page(url: str, *, sent_from: str | None = None) -> bool:
    """A site's front page: ``/``, ``/index.html``, ``/default.aspx``, ``/en/``,
    ``/en-gb/home``, ``/cy/hafan``, SharePoint's ``/Pages/default.aspx``…, with no query
    that chooses a page: ``/?lang=en``, ``/?utm_source=old`` and ``/index.php?page=home``
    are front pages, ``/?p=123`` and ``/index.php?id=5`` are not. Reached by a redirect
    from ``sent_from``, a query that only names that address (``/?redirect=/old/page``,
    ``/?oldurl=http://…``) chooses no page either: the site says where the visitor came
    from. Not a parameter a site's script shows its pages by (``/index.php?page=/about/
    history``): that asks for the page."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if not _HOME_PATH.match(parts.path or "/"):
        return False
    echoed = _echoes(sent_from) if sent_from else None
    return all(_NOT_CONTENT.fullmatch(name) or _is_tracking(name, value)
               or _HOME_VALUE.fullmatch(value)
               or (echoed is not None and not _ROUTE_PARAM.fullmatch(name) and echoed(value))
               for name, value in parse_qsl(parts.query, keep_blank_values=True))


#: The parameters by which one script shows each page of a site (a front controller's
#: ``index.php?page=/about/history``, ``?q=``, ``?route=``): naming the cited path there
#: asks for that page, not for the home page.
_ROUTE_PARAM = re.compile(r"page|q|path|route|r|p|pg|file|view|node|doc|document|content|"
                          r"section|module|action|id|item|article|show", re.IGNORECASE)


def _echoes(cited: str) -> Callable[[str], bool] | None:
    """Whether a query value names ``cited`` (its path, with or without the site)."""
    try:
        path = urlsplit(cited).path.rstrip("/").lower()
    except ValueError:
        return None
    if len(path.strip("/")) < 2:
        return None
    return lambda value: unquote(value).lower().rstrip("/").endswith(path)


_LOGIN_PATH = re.compile(
    r"/(login|log-in|log_in|logon|signin|sign-in|sign_in|saml2?|authenticate|"
    r"oauth2?|users/sign_in|account/login|accounts/login|shibboleth\.sso|"
    r"cookieauth\.dll)(/|\.|$|\?)"  # the last, Microsoft TMG/ISA's form-based sign-in
    # Single sign-on's short names are also folders' names (Brookings' /projects/idp/, on
    # internally displaced people; a centre's /cas/, its staff at /cas/profile/…): a
    # sign-in only as the address's last part asked with a query (/auth?return=…; /sso
    # alone too), as a script (/auth.php), or before a sign-in's own part (CAS's
    # /cas/login, Shibboleth's /idp/profile/SAML2, Keycloak's /auth/realms/).
    r"|/(?:sso|idp|cas|auth)/?\?|/sso/?$|/(?:sso|auth)\.\w{2,4}(?:\?|$)"
    r"|/(?:sso|idp|cas|auth)/(?:login|logon|signin|sign-in|authori[sz]e|oauth2?|saml2?|sso)"
    r"(?:[/?.]|$)|/idp/profile/|/auth/realms/",
    re.IGNORECASE,
)
#: Sign-in hosts, and the federations' "where are you from" services (WAYF) that send a
#: visitor to their own institution's sign-in: ``wayf.ukfederation.org.uk``.
_LOGIN_HOST = re.compile(r"^(login|signin|sso|idp|auth|accounts|account|shibboleth|wayf)\.",
                         re.IGNORECASE)


def is_login_page(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    if _LOGIN_HOST.match(parts.hostname or ""):
        return True
    return bool(_LOGIN_PATH.search(parts.path + ("?" if parts.query else "")))


#: Link shorteners whose redirect is the point, not a move.
SHORTENERS = frozenset({"bit.ly", "tinyurl.com", "goo.gl", "ow.ly", "t.co", "buff.ly",
                        "is.gd", "tiny.cc", "j.mp", "lnkd.in", "dlvr.it",
                        # Sites' own short links (YouTube's, the BBC's, Amazon's, Dropbox's,
                        # WordPress.com's): 22 youtu.be and 18 bbc.in in the REF2014 corpus.
                        "youtu.be", "bbc.in", "amzn.to", "db.tt", "wp.me"})
#: goo.gl links stopped resolving on 25 August 2025 (Google's shutdown of the shortener).
RETIRED_SHORTENERS = {"goo.gl": "goo.gl short links stopped working on 25 August 2025"}


def is_short_link(url: str) -> bool:
    return host_of(url).removeprefix("www.") in SHORTENERS


def retired_short_link(url: str) -> str | None:
    """Why a short link can no longer work, or None."""
    return RETIRED_SHORTENERS.get(host_of(url).removeprefix("www."))


#: Shorteners' own warning pages, by host and path: where a shortener sends a link it will
#: not expand (Bitly's "Warning! There might be a problem with the requested link", for
#: links it flags as spam or phishing and for links to other shorteners:
#: ``bitly.com/a/warning?hash=…&url=…``). Such a page is the service's, never the link's
#: expansion.
SHORTENER_WARNINGS = {"bitly.com": ("Bitly", "/a/warning"), "bit.ly": ("Bitly", "/a/warning"),
                      "j.mp": ("Bitly", "/a/warning")}


def shortener_warning(url: str) -> tuple[str, str | None] | None:
    """(the service, the address it warns about, if it names it) when ``url`` is a link
    shortener's warning page; else None."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    known = SHORTENER_WARNINGS.get((parts.hostname or "").removeprefix("www."))
    if known is None or parts.path.rstrip("/").lower() != known[1]:
        return None
    target = next((v for k, v in parse_qsl(parts.query) if k.lower() == "url"), None)
    return known[0], (target if target and target.lower().startswith(("http://", "https://"))
                      else None)


def is_section_root(original: str, final: str) -> bool:
    """A redirect from a deep page up to a section page of the same site (``/news/2012/x``
    to ``/news/``; or, the site's layout flattened, ``/cyp/news/2012/x`` to ``/news/``): how
    many CMSs answer for a page they no longer have."""
    try:
        before, after = urlsplit(original), urlsplit(final)
    except ValueError:
        return False
    if (before.hostname or "").removeprefix("www.") != (after.hostname or "").removeprefix("www."):
        return False
    if after.query:
        return False
    # Folders compared as ``is_trivial_move`` compares paths: a site on a server that
    # ignores case (IIS, SharePoint) is cited as ``/News/2012/Item.aspx`` and redirects to
    # its new ``/news/``.
    deep = [unquote(p).lower() for p in _INDEX_FILE.sub("/", before.path).split("/") if p]
    top = [unquote(p).lower() for p in _INDEX_FILE.sub("/", after.path).split("/") if p]
    if not 1 <= len(top) < len(deep):
        return False
    # The section's folders as a run of the page's, with more of the page's after them: a
    # page moved up keeps its own last folder (``/cms/articles/1234`` to ``/articles/1234``).
    starts = [i for i in range(len(deep) - len(top)) if deep[i: i + len(top)] == top]
    if not starts:
        return False
    rest = deep[starts[0] + len(top):]
    # A document is no section (Plone's ``…/report.pdf/view`` sent to ``…/report.pdf``), nor
    # is the page itself without its view (``…/item/print`` sent to ``…/item``), nor a
    # folder's own page sent to the folder: SharePoint's ``/Conditions/Depression/Pages/
    # Introduction.aspx`` (NHS Choices) to ``/conditions/depression/``.
    return not (_NAMES_A_FILE.search(top[-1]) or all(_shows_the_folder(p) for p in rest))


def _shows_the_folder(segment: str) -> bool:
    """Whether an address's last segments, below a folder, name that folder's own page: a
    view of it (``view``, ``print``), SharePoint's ``Pages`` library, or a folder's first
    page (``Introduction.aspx``, ``overview``)."""
    name = segment.lower()
    return (name in _PAGE_VIEWS or name == "pages"
            or name.rsplit(".", 1)[0] in _FOLDER_PAGES)


#: A path segment that names a document or a static page (``report.pdf``, ``annual.html``);
#: not an application's (``x.nsf``, ``news.php``), which may well be a site's section.
_NAMES_A_FILE = re.compile(r"\.(?:pdf|docx?|xlsx?|pptx?|odt|ods|odp|rtf|csv|txt|zip|epub|"
                           r"s?html?|xml|jpe?g|png|gif)$", re.IGNORECASE)
#: The last segment of an address that shows its page another way: Plone's ``view``, a
#: print view, an AMP copy.
_PAGE_VIEWS = frozenset({"view", "print", "amp", "index", "index.html", "index.htm"})
#: What a folder's first page is called, below it (``Introduction.aspx``, ``overview``).
_FOLDER_PAGES = frozenset({"introduction", "overview", "summary", "default", "index", "home",
                           "main", "welcome", "landing", "start"})


_DOI_HOSTS = ("doi.org", "dx.doi.org", "www.doi.org")
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")


@functools.lru_cache(maxsize=URLS_REMEMBERED)
def doi_of(url: str) -> str | None:
    """The DOI a doi.org / dx.doi.org URL names, or None."""
    if host_of(url) not in _DOI_HOSTS:  # asked of every link; most are not DOIs
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    candidate = unquote(parts.path.lstrip("/"))
    return candidate if _DOI.match(candidate) else None


#: Where a publisher's address names its article's DOI: the ``/doi/`` of Atypon's platforms
#: (Wiley Online Library, Taylor & Francis Online, SAGE Journals: ``/doi/abs/10.1080/…``,
#: ``/doi/10.1002/car.934/full``) and Springer's ``/article/10.1007/…``, ``/chapter/…``.
_PUBLISHER_DOI = re.compile(
    r"/(?:doi(?:/(?:abs|full|pdf|epdf|pdfdirect|epub|reader|fulltext|book|figure|suppl))?"
    r"|article|chapter|book|referenceworkentry|protocol|content/pdf)"
    r"/(10\.\d{4,9}/[^/?#]+)(?:/(?:full|abstract|pdf|epdf|references|fulltext))?/?$",
    re.IGNORECASE)


def doi_in_publisher_url(url: str) -> str | None:
    """The DOI a publisher's article address names in its path, or None: ``10.1002/car.934``
    for ``https://onlinelibrary.wiley.com/doi/full/10.1002/car.934``."""
    if doi_of(url):
        return None
    try:
        match = _PUBLISHER_DOI.search(urlsplit(url).path)
    except ValueError:
        return None
    if match is None:
        return None
    doi = unquote(match.group(1))
    if doi.lower().endswith(".pdf") and "/content/pdf/" in url.lower():
        doi = doi[:-4]
    return doi if _DOI.match(doi) else None


def normalise_doi(text: str) -> str | None:
    """``doi:10.1002/car.934``, ``https://doi.org/10.1002/car.934`` or the bare DOI → the
    bare DOI; None when it is not one."""
    value = _DOI_PREFIX.sub("", text.strip(), count=1)
    return value if _DOI.match(value) else None


#: How a DOI is written before its ``10.``: ``doi:``, ``DOI: `` (as case studies print it),
#: ``https://doi.org/``, ``http://dx.doi.org/``, ``www.doi.org/`` or ``doi.org/``, in any case.
_DOI_PREFIX = re.compile(r"^(?:doi:\s*|(?:https?://)?(?:www\.|dx\.)?doi\.org/)", re.IGNORECASE)
