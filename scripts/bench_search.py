"""Benchmark search on a synthetic library: index build, incremental update, latency, FTS5.

Builds a library of N links (default 25,000) with ~3,000 characters of Chinese text each,
made from jieba's own vocabulary with a fixed seed, and prints:

* full-index time and index size, incremental update time for 100 changed links, and
  the update after a note gains a heading that is a new dictionary word;
* search latency p50/p95 over a fixed query set (hits with snippets, as the CLI shows);
* the same for SQLite FTS5 over the same jieba tokens, in the same run;
* ``linkindex search`` as a whole process (median of several runs).

Usage: ``.venv/bin/python scripts/bench_search.py [--links 25000] [--home DIR] [--keep]``
(with --home and an existing library there, the library is reused).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from linkindex import analysis, indexing, search
from linkindex.index import folder
from linkindex.store import Store

SEED = 20261127
CHARS_PER_LINK = 3000
QUERIES = [
    "显存优化",
    "深度学习",
    "模型量化 推理",
    '"神经网络"',
    "pytorch",
    "pytorch cuda",
    "卷积 -循环",
    "优化 OR 加速",
    "title:显存",
    "topic:Pytorch 训练",
    "site:zhihu 算法",
    "灯",
    "数据 分析 方法",
    "编译器 中间表示",
    "梯度下降",
    "transformer 注意力机制",
]
ENGLISH = ["PyTorch", "CUDA", "TensorFlow", "ResNet", "word2vec", "C++", "ONNX", "transformer"]
TOPICS = [
    ["Pytorch", "参考"],
    ["Pytorch", "项目"],
    ["NN中间语言", "ONNX"],
    ["深度学习", "显存"],
    ["机器学习", "聚类"],
    ["图像处理", "OpenCV"],
    ["Python", "教程"],
    ["数学", "概率"],
]
SITES = ["wechat"] * 55 + ["zhihu"] * 23 + ["github"] * 3 + ["csdn"] * 10 + ["cnblogs"] * 9


def vocabulary(rng: random.Random) -> tuple[list[str], list[float]]:
    """Chinese words of jieba's dictionary with their corpus frequencies (Zipf-like)."""
    path = analysis._jieba_dict_path()
    words: list[str] = []
    weights: list[float] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        word, freq, *_ = line.split(" ")
        if analysis.has_cjk(word) and int(freq) >= 3 and len(word) <= 4:
            words.append(word)
            weights.append(float(freq))  # jieba's corpus frequencies: a real word mix
    return words, list(itertools.accumulate(weights))


def make_text(rng: random.Random, words: list[str], weights: list[float], size: int) -> str:
    """Sentences of vocabulary words with punctuation and a few English terms.

    ``weights`` are cumulative (``itertools.accumulate``) so drawing stays cheap.
    """
    parts: list[str] = []
    length = 0
    # An article keeps coming back to its own words: half of them come from a small
    # vocabulary of its own, the rest from the language at large.
    own = rng.choices(words, cum_weights=weights, k=max(8, size // 12))
    while length < size:
        count = rng.randint(6, 16)
        drawn = rng.choices(words, cum_weights=weights, k=count) + rng.choices(own, k=count)
        sentence = "".join(rng.sample(drawn, count))
        if rng.random() < 0.2:
            sentence += " " + rng.choice(ENGLISH) + " "
        parts.append(sentence + rng.choice("，。；！？"))
        length += len(parts[-1])
    return "".join(parts)


def build_library(home: Path, links: int) -> None:
    """Write notes, links, placements and pages straight into a new store."""
    rng = random.Random(SEED)
    words, weights = vocabulary(rng)
    store = Store(home)
    started = time.perf_counter()
    with store.transaction():
        for number in range(links // 30 + 1):
            store.conn.execute(
                "INSERT INTO notes(id, path, title, date) VALUES(?, ?, ?, ?)",
                (
                    number + 1,
                    f"/notes/{number}.md",
                    make_text(rng, words, weights, 12),
                    f"20{10 + number % 15:02d}-0{1 + number % 9}-1{number % 9}",
                ),
            )
        for link in range(1, links + 1):
            site = rng.choice(SITES)
            url = f"https://{site}.example.com/a/{link}"
            store.conn.execute(
                "INSERT INTO links(id, canonical_url, url, site, host, status, first_seen_at) "
                "VALUES(?, ?, ?, ?, ?, ?, ?)",
                (
                    link,
                    url,
                    url,
                    site,
                    f"{site}.example.com",
                    "dead" if rng.random() < 0.05 else "ok",
                    "2026-01-01T00:00:00Z",
                ),
            )
            store.conn.execute(
                "INSERT INTO placements(link_id, note_id, line, topic, title) "
                "VALUES(?, ?, ?, ?, ?)",
                (
                    link,
                    link // 30 + 1,
                    link % 400 + 1,
                    json.dumps(rng.choice(TOPICS), ensure_ascii=False),
                    make_text(rng, words, weights, 18),
                ),
            )
            store.conn.execute(
                "INSERT INTO pages(link_id, title, text, extracted_at) VALUES(?, ?, ?, ?)",
                (link, "", make_text(rng, words, weights, CHARS_PER_LINK), "2026-01-02T00:00:00Z"),
            )
        store.touch(range(1, links + 1))
    print(f"library: {links} links built in {time.perf_counter() - started:.1f} s")
    store.close()


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def bench_whoosh(home: Path, store: Store, rounds: int) -> list[float]:
    timings: list[float] = []
    for _ in range(rounds):
        for query in QUERIES:
            started = time.perf_counter()
            results = search.search(home, query, store=store, limit=10)
            timings.append(time.perf_counter() - started)
            assert all(hit.snippet for hit in results.hits)
    return timings


def bench_fts5(home: Path, store: Store, rounds: int) -> None:
    """SQLite FTS5 over the same jieba tokens (space-joined), snippets by FTS5."""
    segmenter = indexing.segmenter(indexing.heading_words(store))
    path = home / "fts5.db"
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    db.execute("CREATE VIRTUAL TABLE docs USING fts5(title, content, tokenize='unicode61')")
    started = time.perf_counter()
    with db:
        for record in store.iter_link_records():
            text = record.page.text if record.page else ""
            db.execute(
                "INSERT INTO docs(rowid, title, content) VALUES(?, ?, ?)",
                (
                    record.id,
                    " ".join(w for w, *_ in segmenter.tokens(record.title)),
                    " ".join(w for w, *_ in segmenter.tokens(text)),
                ),
            )
    print(
        f"fts5: full index {time.perf_counter() - started:.1f} s, "
        f"size {path.stat().st_size / 1e6:.0f} MB"
    )
    timings: list[float] = []
    plain = [q for q in QUERIES if ":" not in q and "-" not in q and "OR" not in q]
    for _ in range(rounds):
        for query in plain:
            words = [f'"{w}"' for w in segmenter.cut(query.strip('"'))]
            started = time.perf_counter()
            rows = db.execute(
                "SELECT rowid, snippet(docs, 1, '«', '»', '…', 20) FROM docs "
                "WHERE docs MATCH ? ORDER BY bm25(docs, 4.0, 1.0) LIMIT 10",
                (" AND ".join(words),),
            ).fetchall()
            db.execute("SELECT count(*) FROM docs WHERE docs MATCH ?", (" AND ".join(words),))
            timings.append(time.perf_counter() - started)
            assert rows is not None
    print(
        f"fts5: search p50 {percentile(timings, 0.5) * 1000:.1f} ms, "
        f"p95 {percentile(timings, 0.95) * 1000:.1f} ms ({len(plain)} plain queries)"
    )
    db.close()


def bench_process(home: Path, runs: int) -> None:
    """``linkindex search`` start to finish, as installed (bytecode cached after a first
    run) and, if this environment forbids bytecode files, as it runs here."""
    cached = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    modes = [("bytecode cached", cached)]
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        modes.append(("PYTHONDONTWRITEBYTECODE=1, compiled each run", dict(os.environ)))
    command = [sys.executable, "-m", "linkindex", "search", "显存优化", "--home", str(home)]
    for label, env in modes:
        subprocess.run(command, check=True, capture_output=True, env=env)  # warm-up
        timings: list[float] = []
        for _ in range(runs):
            started = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True, env=env)
            timings.append(time.perf_counter() - started)
        print(
            f"process: `linkindex search 显存优化` median {statistics.median(timings):.2f} s "
            f"(min {min(timings):.2f}, {runs} runs, {label})"
        )


def bench_analyzer(store: Store, count: int = 300) -> None:
    """rjieba (what linkindex uses) against pure-Python jieba on the same pages and words."""
    import logging

    import jieba

    segmenter = indexing.segmenter(indexing.heading_words(store))
    texts = [analysis.fold(r.page.text) for r in store.link_records(range(1, count + 1)) if r.page]
    size = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    started = time.perf_counter()
    ours = [sorted((w, s, e) for w, _, s, e in segmenter.tokens(t)) for t in texts]
    rjieba_rate = size / (time.perf_counter() - started)
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.tmp_dir = tempfile.mkdtemp()
    started = time.perf_counter()
    tokenizer.initialize()
    for word, freq in segmenter.added:
        tokenizer.add_word(word, freq)
    init = time.perf_counter() - started
    started = time.perf_counter()
    theirs = [
        sorted((w, s, e) for w, s, e in tokenizer.tokenize(t, mode="search") if analysis.is_word(w))
        for t in texts
    ]
    jieba_rate = size / (time.perf_counter() - started)
    same = sum(a == b for a, b in zip(ours, theirs, strict=True))
    print(
        f"analyzer: rjieba {rjieba_rate:.1f} MB/s (positions and offsets included), "
        f"jieba {jieba_rate:.1f} MB/s (+{init:.1f} s to load); identical tokens on "
        f"{same}/{len(texts)} pages"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=25000)
    parser.add_argument("--home", type=Path)
    parser.add_argument("--keep", action="store_true", help="keep the temporary library")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--skip-fts5", action="store_true")
    parser.add_argument("--analyzer-only", action="store_true", help="only rjieba vs jieba")
    parser.add_argument("--search-only", action="store_true", help="reuse the index as it is")
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="linkindex-bench-"))
    if not (home / "linkindex.db").exists():
        build_library(home, args.links)
    store = Store(home)
    links = store.query("SELECT count(*) AS n FROM links")[0]["n"]
    if not args.search_only:
        bench_analyzer(store)
    if args.analyzer_only:
        return
    if not args.search_only:
        bench_index(home, store, links)
    search.search(home, "预热", store=store)  # first query pays for opening files
    timings = bench_whoosh(home, store, args.rounds)
    print(
        f"whoosh: search p50 {percentile(timings, 0.5) * 1000:.1f} ms, "
        f"p95 {percentile(timings, 0.95) * 1000:.1f} ms "
        f"({len(QUERIES)} queries x {args.rounds}, top 10 with snippets)"
    )
    if not args.skip_fts5:
        bench_fts5(home, store, args.rounds)
    store.close()
    bench_process(home, 7)
    if not args.keep and not args.home:
        shutil.rmtree(home)


def bench_index(home: Path, store: Store, links: int) -> None:
    """Full rebuild, then an incremental update of 100 changed links."""

    started = time.perf_counter()
    written = indexing.refresh(store, home, rebuild=True)
    print(
        f"whoosh: full index of {written} links {time.perf_counter() - started:.1f} s, "
        f"size {folder_size(folder.index_dir(home)) / 1e6:.0f} MB"
    )

    rng = random.Random(SEED + 1)
    changed = rng.sample(range(1, links + 1), 100)
    with store.transaction():
        for link in changed:
            store.conn.execute(
                "UPDATE pages SET text = text || ? WHERE link_id=?", ("显存优化的新进展。", link)
            )
        store.touch(changed)
    started = time.perf_counter()
    written = indexing.refresh(store, home)
    print(f"whoosh: incremental update of {written} links {time.perf_counter() - started:.2f} s")
    for word in NEW_HEADINGS:
        bench_new_heading(home, store, word)


#: Headings a user adds to a note: a new word no page contains, a new word in the 100
#: pages just updated, and a word jieba already knows (in ~12% of the pages).
NEW_HEADINGS = ["大灯改装", "显存优化", "中间语言"]


def bench_new_heading(home: Path, store: Store, word: str) -> None:
    """A note gains a heading that is a new dictionary word: one new link filed under it."""
    link = store.count_links(include_removed=True) + 1
    url = f"https://web.example.com/heading/{link}"
    containing = len(store.link_ids_containing([word]))
    with store.transaction():
        store.conn.execute(
            "INSERT INTO links(id, canonical_url, url, site, host, status, first_seen_at) "
            "VALUES(?, ?, ?, 'web', 'web.example.com', 'new', '2026-01-01T00:00:00Z')",
            (link, url, url),
        )
        store.conn.execute(
            "INSERT INTO placements(link_id, note_id, line, topic, title) VALUES(?, 1, 1, ?, ?)",
            (link, json.dumps([word], ensure_ascii=False), f"{word}的笔记"),
        )
        store.touch([link])
    started = time.perf_counter()
    written = indexing.refresh(store, home)
    print(
        f"whoosh: new heading {word!r} (in {containing} links' text): "
        f"{written} links re-indexed in {time.perf_counter() - started:.1f} s"
    )


if __name__ == "__main__":
    main()
