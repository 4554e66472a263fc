"""Crawl throughput: 5,000 local pages over 20 hosts (127.0.0.1 … 127.0.0.20).

Prints pages/s, CPU ms per page and peak memory with politeness off, then the achieved
request rate against the rate the per-host interval allows with politeness on, then
(``--figure-pages``) a crawl of articles with figures on 10 image hosts (127.0.0.101 …):
images per second, with the image hosts' pace off and at the default 0.2 s, and the disk
a library uses per 1,000 such articles; then the browser engine: pages behind a
JavaScript challenge (Zhihu-like: a 403 whose script sets a cookie and reloads) over the
same 20 hosts with no interval, read by headless Chromium with the default 2 pages at a
time, and the peak of the summed RSS (and PSS) of the crawl's whole process tree
(extraction workers, Playwright's driver and Chromium included).

    .venv/bin/python scripts/bench_crawl.py [--pages 5000] [--hosts 20] [--interval 0.25]
                                            [--browser-pages 200] [--section all|http|browser]

Goals on a 2-core machine: >= 100 pages/s with politeness off; with it on, >= 95% of
the allowed rate; the browser engine >= 2 pages/s in < 800 MB. The server runs in its
own process (a small asyncio HTTP/1.1 server) so the figures are the crawler's. The
first two runs keep no figures (their pages have none worth fetching), so they measure
pages alone.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from linkindex.config import ArchiveSettings, CrawlSettings, ImageSettings, Settings, SiteSettings
from linkindex.crawl import CrawlSelection, CrawlSummary, crawl, extraction
from linkindex.fetch.chromium import find_chromium
from linkindex.models import to_iso, utc_now
from linkindex.store import Store

WORDS = ("memory", "tensor", "kernel", "layer", "graph", "cache", "batch", "model", "train")


FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
#: The real collection's mix (DESIGN.md): 55% WeChat, 23% Zhihu, the rest other sites.
MIX = (("wechat", 55), ("zhihu", 23), ("generic", 22))


#: Image hosts of the figure run: 127.0.0.101 … 127.0.0.110.
IMAGE_HOSTS = 10
#: Each article's figures: (type, bytes). 94 KB on average, six per article: what a
#: technical WeChat article at 640 px wide carries (diagrams as PNG, photos as JPEG).
FIGURES = (
    ("png", 90_000),
    ("jpeg", 40_000),
    ("jpeg", 150_000),
    ("png", 60_000),
    ("gif", 25_000),
    ("jpeg", 200_000),
)
#: Articles per account: the first figure of each is the account's banner, one picture.
ACCOUNTS = 50
#: ru_maxrss counts KiB: this many make a megabyte (10^6 bytes, as the goals count).
KB_IN_MB = 1e6 / 1024


def page(n: int, kind: str = "generic", port: int = 0) -> bytes:
    """A page of ``kind`` (``mix`` picks one by the real collection's shares), unique per n."""
    if kind == "figures":
        return figure_page(n, port)
    if kind == "mix":
        slot = n % 100
        for name, share in MIX:
            if slot < share:
                kind = name
                break
            slot -= share
    if kind == "wechat":
        return _fixture("crawl/wechat_article.html") + f"<!-- {n} -->".encode()
    if kind == "zhihu":
        return _fixture("pages/zhihu_article.html") + f"<!-- {n} -->".encode()
    return generic_page(n)


_CACHE: dict[str, bytes] = {}


def _fixture(name: str) -> bytes:
    if name not in _CACHE:
        _CACHE[name] = (FIXTURES / name).read_bytes()
    return _CACHE[name]


def generic_page(n: int, figures: list[str] | None = None) -> bytes:
    """A realistic article page of about 12 KB for the generic extractor, different per n
    (``figures``: markup put after every fourth paragraph)."""
    paragraphs = []
    for p in range(24):
        words = " ".join(WORDS[(n * 7 + p * 3 + i) % len(WORDS)] for i in range(60))
        paragraphs.append(f"<p>Part {p} of article {n}: {words}.</p>")
        if figures and p % 4 == 0 and p // 4 < len(figures):
            paragraphs.append(figures[p // 4])
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>Article {n} on deep learning systems</title>"
        "<meta name='description' content='A page served by the crawl benchmark.'></head>"
        "<body><nav><a href='/'>Home</a></nav><article>"
        f"<h1>Article {n} on deep learning systems</h1>{''.join(paragraphs)}</article>"
        "<footer>bench</footer></body></html>"
    ).encode()


def figure_page(n: int, port: int) -> bytes:
    """A generic article with six figures on the image hosts, one after every fourth
    paragraph (the first: the banner its account's articles share)."""
    figures = []
    for k in range(len(FIGURES)):
        target = f"/img/shared/{n % ACCOUNTS}" if k == 0 else f"/img/{n}/{k}"
        host = 101 + (n % ACCOUNTS if k == 0 else n * len(FIGURES) + k) % IMAGE_HOSTS
        figures.append(f'<p><img src="http://127.0.0.{host}:{port}{target}" alt="figure {k}"></p>')
    return generic_page(n, figures)


_SHARED: dict[str, bytes] = {}


def figure_bytes(target: str) -> tuple[str, bytes]:
    """The picture at ``/img/N/K`` (or ``/img/shared/A``): a real header, random filler
    (pictures do not compress), its size and type by FIGURES."""
    if target.startswith("/img/shared/"):
        if target not in _SHARED:
            _SHARED[target] = _picture("png", 30_000)
        return "image/png", _SHARED[target]
    kind, size = FIGURES[int(target.rsplit("/", 1)[1]) % len(FIGURES)]
    return f"image/{kind}", _picture(kind, size)


def _picture(kind: str, size: int) -> bytes:
    import struct
    import zlib

    if kind == "png":
        ihdr = b"IHDR" + struct.pack(">IIBBBBB", 640, 360, 8, 2, 0, 0, 0)
        head = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + ihdr
        head += struct.pack(">I", zlib.crc32(ihdr))
    elif kind == "jpeg":
        head = b"\xff\xd8\xff\xc0" + struct.pack(">HBHHB", 17, 8, 360, 640, 3) + bytes(9)
    else:
        head = b"GIF89a" + struct.pack("<HH", 640, 360)
    return head + os.urandom(size - len(head))


#: The challenge's script, as the tests' Zhihu-like site serves it.
CHALLENGE_SCRIPT = "/zse-ck/v4/2c7f4b1e.js"


async def _serve(hosts: int, port: int, counter: Any, kind: str, images: Any) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                target = head.split(b" ", 2)[1].decode()
                media = "text/html; charset=utf-8"
                if target == "/robots.txt":
                    status, body = "404 Not Found", b"none"
                elif target.startswith("/img/"):
                    status, (media, body) = "200 OK", figure_bytes(target)
                    with images.get_lock():
                        images.value += 1
                elif kind == "challenge" and target == CHALLENGE_SCRIPT:
                    media, body = "application/javascript", _fixture("crawl/zse_ck.js")
                    status = "200 OK"
                elif kind == "challenge" and b"__zse_ck=" not in head:
                    # Any value passes: the bench measures the engine, not the sum.
                    status, body = "403 Forbidden", _fixture("crawl/zhihu_challenge.html")
                else:  # /a/N: a page of the run's kind; /f/N: an article with figures
                    n = int(target.rsplit("/", 1)[-1] or 0)
                    chosen = "figures" if target.startswith("/f/") else kind
                    chosen = "generic" if chosen == "challenge" else chosen
                    status, body = "200 OK", page(n, chosen, port)
                with counter.get_lock():  # every request counts against the host's limit
                    counter.value += 1
                writer.write(
                    f"HTTP/1.1 {status}\r\nContent-Type: {media}\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()

    names = [f"127.0.0.{n + 1}" for n in range(hosts)]
    names += [f"127.0.0.{101 + n}" for n in range(IMAGE_HOSTS)]
    servers = [await asyncio.start_server(handle, name, port) for name in names]
    await asyncio.gather(*(server.serve_forever() for server in servers))


def _server_main(hosts: int, port: int, counter: Any, kind: str, images: Any) -> None:
    asyncio.run(_serve(hosts, port, counter, kind, images))


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _library(home: Path, pages: int, hosts: int, port: int, path: str = "/a/") -> None:
    with Store(home) as store, store.transaction():
        now = to_iso(utc_now())
        store.conn.executemany(
            "INSERT INTO links(canonical_url, url, site, host, first_seen_at) VALUES(?,?,?,?,?)",
            [
                (url, url, "web", f"127.0.0.{n % hosts + 1}", now)
                for n in range(pages)
                for url in [f"http://127.0.0.{n % hosts + 1}:{port}{path}{n}"]
            ],
        )


def _settings(
    *,
    interval: float,
    concurrency: int,
    robots: bool,
    workers: int | None,
    images: ImageSettings | None = None,
) -> Settings:
    crawl_settings = CrawlSettings(
        concurrency=concurrency,
        per_host_concurrency=2,
        per_host_interval=interval,
        timeout=20,
        retries=1,
        allow_private_networks=True,
        obey_robots=robots,
        extract_workers=workers,
    )
    return Settings(
        crawl=crawl_settings,
        sites={"web": SiteSettings(refresh_days=30)},
        archive=ArchiveSettings(enabled=False),
        images=images or ImageSettings(enabled=False),
    )


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(pages: int, hosts: int, port: int, settings: Settings) -> tuple[float, float, float, int]:
    """Crawl a fresh library; returns (wall s, crawler CPU s, extraction workers' CPU s, ok)."""
    wall, cpu, workers, summary = _crawl(pages, hosts, port, settings)
    return wall, cpu, workers, summary.counts.get("ok", 0)


def _crawl(
    pages: int, hosts: int, port: int, settings: Settings
) -> tuple[float, float, float, CrawlSummary]:
    """Crawl a fresh library; returns (wall s, crawler CPU s, workers' CPU s, summary)."""
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        _library(home, pages, hosts, port)
        store = Store(home)
        try:
            wall, cpu, workers = time.perf_counter(), time.process_time(), _children_cpu()
            summary = crawl(store, home, settings, selection=CrawlSelection(), index=False)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            workers = _children_cpu() - workers
        finally:
            store.close()
        return wall, cpu, workers, summary


def _disk(folder: Path) -> int:
    """Bytes the files under ``folder`` take on disk (allocated blocks, as ``du`` counts)."""
    if not folder.exists():
        return 0
    return sum(path.stat().st_blocks * 512 for path in folder.rglob("*") if path.is_file())


def _run_figures(
    pages: int, hosts: int, port: int, settings: Settings, images: Any
) -> tuple[float, int, int, dict[str, int]]:
    """Crawl ``pages`` articles with figures; (wall s, figures stored, image requests,
    disk bytes by part of the library home)."""
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        _library(home, pages, hosts, port, path="/f/")
        images.value = 0
        store = Store(home)
        try:
            wall = time.perf_counter()
            summary = crawl(store, home, settings, selection=CrawlSelection())
            wall = time.perf_counter() - wall
        finally:
            store.close()
        disk = {
            "images": _disk(home / "images"),
            "snapshots": _disk(home / "snapshots"),
            "database": sum(_disk(path) for path in home.glob("linkindex.db*")),
        }
        return wall, summary.figures.stored, images.value, disk


def _report_figures(args: argparse.Namespace, port: int, images: Any) -> None:
    pages = args.figure_pages
    per_page = len(FIGURES)
    print(
        f"figures ({pages} articles x {per_page} figures of 94 KB on average, "
        f"the first shared by the {ACCOUNTS} accounts' articles; {IMAGE_HOSTS} image hosts):"
    )
    for interval in (0.0, ImageSettings().per_host_interval):
        pace = ImageSettings(per_host_interval=interval, per_host_concurrency=2)
        chosen = _settings(
            interval=0.0, concurrency=args.concurrency, robots=False, workers=args.workers,
            images=pace,
        )  # fmt: skip
        wall, stored, asked, disk = _run_figures(pages, args.hosts, port, chosen, images)
        line = f"  image hosts at {interval:g}s: {stored} figures kept ({asked} fetched)"
        line += f" in {wall:.1f}s: {asked / wall:.0f} images/s"
        if interval:
            allowed = IMAGE_HOSTS / interval
            line += f" of {allowed:.0f} allowed ({100 * asked / wall / allowed:.0f}%)"
        print(line)
    scale = 1000 / pages
    total = sum(disk.values())
    parts = ", ".join(f"{name} {size * scale / 1e6:.0f} MB" for name, size in disk.items())
    print(f"  disk per 1,000 articles: {total * scale / 1e6:.0f} MB ({parts})")


class TreeMemory:
    """Samples the summed RSS of this process and its descendants (minus ``exclude``).

    Summed RSS counts the pages Chromium's processes share once per process; the summed
    PSS (each shared page split among its sharers) is sampled too, as the memory the
    tree really takes.
    """

    def __init__(self, exclude: set[int], every: float = 0.2) -> None:
        self.exclude = exclude
        self.every = every
        self.peak = 0
        self.peak_pss = 0
        self.most_processes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _watch(self) -> None:
        while not self._stop.wait(self.every):
            tree = (_descendants(os.getpid()) - self.exclude) | {os.getpid()}
            self.peak = max(self.peak, sum(_rss(pid) for pid in tree))
            self.peak_pss = max(self.peak_pss, sum(_pss(pid) for pid in tree))
            self.most_processes = max(self.most_processes, len(tree))


def _descendants(root: int) -> set[int]:
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parents.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry))
    found: set[int] = set()
    todo = [root]
    while todo:
        for child in parents.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _rss(pid: int) -> int:
    """Resident bytes of a process (0 once it is gone)."""
    try:
        pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")


def _pss(pid: int) -> int:
    """Proportional set size of a process in bytes (0 once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return 0
    return 0


def _browser_section(args: argparse.Namespace) -> None:
    """Challenged pages over the hosts, no interval: the browser engine's pace and memory."""
    if find_chromium() is None:
        print("browser engine: skipped (no Chromium; run scripts/install-browser)")
        return
    port = _free_port()
    counter = multiprocessing.Value("i", 0)
    server = multiprocessing.Process(
        target=_server_main,
        args=(args.hosts, port, counter, "challenge", multiprocessing.Value("i", 0)),
        daemon=True,
    )
    server.start()
    time.sleep(0.5)
    try:
        settings = _settings(interval=0.0, concurrency=args.concurrency, robots=False, workers=None)
        with TreeMemory(exclude={server.pid or 0}) as memory:
            wall, _cpu, _workers, summary = _crawl(args.browser_pages, args.hosts, port, settings)
        ok = summary.counts.get("ok", 0)
        through = summary.by_engine.get("browser", 0)
        print(
            f"browser engine (auto, {settings.browser.pages} pages at a time, no interval): "
            f"{ok}/{args.browser_pages} challenged pages over {args.hosts} hosts in {wall:.1f}s"
        )
        print(
            f"  {ok / wall:.1f} pages/s; {through} read by Chromium, {counter.value} requests "
            f"served; peak summed RSS of the process tree {memory.peak / 1e6:.0f} MB "
            f"(PSS {memory.peak_pss / 1e6:.0f} MB; {memory.most_processes} processes at most)"
        )
    finally:
        server.terminate()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=5000)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument(
        "--kind",
        choices=("mix", "generic"),
        default="mix",
        help="pages served: the real collection's mix of WeChat/Zhihu/other, or all generic",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="extraction processes (0: a thread; default: the library's automatic choice)",
    )
    parser.add_argument(
        "--interval", type=float, default=1.0, help="polite run: per-host interval (s)"
    )
    parser.add_argument("--polite-pages", type=int, default=400, help="pages in the polite run")
    parser.add_argument(
        "--figure-pages",
        type=int,
        default=500,
        help="articles in the figure runs (0: skip them)",
    )
    parser.add_argument(
        "--browser-pages", type=int, default=200, help="challenged pages in the browser run"
    )
    parser.add_argument(
        "--section",
        choices=("all", "http", "browser"),
        default="all",
        help="which runs: the HTTP engine's (pages, politeness, figures), the browser's, or all",
    )
    args = parser.parse_args()
    if args.section == "browser":
        _browser_section(args)
        return 0

    port = _free_port()
    counter = multiprocessing.Value("i", 0)
    images = multiprocessing.Value("i", 0)
    server = multiprocessing.Process(
        target=_server_main, args=(args.hosts, port, counter, args.kind, images), daemon=True
    )
    server.start()
    time.sleep(0.5)
    try:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        setting = args.workers
        chosen = extraction.worker_count(setting, args.pages)
        fast = _settings(interval=0.0, concurrency=args.concurrency, robots=False, workers=setting)
        load = os.getloadavg()[0]
        wall, cpu, worker_cpu, ok = _run(args.pages, args.hosts, port, fast)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        mode = f"{chosen} extraction processes" if chosen else "extraction in a thread"
        print(f"machine: {os.cpu_count()} CPUs, load average {load:.1f} before the run")
        print(
            f"politeness off ({mode}, {args.kind} pages): {ok}/{args.pages} pages over "
            f"{args.hosts} hosts in {wall:.1f}s"
        )
        per_page = 1000 / max(ok, 1)
        print(
            f"  {ok / wall:.0f} pages/s, {(cpu + worker_cpu) * per_page:.1f} ms CPU per page "
            f"({cpu * per_page:.1f} crawler + {worker_cpu * per_page:.1f} extraction workers)"
        )
        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        print(
            f"  peak memory {peak / KB_IN_MB:.0f} MB (before the crawl {before / KB_IN_MB:.0f} MB)"
            + (f"; each extraction worker at most {children / KB_IN_MB:.0f} MB" if chosen else "")
        )

        polite = _settings(
            interval=args.interval, concurrency=args.concurrency, robots=True, workers=setting
        )
        per_host = args.polite_pages // args.hosts
        counter.value = 0
        wall, cpu, worker_cpu, ok = _run(per_host * args.hosts, args.hosts, port, polite)
        allowed = args.hosts / args.interval
        # Each host gets robots.txt and then its pages, one request per interval; the
        # first needs no wait, so n requests need (n - 1) intervals.
        best = per_host * args.interval
        achieved = counter.value / wall
        print(
            f"politeness on ({args.interval:g}s per host, {args.hosts} hosts): "
            f"{ok} pages in {wall:.1f}s (the limits allow it in {best:.1f}s)"
        )
        print(
            f"  achieved {achieved:.1f} req/s of {allowed:.1f} allowed "
            f"= {100 * achieved / allowed:.0f}% (time efficiency {100 * best / wall:.0f}%)"
        )
        if args.figure_pages:
            _report_figures(args, port, images)
    finally:
        server.terminate()
    if args.section == "all":
        _browser_section(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
