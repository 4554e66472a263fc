"""JavaScript challenges: answers that only a client running the page's script gets past.

Anti-bot walls answer a client that runs no script with a small HTML page whose script
computes a cookie and reloads (Zhihu's ``__zse_ck``, Cloudflare's "Just a moment…",
Jiasule's 521 ``__jsl_clearance``, Aliyun's ``acw_sc__v2``); a browser that runs it gets
the article on the reload. For the crawl such an answer is a reason to use the browser
engine, not a refusal, so it never counts toward resting the host.

Both engines judge answers with these functions (the HTTP engine does not retry a
challenge, the browser waits until its page is no longer one), and the crawl asks
``written_by_script`` when a page's extractor found no text in it. Pure functions over
the status, headers and body: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

#: Statuses challenge pages are served with (521 is Jiasule's "web server is down").
CHALLENGE_STATUSES = frozenset({403, 503, 521})
#: How much of a refused answer's body is read to recognise a challenge; real ones are
#: a few kilobytes, and a bigger page is an ordinary error page.
CHALLENGE_BYTES = 256_000
#: Markers of known challenge pages, as they appear in the HTML.
MARKERS: tuple[str, ...] = (
    "zh-zse-ck",  # Zhihu: <meta id="zh-zse-ck"> seeds static.zhihu.com/zse-ck/…js
    "/zse-ck/",
    "_cf_chl_opt",  # Cloudflare's managed challenge
    "/cdn-cgi/challenge-platform/",
    "__jsl_clearance",  # Jiasule (加速乐), served with 521
    "acw_sc__v2",  # Aliyun WAF, served with 200
)
#: A challenge page shows almost nothing to read: fewer characters than this outside
#: its scripts (Cloudflare's "Enable JavaScript and cookies to continue" is 60).
LITTLE_TEXT = 300

_HTML_TYPES = ("text/html", "application/xhtml+xml")
_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
_HIDDEN = re.compile(
    r"<(script|style|template)\b[^>]*>.*?</\1\s*>|<!--.*?-->", re.IGNORECASE | re.DOTALL
)
_SCRIPT_TAG = re.compile(rb"<script\b", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
_ENTITY = re.compile(r"&#?\w+;")
# What a challenge script does once it has computed its answer.
_COOKIE_OR_RELOAD = re.compile(
    r"document\.cookie\s*=|location\.(reload|replace|assign)\s*\(|location(\.href)?\s*=[^=]",
    re.IGNORECASE,
)
# "You need to enable JavaScript to run this app." and its Chinese forms: what a page
# built by script says to a client that runs none.
_SCRIPT_NOTICE = re.compile(
    r"(enable|turn on|activate|requires?|needs?)\W+(\w+\W+){0,5}javascript"
    r"|javascript\W+(\w+\W+){0,3}(disabled|required|needed)"
    r"|(启用|开启|打开|允许|支持)\s*javascript",
    re.IGNORECASE,
)


def is_html(headers: Mapping[str, str], body: bytes) -> bool:
    """Whether an answer is an HTML page (by Content-Type, else by its first bytes)."""
    media = {k.lower(): v for k, v in headers.items()}.get("content-type", "").lower()
    if media:
        return media.split(";", 1)[0].strip() in _HTML_TYPES
    head = body[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<script"))


def challenge(status: int | None, headers: Mapping[str, str], body: bytes | None) -> str:
    """What kind of JavaScript challenge an answer is ('' when it is none).

    A challenge is an HTML page with almost no text besides its scripts that carries a
    known marker, or (served with 403, 503 or 521) whose script sets a cookie or reloads
    the page. A 2xx page needs a marker: a script-only page that moves on by itself is
    an ordinary page written by script (see ``written_by_script``).
    """
    if status is None or not body or not is_html(headers, body):
        return ""
    if status not in CHALLENGE_STATUSES and not 200 <= status < 300:
        return ""
    html = body[:CHALLENGE_BYTES].decode("utf-8", errors="replace")
    scripts = _SCRIPT.findall(html)
    if not scripts or len(visible_text(html)) >= LITTLE_TEXT:
        return ""
    marker = next((marker for marker in MARKERS if marker in html), "")
    if marker:
        return f"JavaScript challenge ({marker.strip('/_')})"
    refused = status in CHALLENGE_STATUSES
    if refused and any(_COOKIE_OR_RELOAD.search(code) for _attributes, code in scripts):
        return "JavaScript challenge (a script sets a cookie and reloads)"
    return ""


def visible_text(html: str) -> str:
    """The text a reader of the page sees without scripts, whitespace collapsed."""
    text = _ENTITY.sub(" ", _TAG.sub(" ", _HIDDEN.sub(" ", html)))
    return " ".join(text.split())


def written_by_script(body: bytes | None, text: str) -> bool:
    """Whether a page's main text may be written by its scripts, so a browser would see it.

    Args:
        body: the HTML as fetched.
        text: the main text the site's extractor found in it.
    """
    if not body or not _SCRIPT_TAG.search(body):
        return False
    words = " ".join(text.split())
    return not words or (len(words) < LITTLE_TEXT and bool(_SCRIPT_NOTICE.search(words)))
