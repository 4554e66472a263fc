#!/usr/bin/env python3
"""Benchmark `linkindex update` on the 25,000-link synthetic library.

Builds the collection with scripts/bench_import.py's generator, imports it, marks every
link as fetched (due again in 30 days) and builds the index; then prints:

- a no-op update (nothing changed, nothing due): wall time and its stages;
- an update with 1% of the links due, served by a local HTTP server (the due links are
  pointed at it, so nothing leaves the machine): wall time and its stages.

Goal on the 2-core build machine: no-op update < 2 s.

    .venv/bin/python scripts/bench_update.py [--notes 800] [--links 25000] [--due 0.01]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_import import generate

CONFIG = """\
[crawl]
allow_private_networks = true
per_host_interval = 0
per_host_concurrency = 8
concurrency = 16
obey_robots = false
retries = 0
timeout = 5
http2 = false

[archive]
enabled = false
"""

PAGE = (
    "<!doctype html><html><head><meta charset='utf-8'><title>页面 {n}</title></head><body>"
    "<article><h1>页面 {n}</h1><p>"
    + "深度学习框架的显存优化与模型压缩，一篇关于卷积神经网络的实战教程。" * 20
    + "</p></article></body></html>"
)


class Pages(BaseHTTPRequestHandler):
    """Serves a small Chinese article for any path."""

    def do_GET(self) -> None:
        body = PAGE.format(n=self.path.rsplit("/", 1)[-1]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def stages(summary: object) -> str:
    timings = getattr(summary, "timings", {})
    return ", ".join(f"{name} {seconds:.2f} s" for name, seconds in timings.items())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--notes", type=int, default=800)
    parser.add_argument("--links", type=int, default=25_000)
    parser.add_argument("--due", type=float, default=0.01, help="share of links due")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    from linkindex import indexing
    from linkindex.importer import import_paths
    from linkindex.models import to_iso, utc_now
    from linkindex.store import Store
    from linkindex.update import update

    server = ThreadingHTTPServer(("127.0.0.1", 0), Pages)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]

    with tempfile.TemporaryDirectory(prefix="bench-update-") as tmp:
        notes, home = Path(tmp) / "notes", Path(tmp) / "home"
        generate(notes, args.notes, args.links, args.seed)
        home.mkdir()
        (home / "config.toml").write_text(CONFIG)

        tick = time.perf_counter()
        store = Store(home)
        imported = import_paths(store, [notes])
        now = utc_now()
        with store.transaction():
            store.conn.execute(
                "UPDATE links SET status='ok', fetched_at=?, checked_at=?, next_fetch_at=?",
                (to_iso(now), to_iso(now), to_iso(now + timedelta(days=30))),
            )
        indexed = indexing.refresh(store, home)
        total = store.conn.execute("SELECT COUNT(*) FROM links").fetchone()[0]
        store.close()
        print(
            f"setup: {imported.links_new} links imported, {indexed} documents indexed "
            f"in {time.perf_counter() - tick:.1f} s"
        )

        tick = time.perf_counter()
        noop = update(home)
        elapsed = time.perf_counter() - tick
        print(
            f"no-op update:      {elapsed:6.2f} s  ({stages(noop)}; "
            f"{noop.crawled.get('done', 0)} fetched)  goal < 2 s"
        )

        store = Store(home)
        step = max(1, round(1 / args.due))
        ids = [row[0] for row in store.conn.execute("SELECT id FROM links ORDER BY id")][::step]
        past = to_iso(utc_now() - timedelta(minutes=1))
        with store.transaction():
            store.conn.executemany(
                "UPDATE links SET url=?, host='127.0.0.1', site='web', next_fetch_at=? WHERE id=?",
                [(f"http://127.0.0.1:{port}/p/{link_id}", past, link_id) for link_id in ids],
            )
        store.close()

        tick = time.perf_counter()
        due = update(home)
        elapsed = time.perf_counter() - tick
        counts = due.crawled.get("counts", {})
        print(
            f"{len(ids)} due ({len(ids) / total:.1%}): {elapsed:6.2f} s  ({stages(due)}; "
            f"outcomes {counts}, {due.indexed} documents indexed)"
        )
    server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
