"""URL identity: one canonical key per resource, and which site a URL belongs to.

``normalize`` turns the many ways a note can write one link into one key:

- only ``http``/``https`` with a host; anything else is ``None`` (not a link we keep);
- scheme and host lower-case, IDNA hosts as ASCII, a trailing dot and default ports dropped;
- ``http`` becomes ``https`` for the sites that serve only https (WeChat, Zhihu, GitHub,
  CSDN, cnblogs) — both forms are the same article;
- percent-encoding normalised as RFC 3986 says (escaped unreserved characters decoded,
  hex digits upper-case, raw non-ASCII and unsafe characters encoded as UTF-8), and dot
  segments removed;
- the fragment dropped (``#rd``, ``#wechat_redirect``, ``#section``) except a hash route
  (``#/path`` or ``#!/path``): single-page sites put the page itself there;
- tracking parameters dropped (``utm_*``, ``spm``, WeChat's share parameters…); the
  remaining parameters keep their order;
- WeChat long links ``mp.weixin.qq.com/s?__biz=..&mid=..&idx=..&sn=..`` keyed by those
  four only; short links ``/s/<id>`` by their id;
- a trailing ``?`` and a trailing ``/`` folded (the root path stays ``/``).

Pure functions, no I/O.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import SplitResult, urlsplit

__all__ = [
    "HTTPS_ONLY_SITES",
    "host_of",
    "is_tracking",
    "normalize",
    "site_of",
    "site_of_host",
    "split_canonical",
]

#: Sites that serve only https: their http links are the same resources.
HTTPS_ONLY_SITES = frozenset({"wechat", "zhihu", "github", "csdn", "cnblogs"})

#: Parameters that track who shared or clicked, on any site.
_TRACKING_ANYWHERE = frozenset(
    {
        "spm",
        "spm_id_from",
        "fbclid",
        "gclid",
        "dclid",
        "yclid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "_hsenc",
        "_hsmi",
        "igshid",
        "isappinstalled",  # appended by WeChat's in-app browser to any shared page
    }
)

#: WeChat's in-app browser appends ``from=`` with one of these to any shared page.
_WECHAT_SHARE_FROM = frozenset({"singlemessage", "groupmessage", "timeline"})

#: Parameters the Chinese sites add for sharing and analytics (never part of the page).
_TRACKING_ON_SITE = frozenset(
    {
        "from",
        "scene",
        "srcid",
        "chksm",
        "clicktime",
        "enterid",
        "ascene",
        "subscene",
        "devicetype",
        "version",
        "lang",
        "nettype",
        "pass_ticket",
        "wx_header",
        "exportkey",
        "key",
        "uin",
        "mpshare",
        "sessionid",
        "realreporttime",
        "poc_token",
        "fasttmpl_type",
        "share_code",
        "ops_request_misc",
        "request_id",
        "biz_id",
        "utm_psn",
    }
)

#: The four parameters that identify a WeChat article in a long link.
_WECHAT_KEYS = ("__biz", "mid", "idx", "sn")

_SITE_HOSTS = {
    "mp.weixin.qq.com": "wechat",
    "zhuanlan.zhihu.com": "zhihu",
    "www.zhihu.com": "zhihu",
    "zhihu.com": "zhihu",
    "github.com": "github",
    "www.github.com": "github",
    "csdn.net": "csdn",
    "cnblogs.com": "cnblogs",
}
_SITE_SUFFIXES = ((".csdn.net", "csdn"), (".cnblogs.com", "cnblogs"))

_DEFAULT_PORTS = {"http": 80, "https": 443}
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
#: Characters a URL may carry unescaped (RFC 3986 reserved + unreserved) besides ``%``.
_ALLOWED = _UNRESERVED | frozenset(":/?#[]@!$&'()*+,;=")
_HEX = frozenset("0123456789abcdefABCDEF")
_HOST_LABEL = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$")
_CONTROL = re.compile(r"[\x00-\x20\x7f]")


@lru_cache(maxsize=1 << 16)  # the parser and the importer both ask for every link
def normalize(url: str) -> str | None:
    """The canonical key of ``url``, or None when it is malformed or not http(s).

    >>> normalize("HTTP://mp.weixin.qq.com/s/KNaFelqk9UO6JYjbPTQohA?scene=21#wechat_redirect")
    'https://mp.weixin.qq.com/s/KNaFelqk9UO6JYjbPTQohA'
    """
    simple = _SIMPLE.fullmatch(url)
    if simple and len(simple.group(2)) <= 253:
        return _normalize_simple(*simple.groups())
    return _normalize(url)


#: Most links in notes are this plain: lower-case host, a path of safe characters, no
#: port, query, fragment, escapes or dot segments. They take a short cut (import speed);
#: a property test checks it always agrees with the full path.
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_SIMPLE = re.compile(rf"(https?)://((?:{_LABEL}\.)*{_LABEL})((?:/(?!\.)[A-Za-z0-9\-_~.]*)*)")


def _normalize_simple(scheme: str, host: str, path: str) -> str | None:
    site = _site_of_host(host)
    if site in HTTPS_ONLY_SITES:
        scheme = "https"
    if host == "www.github.com":
        host = "github.com"
    path = path.rstrip("/") or "/"
    if site == "wechat" and (path == "/s" or path.startswith("/s/")):
        article = path[3:]
        if not article or "/" in article:
            return None
    return f"{scheme}://{host}{path}"


def _normalize(url: str) -> str | None:
    """The full normalisation, for every URL the short cut does not fit."""
    parts = _split(url)
    if parts is None:
        return None
    scheme = parts.scheme.lower()
    host = _host(parts)
    if host is None:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    site = _site_of_host(host)
    if site in HTTPS_ONLY_SITES:
        if scheme == "http" and port in (None, 80):
            port = None
        scheme = "https"
    if site == "github" and host == "www.github.com":
        host = "github.com"
    if port == _DEFAULT_PORTS[scheme]:
        port = None
    netloc = host if port is None else f"{host}:{port}"
    if parts.username is not None or parts.password is not None:
        userinfo = parts.netloc.rpartition("@")[0]
        netloc = f"{_escapes(userinfo)}@{netloc}"

    path = _path(parts.path)
    pairs = _query_pairs(parts.query)
    fragment = _fragment(parts.fragment)
    if site == "wechat":
        shaped = _wechat(path, pairs)
        if shaped is None:
            return None
        path, pairs = shaped
    pairs = [(k, v) for k, v in pairs if not is_tracking(k, v, site=site)]
    query = "&".join(k if v is None else f"{k}={v}" for k, v in pairs)
    result = f"{scheme}://{netloc}{path}"
    if query:
        result += f"?{query}"
    if fragment:
        result += f"#{fragment}"
    return result


def site_of(url: str) -> str:
    """Which site ``url`` belongs to: one of ``models.SITES`` (``web`` when none)."""
    return _site_of_host(host_of(url))


def site_of_host(host: str) -> str:
    """Which site a lower-case host belongs to (``web`` when none)."""
    return _site_of_host(host)


def split_canonical(key: str) -> tuple[str, str]:
    """(host, site) of a key ``normalize`` made, by string slicing (fast, for import)."""
    netloc = key.split("://", 1)[1].split("/", 1)[0].rsplit("@", 1)[-1]
    host = netloc[: netloc.index("]") + 1] if netloc.startswith("[") else netloc.split(":")[0]
    return host, _site_of_host(host)


def host_of(url: str) -> str:
    """The lower-case (IDNA ASCII) host of ``url``, without port; ``""`` when it has none."""
    parts = _split(url)
    if parts is None:
        return ""
    return _host(parts) or ""


def is_tracking(name: str, value: str | None = None, *, site: str = "web") -> bool:
    """Whether a query parameter only tracks sharing/clicks on ``site`` (never the page)."""
    key = name.lower()
    if key.startswith(("utm_", "sharer_")) or "-utm_" in key or key in _TRACKING_ANYWHERE:
        return True
    if site != "web":
        return key in _TRACKING_ON_SITE
    return key == "from" and (value or "").lower() in _WECHAT_SHARE_FROM


# -- the parts -----------------------------------------------------------------------


def _split(url: str) -> SplitResult | None:
    text = url.strip()
    if not text or _CONTROL.search(text.replace(" ", "")):
        return None
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.netloc:
        return None
    return parts


def _site_of_host(host: str) -> str:
    site = _SITE_HOSTS.get(host)
    if site:
        return site
    for suffix, name in _SITE_SUFFIXES:
        if host.endswith(suffix):
            return name
    return "web"


def _host(parts: SplitResult) -> str | None:
    """The host in canonical form, or None when it is not a valid host name or IP."""
    raw = parts.hostname
    if not raw:
        return None
    if ":" in raw:  # an IPv6 literal (urlsplit strips the brackets)
        if not re.fullmatch(r"[0-9a-f:.]+", raw):
            return None
        return f"[{raw}]"
    host = raw.rstrip(".")
    if not host.isascii():
        host = _idna(host) or ""
    host = host.lower()
    if not host or len(host) > 253:
        return None
    if not all(_HOST_LABEL.match(label) for label in host.split(".")):
        return None
    return host


def _idna(host: str) -> str | None:
    try:
        import idna

        return str(idna.encode(host, uts46=True).decode("ascii"))
    except Exception:  # idna missing or the name is not valid IDNA 2008
        try:
            return host.encode("idna").decode("ascii")
        except UnicodeError:
            return None


_PLAIN = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]*")


def _escapes(text: str, *, drop: str = "") -> str:
    """Normalise percent-encoding (RFC 3986 §6.2.2): one spelling per character.

    Characters in ``drop`` are encoded although a URL may carry them elsewhere.
    """
    if "%" not in text and _PLAIN.fullmatch(text) and not any(c in text for c in drop):
        return text  # the common case: nothing to decode or encode
    keep = _ALLOWED - set(drop)
    out: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        char = text[i]
        if char == "%" and i + 2 < n and text[i + 1] in _HEX and text[i + 2] in _HEX:
            decoded = chr(int(text[i + 1 : i + 3], 16))
            out.append(decoded if decoded in _UNRESERVED else "%" + text[i + 1 : i + 3].upper())
            i += 3
            continue
        if char in keep:
            out.append(char)
        else:
            out.extend(f"%{byte:02X}" for byte in char.encode("utf-8", "surrogatepass"))
        i += 1
    return "".join(out)


def _path(path: str) -> str:
    """Escapes normalised, dot segments removed, trailing slash folded; root is ``/``."""
    path = _escapes(path, drop="?#")
    path = _remove_dot_segments(path)
    path = path.rstrip("/")
    return path or "/"


def _remove_dot_segments(path: str) -> str:
    if "." not in path:
        return path
    segments: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if len(segments) > 1:
                segments.pop()
        elif segment != ".":
            segments.append(segment)
    if path.endswith(("/.", "/..")):
        segments.append("")
    return "/".join(segments)


def _query_pairs(query: str) -> list[tuple[str, str | None]]:
    """The query as (name, value) pairs, escapes normalised, empty pieces dropped."""
    pairs: list[tuple[str, str | None]] = []
    for piece in query.split("&"):
        if not piece:
            continue
        name, eq, value = piece.partition("=")
        name = _escapes(name, drop="#&=")
        if not name and not value:
            continue
        pairs.append((name, _escapes(value, drop="#&") if eq else None))
    return pairs


def _fragment(fragment: str) -> str:
    """Keep only a hash route (``#/docs`` or ``#!/docs``); any other fragment is a spot."""
    if fragment.startswith(("/", "!/")) and fragment.strip("/!"):
        return _escapes(fragment, drop="#")
    return ""


def _wechat(
    path: str, pairs: list[tuple[str, str | None]]
) -> tuple[str, list[tuple[str, str | None]]] | None:
    """Key a WeChat article link by its id; None for a ``/s`` link without one."""
    if path.startswith("/s/"):
        article = path[3:]
        if not article or "/" in article:
            return None
        return path, []
    if path == "/s":
        values: dict[str, str] = {}
        for name, value in pairs:
            if name in _WECHAT_KEYS and value and name not in values:
                # __biz is base64 and often written with its "==" escaped
                values[name] = value.replace("%3D", "=")
        if values:
            return path, [(k, values[k]) for k in _WECHAT_KEYS if k in values]
        if not [name for name, _ in pairs if not is_tracking(name, site="wechat")]:
            return None  # a bare /s, or one with share parameters only
    return path, pairs
