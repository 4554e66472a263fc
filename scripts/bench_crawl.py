"""Crawl throughput: 5,000 local pages over 20 hosts (127.0.0.1 … 127.0.0.20).

Prints pages/s, CPU ms per page and peak memory with politeness off, then the achieved
request rate against the rate the per-host interval allows with politeness on.

    .venv/bin/python scripts/bench_crawl.py [--pages 5000] [--hosts 20] [--interval 0.25]

Goals on a 2-core machine: >= 100 pages/s with politeness off; with it on, >= 95% of
the allowed rate. The server runs in its own process (a small asyncio HTTP/1.1 server)
so the figures are the crawler's.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from linkindex.config import ArchiveSettings, CrawlSettings, Settings, SiteSettings
from linkindex.crawl import CrawlSelection, crawl, extraction
from linkindex.models import to_iso, utc_now
from linkindex.store import Store

WORDS = ("memory", "tensor", "kernel", "layer", "graph", "cache", "batch", "model", "train")


FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
#: The real collection's mix (DESIGN.md): 55% WeChat, 23% Zhihu, the rest other sites.
MIX = (("wechat", 55), ("zhihu", 23), ("generic", 22))


def page(n: int, kind: str = "generic") -> bytes:
    """A page of ``kind`` (``mix`` picks one by the real collection's shares), unique per n."""
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


def generic_page(n: int) -> bytes:
    """A realistic article page of about 12 KB for the generic extractor, different per n."""
    paragraphs = []
    for p in range(24):
        words = " ".join(WORDS[(n * 7 + p * 3 + i) % len(WORDS)] for i in range(60))
        paragraphs.append(f"<p>Part {p} of article {n}: {words}.</p>")
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>Article {n} on deep learning systems</title>"
        "<meta name='description' content='A page served by the crawl benchmark.'></head>"
        "<body><nav><a href='/'>Home</a></nav><article>"
        f"<h1>Article {n} on deep learning systems</h1>{''.join(paragraphs)}</article>"
        "<footer>bench</footer></body></html>"
    ).encode()


async def _serve(hosts: int, port: int, counter: Any, kind: str) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                target = head.split(b" ", 2)[1].decode()
                if target == "/robots.txt":
                    status, body = "404 Not Found", b"none"
                else:
                    status, body = "200 OK", page(int(target.rsplit("/", 1)[-1] or 0), kind)
                with counter.get_lock():  # every request counts against the host's limit
                    counter.value += 1
                writer.write(
                    f"HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()

    servers = [await asyncio.start_server(handle, f"127.0.0.{n + 1}", port) for n in range(hosts)]
    await asyncio.gather(*(server.serve_forever() for server in servers))


def _server_main(hosts: int, port: int, counter: Any, kind: str) -> None:
    asyncio.run(_serve(hosts, port, counter, kind))


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _library(home: Path, pages: int, hosts: int, port: int) -> None:
    with Store(home) as store, store.transaction():
        now = to_iso(utc_now())
        store.conn.executemany(
            "INSERT INTO links(canonical_url, url, site, host, first_seen_at) VALUES(?,?,?,?,?)",
            [
                (url, url, "web", f"127.0.0.{n % hosts + 1}", now)
                for n in range(pages)
                for url in [f"http://127.0.0.{n % hosts + 1}:{port}/a/{n}"]
            ],
        )


def _settings(*, interval: float, concurrency: int, robots: bool, workers: int | None) -> Settings:
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
    )


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(pages: int, hosts: int, port: int, settings: Settings) -> tuple[float, float, float, int]:
    """Crawl a fresh library; returns (wall s, crawler CPU s, extraction workers' CPU s, ok)."""
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
        return wall, cpu, workers, summary.counts.get("ok", 0)


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
    args = parser.parse_args()

    port = _free_port()
    counter = multiprocessing.Value("i", 0)
    server = multiprocessing.Process(
        target=_server_main, args=(args.hosts, port, counter, args.kind), daemon=True
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
            f"  peak memory {peak / 1024:.0f} MB (before the crawl {before / 1024:.0f} MB)"
            + (f"; each extraction worker at most {children / 1024:.0f} MB" if chosen else "")
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
    finally:
        server.terminate()
    return 0


if __name__ == "__main__":
    sys.exit(main())
