#!/usr/bin/env python
"""Time the web UI's pages and API on a synthetic library (prints milliseconds per request).

    .venv/bin/python scripts/bench_web.py --links 5000

Builds a temporary library with N links in ~N/30 dated notes under a few hundred
headings, indexes it, then requests each route several times in-process (Starlette's
test client, so the figures are the app's own time without the network).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
import warnings
from pathlib import Path

WORDS = (
    "显存",
    "优化",
    "模型",
    "训练",
    "推理",
    "部署",
    "量化",
    "剪枝",
    "蒸馏",
    "卷积",
    "注意力",
    "变换器",
    "张量",
    "梯度",
    "算子",
    "编译器",
    "框架",
    "教程",
    "论文",
    "代码",
    "数据集",
    "分布式",
    "混合精度",
    "检查点",
    "内存",
    "缓存",
    "并行",
    "流水线",
    "调度",
    "性能",
)
SITES = [
    ("wechat", "mp.weixin.qq.com"),
    ("zhihu", "zhuanlan.zhihu.com"),
    ("github", "github.com"),
    ("csdn", "blog.csdn.net"),
    ("web", "example.com"),
]
STATUSES = ["ok"] * 6 + ["dead", "blocked", "new", "error"]


def build(home: Path, links: int, seed: int = 7) -> None:
    """Write a synthetic library straight into the store, then index it."""
    from linkindex import indexing
    from linkindex.store import Store

    rng = random.Random(seed)
    store = Store(home)
    heads = [[f"主题{a}", f"子题{b}"] for a in range(40) for b in range(8)]
    with store.transaction():
        notes = []
        for n in range(max(1, links // 30)):
            year = 2015 + n % 11
            cursor = store.conn.execute(
                "INSERT INTO notes(path, title, date) VALUES(?, ?, ?)",
                (f"/notes/{year}-1-1-n{n}.md", f"笔记{n}", f"{year}-01-01"),
            )
            notes.append(cursor.lastrowid)
        for i in range(links):
            site, host = rng.choice(SITES)
            url = f"https://{host}/p/{i}"
            status = rng.choice(STATUSES)
            title = "".join(rng.sample(WORDS, 4))
            cursor = store.conn.execute(
                "INSERT INTO links(canonical_url, url, site, host, status, first_seen_at) "
                "VALUES(?, ?, ?, ?, ?, '2026-01-01T00:00:00Z')",
                (url, url, site, host, status),
            )
            link_id = cursor.lastrowid
            store.conn.execute(
                "INSERT INTO placements(link_id, note_id, line, topic, title) VALUES(?,?,?,?,?)",
                (
                    link_id,
                    rng.choice(notes),
                    i,
                    json.dumps(rng.choice(heads), ensure_ascii=False),
                    title,
                ),
            )
            if status == "ok":
                text = "。".join("".join(rng.choices(WORDS, k=12)) for _ in range(40))
                store.conn.execute(
                    "INSERT INTO pages(link_id, title, text) VALUES(?, ?, ?)",
                    (link_id, title, text),
                )
        store.touch(range(1, links + 1))
    started = time.perf_counter()
    indexing.refresh(store, home)
    print(f"indexed {links} links in {time.perf_counter() - started:.1f} s")
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--links", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    from starlette.exceptions import StarletteDeprecationWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StarletteDeprecationWarning)
        from starlette.testclient import TestClient

    from linkindex.web import create_app

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        build(home, args.links)
        client = TestClient(create_app(home), base_url="http://127.0.0.1:8765")
        routes = [
            "/",
            "/?topic=主题3",
            "/search/part?q=显存优化",
            "/search/part?q=模型 site:zhihu",
            "/api/search?q=训练",
            "/link/42",
            "/link/42/read",
            "/topics",
            "/topics?topic=主题3",
            "/health",
            "/api/export?topic=主题3&format=md",
        ]
        print(f"{'route':40} {'median ms':>10} {'max ms':>8} {'KiB':>6}")
        for route in routes:
            times = []
            size = 0
            for _ in range(args.repeat):
                started = time.perf_counter()
                response = client.get(route)
                times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (route, response.status_code)
                size = len(response.content)
            print(
                f"{route:40} {statistics.median(times):10.1f} {max(times):8.1f} {size / 1024:6.0f}"
            )


if __name__ == "__main__":
    main()
