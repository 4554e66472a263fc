#!/usr/bin/env python3
"""Benchmark `linkindex import` on a synthetic collection shaped like the real notes.

Generates NOTES notes holding LINKS links in total (default 800 / 25,000: 55% WeChat,
23% Zhihu, 3% GitHub, …) in a temporary folder — Jekyll front matter, a toc, headings
two levels deep, label lines, a URL line then a short title line, prose paragraphs and
code blocks — imports them into a temporary home, and prints:

- first import: wall time and the process's peak RSS (and how much the import added);
- unchanged re-import: wall time;
- re-import after touching 10 notes (same bytes) and editing 10 notes.

Goals on the 2-core build machine: first import < 5 s, unchanged re-import < 1 s.

    .venv/bin/python scripts/bench_import.py [--notes 800] [--links 25000] [--workers N]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import string
import sys
import tempfile
import time
from pathlib import Path

SITES = [  # (share, URL maker)
    (0.55, lambda r: f"https://mp.weixin.qq.com/s/{_token(r, 22)}"),
    (0.23, lambda r: f"https://zhuanlan.zhihu.com/p/{r.randrange(10**7, 10**9)}"),
    (0.03, lambda r: f"https://github.com/{_token(r, 8)}/{_token(r, 10)}"),
    (0.06, lambda r: f"https://blog.csdn.net/{_token(r, 9)}/article/details/{r.randrange(10**8)}"),
    (0.03, lambda r: f"https://www.cnblogs.com/{_token(r, 7)}/p/{r.randrange(10**7)}.html"),
    (0.10, lambda r: f"https://www.{_host(r)}.com/{_token(r, 6)}/{_token(r, 5)}"),
]
_WORDS_TEXT = """
深度学习 PyTorch 显存 优化 卷积 神经网络 目标检测 OpenCV 图像 分割 模型 压缩 TensorFlow 教程 入门
实战 详解 算法 原理 GAN 强化学习 推荐系统 NLP BERT 注意力 Transformer 数据 可视化 Python 机器学习
统计 概率 矩阵 分解 梯度 下降 框架 对比
"""
WORDS = _WORDS_TEXT.split()
LABELS = ["官网：", "代码：", "参考：", "论文：", "项目：", "官网教程："]
#: ru_maxrss counts KiB: this many make a megabyte (10^6 bytes, as the goals count).
KB_IN_MB = 1e6 / 1024


def _token(rng: random.Random, n: int) -> str:
    return "".join(rng.choices(string.ascii_letters + string.digits + "-_", k=n))


def _host(rng: random.Random) -> str:
    return "".join(rng.choices(string.ascii_lowercase + string.digits, k=8))


def _title(rng: random.Random) -> str:
    return "".join(rng.choices(WORDS, k=rng.randint(3, 7)))


def _url(rng: random.Random) -> str:
    pick = rng.random()
    for share, make in SITES:
        if pick < share:
            return make(rng)
        pick -= share
    return SITES[-1][1](rng)


def make_note(rng: random.Random, index: int, links: int, pool: list[str]) -> str:
    """One note of about ``links`` links in the shape of data/notes."""
    out = [
        "---",
        "layout: post",
        f"title:  {_title(rng)}（{index}）",
        f"category: {rng.choice(['AI', 'ML', 'math', 'language', 'DL & NLP resource'])}",
        "---",
        "",
        "* toc",
        "{:toc}",
        "",
    ]
    written = 0
    while written < links:
        out += [f"# {_title(rng)}", ""]
        for _ in range(rng.randint(2, 4)):
            if written >= links:
                break
            out += [f"## {_title(rng)}", "", _title(rng) * rng.randint(2, 6) + "。", ""]
            if rng.random() < 0.2:
                out += [
                    "```python",
                    "# a comment, not a heading",
                    "x = 1  # https://x.io",
                    "```",
                    "",
                ]
            if rng.random() < 0.3:
                out += [rng.choice(LABELS), ""]
            for _ in range(rng.randint(3, 14)):
                if written >= links:
                    break
                url = rng.choice(pool) if pool and rng.random() < 0.05 else _url(rng)
                pool.append(url)
                out += [url, "", _title(rng), ""]
                written += 1
    return "\n".join(out)


def generate(folder: Path, notes: int, links: int, seed: int) -> None:
    """Write the synthetic collection."""
    rng = random.Random(seed)
    pool: list[str] = []
    per = [links // notes + (1 if i < links % notes else 0) for i in range(notes)]
    for i, count in enumerate(per):
        sub = folder / f"part{i % 8}"
        sub.mkdir(parents=True, exist_ok=True)
        year, month, day = 2015 + i % 9, 1 + i % 12, 1 + i % 28
        (sub / f"{year}-{month}-{day}-note{i}.markdown").write_text(
            make_note(rng, i, count, pool), encoding="utf-8"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--notes", type=int, default=800)
    parser.add_argument("--links", type=int, default=25_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=None, help="parse processes (1: none)")
    args = parser.parse_args()

    from linkindex.importer import import_paths
    from linkindex.store import Store

    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        notes, home = Path(tmp) / "notes", Path(tmp) / "home"
        generate(notes, args.notes, args.links, args.seed)
        size = sum(f.stat().st_size for f in notes.rglob("*.markdown"))
        print(f"collection: {args.notes} notes, {args.links} links, {size / 1e6:.1f} MB")

        store = Store(home)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        cpu = time.process_time()
        tick = time.perf_counter()
        first = import_paths(store, [notes], workers=args.workers)
        first_s = time.perf_counter() - tick
        cpu = time.process_time() - cpu
        workers = resource.getrusage(resource.RUSAGE_CHILDREN)
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(
            f"first import:      {first_s:6.2f} s  ({first.notes_read} notes, "
            f"{first.links_new} links, {first.placements} placements)\n"
            f"  cpu: main process {cpu:.2f} s, parse workers "
            f"{workers.ru_utime + workers.ru_stime:.2f} s (load average now "
            f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cpus)\n"
            f"  peak RSS {rss_after / KB_IN_MB:.0f} MB "
            f"(+{(rss_after - rss_before) / KB_IN_MB:.0f} MB), "
            f"workers {workers.ru_maxrss / KB_IN_MB:.0f} MB each at most"
        )

        tick = time.perf_counter()
        again = import_paths(store, [notes])
        print(
            f"unchanged import:  {time.perf_counter() - tick:6.2f} s  "
            f"({again.notes_unchanged} unchanged, {again.notes_read} read)"
        )

        files = sorted(notes.rglob("*.markdown"))
        for file in files[:10]:
            os.utime(file)  # same bytes, new mtime: hashed, not parsed
        for file in files[10:20]:
            file.write_text(file.read_text(encoding="utf-8") + "\nhttps://example.com/new\n\n新\n")
        tick = time.perf_counter()
        edited = import_paths(store, [notes])
        print(
            f"20 touched/edited: {time.perf_counter() - tick:6.2f} s  "
            f"({edited.notes_read} read, {edited.links_new} new links)"
        )
        store.close()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(f"max RSS of this process: {rss / KB_IN_MB:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
