"""Importing notes into a store: idempotence, changes, removals, encodings, crashes."""

from __future__ import annotations

import os
import random
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from linkindex import importer, indexing, search
from linkindex.errors import NotFoundError
from linkindex.importer import import_paths, known_roots
from linkindex.store import Store

MEMORY = "https://mp.weixin.qq.com/s/KNaFelqk9UO6JYjbPTQohA"


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture
def notes(tmp_path: Path, sample_notes: Path) -> Path:
    """A writable copy of the sample notes."""
    folder = tmp_path / "notes"
    shutil.copytree(sample_notes, folder)
    return folder


@pytest.fixture
def lib(home: Path) -> Iterator[Store]:
    store = Store(home)
    yield store
    store.close()


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def removed_at(store: Store, url: str) -> str | None:
    row = store.conn.execute(
        "SELECT removed_at FROM links WHERE canonical_url=?", (url,)
    ).fetchone()
    assert row is not None, url
    return row[0]


def test_first_import_of_the_sample_notes(lib: Store, notes: Path) -> None:
    clock = FakeClock()
    summary = import_paths(lib, [notes], clock=clock)
    assert (summary.notes_read, summary.notes_unchanged, summary.notes_failed) == (7, 0, 0)
    assert summary.links_new == 391
    assert summary.placements == 393
    assert summary.links_removed == summary.links_updated == 0
    assert summary.warnings == []
    assert summary.roots == [str(notes.resolve())]

    link_id = lib.link_id_for(MEMORY)
    assert link_id is not None
    record = lib.link_records([link_id])[0]
    assert record.site == "wechat"
    assert record.status == "new"
    assert record.first_seen_at == "2026-01-02T03:04:05Z"
    assert record.title == "显存不足？PyTorch显存使用分析与优化"
    assert record.topics == [["Pytorch", "参考"]]
    placement = record.placements[0]
    assert placement.note_title == "Pytorch, PaddlePaddle, MXNet, NN中间语言"
    assert placement.note_date == "2018-03-01"
    assert placement.category == "AI"
    assert placement.line == 209
    assert placement.note_path == str(notes.resolve() / "2018-3-1-DL_framework.markdown")

    stats = lib.library_stats()
    assert (stats["notes"], stats["links"], stats["placements"]) == (7, 391, 393)
    assert stats["by_site"]["wechat"] == 249
    assert stats["by_status"] == {"new": 391}


def test_a_link_listed_twice_is_one_link_with_two_placements(lib: Store, notes: Path) -> None:
    import_paths(lib, [notes])
    link_id = lib.link_id_for("https://github.com/songrotek/Deep-Learning-Papers-Reading-Roadmap")
    assert link_id is not None
    record = lib.link_records([link_id])[0]
    assert [p.line for p in record.placements] == [182, 402]
    assert [p.title for p in record.placements] == [
        "独立AI研究员Flood Sung提供的初学者阅读论文的路线图",
        "深度学习论文阅读路线图",
    ]
    assert record.topics == [["DL参考资源", "blog"], ["DL参考资源", "教程"]]


def test_reimport_of_unchanged_notes_changes_nothing(lib: Store, notes: Path) -> None:
    import_paths(lib, [notes])
    seq = lib.change_seq()
    again = import_paths(lib, [notes])
    assert (again.notes_read, again.notes_unchanged) == (0, 7)
    assert (again.links_new, again.links_updated, again.links_removed) == (0, 0, 0)
    assert lib.change_seq() == seq

    for file in notes.iterdir():  # same bytes, new mtime: hashed, not parsed
        os.utime(file, ns=(1, 1))
    touched = import_paths(lib, [notes])
    assert (touched.notes_read, touched.notes_unchanged) == (0, 7)
    assert lib.change_seq() == seq
    assert lib.library_stats()["placements"] == 393


def test_changed_note_replaces_its_placements(lib: Store, tmp_path: Path) -> None:
    note = write(
        tmp_path / "n" / "a.md",
        "# 参考\n\nhttps://a.example/1\n\n标题一\n\nhttps://a.example/2\n\n标题二\n",
    )
    clock = FakeClock()
    import_paths(lib, [note.parent], clock=clock)
    one, two = lib.link_id_for("https://a.example/1"), lib.link_id_for("https://a.example/2")
    assert one and two
    seq = lib.change_seq()

    clock.advance(days=1)
    write(note, "# 参考\n\nhttps://a.example/1\n\n新标题一\n\nhttps://a.example/3\n\n标题三\n")
    summary = import_paths(lib, [note.parent], clock=clock)
    assert (summary.notes_read, summary.links_new, summary.links_updated) == (1, 1, 1)
    assert summary.links_removed == 1
    assert removed_at(lib, "https://a.example/2") == "2026-01-03T03:04:05Z"
    assert lib.link_records([one])[0].title == "新标题一"
    three = lib.link_id_for("https://a.example/3")
    changed = {
        row[0] for row in lib.conn.execute("SELECT id FROM links WHERE change_seq > ?", (seq,))
    }
    assert changed == {one, two, three}
    # a removed link is kept (with its history), just not listed
    assert [r.id for r in lib.iter_link_records()] == [one, three]
    assert len(list(lib.iter_link_records(include_removed=True))) == 3

    clock.advance(days=1)
    write(note, "# 参考\n\nhttps://a.example/2?utm_source=x\n\n标题二回来了\n")
    back = import_paths(lib, [note.parent], clock=clock)
    assert (back.links_restored, back.links_new, back.links_removed) == (1, 0, 2)
    assert removed_at(lib, "https://a.example/2") is None
    assert lib.link_records([two])[0].title == "标题二回来了"


def test_link_moved_between_notes_is_never_removed(lib: Store, tmp_path: Path) -> None:
    folder = tmp_path / "n"
    write(folder / "a.md", "https://a.example/x\n\n在A里\n")
    write(folder / "b.md", "# B\n")
    import_paths(lib, [folder])
    write(folder / "a.md", "# A\n")
    write(folder / "b.md", "# B\n\nhttps://a.example/x\n\n在B里\n")
    summary = import_paths(lib, [folder])
    assert (summary.links_removed, summary.links_restored, summary.links_updated) == (0, 0, 1)
    record = lib.link_records([lib.link_id_for("https://a.example/x") or 0])[0]
    assert [(p.note_path.endswith("b.md"), p.topic) for p in record.placements] == [(True, ["B"])]


def test_vanished_note_is_marked_removed(lib: Store, notes: Path) -> None:
    import_paths(lib, [notes])
    (notes / "2015-1-8-emacs.markdown").unlink()
    summary = import_paths(lib, [notes])
    assert summary.notes_removed == 1
    assert summary.links_removed == 26
    stats = lib.library_stats()
    assert (stats["notes"], stats["notes_removed"], stats["links_removed"]) == (6, 1, 26)
    assert removed_at(lib, "https://emacs-china.org/") is not None
    # coming back restores it
    shutil.copy(Path(__file__).parent.parent / "data/notes/2015-1-8-emacs.markdown", notes)
    back = import_paths(lib, [notes])
    assert (back.notes_read, back.links_restored, back.links_new) == (1, 26, 0)
    assert lib.library_stats()["notes_removed"] == 0


def test_files_named_explicitly_and_folder_rules(lib: Store, tmp_path: Path) -> None:
    folder = tmp_path / "n"
    write(folder / "list.txt", "https://txt.example/\n\n文本文件里的链接\n")
    write(folder / "sub" / "deep.markdown", "https://deep.example/\n")
    write(folder / ".git" / "x.md", "https://hidden.example/\n")
    write(folder / "upper.MD", "https://upper.example/\n")
    summary = import_paths(lib, [folder])
    urls = {r.canonical_url for r in lib.iter_link_records()}
    assert urls == {"https://deep.example/", "https://upper.example/"}
    assert summary.notes_read == 2

    named = import_paths(lib, [folder / "list.txt"])
    assert named.notes_read == 1
    assert "https://txt.example/" in {r.canonical_url for r in lib.iter_link_records()}
    assert known_roots(lib) == [folder.resolve(), (folder / "list.txt").resolve()]
    # the explicitly imported .txt inside the folder is not "vanished" on a folder import
    assert import_paths(lib, [folder]).notes_removed == 0


def test_encodings_binary_and_unreadable_files(lib: Store, tmp_path: Path) -> None:
    folder = tmp_path / "n"
    (folder).mkdir()
    (folder / "gbk.md").write_bytes(
        "---\ntitle: 中文笔记\n---\n# 参考\n\nhttps://gbk.example/\n\n简体中文标题\n".encode("gbk")
    )
    (folder / "binary.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (folder / "broken.md").write_bytes(b"# t\n\x80\x80\xff\xfe https://bad.example/\n")
    (folder / "dangling.md").symlink_to(folder / "missing-target.md")
    write(folder / "good.md", "https://good.example/\n")
    summary = import_paths(lib, [folder])
    assert summary.notes_read == 3
    assert summary.notes_failed == 2
    assert len(summary.warnings) == 3
    by_file = {w.split(":")[0].rsplit("/", 1)[-1]: w for w in summary.warnings}
    assert "binary" in by_file["binary.md"]
    assert by_file["broken.md"] == (
        f"{folder / 'broken.md'}: 4 bytes that are not UTF-8 text replaced with U+FFFD, "
        "the rest imported; save the note as UTF-8 to keep them"
    )
    assert lib.link_id_for("https://bad.example/") is not None
    assert "cannot read" in by_file["dangling.md"]
    gbk = lib.link_records([lib.link_id_for("https://gbk.example/") or 0])[0]
    assert gbk.title == "简体中文标题"
    assert gbk.placements[0].note_title == "中文笔记"
    assert gbk.topics == [["参考"]]


def test_a_big5_note_is_stored_as_written_and_found_in_simplified(
    lib: Store, home: Path, tmp_path: Path
) -> None:
    # A Taiwanese Windows editor's note: Big5, traditional characters. Read as GB18030 (as
    # before), its title was 陪纔てмォ and its topic 陪纔て (each with a private-use
    # character), silently; only its URL survived.
    note = (
        "---\ntitle: 深度學習筆記\n---\n\n# 顯存優化\n\n"
        "https://mp.weixin.qq.com/s/KNaFelqk9UO6JYjbPTQohA\n顯存優化技巧\n"
    )
    (tmp_path / "big5.md").write_bytes(note.encode("cp950"))
    summary = import_paths(lib, [tmp_path / "big5.md"])
    assert (summary.notes_read, summary.warnings) == (1, [])
    (record,) = lib.iter_link_records()
    assert record.title == "顯存優化技巧"
    assert record.topics == [["顯存優化"]]
    assert record.placements[0].note_title == "深度學習筆記"
    indexing.refresh(lib, home)
    for query in ("显存优化技巧", "topic:显存优化", "顯存優化"):
        assert [hit.url for hit in search.search(home, query).hits] == [MEMORY], query


NOTE = (
    "# 参考\n\nhttps://mp.weixin.qq.com/s/KNaFelqk9UO6JYjbPTQohA\n显存不足？PyTorch显存使用分析与优化\n\n"
    "https://zhuanlan.zhihu.com/p/31558973\n模型压缩综述\n"
)


@pytest.mark.parametrize(
    ("name", "data", "replaced", "encoding"),
    [
        # a Latin-1 é pasted into a UTF-8 note
        ("latin1.md", NOTE.encode() + "café\n".encode("latin-1"), 1, "UTF-8"),
        # a character cut at the end (a copy that stopped short)
        ("cut.md", NOTE.encode() + "中文".encode()[:4], 1, "UTF-8"),
        ("cut-gbk.md", NOTE.encode("gbk") + "中".encode("gbk")[:1], 1, "GB18030"),
        ("stray-gbk.md", NOTE.encode("gbk") + b"\x80 \xff\n", 2, "GB18030"),
    ],
)
def test_a_stray_byte_loses_no_link(
    lib: Store, tmp_path: Path, name: str, data: bytes, replaced: int, encoding: str
) -> None:
    (tmp_path / name).write_bytes(data)
    summary = import_paths(lib, [tmp_path / name])
    assert (summary.notes_read, summary.notes_failed) == (1, 0)
    what = "1 byte that is not" if replaced == 1 else f"{replaced} bytes that are not"
    assert summary.warnings == [
        f"{tmp_path / name}: {what} {encoding} text replaced with U+FFFD, the rest "
        "imported; save the note as UTF-8 to keep them"
    ]
    titles = {r.canonical_url: r.title for r in lib.iter_link_records()}
    assert titles == {
        "https://mp.weixin.qq.com/s/KNaFelqk9UO6JYjbPTQohA": "显存不足？PyTorch显存使用分析与优化",
        "https://zhuanlan.zhihu.com/p/31558973": "模型压缩综述",
    }


def test_an_ascii_note_with_one_odd_byte_is_read_as_utf8(lib: Store, tmp_path: Path) -> None:
    # GB18030 reads "caf\xe9t" without an error, as one made-up character: one odd byte
    # in an ASCII note is no GB18030 text.
    (tmp_path / "odd.md").write_bytes(b"https://odd.example/x\ncaf\xe9teria notes\n")
    summary = import_paths(lib, [tmp_path / "odd.md"])
    assert len(summary.warnings) == 1 and "1 byte that is not UTF-8" in summary.warnings[0]
    assert [r.title for r in lib.iter_link_records()] == ["caf\ufffdteria notes"]


def test_devices_and_pipes_are_not_read(lib: Store, tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.md")  # reading it would wait for a writer forever
    write(tmp_path / "good.md", "https://good.example/\n")
    summary = import_paths(lib, [tmp_path])
    assert (summary.notes_read, summary.notes_failed) == (1, 1)
    assert "pipe.md: it is not a regular file" in summary.warnings[0]
    with pytest.raises(NotFoundError, match="neither a folder nor a file"):
        import_paths(lib, [Path("/dev/zero")])  # named: refused before anything is read
    assert known_roots(lib) == [tmp_path.resolve()]


def test_a_folder_without_notes_is_not_remembered(lib: Store, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    write(tmp_path / "note.md", "https://good.example/\n")
    import_paths(lib, [tmp_path / "empty", tmp_path / "note.md"])
    assert known_roots(lib) == [(tmp_path / "note.md").resolve()]  # update won't re-read it


def test_missing_path_imports_nothing(lib: Store, notes: Path, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match=r"nope.*does not exist"):
        import_paths(lib, [notes, tmp_path / "nope"])
    assert lib.note_count() == 0
    assert known_roots(lib) == []


def test_a_stopped_import_keeps_its_batches_and_says_how_far_it_got(
    lib: Store, notes: Path, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(importer, "BATCH", 2)
    calls = {"n": 0}
    real = Store.write_placements

    def dying(self: Store, *args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # the user pressed Ctrl-C mid-import
        return real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Store, "write_placements", dying)
    stopped = importer.import_notes(lib, home, [notes])
    assert stopped.interrupted
    assert (stopped.notes_read, stopped.notes_found, stopped.indexed) == (2, 7, None)
    assert lib.note_count() == 2  # the first batch is in, the second rolled back
    orphans = lib.conn.execute(
        "SELECT COUNT(*) FROM placements p LEFT JOIN notes n ON n.id=p.note_id WHERE n.id IS NULL"
    ).fetchone()[0]
    assert orphans == 0

    monkeypatch.undo()
    summary = import_paths(lib, [notes])
    assert (summary.notes_read, summary.notes_unchanged) == (5, 2)
    stats = lib.library_stats()
    assert (stats["notes"], stats["links"], stats["placements"]) == (7, 391, 393)


def test_parallel_parsing_gives_the_same_library(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pools: list[object] = []
    real_pool = importer.worker_pool

    def counted_pool(*args: Any, **kwargs: Any) -> Any:
        pools.append(args)
        return real_pool(*args, **kwargs)

    monkeypatch.setattr(importer, "worker_pool", counted_pool)
    # Threads left by other tests would make the importer parse in this process (forking
    # a process with threads is unsafe); the pool itself is what this test is about.
    monkeypatch.setattr(importer.threading, "active_count", lambda: 1)
    folder = tmp_path / "many"
    count = importer.PARALLEL_MIN + 6
    for i in range(count):
        write(
            folder / f"2020-1-{i % 28 + 1}-n{i}.md",
            f"# 主题{i % 5}\n\n## 参考\n\nhttps://mp.weixin.qq.com/s/id{i}\n\n标题{i}\n\n"
            f"https://shared.example/x\n\n共享{i}\n",
        )
    results = []
    for workers in (1, 2):
        store = Store(home / f"w{workers}")
        summary = import_paths(store, [folder], workers=workers)
        assert summary.notes_read == count
        results.append(
            [
                (r.canonical_url, r.title, r.topics, len(r.placements))
                for r in store.iter_link_records()
            ]
        )
        store.close()
    assert len(pools) == 1  # workers=2 parsed in two processes, workers=1 did not
    assert results[0] == results[1]
    assert len(results[0]) == count + 1
    assert max(item[3] for item in results[0]) == count  # the shared link


def test_importing_notes_brings_the_index_up_to_date(lib: Store, home: Path, notes: Path) -> None:
    from linkindex import search

    summary = importer.import_notes(lib, home, [notes])
    assert summary.indexed == summary.links_new == 391
    assert summary.to_dict()["indexed"] == 391
    assert search.search(home, "显存优化", store=lib).total == 1
    again = importer.import_notes(lib, home, [notes])
    assert again.indexed == 0


def test_a_file_or_folder_name_that_is_not_utf8_costs_no_note(lib: Store, tmp_path: Path) -> None:
    # An unzipped Windows archive leaves GBK bytes in names; os.fsdecode makes them lone
    # surrogates, which SQLite cannot store: once the whole import failed.
    root = Path(os.fsdecode(bytes(tmp_path) + b"/notes\xff"))
    write(root / "good.md", "# H\n\nhttps://good.example/a\n\nGood\n")
    gbk = Path(os.fsdecode(bytes(root) + "/gbk中文.md".encode("gbk")))
    write(gbk, "# H\n\nhttps://f.example/x\n\nTitle\n")
    odd = Path(os.fsdecode(bytes(root) + b"/dir\xff\xfe/n.md"))
    write(odd, "# H\n\nhttps://odd.example/y\n\nOdd\n")
    summary = import_paths(lib, [root])
    assert (summary.notes_read, summary.notes_failed) == (3, 0)
    shown = os.fsdecode(bytes(tmp_path)) + "/notes\\xff"
    assert summary.roots == [shown]
    assert sorted(summary.warnings) == [
        f"{shown}/dir\\xff\\xfe/n.md: its name is not UTF-8, so it is imported under the "
        "name shown here; give it a UTF-8 name to keep the two the same",
        f"{shown}/gbk中文.md: its name is not UTF-8, so it is imported under the "
        "name shown here; give it a UTF-8 name to keep the two the same",
        f"{shown}/good.md: its name is not UTF-8, so it is imported under the "
        "name shown here; give it a UTF-8 name to keep the two the same",
    ]
    titles = {
        r.canonical_url: (r.title, r.placements[0].note_path) for r in lib.iter_link_records()
    }
    assert titles["https://f.example/x"] == ("Title", f"{shown}/gbk中文.md")
    assert titles["https://odd.example/y"] == ("Odd", f"{shown}/dir\\xff\\xfe/n.md")
    assert known_roots(lib) == [root]  # `update` finds the folder again
    again = import_paths(lib, [root])
    assert (again.notes_read, again.notes_unchanged, again.notes_removed) == (0, 3, 0)
    assert again.links_removed == 0
    os.utime(gbk, ns=(1, 1))  # same bytes, new mtime: still the same note
    touched = import_paths(lib, [root])
    assert (touched.notes_read, touched.notes_unchanged, touched.notes_removed) == (0, 3, 0)
    gbk.unlink()
    gone = import_paths(lib, [root])
    assert (gone.notes_removed, gone.links_removed) == (1, 1)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_a_note_with_a_utf16_or_utf32_byte_order_mark_is_read(
    lib: Store, tmp_path: Path, encoding: str
) -> None:
    bom = {"utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}.get(encoding, b"")
    (tmp_path / "u.md").write_bytes(bom + NOTE.encode(encoding))
    summary = import_paths(lib, [tmp_path / "u.md"])
    assert (summary.notes_read, summary.notes_failed, summary.warnings) == (1, 0, [])
    titles = {r.canonical_url: r.title for r in lib.iter_link_records()}
    assert titles[MEMORY] == "显存不足？PyTorch显存使用分析与优化"


@pytest.mark.parametrize(
    "data",
    [
        NOTE.encode() + b"\x00",
        b"\x00" + NOTE.encode(),
        NOTE.encode().replace(b"\n\n", b"\n\x00\n", 1),
        NOTE.encode().replace("优化".encode(), b"\x00\x00\x00") + b"\x00",
        b"https://a.example/x\x00\x00https://b.example/y\n",  # short, two NULs
    ],
)
def test_a_stray_nul_byte_costs_a_note_nothing(lib: Store, tmp_path: Path, data: bytes) -> None:
    (tmp_path / "nul.md").write_bytes(data)
    summary = import_paths(lib, [tmp_path / "nul.md"])
    assert (summary.notes_read, summary.notes_failed) == (1, 0)
    urls = {r.canonical_url for r in lib.iter_link_records()}
    expected = {MEMORY, "https://zhuanlan.zhihu.com/p/31558973"}
    assert urls == (
        expected if MEMORY.encode() in data else {"https://a.example/x", "https://b.example/y"}
    )
    assert all("\x00" not in r.title for r in lib.iter_link_records())


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",  # a signature
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\x00\nhttps://a.example/\n",
        bytes(random.Random(12).randbytes(4096)),  # compressed or random bytes
        b"\x00\x01\x02binary",  # short, but no text holds \x01
        NOTE.encode("utf-16-le"),  # UTF-16 without its mark: half the bytes are NULs
    ],
)
def test_a_binary_file_is_still_skipped(lib: Store, tmp_path: Path, data: bytes) -> None:
    (tmp_path / "bin.md").write_bytes(data)
    (tmp_path / "good.md").write_text(NOTE, encoding="utf-8")
    summary = import_paths(lib, [tmp_path])
    assert (summary.notes_read, summary.notes_failed) == (1, 1)
    assert summary.warnings == [
        f"skipped {tmp_path / 'bin.md'}: it looks like a binary file, not Markdown"
    ]


def test_a_stop_just_after_a_batch_is_written_counts_that_batch(
    lib: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Ctrl-C or SIGTERM that lands just after a batch of notes was committed, before
    the run counted it, stops the import: its summary (the one line saying what is kept)
    counts the notes and links the store kept, that batch included (it said 2 notes
    kept of the 4 the store held)."""
    notes = _six_notes(tmp_path)
    monkeypatch.setattr(importer, "BATCH", 2)
    real = Store.transaction

    @contextmanager
    def stopped_after_the_second(self: Store) -> Iterator[None]:
        with real(self):
            yield
        if self._depth == 0 and self.note_count() == 4:  # the second batch is committed
            raise KeyboardInterrupt

    monkeypatch.setattr(Store, "transaction", stopped_after_the_second)
    summary = import_paths(lib, [notes], workers=1)
    assert summary.interrupted
    assert summary.notes_read == lib.note_count() == 4
    assert summary.links_new == lib.count_links() == 4
    assert summary.placements == 4


def test_a_stop_inside_a_batch_counts_none_of_it(
    lib: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stop while a batch is written rolls it back: the summary counts none of its
    notes or links (it counted the links of the notes written before the stop)."""
    notes = _six_notes(tmp_path)
    monkeypatch.setattr(importer, "BATCH", 2)
    real = Store.write_placements
    calls = 0

    def stopped_at_the_sixth(self: Store, *args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 6:  # the third batch has written a note: the signal comes now
            raise KeyboardInterrupt
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Store, "write_placements", stopped_at_the_sixth)
    summary = import_paths(lib, [notes], workers=1)
    assert summary.interrupted
    assert summary.notes_read == lib.note_count() == 4
    assert summary.links_new == lib.count_links() == 4


def _six_notes(tmp_path: Path) -> Path:
    notes = tmp_path / "notes"
    notes.mkdir()
    for n in range(6):
        (notes / f"2024-1-{n + 1}-n{n}.md").write_text(
            f"# 主题{n}\n\nhttps://example.com/{n}\n第{n}篇\n", encoding="utf-8"
        )
    return notes
