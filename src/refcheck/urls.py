"""Pure functions on URLs: masking secrets, comparing, and naming what a URL points at."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

#: Query parameters whose values are masked in every output (matched inside longer names too,
#: so ``api_key`` and ``access_token`` are masked as well).
SECRET_PARAMS = ("token", "key", "password", "passwd", "secret", "signature", "sig", "auth")
MASK = "****"

_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)


def redact(url: str) -> str:
    """Mask credentials: ``user:password@`` and the values of secret-looking query parameters."""
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


def host_of(url: str) -> str:
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
