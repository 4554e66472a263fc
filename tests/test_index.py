"""The index on disk: incremental updates, removals, rebuilds, crash safety, the doctor."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from linkindex import importer, indexing, search
from linkindex.errors import UserError
from linkindex.index import documents, folder
from linkindex.store import Store

NOTES = Path(__file__).parent / "fixtures" / "search" / "notes"
LAMP = "https://example.com/car/lamp"


@pytest.fixture
def library(home: Path) -> Store:
    store = Store(home)
    importer.import_paths(store, [NOTES])
    indexing.refresh(store, home)
    return store


def link_id(store: Store, url: str) -> int:
    return int(store.query("SELECT id FROM links WHERE url=?", (url,))[0]["id"])


def retitle(store: Store, url: str, title: str) -> None:
    with store.transaction():
        ident = link_id(store, url)
        store.conn.execute("UPDATE placements SET title=? WHERE link_id=?", (title, ident))
        store.touch([ident])


def urls(home: Path, query: str) -> list[str]:
    return [h.url for h in search.search(home, query).hits]


def test_incremental_update_rewrites_only_changed_links(library: Store, home: Path) -> None:
    assert indexing.refresh(library, home) == 0
    retitle(library, LAMP, "氙气大灯的色温选择")
    assert indexing.refresh(library, home) == 1
    assert urls(home, "色温") == [LAMP]
    assert urls(home, "改装指南") == []
    with folder.LinkIndex(folder.index_dir(home)) as ix:
        assert ix.state().change_seq == library.change_seq()


def test_a_refresh_in_chunks_stops_between_commits_and_records_how_far_it_got(
    library: Store, home: Path
) -> None:
    """A stopped crawl indexes chunk by chunk while it may; the next refresh does the rest."""
    ids = sorted(library.alive_link_ids())
    for ident in ids[:5]:  # five changes, one after another, as a crawl records pages
        with library.transaction():
            library.touch([ident])
    calls = [0]

    def two_chunks() -> bool:
        calls[0] += 1
        return calls[0] <= 2

    assert indexing.refresh(library, home, chunk=2, keep_going=two_chunks) == 4
    check = indexing.check(library, home)
    assert check.behind == 1 and not check.ok  # the fifth waits, and the doctor says so
    with folder.LinkIndex(folder.index_dir(home)) as ix:
        assert ix.state().change_seq == library.change_seq() - 1
    assert indexing.refresh(library, home, chunk=2) == 1  # the rest, nothing twice
    assert indexing.check(library, home).ok


def test_index_batches_stop_after_the_chunk_they_write(home: Path, library: Store) -> None:
    """A run being stopped gets its index batch back within a chunk, then a bounded rest."""
    ids = sorted(library.alive_link_ids())
    for ident in ids:
        with library.transaction():
            library.touch([ident])
    now = [0.0]
    batches = indexing.Batches(home, clock=lambda: now[0])
    written = batches.finish(library, stopped=True)  # budget not spent: everything
    assert written == len(ids) and indexing.check(library, home).ok
    for ident in ids:
        with library.transaction():
            library.touch([ident])
    # made at 0 s, the stop (and its budget) at 0 s, every check of the budget at 10 s
    readings = iter([0.0, 0.0] + [10.0] * 100)
    late = indexing.Batches(home, clock=lambda: next(readings))
    assert late.finish(library, stopped=True) == 0  # no time left: the next refresh does it
    assert indexing.check(library, home).behind == len(ids)


def test_removed_links_leave_the_index(library: Store, home: Path) -> None:
    with library.transaction():
        ident = link_id(library, LAMP)
        library.conn.execute(
            "UPDATE links SET removed_at='2026-01-01T00:00:00Z' WHERE id=?", (ident,)
        )
        library.touch([ident])
    indexing.refresh(library, home)
    assert urls(home, "大灯") == []
    assert indexing.check(library, home).ok


def test_rebuild_gives_the_same_results(library: Store, home: Path) -> None:
    before = urls(home, "模型量化")
    assert indexing.refresh(library, home, rebuild=True) == 6
    assert urls(home, "模型量化") == before
    assert not (home / "index.new").exists() and not (home / "index.old").exists()


def test_a_crash_mid_write_leaves_the_index_as_it_was(
    library: Store, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    retitle(library, LAMP, "氙气大灯的色温选择")

    def crash(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(folder, "write_state", crash)
    with pytest.raises(KeyboardInterrupt):
        indexing.refresh(library, home)
    monkeypatch.undo()
    # the old document, still readable (read as it is: a search would catch it up first)
    assert title_count(home, "改装") == 1
    assert title_count(home, "色温") == 0
    assert indexing.refresh(library, home) == 1  # picked up again next time
    assert title_count(home, "色温") == 1
    assert urls(home, "色温") == [LAMP]


def title_count(home: Path, word: str) -> int:
    """How many links of the index as it is on disk hold ``word`` in their title."""
    from whoosh import query

    with folder.LinkIndex(folder.index_dir(home)) as ix, ix.searcher() as searcher:
        return len(searcher.search(query.Term("title", word), limit=1))


def word_count(home: Path, word: str) -> int:
    """How many links hold ``word`` as an indexed word."""
    from whoosh import query

    with folder.LinkIndex(folder.index_dir(home)) as ix, ix.searcher() as searcher:
        return len(searcher.search(query.Term("text", word), limit=1))


def test_new_heading_words_reindex_only_the_links_that_contain_them(
    library: Store, home: Path, tmp_path: Path
) -> None:
    with folder.LinkIndex(folder.index_dir(home)) as ix:
        before = ix.state()
    assert before.words is not None and "大灯改装" not in before.words
    assert word_count(home, "大灯改装") == 0  # two words for now: 大灯 改装
    assert word_count(home, "大灯") == 1
    extra = tmp_path / "more"
    extra.mkdir()
    note = extra / "2022-1-1-lamps.md"
    note.write_text("# 大灯改装\n\nhttps://example.com/xenon\n\n氙气灯选购\n", encoding="utf-8")
    importer.import_paths(library, [extra])
    # the new link, and the one link whose title holds the new word; not the other five
    assert indexing.refresh(library, home) == 2
    with folder.LinkIndex(folder.index_dir(home)) as ix:
        after = ix.state()
        assert after.vocabulary != before.vocabulary
        assert after.words is not None and "大灯改装" in after.words
        assert ix.dictionary_path().exists()
        assert not ix.dictionary_path(before).exists()  # the old dictionary is gone
    # one word now, in the re-segmented title of LAMP and the topic of the new link
    assert word_count(home, "大灯改装") == 2
    assert word_count(home, "大灯") == 2  # the parts stay words too (search mode)
    assert set(urls(home, '"大灯改装"')) == {LAMP, "https://example.com/xenon"}
    assert urls(home, "大灯改装")[0] == LAMP
    assert indexing.check(library, home).ok

    # dropping the heading re-segments the links holding the word again
    note.unlink()
    importer.import_paths(library, [extra])
    assert indexing.refresh(library, home) == 1
    assert word_count(home, "大灯改装") == 0
    assert urls(home, "大灯改装") == [LAMP]
    with folder.LinkIndex(folder.index_dir(home)) as ix:
        assert ix.state().vocabulary == before.vocabulary


def test_a_new_heading_word_reindexes_the_links_that_write_it_in_traditional_characters(
    library: Store, home: Path, tmp_path: Path
) -> None:
    retitle(library, LAMP, "汽車大燈改裝指南")
    indexing.refresh(library, home)
    assert word_count(home, "大灯改装") == 0
    extra = tmp_path / "more"
    extra.mkdir()
    (extra / "2022-1-1-lamps.md").write_text(
        "# 大灯改装\n\nhttps://example.com/xenon\n\n氙气灯选购\n", encoding="utf-8"
    )
    importer.import_paths(library, [extra])
    assert indexing.refresh(library, home) == 2  # the new link, and LAMP's 大燈改裝
    assert word_count(home, "大灯改装") == 2
    assert set(urls(home, '"大燈改裝"')) == {LAMP, "https://example.com/xenon"}


def test_incremental_vocabulary_matches_a_rebuild(
    library: Store, home: Path, tmp_path: Path
) -> None:
    extra = tmp_path / "more"
    extra.mkdir()
    (extra / "2022-1-1-q.md").write_text(
        "# 推理加速\n\nhttps://example.com/x\n\n模型推理加速\n", encoding="utf-8"
    )
    importer.import_paths(library, [extra])
    indexing.refresh(library, home)
    queries = ["推理加速", '"推理加速"', "模型 推理", "量化"]
    incremental = {q: urls(home, q) for q in queries}
    indexing.refresh(library, home, rebuild=True)
    assert {q: urls(home, q) for q in queries} == incremental


def test_an_index_without_recorded_words_is_rebuilt_on_new_words(
    library: Store, home: Path, tmp_path: Path
) -> None:
    with folder.LinkIndex(folder.index_dir(home)) as ix:  # as written before words were kept
        state = ix.state()
        writer = ix.writer()
        folder.write_state(
            writer,
            folder.IndexState(state.change_seq, state.vocabulary, documents=documents.FORMAT),
        )
        writer.commit()
    assert indexing.refresh(library, home) == 0  # same words: records them, no rewrite
    with folder.LinkIndex(folder.index_dir(home)) as ix:
        assert ix.state().words is not None


@pytest.mark.parametrize("made", ["1", "2"])  # topic keys made an older way
def test_an_index_of_documents_made_another_way_is_rebuilt(
    library: Store, home: Path, made: str
) -> None:
    with folder.LinkIndex(folder.index_dir(home)) as ix:
        state = ix.state()
        state.documents = made
        writer = ix.writer()
        folder.write_state(writer, state)
        writer.commit()
    # until it is rebuilt it would answer some queries the old way (a topic's): not searched
    with pytest.raises(UserError, match="another version of linkindex; run `linkindex index`"):
        search.search(home, "大灯")
    assert "made by another version" in " ".join(indexing.check(library, home).problems)
    assert indexing.refresh(library, home) == library.count_links()
    assert urls(home, "大灯")[0] == LAMP and indexing.check(library, home).ok
    with folder.LinkIndex(folder.index_dir(home)) as ix:
        assert ix.state().documents == documents.FORMAT
    assert indexing.refresh(library, home) == 0


def test_an_index_segmented_by_an_older_analyzer_is_searched_with_a_warning_and_rebuilt(
    library: Store, home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with folder.LinkIndex(folder.index_dir(home)) as ix:
        state = ix.state()
        # as an older version wrote it: its analyzer, and so its dictionary, are others
        state.analyzer = "2"
        old_dictionary = folder.dictionary_path(ix.folder, "0123456789abcdef")
        ix.dictionary_path(state).rename(old_dictionary)
        state.vocabulary = "0123456789abcdef"
        writer = ix.writer()
        folder.write_state(writer, state)
        writer.commit()
    # still searched (its documents are this version's), with what to do said
    assert urls(home, "大灯")[0] == LAMP
    assert "segmented by an older linkindex" in caplog.text
    assert "`linkindex index` re-segments it" in " ".join(indexing.check(library, home).problems)
    assert indexing.refresh(library, home) == library.count_links()
    caplog.clear()
    assert urls(home, "大灯")[0] == LAMP and not caplog.text
    assert indexing.check(library, home).ok


def test_an_index_written_before_index_was_split_opens_and_is_rebuilt(
    library: Store, home: Path
) -> None:
    written = Path(__file__).parent / "fixtures" / "index-v1"  # by linkindex before the split
    shutil.rmtree(folder.index_dir(home))
    shutil.copytree(written, folder.index_dir(home))
    assert folder.exists(home)
    with folder.LinkIndex(folder.index_dir(home)) as ix:
        assert ix.is_current()
        assert ix.state().links == 6 and ix.state().documents == ""
    assert indexing.refresh(library, home) == library.count_links()
    assert urls(home, "大灯")[0] == LAMP
    assert indexing.check(library, home).ok


def test_doctor_finds_and_repairs_a_stale_index(library: Store, home: Path) -> None:
    assert indexing.check(library, home).ok
    shutil.rmtree(folder.index_dir(home))
    check = indexing.check(library, home)
    assert not check.ok and "no search index" in check.problems[0]
    indexing.refresh(library, home)
    with folder.LinkIndex(folder.index_dir(home)) as ix:  # drop one document behind its back
        writer = ix.writer()
        writer.delete_by_term("id", str(link_id(library, LAMP)))
        writer.commit()
    check = indexing.check(library, home)
    assert check.problems == ["1 links of the store are not indexed"]
    indexing.refresh(library, home, rebuild=True)
    assert indexing.check(library, home).ok


def test_a_rebuild_in_several_segments_gives_the_same_results(
    library: Store, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = [h.url for h in search.search(home, "模型量化").hits]
    monkeypatch.setattr(indexing, "REBUILD_MEMORY", 1)  # a segment per link
    assert indexing.refresh(library, home, rebuild=True) == 6
    with folder.LinkIndex(folder.index_dir(home)) as ix, ix.searcher() as searcher:
        assert len(searcher.leaf_searchers()) == 7  # and the meta document's
    assert [h.url for h in search.search(home, "模型量化").hits] == before
    assert indexing.check(library, home).ok


def test_a_rebuild_split_among_processes_gives_the_same_results(
    library: Store, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = [h.url for h in search.search(home, "模型量化").hits]
    monkeypatch.setattr(indexing, "PARALLEL_FROM", 0)
    monkeypatch.setattr(indexing, "REBUILD_PROCESSES", 2)
    assert indexing.refresh(library, home, rebuild=True) == 6
    with folder.LinkIndex(folder.index_dir(home)) as ix, ix.searcher() as searcher:
        assert len(searcher.leaf_searchers()) == 3  # a run each, the meta document
    assert [h.url for h in search.search(home, "模型量化").hits] == before
    # several segments in each process at once: their temporary files stay apart
    monkeypatch.setattr(indexing, "REBUILD_MEMORY", 1)
    assert indexing.refresh(library, home, rebuild=True) == 6
    with folder.LinkIndex(folder.index_dir(home)) as ix, ix.searcher() as searcher:
        assert len(searcher.leaf_searchers()) == 7
    assert not (folder.index_dir(home) / "MAIN.tmp").exists()
    assert [h.url for h in search.search(home, "模型量化").hits] == before
    assert indexing.check(library, home).ok


def test_links_containing_a_piece_of_text(library: Store) -> None:
    lamp, history = link_id(library, LAMP), link_id(library, LAMP + "-history")
    programs = link_id(library, "https://example.com/python/programs")
    assert library.link_ids_containing(["大灯改装"]) == [lamp]  # a title
    assert library.link_ids_containing(["照明"]) == sorted([lamp, history])  # a topic heading
    assert programs in library.link_ids_containing(["python"])  # ASCII: any case
    assert library.link_ids_containing(["检索测试"]) == library.changed_link_ids(0)  # note title
    assert library.link_ids_containing([]) == []
    with library.transaction():
        library.conn.execute(
            "UPDATE links SET removed_at='2026-01-01T00:00:00Z' WHERE id=?", (lamp,)
        )
        library.touch([lamp])
    assert library.link_ids_containing(["大灯改装"]) == []
    assert library.removed_link_ids(0) == [lamp]
    assert lamp not in library.changed_link_ids(0)
    assert library.count_links() == 5 and library.count_links(include_removed=True) == 6


def test_length_bytes_read_at_once_are_whooshs_field_lengths(library: Store, home: Path) -> None:
    from whoosh.util.numeric import byte_to_length

    from linkindex.index import layout

    checked = 0
    with folder.LinkIndex(folder.index_dir(home)) as ix, ix.searcher() as searcher:
        for leaf, _ in searcher.leaf_searchers():
            reader = leaf.reader()
            codes = layout.length_codes(reader._perdoc, "text")
            if codes is None:  # the segment of the meta document has no text
                assert [f["id"] for f in reader.all_stored_fields()] == [folder.META_ID]
                continue
            for docnum in reader.all_doc_ids():
                assert byte_to_length(codes[docnum]) == reader.doc_field_length(docnum, "text")
                checked += 1
    assert checked >= 6


def test_an_index_from_another_version_is_rebuilt_not_a_crash(library: Store, home: Path) -> None:
    from whoosh import fields
    from whoosh import index as whoosh_index

    from linkindex.errors import UserError

    before = urls(home, "大灯")
    assert LAMP in before
    where = folder.index_dir(home)
    shutil.rmtree(where)
    where.mkdir()
    whoosh_index.create_in(str(where), fields.Schema(id=fields.ID(stored=True), text=fields.TEXT))
    with pytest.raises(UserError, match=r"linkindex index --rebuild"):
        search.search(home, "大灯", store=library)
    assert indexing.refresh(library, home) == library.count_links()
    assert urls(home, "大灯") == before


def test_a_process_searching_again_finds_its_index_damaged_or_gone(
    library: Store, home: Path
) -> None:
    from linkindex.errors import EmptyLibraryError, StoreError

    assert LAMP in urls(home, "大灯")  # the index opened, and kept for the next search
    (toc,) = folder.index_dir(home).glob("_MAIN_*.toc")
    damaged = toc.with_name("damaged")
    damaged.write_bytes(b"no table of contents")
    damaged.replace(toc)
    with pytest.raises(StoreError, match="damaged"):
        search.search(home, "大灯", store=library)
    shutil.rmtree(folder.index_dir(home))
    with pytest.raises(EmptyLibraryError, match="no search index yet; run `linkindex index`"):
        search.search(home, "大灯", store=library)


def test_searches_share_an_open_reader_and_see_every_commit(library: Store, home: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    queries = ["模型量化", "大灯", "python", "灯"]
    expected = {q: urls(home, q) for q in queries}
    assert any(expected.values())
    with ThreadPoolExecutor(4) as pool:  # whoosh's files are read by seek and read
        found = list(pool.map(lambda q: (q, urls(home, q)), queries * 10))
    assert all(hits == expected[q] for q, hits in found)
    retitle(library, LAMP, "氙气大灯的色温选择")
    indexing.refresh(library, home)
    assert urls(home, "色温") == [LAMP]  # a new generation: the reader is reopened
    indexing.refresh(library, home, rebuild=True)
    assert urls(home, "色温") == [LAMP]  # a new folder


def _filed_under(*paths: tuple[str, ...]) -> SimpleNamespace:
    """A link with no page or notes, filed under ``paths``."""
    return SimpleNamespace(
        id=1,
        placements=[],
        page=None,
        topics=list(paths),
        site="web",
        status="new",
        published_at=None,
    )


def test_a_heading_in_two_scripts_weighs_what_one_spelling_does() -> None:
    """A link filed under 深度学习 in one note and 深度學習 in another is under one topic
    (``topics.node_key``): its heading words weigh what they do under one spelling, not
    twice that."""
    segmenter = indexing.segmenter([])
    once = documents.document(_filed_under(("深度学习", "模型")), segmenter)
    both = documents.document(_filed_under(("深度学习", "模型"), ("深度學習", "模型")), segmenter)
    assert both["text"] == once["text"]
    assert both["topic"] == once["topic"]
