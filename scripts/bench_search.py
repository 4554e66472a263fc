"""Benchmark search on a synthetic library: analyzer, index build, update, latency, FTS5.

Builds a library of N links (default 25,000) with ~3,000 characters of Chinese text each,
made from jieba's own vocabulary with a fixed seed (a tenth of the pages written in
traditional characters), and prints each figure beside its goal and, where there is
one, the same figure for SQLite FTS5 over the same tokens in the same run:

* the analyzer: tokens with positions and offsets per second (``Segmenter.analyze``,
  the same tokens as the reference ``Segmenter.tokens``, checked on every page timed),
  beside rjieba's plain cut alone (the best of five passes each, taken in turn); and the
  same on English docs and code, which the generated pages hold little of (this
  checkout's README and docs, its Python source: ~3 s);
* the full index (a separate process, as ``linkindex index --rebuild`` runs: its time
  and each of its processes' peak memory) and its size;
* the incremental update of 100 changed links, and after a note gains a heading that is
  a new dictionary word;
* search latency p50/p95 over a fixed query set (hits with snippets, as the CLI shows);
* ``linkindex search`` as a whole process (median of several runs).

The load average is printed at the start and the end: on a shared machine, figures
taken under load are slower.

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
from linkindex.analysis import characters
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
#: Share of pages written in traditional characters (readers in Taiwan and Hong Kong).
TRADITIONAL = 0.1

#: The goals of issue 15 on the 2-core build machine.
GOALS = {
    "analyzer": ">= 8 MB/s",
    "index": "< 60 s",
    "memory": "< 500 MB each",
    "update": "< 2 s",
    "search": "p50 < 10 ms, p95 < 50 ms",
    "process": "< 0.2 s median",
}


def vocabulary(rng: random.Random) -> tuple[list[str], list[float]]:
    """Chinese words of jieba's dictionary with their corpus frequencies (Zipf-like)."""
    path = folder.jieba_dictionary_path()
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


def traditional_writer() -> dict[int, int]:
    """A crude simplified-to-traditional map: the first character OpenCC's table folds to
    each simplified one (enough to give the analyzer traditional text to fold)."""
    spellings = characters._spellings()
    return {ord(simple): ord(forms[1]) for simple, forms in spellings.items() if len(forms) > 1}


def build_library(home: Path, links: int) -> None:
    """Write notes, links, placements and pages straight into a new store."""
    rng = random.Random(SEED)
    words, weights = vocabulary(rng)
    to_traditional = traditional_writer()
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
            text = make_text(rng, words, weights, CHARS_PER_LINK)
            if rng.random() < TRADITIONAL:
                text = text.translate(to_traditional)
            store.conn.execute(
                "INSERT INTO pages(link_id, title, text, extracted_at) VALUES(?, ?, ?, ?)",
                (link, "", text, "2026-01-02T00:00:00Z"),
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


class Report:
    """The figures of one run: printed as they come, and again as a table at the end."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str]] = []

    def add(self, name: str, ours: str, fts5: str = "", goal: str = "") -> None:
        self.rows.append((name, ours, fts5, goal))
        extra = (f" | FTS5 {fts5}" if fts5 else "") + (f" | goal {goal}" if goal else "")
        print(f"{name}: {ours}{extra}", flush=True)

    def table(self) -> str:
        lines = ["| figure | linkindex | SQLite FTS5, same tokens | goal |", "|---|---|---|---|"]
        lines += [
            f"| {name} | {ours} | {fts5 or '—'} | {goal or '—'} |"
            for name, ours, fts5, goal in self.rows
        ]
        return "\n".join(lines)


def load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


class Fts5:
    """SQLite FTS5 over the same tokens (space-joined), snippets by FTS5."""

    def __init__(self, home: Path, store: Store) -> None:
        self.segmenter = indexing.segmenter(indexing.heading_words(store))
        self.path = home / "fts5.db"
        self.path.unlink(missing_ok=True)
        self.db = sqlite3.connect(self.path)
        self.db.execute(
            "CREATE VIRTUAL TABLE docs USING fts5(title, content, tokenize='unicode61')"
        )

    def _row(self, record: object) -> tuple[int, str, str]:
        page = record.page  # type: ignore[attr-defined]
        text = page.text if page else ""
        words = self.segmenter.analyze
        return (
            record.id,  # type: ignore[attr-defined]
            " ".join(w for w, *_ in sorted(words(record.title), key=_by_place)),  # type: ignore[attr-defined]
            " ".join(w for w, *_ in sorted(words(text), key=_by_place)),
        )

    def build(self, store: Store) -> float:
        started = time.perf_counter()
        with self.db:
            for record in store.iter_link_records():
                self.db.execute(
                    "INSERT INTO docs(rowid, title, content) VALUES(?, ?, ?)", self._row(record)
                )
        return time.perf_counter() - started

    def update(self, store: Store, ids: list[int]) -> float:
        started = time.perf_counter()
        with self.db:
            for record in store.iter_link_records(ids=ids):
                self.db.execute("DELETE FROM docs WHERE rowid=?", (record.id,))
                self.db.execute(
                    "INSERT INTO docs(rowid, title, content) VALUES(?, ?, ?)", self._row(record)
                )
        return time.perf_counter() - started

    def plain_queries(self) -> list[str]:
        return [q for q in QUERIES if ":" not in q and "-" not in q and "OR" not in q]

    def match(self, query: str) -> str:
        return " AND ".join(f'"{w}"' for w in self.segmenter.cut(query.strip('"')))

    def search(self, rounds: int) -> list[float]:
        timings: list[float] = []
        for _ in range(rounds):
            for query in self.plain_queries():
                wanted = self.match(query)
                started = time.perf_counter()
                rows = self.db.execute(
                    "SELECT rowid, snippet(docs, 1, '«', '»', '…', 20) FROM docs "
                    "WHERE docs MATCH ? ORDER BY bm25(docs, 4.0, 1.0) LIMIT 10",
                    (wanted,),
                ).fetchall()
                self.db.execute("SELECT count(*) FROM docs WHERE docs MATCH ?", (wanted,))
                timings.append(time.perf_counter() - started)
                assert rows is not None
        return timings

    def process(self, runs: int) -> float:
        """A Python process that runs one FTS5 query (the query cut beforehand)."""
        script = (
            "import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); "
            "db.execute(\"SELECT rowid, snippet(docs, 1, '«', '»', '…', 20) FROM docs "
            'WHERE docs MATCH ? ORDER BY bm25(docs, 4.0, 1.0) LIMIT 20", (sys.argv[2],)).fetchall()'
        )
        command = [sys.executable, "-c", script, str(self.path), self.match("显存优化")]
        subprocess.run(command, check=True)
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            subprocess.run(command, check=True)
            timings.append(time.perf_counter() - started)
        return statistics.median(timings)

    def size(self) -> int:
        return self.path.stat().st_size


def _by_place(token: tuple[str, int, int, int]) -> tuple[int, int]:
    return token[1], token[2]


def bench_process(home: Path, runs: int) -> list[tuple[str, float, float]]:
    """``linkindex search`` start to finish, as installed (bytecode cached after a first
    run) and, if this environment forbids bytecode files, as it runs here."""
    cached = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    modes = [("bytecode cached", cached)]
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        modes.append(("PYTHONDONTWRITEBYTECODE=1, compiled each run", dict(os.environ)))
    command = [sys.executable, "-m", "linkindex", "search", "显存优化", "--home", str(home)]
    found = []
    for label, env in modes:
        subprocess.run(command, check=True, capture_output=True, env=env)  # warm-up
        timings: list[float] = []
        for _ in range(runs):
            started = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True, env=env)
            timings.append(time.perf_counter() - started)
        found.append((label, statistics.median(timings), min(timings)))
    return found


#: This checkout, whose README, docs and source the analyzer is also timed on.
CHECKOUT = Path(__file__).resolve().parent.parent
#: Modules that are tables of words or characters, not code (left out of the code timed).
TABLES = {"fold_pairs.py", "regional_words.py", "spelling_words.py"}


def rates(jobs: dict[str, object], texts: list[str]) -> dict[str, tuple[float, float]]:
    """Each job's MB/s over ``texts``, by the wall clock and per CPU second: the best of
    five passes of each, taken in turn, so all see the machine alike (on a busy machine
    wall and CPU time differ)."""
    size = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    wall = dict.fromkeys(jobs, float("inf"))
    cpu = dict.fromkeys(jobs, float("inf"))
    for _ in range(5):
        for name, job in jobs.items():
            started, used = time.perf_counter(), time.process_time()
            for text in texts:
                job(text)  # type: ignore[operator]
            wall[name] = min(wall[name], time.perf_counter() - started)
            cpu[name] = min(cpu[name], time.process_time() - used)
    return {name: (size / wall[name], size / cpu[name]) for name in jobs}


def same_tokens(
    segmenter: analysis.Segmenter, texts: list[str]
) -> tuple[int, float, list[list[analysis.Token]]]:
    """On how many texts ``analyze`` gives the reference's tokens, the reference's MB/s,
    and its tokens."""
    size = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    started = time.perf_counter()
    reference = [segmenter.tokens(t) for t in texts]
    rate = size / (time.perf_counter() - started)
    same = sum(
        sorted(segmenter.analyze(t)) == sorted(r) for t, r in zip(texts, reference, strict=True)
    )
    return same, rate, reference


def bench_analyzer(
    store: Store, report: Report, count: int = 300, with_jieba: bool = False
) -> None:
    """The analyzer's tokens with positions and offsets, on the first ``count`` pages, and
    on English docs and code (this checkout's README and docs, its Python source): the
    generated pages hold little English or code, many real pages much."""
    segmenter = indexing.segmenter(indexing.heading_words(store))
    texts = [r.page.text for r in store.link_records(range(1, count + 1)) if r.page]
    size = sum(len(t.encode("utf-8")) for t in texts) / 1e6

    cut = segmenter._jieba.cut
    jobs = {"analyzer": segmenter.analyze, "cut": lambda text: cut(analysis.fold(text))}
    for text in texts:  # a first pass fills the segmenter's per-word cache
        segmenter.analyze(text)
    found = rates(jobs, texts)
    (fast, fast_cpu), (floor, floor_cpu) = found["analyzer"], found["cut"]
    same, reference_rate, reference = same_tokens(segmenter, texts)
    report.add(
        "analyzer, tokens with positions and offsets",
        f"{fast:.1f} MB/s ({fast_cpu:.1f} MB per CPU second; same tokens as the reference "
        f"on {same}/{len(texts)} pages; reference {reference_rate:.1f} MB/s; rjieba's plain "
        f"cut alone {floor:.1f} MB/s, {floor_cpu:.1f} per CPU second)",
        goal=GOALS["analyzer"],
    )
    docs = [CHECKOUT / "README.md", *sorted((CHECKOUT / "docs").glob("*.md"))]
    code = [p for p in sorted((CHECKOUT / "src").rglob("*.py")) if p.name not in TABLES]
    figures: list[str] = []
    checked = total = 0
    for label, paths in [("English docs", docs), ("Python source", code)]:
        kind = [p.read_text(encoding="utf-8") for p in paths if p.exists()]
        for text in kind:
            segmenter.analyze(text)
        found = rates(jobs, kind)
        megabytes = sum(len(t.encode("utf-8")) for t in kind) / 1e6
        figures.append(
            f"{label} ({megabytes:.1f} MB) {found['analyzer'][0]:.1f} MB/s, rjieba's plain "
            f"cut alone {found['cut'][0]:.1f}"
        )
        checked += same_tokens(segmenter, kind)[0]
        total += len(kind)
    # (beside the goal's figure, not under it: the goal is the pages' above, the text of
    # a library of Chinese articles; English and code are a few of its pages)
    report.add(
        "analyzer on English and code (this checkout's README, docs, source)",
        f"{'; '.join(figures)} (same tokens as the reference on {checked}/{total} files)",
    )
    if with_jieba:
        bench_jieba(segmenter, texts, size, reference)


def bench_jieba(
    segmenter: analysis.Segmenter,
    texts: list[str],
    size: float,
    reference: list[list[analysis.Token]],
) -> None:
    """Pure-Python jieba's search mode on the same pages (mixed tokens aside)."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.tmp_dir = tempfile.mkdtemp()
    started = time.perf_counter()
    tokenizer.initialize()
    for word, freq in segmenter.added:
        tokenizer.add_word(word, freq)
    init = time.perf_counter() - started
    folded = [analysis.fold(t) for t in texts]
    started = time.perf_counter()
    theirs = [
        sorted((w, s, e) for w, s, e in tokenizer.tokenize(t, mode="search") if analysis.is_word(w))
        for t in folded
    ]
    rate = size / (time.perf_counter() - started)
    ours = [
        sorted((w, s, e) for w, _, s, e in tokens if not analysis.parts(w)) for tokens in reference
    ]
    theirs = [[t for t in tokens if not analysis.parts(t[0])] for tokens in theirs]
    same = sum(a == b for a, b in zip(ours, theirs, strict=True))
    print(
        f"jieba (pure Python): {rate:.1f} MB/s (+{init:.1f} s to load); identical tokens "
        f"on {same}/{len(texts)} pages (mixed tokens aside)"
    )


REBUILD = """
import json, resource, sys, time
from pathlib import Path
from linkindex import indexing
from linkindex.store import Store
home = Path(sys.argv[1])
store = Store(home)
started = time.perf_counter()
written = indexing.refresh(store, home, rebuild=True)
seconds = time.perf_counter() - started
main = resource.getrusage(resource.RUSAGE_SELF)
worker = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({
    "written": written,
    "seconds": seconds,
    "main": main.ru_maxrss,
    "worker": worker.ru_maxrss,
    "main_cpu": main.ru_utime + main.ru_stime,
    "worker_cpu": worker.ru_utime + worker.ru_stime,
}))
"""


def bench_index(home: Path, store: Store, links: int, report: Report, fts5: Fts5 | None) -> None:
    """Full rebuild (in a process of its own, as the CLI runs it), then an incremental
    update of 100 changed links and three new headings."""
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", REBUILD, str(home)], check=True, capture_output=True, text=True
    )
    whole = time.perf_counter() - started
    built = json.loads(out.stdout)
    fts5_seconds = fts5.build(store) if fts5 else None
    report.add(
        f"full index, {built['written']} links",
        f"{built['seconds']:.1f} s ({whole:.1f} s with the process start; CPU "
        f"{built['main_cpu']:.0f} s main, {built['worker_cpu']:.0f} s worker)",
        f"{fts5_seconds:.1f} s" if fts5_seconds is not None else "",
        GOALS["index"],
    )
    report.add(
        "peak memory of the rebuild's processes",
        f"{built['main'] * 1024 / 1e6:.0f} MB (main), "  # (ru_maxrss counts KiB)
        f"{built['worker'] * 1024 / 1e6:.0f} MB (worker)",
        goal=GOALS["memory"],
    )
    report.add(
        "index size",
        f"{folder_size(folder.index_dir(home)) / 1e6:.0f} MB",
        f"{fts5.size() / 1e6:.0f} MB" if fts5 else "",
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
    seconds = time.perf_counter() - started
    report.add(
        f"incremental update of {written} links",
        f"{seconds:.2f} s",
        f"{fts5.update(store, changed):.2f} s" if fts5 else "",
        GOALS["update"],
    )
    for word in NEW_HEADINGS:
        bench_new_heading(home, store, word, report)


#: Headings a user adds to a note: a new word no page contains, a new word in the 100
#: pages just updated, and a word jieba already knows (in ~12% of the pages).
NEW_HEADINGS = ["大灯改装", "显存优化", "中间语言"]


def bench_new_heading(home: Path, store: Store, word: str, report: Report) -> None:
    """A note gains a heading that is a new dictionary word: one new link filed under it."""
    link = store.count_links(include_removed=True) + 1
    url = f"https://web.example.com/heading/{link}"
    containing = len(store.link_ids_containing(analysis.telltales(word)))
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
    report.add(
        f"new heading {word} (in {containing} links' text)",
        f"{written} links re-indexed in {time.perf_counter() - started:.1f} s",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--links", type=int, default=25000)
    parser.add_argument("--home", type=Path)
    parser.add_argument("--keep", action="store_true", help="keep the temporary library")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--skip-fts5", action="store_true")
    parser.add_argument("--analyzer-only", action="store_true", help="only the analyzer")
    parser.add_argument("--with-jieba", action="store_true", help="pure-Python jieba too")
    parser.add_argument("--search-only", action="store_true", help="reuse the index as it is")
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="linkindex-bench-"))
    print(f"start: {load()} on {os.cpu_count()} cpus", flush=True)
    if not (home / "linkindex.db").exists():
        build_library(home, args.links)
    store = Store(home)
    links = store.query("SELECT count(*) AS n FROM links")[0]["n"]
    report = Report()
    if not args.search_only:
        bench_analyzer(store, report, with_jieba=args.with_jieba)
    if args.analyzer_only:
        print(f"end: {load()}")
        return
    fts5 = None if args.skip_fts5 else Fts5(home, store)
    if not args.search_only:
        bench_index(home, store, links, report, fts5)
    elif fts5:
        fts5.build(store)
    search.search(home, "预热", store=store)  # first query pays for opening files
    timings = bench_whoosh(home, store, args.rounds)
    fts5_timings = fts5.search(args.rounds) if fts5 else []
    report.add(
        f"search p50 / p95, top 10 with snippets, {len(QUERIES)} queries x {args.rounds}",
        f"{percentile(timings, 0.5) * 1000:.1f} / {percentile(timings, 0.95) * 1000:.1f} ms",
        f"{percentile(fts5_timings, 0.5) * 1000:.1f} / "
        f"{percentile(fts5_timings, 0.95) * 1000:.1f} ms "
        f"({len(fts5.plain_queries())} plain queries)"
        if fts5
        else "",
        GOALS["search"],
    )
    store.close()
    for label, median, fastest in bench_process(home, 7):
        report.add(
            f"`linkindex search 显存优化`, whole process ({label})",
            f"{median:.3f} s median (min {fastest:.3f}, 7 runs)",
            f"{fts5.process(7):.3f} s (python + sqlite3, query cut beforehand)" if fts5 else "",
            GOALS["process"],
        )
    if fts5:
        fts5.db.close()
    print(f"end: {load()}\n")
    print(report.table())
    if not args.keep and not args.home:
        shutil.rmtree(home)


if __name__ == "__main__":
    main()
