"""Pure functions on URLs: masking secrets, comparing, and naming what a URL points at."""

from __future__ import annotations

import functools
import re
from urllib.parse import parse_qsl, quote, unquote, urlsplit, urlunsplit

#: Query parameters whose values are masked in every output (matched inside longer names too,
#: so ``api_key`` and ``access_token`` are masked as well).
SECRET_PARAMS = ("token", "key", "password", "passwd", "secret", "signature", "sig", "auth")
MASK = "****"

_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)


def redact(url: str) -> str:
    """Mask credentials: ``user:password@`` and the values of secret-looking query parameters."""
    if "@" not in url and "?" not in url:
        return url  # neither credentials nor a query: the common case, asked of every URL
    try:
        parts = urlsplit(url)
    except ValueError:
        return _redact_userinfo_crudely(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        netloc = f"{MASK}:{MASK}@{host}" if ":" in userinfo else f"{MASK}@{host}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(_is_secret(name) for name, _ in pairs):
            query = "&".join(
                f"{quote(name, safe='')}={MASK if _is_secret(name) else quote(value, safe='/:')}"
                for name, value in pairs
            )
    if netloc == parts.netloc and query == parts.query:
        return url
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact_text(text: str) -> str:
    """Mask credentials in every URL inside free text (details, error messages)."""
    if "://" not in text:
        return text  # no URL in it: most titles and details
    def mask(match: re.Match[str]) -> str:
        url = match.group(0)
        core = url.rstrip(".,;:!?)\u201d")  # punctuation that ends a sentence, not the URL
        return redact(core) + url[len(core):]

    return _URL_IN_TEXT.sub(mask, text)


def _is_secret(name: str) -> bool:
    lowered = name.lower()
    if lowered in ("keywords", "key_stage", "monkey"):
        return False
    return any(word in lowered for word in SECRET_PARAMS)


def _redact_userinfo_crudely(url: str) -> str:
    return re.sub(r"//[^/@\s]*@", f"//{MASK}@", url)


def dedupe_key(url: str) -> str:
    """URLs that would send the same request share a key (fragments are never sent)."""
    return url.split("#", 1)[0]


#: An http(s) URL whose host needs no unpicking (no user info, no IPv6 brackets).
_PLAIN_HOST = re.compile(r"https?://([A-Za-z0-9.-]+)(?::[0-9]*)?(?:[/?#]|\Z)", re.IGNORECASE)


@functools.lru_cache(maxsize=8192)
def host_of(url: str) -> str:
    """The lower-cased host; cached, since several checks ask it of every link."""
    plain = _PLAIN_HOST.match(url)
    if plain:
        return plain.group(1).lower()
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _comparable(url: str) -> tuple[str, str, str]:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    host = host.removeprefix("www.")
    port = parts.port
    if port in (80, 443):
        port = None
    path = parts.path.rstrip("/") or ""
    return (f"{host}:{port}" if port else host, path, parts.query)


def is_trivial_move(original: str, final: str) -> bool:
    """http→https, ``www.`` added or dropped, a trailing slash, a default port: same page."""
    try:
        return _comparable(original) == _comparable(final)
    except ValueError:
        return False


_HOME_PATH = re.compile(
    r"^/?((index|default|home|welcome|start)(\.[a-z]{2,5})?|[a-z]{2}([-_][a-z]{2})?)?/?$",
    re.IGNORECASE,
)


def is_home_page(url: str) -> bool:
    """A site's front page: ``/``, ``/index.html``, ``/default.aspx``, ``/en/``…, with no query."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return not parts.query and bool(_HOME_PATH.match(parts.path or "/"))


_LOGIN_PATH = re.compile(
    r"/(login|log-in|log_in|logon|signin|sign-in|sign_in|sso|saml2?|idp|cas|auth|authenticate|"
    r"oauth2?|users/sign_in|account/login|accounts/login|shibboleth\.sso)(/|\.|$|\?)",
    re.IGNORECASE,
)
_LOGIN_HOST = re.compile(r"^(login|signin|sso|idp|auth|accounts|account|shibboleth)\.",
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
                        "is.gd", "tiny.cc", "j.mp", "lnkd.in", "dlvr.it"})
#: goo.gl links stopped resolving on 25 August 2025 (Google's shutdown of the shortener).
RETIRED_SHORTENERS = {"goo.gl": "goo.gl short links stopped working on 25 August 2025"}


def is_short_link(url: str) -> bool:
    return host_of(url).removeprefix("www.") in SHORTENERS


def retired_short_link(url: str) -> str | None:
    """Why a short link can no longer work, or None."""
    return RETIRED_SHORTENERS.get(host_of(url).removeprefix("www."))


def is_section_root(original: str, final: str) -> bool:
    """A redirect from a deep page up to a section page of the same site (``/news/2012/x``
    to ``/news/``): how many CMSs answer for a page they no longer have."""
    try:
        before, after = urlsplit(original), urlsplit(final)
    except ValueError:
        return False
    if (before.hostname or "").removeprefix("www.") != (after.hostname or "").removeprefix("www."):
        return False
    if after.query:
        return False
    deep = [p for p in before.path.split("/") if p]
    top = [p for p in after.path.split("/") if p]
    return 1 <= len(top) < len(deep) and deep[: len(top)] == top


_DOI_HOSTS = ("doi.org", "dx.doi.org", "www.doi.org")
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")


@functools.lru_cache(maxsize=8192)
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


def normalise_doi(text: str) -> str | None:
    """``doi:10.1002/car.934``, ``https://doi.org/10.1002/car.934`` or the bare DOI → the
    bare DOI; None when it is not one."""
    value = text.strip()
    for prefix in ("doi:", "DOI:", "https://doi.org/", "http://doi.org/", "https://dx.doi.org/",
                   "http://dx.doi.org/"):
        if value.startswith(prefix):
            value = value[len(prefix):]
    return value if _DOI.match(value) else None
