"""What the crawl tests share: links put straight into a store, a recording HTTP server
with per-path behaviours, and a tiny forwarding proxy with CONNECT."""

from __future__ import annotations

import itertools
import select
import socket
import ssl
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from socketserver import StreamRequestHandler, ThreadingTCPServer
from urllib.parse import urlsplit

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from linkindex.config import ArchiveSettings, CrawlSettings, Settings, SiteSettings
from linkindex.models import to_iso, utc_now
from linkindex.urls import host_of, site_of

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "crawl"

#: A library's config.toml for crawling the tests' local servers at once, without archives.
LOCAL_CONFIG = """
[crawl]
allow_private_networks = true
per_host_interval = 0
timeout = 2
retries = 0
obey_robots = false

[archive]
enabled = false
"""


def fixture(name: str) -> bytes:
    """The bytes of a crawl fixture file."""
    return (FIXTURES / name).read_bytes()


def slow_pages(delay: float = 0.3) -> HTTPServer:
    """A started server whose article at ``/p`` (any query) takes ``delay`` seconds to
    come: a crawl of a few dozen of them can be stopped in the middle."""
    server = HTTPServer(host="127.0.0.1", threaded=True)
    body = fixture("article.html")

    def slow(request: Request) -> Response:
        time.sleep(delay)
        return Response(body, content_type="text/html")

    server.expect_request("/p").respond_with_handler(slow)
    server.start()
    return server


def add_links(store: object, urls: Iterable[str]) -> list[int]:
    """Put links into the store the way import would (one per URL, status new)."""
    ids: list[int] = []
    conn = store.conn  # type: ignore[attr-defined]
    with store.transaction():  # type: ignore[attr-defined]
        for url in urls:
            cursor = conn.execute(
                "INSERT INTO links(canonical_url, url, site, host, first_seen_at) "
                "VALUES(?,?,?,?,?)",
                (url, url, site_of(url), host_of(url), to_iso(utc_now())),
            )
            ids.append(int(cursor.lastrowid))
    return ids


def fast_settings(*, archive: ArchiveSettings | None = None, **crawl: object) -> Settings:
    """Settings for tests: private networks allowed, tiny intervals and timeouts, and no
    Wayback lookups unless ``archive`` is given (it would go to the internet)."""
    base: dict[str, object] = {
        "allow_private_networks": True,
        "per_host_interval": 0.0,
        "timeout": 2.0,
        "retries": 2,
        "backoff_base": 0.05,
        "backoff_max": 2.0,
        "concurrency": 8,
        "obey_robots": False,  # the robots.txt tests turn it on
    }
    base.update(crawl)
    sites = {name: SiteSettings(refresh_days=30) for name in ("wechat", "zhihu", "github", "web")}
    return Settings(
        crawl=CrawlSettings(**base),  # type: ignore[arg-type]
        sites=sites,
        archive=archive or ArchiveSettings(enabled=False),
    )


@dataclass
class Seen:
    """One request a test server received."""

    path: str
    headers: dict[str, str]
    at: float  # time.monotonic()


@dataclass
class Recorder:
    """Remembers every request a server got."""

    seen: list[Seen] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, path: str, headers: dict[str, str]) -> None:
        with self.lock:
            self.seen.append(Seen(path, headers, time.monotonic()))

    def paths(self) -> list[str]:
        with self.lock:
            return [s.path for s in self.seen]

    def count(self, path: str) -> int:
        return self.paths().count(path)


#: How late a test server may see a request: its threads share the GIL with the crawler
#: and its extraction thread, and six people share two cores.
SERVER_LATENESS = 0.15


def assert_interval_kept(starts: list[float], interval: float) -> None:
    """Assert that requests a server saw at ``starts`` came at least ``interval`` apart.

    A request the server sees late shortens its gap to the one before (and, if it is
    the first, the whole span) by as much, never more; so both may fall short by
    SERVER_LATENESS. Requests sent without waiting fail the span check by far.
    """
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert starts[-1] - starts[0] >= len(gaps) * interval - SERVER_LATENESS, gaps
    assert min(gaps) >= interval - SERVER_LATENESS, gaps


# -- a forwarding proxy ------------------------------------------------------------------


class Proxy:
    """A threaded HTTP proxy: CONNECT tunnels and absolute-form GETs.

    ``names`` stands in for DNS: a host name the proxy maps to an address, so tests
    prove the client never resolves proxied names itself.
    """

    def __init__(self, names: dict[str, str]) -> None:
        self.names = names
        self.requests: list[str] = []
        proxy = self

        class Handler(StreamRequestHandler):
            def handle(self) -> None:
                line = self.rfile.readline().decode("latin-1").strip()
                if not line:
                    return
                method, target, _version = line.split(" ", 2)
                headers: list[bytes] = []
                while True:
                    raw = self.rfile.readline()
                    if raw in (b"\r\n", b"\n", b""):
                        break
                    headers.append(raw)
                proxy.requests.append(f"{method} {target}")
                if method == "CONNECT":
                    host, port = target.rsplit(":", 1)
                    upstream = proxy.connect(host, int(port))
                    self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    self.wfile.flush()
                    proxy.pipe(self.connection, upstream)
                    return
                parts = urlsplit(target)
                upstream = proxy.connect(parts.hostname or "", parts.port or 80)
                path = parts.path + (f"?{parts.query}" if parts.query else "")
                kept = [h for h in headers if not h.lower().startswith(b"proxy-")]
                upstream.sendall(
                    f"{method} {path or '/'} HTTP/1.1\r\n".encode() + b"".join(kept) + b"\r\n"
                )
                proxy.pipe(self.connection, upstream)

        self.server = ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def connect(self, host: str, port: int) -> socket.socket:
        """Connect where ``names`` says: ``addr`` keeps the port, ``addr:port`` replaces it.

        Only loopback addresses are reached: a name the test did not map is refused, so
        a test can never reach the internet through the proxy.
        """
        target = self.names.get(host, host)
        if ":" in target:
            target, _, number = target.partition(":")
            port = int(number)
        if not target.startswith("127."):
            raise ConnectionRefusedError(f"the test proxy only reaches 127.0.0.0/8, not {host}")
        return socket.create_connection((target, port), timeout=5)

    @staticmethod
    def pipe(a: socket.socket, b: socket.socket) -> None:
        sockets = [a, b]
        try:
            while True:
                ready, _, _ = select.select(sockets, [], [], 5)
                if not ready:
                    return
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    (b if sock is a else a).sendall(data)
        except OSError:
            return
        finally:
            b.close()

    def __enter__(self) -> Proxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


# -- an HTTP/2 server --------------------------------------------------------------------


class H2Server:
    """A TLS server that speaks HTTP/2 when the client offers it (ALPN), in a thread.

    Answers every GET with ``body``; ``protocols`` records what each connection chose.
    """

    def __init__(self, context: ssl.SSLContext, body: bytes) -> None:
        context.set_alpn_protocols(["h2", "http/1.1"])
        self.context = context
        self.body = body
        self.protocols: list[str] = []
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def url(self, path: str) -> str:
        return f"https://127.0.0.1:{self.port}{path}"

    def _serve(self) -> None:
        while True:
            try:
                raw, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._connection, args=(raw,), daemon=True).start()

    def _connection(self, raw: socket.socket) -> None:
        import h2.config
        import h2.connection
        import h2.events

        try:
            conn_sock = self.context.wrap_socket(raw, server_side=True)
        except (OSError, ssl.SSLError):
            return
        self.protocols.append(conn_sock.selected_alpn_protocol() or "http/1.1")
        if conn_sock.selected_alpn_protocol() != "h2":
            conn_sock.close()
            return
        conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
        conn.initiate_connection()
        conn_sock.sendall(conn.data_to_send())
        with conn_sock:
            while True:
                data = conn_sock.recv(65536)
                if not data:
                    return
                for event in conn.receive_data(data):
                    if isinstance(event, h2.events.RequestReceived):
                        conn.send_headers(
                            event.stream_id,
                            [
                                (":status", "200"),
                                ("content-type", "text/html; charset=utf-8"),
                                ("content-length", str(len(self.body))),
                            ],
                        )
                        conn.send_data(event.stream_id, self.body, end_stream=True)
                conn_sock.sendall(conn.data_to_send())

    def __enter__(self) -> H2Server:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()
