"""Recognising JavaScript challenges and pages written by script (pure functions)."""

from __future__ import annotations

import pytest

from crawl_servers import fixture
from linkindex.fetch.challenge import challenge, visible_text, written_by_script

HTML = {"content-type": "text/html; charset=utf-8"}
ZHIHU = fixture("zhihu_challenge.html")
CLOUDFLARE = b"""<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>
<meta http-equiv="refresh" content="390"></head><body><div class="main-wrapper">
<h1>example.com</h1><p>Enable JavaScript and cookies to continue</p></div>
<script>(function(){window._cf_chl_opt={cvId: '3',cZone: "example.com",cType: 'managed'};
var a = document.createElement('script');
a.src = '/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1';
document.getElementsByTagName('head')[0].appendChild(a);}());</script></body></html>"""
JIASULE = (
    b"<html><body><script>document.cookie=('_')+('_')+('jsl_cl')+('earance_s=')"
    b"+(1712345678)+('|0|')+('abc')+';Max-age=3600; path = /';"
    b"location.href=location.pathname+location.search</script></body></html>"
)
ALIYUN = b"<html><script>var arg1='3F1C';</script><script src='/acw_sc__v2.js'></script></html>"
RELOADER = (
    b"<html><head><title>Checking</title></head><body>"
    b"<script>document.cookie='token=1; path=/'; location.reload();</script></body></html>"
)


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (403, ZHIHU, "JavaScript challenge (zh-zse-ck)"),
        (503, CLOUDFLARE, "JavaScript challenge (cf_chl_opt)"),
        (521, JIASULE, "JavaScript challenge (a script sets a cookie and reloads)"),
        (200, ALIYUN, "JavaScript challenge (acw_sc__v2)"),
        (403, RELOADER, "JavaScript challenge (a script sets a cookie and reloads)"),
    ],
)
def test_challenges_are_recognised(status: int, body: bytes, kind: str) -> None:
    assert challenge(status, HTML, body) == kind


@pytest.mark.parametrize(
    ("status", "headers", "body"),
    [
        (404, HTML, ZHIHU),  # a marker on a dead page is no challenge
        (200, HTML, RELOADER),  # a 2xx page that reloads itself is a page written by script
        (403, HTML, b"<html><body><h1>403 Forbidden</h1><hr>nginx</body></html>"),
        (403, {"content-type": "application/json"}, b'{"code": 40362, "script": "<script>"}'),
        (200, HTML, fixture("article.html")),
        (403, HTML, ZHIHU.replace(b"<body>", b"<body><p>" + b"A real page. " * 40 + b"</p>")),
        (403, HTML, b""),
        (None, HTML, ZHIHU),
    ],
)
def test_other_answers_are_not_challenges(
    status: int | None, headers: dict[str, str], body: bytes
) -> None:
    assert challenge(status, headers, body) == ""


def test_an_untyped_body_is_sniffed() -> None:
    assert challenge(403, {}, ZHIHU) == "JavaScript challenge (zh-zse-ck)"
    assert challenge(403, {"Content-Type": "text/plain"}, ZHIHU) == ""


def test_visible_text_leaves_scripts_styles_and_comments_out() -> None:
    html = (
        "<html><head><title>T</title><style>p{color:red}</style></head><body>"
        "<!-- note --><p>Hello&nbsp;<b>world</b></p><script>var hidden = 1;</script></body></html>"
    )
    assert visible_text(html) == "T Hello world"


@pytest.mark.parametrize(
    ("body", "text", "expected"),
    [
        (b'<div id="app"></div><script src="/app.js"></script>', "", True),
        (
            b"<noscript>You need to enable JavaScript to run this app.</noscript><script>",
            "You need to enable JavaScript to run this app.",
            True,
        ),
        (b"<script></script>", "请开启 JavaScript 后刷新页面", True),
        (b"<SCRIPT>render()</SCRIPT>", "", True),
        (b"<p>An article.</p><script>track()</script>", "An article. " * 40, False),
        (b"<p>No scripts at all.</p>", "", False),
        (b"<script></script>", "JavaScript is a language; this page explains closures.", False),
        (None, "", False),
    ],
)
def test_pages_written_by_script(body: bytes | None, text: str, expected: bool) -> None:
    assert written_by_script(body, text) is expected
