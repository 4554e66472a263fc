"""A small library for the web tests, written row by row into the store.

Real-looking Chinese notes and pages: a WeChat article about GPU memory, Zhihu and
GitHub links, a dead CSDN post, and one page whose title is an HTML injection attempt.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from freshness_library import add_figures
from image_bytes import png
from linkindex import indexing
from linkindex.store import Store

if TYPE_CHECKING:
    from starlette.testclient import TestClient

HOSTILE_TITLE = "<img src=x onerror=alert(1)>"
#: The WeChat article's figures: before its first paragraph, and after its second
#: (whose alt text tries to break out of the attribute).
WECHAT_FIGURES = [
    (
        "https://mmbiz.qpic.cn/mmbiz_png/Abc123Arch/640?wx_fmt=png",
        0,
        png(480, 270, (30, 90, 160)),
        "显存占用示意图",
    ),
    (
        "https://mmbiz.qpic.cn/mmbiz_png/Abc123Curve/640?wx_fmt=png",
        2,
        png(360, 200, (200, 120, 40)),
        '"><script>alert(3)</script>',
    ),
]
WECHAT_TITLE = "显存不足？PyTorch显存使用分析与优化"
WECHAT_TEXT = (
    "训练大模型时经常遇到 CUDA out of memory。本文分析 PyTorch 的显存使用，"
    "包括参数、梯度、优化器状态和激活值。\n\n"
    "优化方法：混合精度训练、梯度检查点、减小 batch size，以及用 torch.cuda.empty_cache "
    "释放缓存。显存优化的关键是先测量再动手。\n\n"
    "<script>alert('snapshot')</script> 这一行来自网页，必须原样显示。"
)


@dataclass(frozen=True)
class Entry:
    """One link to put in the test library."""

    url: str
    site: str
    status: str
    note: str
    topic: tuple[str, ...]
    title: str
    description: str = ""
    page_title: str = ""
    page_text: str = ""
    archive_url: str | None = None


NOTES: dict[str, tuple[str, str]] = {
    "/notes/2018-3-1-DL_framework.markdown": ("深度学习框架", "2018-03-01"),
    "/notes/2020-9-26-math_16.markdown": ("数学（十六）", "2020-09-26"),
    "/notes/2023-5-2-tools.markdown": ("工具 <b>不加粗</b>", "2023-05-02"),
}

ENTRIES: list[Entry] = [
    Entry(
        "https://mp.weixin.qq.com/s/Abc123PyTorchMemory",
        "wechat",
        "ok",
        "/notes/2018-3-1-DL_framework.markdown",
        ("Pytorch", "参考"),
        WECHAT_TITLE,
        "显存优化经验总结",
        WECHAT_TITLE,
        WECHAT_TEXT,
    ),
    Entry(
        "https://zhuanlan.zhihu.com/p/31558973",
        "zhihu",
        "ok",
        "/notes/2018-3-1-DL_framework.markdown",
        ("Pytorch", "教程"),
        "PyTorch 入门教程",
        "从张量到自动求导",
        "PyTorch 入门",
        "张量、自动求导与模块。",
    ),
    Entry(
        "https://github.com/pytorch/pytorch",
        "github",
        "ok",
        "/notes/2018-3-1-DL_framework.markdown",
        ("Pytorch",),
        "pytorch/pytorch",
        "官方仓库",
        "pytorch/pytorch",
        "Tensors and Dynamic neural networks in Python with strong GPU acceleration",
    ),
    Entry(
        "https://blog.csdn.net/someone/article/details/80000001",
        "csdn",
        "dead",
        "/notes/2018-3-1-DL_framework.markdown",
        ("NN中间语言", "ONNX"),
        "ONNX 模型转换踩坑",
        archive_url="https://web.archive.org/web/2019/https://blog.csdn.net/x",
    ),
    Entry(
        "https://www.cnblogs.com/someone/p/1234567.html",
        "cnblogs",
        "blocked",
        "/notes/2020-9-26-math_16.markdown",
        ("线性代数",),
        "矩阵分解笔记",
    ),
    Entry(
        "https://example.com/hostile",
        "web",
        "ok",
        "/notes/2023-5-2-tools.markdown",
        ("工具",),
        "",
        "",
        HOSTILE_TITLE,
        "A page whose title tries to run a script.",
    ),
    Entry(
        "https://example.org/never-fetched",
        "web",
        "new",
        "/notes/2023-5-2-tools.markdown",
        ("工具", "编辑器"),
        "Emacs 快捷键",
    ),
]


def build(home: Path, *, extra: int = 0) -> dict[str, int]:
    """Write the test library into ``home``; returns ``{url: link_id}``.

    ``extra`` adds that many plain links under ``批量 > 更多`` (to test pagination).
    """
    entries = list(ENTRIES) + [
        Entry(
            f"https://example.net/bulk/{n}",
            "web",
            "new",
            "/notes/2023-5-2-tools.markdown",
            ("批量", "更多"),
            f"批量链接 {n}",
        )
        for n in range(extra)
    ]
    store = Store(home)
    ids: dict[str, int] = {}
    try:
        with store.transaction():
            notes = {
                path: _insert(
                    store,
                    "notes",
                    path=path,
                    title=title,
                    date=date,
                    imported_at="2026-01-01T00:00:00Z",
                )
                for path, (title, date) in NOTES.items()
            }
            for line, entry in enumerate(entries, start=10):
                ids[entry.url] = link_id = _insert(
                    store,
                    "links",
                    canonical_url=entry.url,
                    url=entry.url,
                    site=entry.site,
                    host=entry.url.split("/")[2],
                    status=entry.status,
                    first_seen_at="2026-01-01T00:00:00Z",
                    archive_url=entry.archive_url,
                    checked_at=None if entry.status == "new" else "2026-11-01T08:00:00Z",
                    fetched_at="2026-11-01T08:00:00Z" if entry.status == "ok" else None,
                    http_status={"ok": 200, "dead": 404, "blocked": 403}.get(entry.status),
                )
                _insert(
                    store,
                    "placements",
                    link_id=link_id,
                    note_id=notes[entry.note],
                    line=line,
                    topic=json.dumps(entry.topic, ensure_ascii=False),
                    title=entry.title,
                    description=entry.description,
                    raw_url=entry.url,
                )
                if entry.page_title or entry.page_text:
                    _insert(
                        store,
                        "pages",
                        link_id=link_id,
                        title=entry.page_title,
                        text=entry.page_text,
                        extractor=entry.site,
                        account="深度学习笔记" if entry.site == "wechat" else "",
                        extracted_at="2026-11-01T08:00:00Z",
                    )
                if entry.status != "new":
                    _insert(
                        store,
                        "fetches",
                        link_id=link_id,
                        started_at="2026-11-01T08:00:00Z",
                        outcome=entry.status,
                        http_status={"ok": 200, "dead": 404, "blocked": 403}.get(entry.status),
                        url=entry.url,
                        elapsed_ms=120,
                        bytes=20480,
                        error="HTTP 404" if entry.status == "dead" else "",
                    )
            store.touch(ids.values())
        add_figures(store, home, ids[ENTRIES[0].url], WECHAT_FIGURES)
        run = store.start_run("update", "2026-11-01T07:59:00Z")
        dead = ids["https://blog.csdn.net/someone/article/details/80000001"]
        store.add_event(run, dead, "dead", "2026-11-01T08:00:00Z", "HTTP 404")
        store.add_event(run, dead, "archived", "2026-11-01T08:00:05Z", "web.archive.org")
        store.finish_run(run, "done", {"checked": 5, "dead": 1}, "2026-11-01T08:01:00Z")
        indexing.refresh(store, home)
    finally:
        store.close()
    return ids


def _insert(store: Store, table: str, **values: Any) -> int:
    names = ", ".join(values)
    marks = ", ".join("?" * len(values))
    cursor = store.conn.execute(
        f"INSERT INTO {table}({names}) VALUES({marks})", tuple(values.values())
    )
    return int(cursor.lastrowid or 0)


def make_client(
    home: Path, base_url: str, *, token: str | None = None, raise_server_exceptions: bool = True
) -> TestClient:
    """A test client of the app over ``home`` as seen at ``base_url`` (no redirects followed).

    Starlette warns that its client prefers ``httpx2``; the installed httpx works, so the
    warning is silenced here rather than in every test.
    """
    from starlette.exceptions import StarletteDeprecationWarning

    from linkindex.web import create_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", StarletteDeprecationWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        from starlette.testclient import TestClient

        return TestClient(
            create_app(home, token=token),
            base_url=base_url,
            follow_redirects=False,
            raise_server_exceptions=raise_server_exceptions,
        )


# -- a library made the way a user makes one: notes imported, fixture pages extracted --

FIXTURE_PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "pages"
HOSTILE_PAGE = (
    b"<html><head><meta charset=utf-8><title><img src=x onerror=alert(1)></title></head>"
    b"<body><article><h1>&lt;img src=x onerror=alert(1)&gt;</h1>"
    b"<p>A page whose title tries to run a script when a careless viewer shows it as markup."
    b"</p><p>Literal markup in the text: &lt;script&gt;alert('snapshot')&lt;/script&gt; "
    b"must stay text.</p><script>alert(2)</script></article></body></html>"
)

#: URL -> the fixture page the "crawl" got for it (None: never fetched).
PAGES: dict[str, str | bytes | None] = {
    "https://mp.weixin.qq.com/s/zhkaenFdnB5KgaEYb-XDEQ": "wechat_article.html",
    "https://zhuanlan.zhihu.com/p/31558973": "zhihu_article.html",
    "https://github.com/Tencent/ncnn": "github_repo.html",
    "https://mp.weixin.qq.com/s/DeletedArticle123": "wechat_deleted.html",
    "https://example.com/hostile": HOSTILE_PAGE,
    "https://example.org/never-fetched": None,
}

FRAMEWORK_NOTE = """---
layout: post
title: 深度学习框架
category: theory
---

# Pytorch

## 参考

https://mp.weixin.qq.com/s/zhkaenFdnB5KgaEYb-XDEQ

显存不足？PyTorch显存使用分析与优化

# NN中间语言

## ONNX

https://zhuanlan.zhihu.com/p/31558973

从NNVM和ONNX看AI芯片的基础运算算子

https://mp.weixin.qq.com/s/DeletedArticle123

一篇已被删除的文章

## ncnn

https://github.com/Tencent/ncnn

腾讯的移动端推理框架
"""

TOOLS_NOTE = """---
layout: post
title: 工具
category: tools
---

# 工具

https://example.com/hostile

## 编辑器

https://example.org/never-fetched

Emacs 快捷键
"""


def build_from_fixtures(home: Path, notes: Path, *, bulk: int = 0) -> dict[str, int]:
    """A library as a user gets one: notes imported, fixture pages extracted and recorded.

    Writes two notes into ``notes`` (plus ``bulk`` plain links under ``批量 > 更多``),
    imports them with the importer, runs each fixture page through ``extract_page`` and
    records it with the crawler's ``record_fetch``, logs an update run, and indexes.
    Returns ``{url: link_id}``.
    """
    from linkindex.extract import extract_page
    from linkindex.importer import import_paths
    from linkindex.models.pages import FetchResult
    from linkindex.store.rows import FetchRecord
    from linkindex.urls import normalize

    notes.mkdir(parents=True, exist_ok=True)
    (notes / "2018-3-1-DL_framework.markdown").write_text(FRAMEWORK_NOTE, encoding="utf-8")
    extra = "".join(f"https://example.net/bulk/{n}\n\n批量链接 {n}\n\n" for n in range(bulk))
    tools = TOOLS_NOTE + (f"\n# 批量\n\n## 更多\n\n{extra}" if bulk else "")
    (notes / "2023-5-2-tools.markdown").write_text(tools, encoding="utf-8")
    store = Store(home)
    try:
        import_paths(store, [notes], workers=1)
        ids: dict[str, int] = {}
        for url in [*PAGES, *(f"https://example.net/bulk/{n}" for n in range(bulk))]:
            key = normalize(url)
            link_id = store.link_id_for(key) if key else None
            assert link_id is not None, f"the importer did not keep {url}"
            ids[url] = link_id
        run = store.start_run("update", "2026-11-01T07:59:00Z")
        for url, fixture in PAGES.items():
            if fixture is None:
                continue
            body = fixture if isinstance(fixture, bytes) else (FIXTURE_PAGES / fixture).read_bytes()
            headers = {"content-type": "text/html; charset=utf-8"}
            page = extract_page(body, url=url, headers=headers)
            outcome = page.verdict
            result = FetchResult(
                url=url,
                outcome=outcome,
                final_url=url,
                http_status=200,
                headers=headers,
                content_type="text/html",
                elapsed_ms=180,
                bytes=len(body),
                error=page.reason if outcome != "ok" else "",
            )
            store.record_fetch(
                FetchRecord(
                    link_id=ids[url],
                    started_at="2026-11-01T08:00:00Z",
                    result=result,
                    status=outcome,
                    next_fetch_at="2026-12-01T08:00:00Z",
                    fail_count=0,
                    unchanged_count=0,
                    dead_count=int(outcome == "dead"),
                    page=page if outcome == "ok" else None,
                )
            )
            if outcome == "dead":
                store.add_event(run, ids[url], "dead", "2026-11-01T08:00:00Z", page.reason)
            if page.figures:  # pictures as the crawl would have kept them: real, drawable
                pictures = [
                    (
                        figure.url,
                        figure.after,
                        png(320 + 40 * n, 180, (40 * n, 120, 200)),
                        figure.alt,
                    )
                    for n, figure in enumerate(page.figures)
                ]
                add_figures(store, home, ids[url], pictures)
        store.finish_run(run, "done", {"checked": 5, "dead": 1}, "2026-11-01T08:01:00Z")
        indexing.refresh(store, home)
    finally:
        store.close()
    return ids
