"""What the browser-engine tests share: sites only a browser opens, TLS servers whose CA
the browser must trust through SSL_CERT_FILE, and a look at the processes a crawl left.

The challenge site answers like Zhihu: without the ``__zse_ck`` cookie a page is a 403
whose script (``fixtures/crawl/zse_ck.js``) computes the cookie from the page's seed and
reloads; with it, the article.
"""

from __future__ import annotations

import json
import os
import ssl
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import trustme
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from crawl_servers import fixture
from linkindex.fetch.chromium import find_chromium

PAGES = Path(__file__).resolve().parent / "fixtures" / "pages"
CHALLENGE = fixture("zhihu_challenge.html")
CHALLENGE_SCRIPT = fixture("zse_ck.js")
SCRIPT_PATH = "/zse-ck/v4/2c7f4b1e.js"
SEED = "001_7f3e9a2c5b8d4e6f"
ZHIHU_ARTICLE = (PAGES / "zhihu_article.html").read_bytes()
ZHIHU_TITLE = "从NNVM和ONNX看AI芯片的基础运算算子"
SCRIPTED = fixture("scripted.html")
SCRIPTED_POST = {
    "title": "算子融合笔记",
    "paragraphs": [
        "算子融合把相邻的逐元素运算合并成一个内核，省去中间结果写回显存的开销。",
        "在 TVM 中，融合由 FuseOps 这一遍完成；它按支配树把可以合并的算子分组。",
        "融合之后的内核访存次数减少，在带宽受限的层上常能快一倍以上。",
    ],
}

#: Browser tests run only where a Chromium is installed (CI installs one).
needs_chromium = pytest.mark.skipif(
    find_chromium() is None,
    reason="needs Chromium: run scripts/install-browser (or set [browser] executable)",
)
browser_tests = [pytest.mark.browser, needs_chromium]


def zse_ck(seed: str = SEED) -> str:
    """The cookie value the challenge script computes (FNV-1a of the seed)."""
    total = 2166136261
    for char in seed:
        total = ((total ^ ord(char)) * 16777619) & 0xFFFFFFFF
    return f"{seed}_{total:x}"


@dataclass
class ChallengeSite:
    """Handlers for a site behind a JavaScript challenge; counts what it served."""

    article: bytes = ZHIHU_ARTICLE
    script: bytes = CHALLENGE_SCRIPT
    served: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def serve(self, server: HTTPServer, *paths: str) -> None:
        """Put the site's pages at ``paths`` of ``server``, and its challenge script."""
        server.expect_request(SCRIPT_PATH).respond_with_handler(self._script)
        for path in paths:
            server.expect_request(path).respond_with_handler(self._page)

    def _count(self, what: str) -> None:
        with self.lock:
            self.served[what] += 1

    def _script(self, request: Request) -> Response:
        self._count("script")
        return Response(self.script, content_type="application/javascript")

    def _page(self, request: Request) -> Response:
        if request.cookies.get("__zse_ck") == zse_ck():
            self._count("article")
            return Response(self.article, content_type="text/html; charset=utf-8")
        self._count("challenge")
        return Response(CHALLENGE, status=403, content_type="text/html; charset=utf-8")


def serve_scripted(server: HTTPServer, path: str) -> None:
    """A single-page app at ``path`` whose text arrives as JSON and is written by script."""
    server.expect_request(path).respond_with_data(SCRIPTED, content_type="text/html")
    server.expect_request("/api/post.json").respond_with_data(
        json.dumps(SCRIPTED_POST, ensure_ascii=False), content_type="application/json"
    )


def tls_server(tmp_path: Path, *names: str) -> tuple[HTTPServer, Path]:
    """An HTTPS server for ``names`` whose CA is written to a PEM file (for SSL_CERT_FILE).

    Its chain holds the CA certificate after the server's own, as a TLS-intercepting
    proxy's does: Chromium trusts the CA through that chain.
    """
    ca = trustme.CA()
    cert = ca.issue_cert(*names)
    chain = tmp_path / "chain.pem"
    key = tmp_path / "key.pem"
    chain.write_bytes(b"".join(blob.bytes() for blob in cert.cert_chain_pems) + ca.cert_pem.bytes())
    key.write_bytes(cert.private_key_pem.bytes())
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain, key)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return HTTPServer(host="127.0.0.1", ssl_context=context, threaded=True), ca_file


# -- processes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Proc:
    """A process as /proc shows it."""

    pid: int
    ppid: int
    session: int
    started: int  # clock ticks after boot: tells a pid apart from a later reuse
    command: str


def processes() -> dict[int, Proc]:
    """Every live process (zombies excluded)."""
    found: dict[int, Proc] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            command = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] == "Z":
            continue
        found[int(entry)] = Proc(
            int(entry), int(fields[1]), int(fields[3]), int(fields[19]), command.decode()
        )
    return found


def family(root: int) -> set[Proc]:
    """``root``'s descendants, and every process in the sessions they belong to
    (Chromium starts a session of its own; its helpers stay in it).

    ``root`` must lead a session of its own (``start_new_session``): its session's
    processes are counted as its family.
    """
    table = processes()
    children: dict[int, list[Proc]] = {}
    for proc in table.values():
        children.setdefault(proc.ppid, []).append(proc)
    members: set[Proc] = set()
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in members:
                members.add(child)
                todo.append(child.pid)
    sessions = {proc.session for proc in members}
    members |= {proc for proc in table.values() if proc.session in sessions and proc.pid != root}
    return members


def alive(members: set[Proc]) -> set[Proc]:
    """Those of ``members`` still running (the same process, not a reused pid)."""
    table = processes()
    return {
        proc for proc in members if proc.pid in table and table[proc.pid].started == proc.started
    }
