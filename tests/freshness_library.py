"""Build small test libraries by writing rows straight into the store.

Used by the export, report and update tests so they do not depend on the importer or
the crawler: each helper writes exactly the rows a real import/crawl would.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from linkindex.store import Store

FIRST_SEEN = "2026-01-01T00:00:00Z"


def add_note(
    store: Store, path: str, *, title: str = "", category: str = "", date: str | None = None
) -> int:
    """A note row; returns its id (the same id if the path exists)."""
    with store.transaction():
        row = store.conn.execute("SELECT id FROM notes WHERE path=?", (path,)).fetchone()
        if row:
            return int(row[0])
        cursor = store.conn.execute(
            "INSERT INTO notes(path, title, category, date, imported_at) VALUES(?,?,?,?,?)",
            (path, title or path, category, date, FIRST_SEEN),
        )
    return int(cursor.lastrowid or 0)


def add_link(
    store: Store,
    url: str,
    *,
    site: str = "web",
    status: str = "new",
    note: str = "/notes/a.md",
    note_title: str = "",
    note_date: str | None = None,
    line: int = 1,
    topic: Sequence[str] = (),
    title: str = "",
    description: str = "",
    page: dict[str, Any] | None = None,
    archive_url: str | None = None,
    fetched_at: str | None = None,
    next_fetch_at: str | None = None,
    removed: bool = False,
    first_seen_at: str = FIRST_SEEN,
    **columns: Any,
) -> int:
    """A link with one placement (and a page if ``page`` is given); returns its id.

    ``columns`` set more ``links`` columns (fail_count, dead_count, checked_at…).
    """
    note_id = add_note(store, note, title=note_title, date=note_date)
    with store.transaction():
        row = store.conn.execute("SELECT id FROM links WHERE canonical_url=?", (url,)).fetchone()
        if row:
            link_id = int(row[0])
        else:
            cursor = store.conn.execute(
                "INSERT INTO links(canonical_url, url, site, host, status, first_seen_at, "
                "removed_at, archive_url, fetched_at, checked_at, next_fetch_at) "
                "VALUES(?,?,?,?,?,?,?,?,?,?,?)",
                (
                    url,
                    url,
                    site,
                    urlsplit(url).hostname or "",
                    status,
                    first_seen_at,
                    FIRST_SEEN if removed else None,
                    archive_url,
                    fetched_at,
                    fetched_at,
                    next_fetch_at,
                ),
            )
            link_id = int(cursor.lastrowid or 0)
        store.conn.execute(
            "INSERT INTO placements(link_id, note_id, line, topic, title, description, raw_url) "
            "VALUES(?,?,?,?,?,?,?)",
            (
                link_id,
                note_id,
                line,
                json.dumps(list(topic), ensure_ascii=False),
                title,
                description,
                url,
            ),
        )
        if page is not None:
            values = {"title": "", "text": "", "published_at": None, "description": ""}
            values.update(page)
            store.conn.execute(
                "INSERT OR REPLACE INTO pages(link_id, title, text, published_at, description, "
                "extractor) VALUES(?,?,?,?,?,?)",
                (
                    link_id,
                    values["title"],
                    values["text"],
                    values["published_at"],
                    values["description"],
                    site,
                ),
            )
        if columns:
            assignments = ", ".join(f"{name}=?" for name in columns)
            store.conn.execute(
                f"UPDATE links SET {assignments} WHERE id=?", (*columns.values(), link_id)
            )
        store.touch([link_id])
    return link_id


def sample_library(store: Store) -> dict[str, int]:
    """A small library with nested topics, a dead link with an archive copy, Chinese text,
    a hostile page title and a removed link. Returns ids by a short name."""
    ids = {
        "pytorch_mem": add_link(
            store,
            "https://mp.weixin.qq.com/s/KNaFelqk9UO6JYjbPTQohA",
            site="wechat",
            status="ok",
            note="/notes/2018-3-1-DL_framework.markdown",
            note_title="DL framework",
            note_date="2018-03-01",
            line=10,
            topic=["Pytorch", "参考"],
            title="显存不足？PyTorch显存使用分析与优化",
            page={
                "title": "显存不足？PyTorch显存使用分析与优化",
                "text": "第一段。\n\n第二段 & <b>",
                "published_at": "2020-05-06T00:00:00Z",
            },
            fetched_at="2026-02-01T00:00:00Z",
        ),
        "onnx": add_link(
            store,
            "https://github.com/onnx/onnx",
            site="github",
            status="ok",
            note="/notes/2018-3-1-DL_framework.markdown",
            note_title="DL framework",
            line=40,
            topic=["NN中间语言", "ONNX"],
            title="ONNX",
            description="Open standard for machine learning interoperability",
            page={"title": "onnx/onnx", "text": "ONNX README"},
            fetched_at="2026-02-01T00:00:00Z",
        ),
        "dead": add_link(
            store,
            "https://zhuanlan.zhihu.com/p/1234",
            site="zhihu",
            status="dead",
            note="/notes/2018-3-1-DL_framework.markdown",
            line=12,
            topic=["Pytorch", "参考"],
            title="已删除的文章",
            archive_url="https://web.archive.org/web/2020/https://zhuanlan.zhihu.com/p/1234",
        ),
        "hostile": add_link(
            store,
            "https://evil.example/x?a=1&b=2",
            status="ok",
            note="/notes/misc.md",
            line=3,
            topic=["Misc <b>"],
            page={"title": "<script>alert(1)</script>", "text": "<img src=x onerror=alert(2)>"},
        ),
        "top": add_link(store, "https://example.org/top", note="/notes/misc.md", line=1),
        "removed": add_link(store, "https://example.org/gone", removed=True, topic=["Misc <b>"]),
    }
    # the same article placed a second time, under another topic
    add_link(
        store,
        "https://github.com/onnx/onnx",
        note="/notes/misc.md",
        line=7,
        topic=["Pytorch"],
        title="ONNX again",
    )
    return ids


def add_figures(
    store: Store, home: Any, link_id: int, figures: Sequence[tuple[str, int, bytes, str]]
) -> list[str]:
    """Give a link's page these figures, stored as a crawl stores them: each
    ``(address, paragraphs before it, bytes, alt)``. Returns their sha256, in order."""
    from linkindex.extract.imagefile import read_image
    from linkindex.models.pages import Figure
    from linkindex.snapshots import Images, content_hash
    from linkindex.store.rows import FigureOutcome, StoredImage

    images = Images(home)
    with store.transaction():
        store.save_figures(
            link_id, [Figure(url, after, alt) for url, after, _body, alt in figures], archived=False
        )
    outcomes = []
    for position, (url, _after, body, _alt) in enumerate(figures):
        kind = read_image(body)
        assert kind is not None, "a test figure must be a picture linkindex keeps"
        images.put(body)
        image = StoredImage(
            content_hash(body), kind.content_type, len(body), kind.width, kind.height
        )
        outcomes.append(FigureOutcome(position, url, "stored", image))
    store.record_figures(link_id, outcomes, at=FIRST_SEEN)
    return [content_hash(body) for _url, _after, body, _alt in figures]
