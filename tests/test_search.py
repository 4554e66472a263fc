"""Searching the sample notes: rankings, the query language, snippets, suggestions, related."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from linkindex import importer, indexing, search, snippets
from linkindex.errors import EmptyLibraryError, NotFoundError, QueryError
from linkindex.index.queries import Exact, Topic, Words
from linkindex.store import Store

ROOT = Path(__file__).resolve().parent.parent
NOTES = [ROOT / "data" / "notes", Path(__file__).parent / "fixtures" / "search" / "notes"]
ARTICLE = Path(__file__).parent / "fixtures" / "pages" / "wechat_article.html"
MEMORY = "https://mp.weixin.qq.com/s/KNaFelqk9UO6JYjbPTQohA"  # 显存不足？PyTorch显存使用分析与优化


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Store]]:
    home = tmp_path_factory.mktemp("library")
    store = Store(home)
    importer.import_paths(store, NOTES)
    assert indexing.refresh(store, home) > 390
    yield home, store
    store.close()


def urls(home: Path, query: str, **options: object) -> list[str]:
    return [hit.url for hit in search.search(home, query, limit=500, **options).hits]  # type: ignore[arg-type]


def test_memory_optimisation_article_comes_first(library: tuple[Path, Store]) -> None:
    home, _ = library
    assert urls(home, "显存优化")[0] == MEMORY
    assert urls(home, "PyTorch 显存")[0] == MEMORY


def test_english_is_case_folded_and_not_stemmed(library: tuple[Path, Store]) -> None:
    home, _ = library
    assert urls(home, "pytorch") == urls(home, "PYTORCH") == urls(home, "PyTorch")
    assert len(urls(home, "pytorch")) > 20
    assert urls(home, "programs") == ["https://example.com/python/programs"]
    assert "https://example.com/python/programs" not in urls(home, "programming")


def test_phrases(library: tuple[Path, Store]) -> None:
    home, _ = library
    assert urls(home, '"分析与优化"') == [MEMORY]
    assert urls(home, '"优化与分析"') == []


def test_exact_phrase_ranks_above_scattered_words(library: tuple[Path, Store]) -> None:
    home, _ = library
    found = urls(home, "模型量化")
    assert found[:2] == ["https://example.com/quant/exact", "https://example.com/quant/scattered"]


def test_fields(library: tuple[Path, Store]) -> None:
    home, _ = library
    assert urls(home, "title:显存") == [MEMORY]
    github = search.search(home, "pytorch site:github", limit=50).hits
    assert github and all(hit.site == "github" for hit in github)
    assert urls(home, "pytorch", site="github") == [h.url for h in github]
    assert urls(home, "status:dead") == []
    with pytest.raises(QueryError):
        search.search(home, "site:myspace")


def test_since_keeps_links_dated_on_or_after_a_real_date(library: tuple[Path, Store]) -> None:
    home, _ = library
    everything = set(urls(home, "显存"))
    # MEMORY is dated by its note, 2018-3-1-DL_framework.markdown (its page is not fetched)
    assert MEMORY in set(urls(home, "显存", since="2018-03-01")) <= everything
    assert MEMORY in set(urls(home, "显存", since="2018-03")) <= everything
    assert MEMORY not in urls(home, "显存", since="2018-03-02")
    assert urls(home, "显存", since="2099") == []
    for wrong in ("2020-13", "2021-02-29", "2020-00", "2020-1", "yesterday"):
        with pytest.raises(QueryError, match="is not a date"):
            search.search(home, "显存", since=wrong)


def test_topics_filter_at_any_level_case_insensitive(library: tuple[Path, Store]) -> None:
    home, _ = library
    under = search.search(home, "topic:pytorch", limit=200).hits
    assert under and all(any(t[0] == "Pytorch" for t in hit.topics) for hit in under)
    reference = urls(home, 'topic:"Pytorch/参考" tensorflow')
    assert reference == ["https://mp.weixin.qq.com/s/y5LLraGWuYUbOted9N-GWQ"]
    assert urls(home, "tensorflow", topic="Pytorch > 参考") == reference
    assert set(urls(home, "topic:参考 显存")) >= {MEMORY}


def test_links_under_a_topic_named_in_the_query_rank_higher(library: tuple[Path, Store]) -> None:
    home, _ = library
    hits = search.search(home, "onnx", limit=10).hits
    assert hits[0].topics[0][0] == "NN中间语言"


def test_or_and_not(library: tuple[Path, Store]) -> None:
    home, _ = library
    both = set(urls(home, "pytorch OR mxnet"))
    assert set(urls(home, "pytorch")) | set(urls(home, "mxnet")) >= both >= set(urls(home, "mxnet"))
    without = urls(home, "pytorch -tensorflow")
    assert "https://mp.weixin.qq.com/s/y5LLraGWuYUbOted9N-GWQ" not in without
    assert urls(home, "pytorch NOT tensorflow") == without
    assert len(without) < len(urls(home, "pytorch"))


def test_bigram_shadow_finds_characters_inside_words(library: tuple[Path, Store]) -> None:
    home, _ = library
    found = urls(home, "灯")
    # 灯 is a word in 灯的历史与未来, and only a character inside 大灯: ranked below
    assert found == ["https://example.com/car/lamp-history", "https://example.com/car/lamp"]


def test_snippet_highlights_the_right_characters(library: tuple[Path, Store]) -> None:
    home, _ = library
    (hit,) = search.search(home, "显存优化", limit=1).hits
    assert hit.snippet == "«显存»不足？PyTorch«显存»使用分析与«优化»"
    assert search.snippet("用PyTorch和pytorch-lightning，不是torchvision", ["pytorch"]) == (
        "用«PyTorch»和«pytorch»-lightning，不是torchvision"
    )


def test_a_match_longer_than_a_snippet_is_shown_marked_to_its_end() -> None:
    """A quoted sentence pasted whole is a match longer than the passage: the snippet
    begins at it and marks what fits (it raised ValueError)."""
    sentence = "显存不足时可以减小批大小并使用梯度累积" * 8  # 152 characters
    text = "前言" * 50 + sentence + "后记" * 50
    shown = search.snippet(text, [sentence, "显存", "梯度"])
    assert shown.startswith("…前言") and "«" + sentence[:60] in shown and shown.endswith("»…")
    assert len(shown) <= snippets.SNIPPET_CHARS + 4


def test_guillemets_in_the_text_are_never_taken_for_marks() -> None:
    shown = search.snippet("他说«显存»不够，见《手册》", ["显存"])
    assert shown == "他说‹«显存»›不够，见《手册》"
    assert search.snippet("«引言»没有匹配", ["显存"]) == "‹引言›没有匹配"


def test_a_snippet_shows_every_word_its_passage_was_chosen_for() -> None:
    """Words 97 characters apart do not fit in the part of a snippet after its first
    match; a later passage with both close together is the one shown."""
    text = "甲" * 200 + "显存" + "乙" * 95 + "优化" + "丙" * 200 + "显存与优化" + "丁" * 200
    shown = search.snippet(text, ["显存", "优化"])
    assert "«显存»与«优化»" in shown


def test_of_passages_as_good_the_first_is_shown() -> None:
    """Both passages hold the three words and a match of four characters; in the first
    that match is not its last: the first is shown, not the one after it."""
    text = "显存优化，显存" + "。" * 200 + "显存优化" + "。" * 100
    shown = search.snippet(text, ["显存优化", "显存", "优化"])
    assert shown.startswith("«显存优化»，«显存»。")


def test_a_quoted_phrase_marks_its_letters_and_digits_apart_but_not_lone_ideographs() -> None:
    def cut(text: str) -> list[str]:
        return text.split()

    assert "c" in search.query_terms(search.parse_query('"c 语言"'), cut)
    assert "3" in search.query_terms(search.parse_query('"python 3"'), cut)
    assert "的" not in search.query_terms(search.parse_query('"模型 的 设定"'), cut)


def test_snippets_find_every_spelling_without_folding_the_page() -> None:
    terms = ["pytorch", "显存", "k8s", "哈哈"]
    text = "ＰｙＴｏｒｃｈ的顯存，\u212a8S与K8s；xpytorch不算，哈哈哈"
    assert search.snippet(text, terms) == (
        "«ＰｙＴｏｒｃｈ»的«顯存»，«\u212a8S»与«K8s»；xpytorch不算，«哈哈哈»"
    )
    # a word with a character whose spellings are not listed is found in the folded text
    assert search.snippet("ΣΟΦΙΑ and σοφια", ["σοφια"]) == "«ΣΟΦΙΑ» and «σοφια»"


def test_hit_carries_where_the_link_is_filed(library: tuple[Path, Store]) -> None:
    home, _ = library
    (hit,) = search.search(home, "显存优化", limit=1).hits
    assert hit.topics == [["Pytorch", "参考"]]
    assert hit.note_path.endswith("2018-3-1-DL_framework.markdown")
    assert hit.line == 209
    assert hit.site == "wechat" and hit.status == "new"
    assert hit.published_at == "2018-03-01"


def test_paging(library: tuple[Path, Store]) -> None:
    home, _ = library
    every = urls(home, "pytorch")
    first = search.search(home, "pytorch", limit=5, page=1)
    second = search.search(home, "pytorch", limit=5, page=2)
    assert [h.url for h in first.hits + second.hits] == every[:10]
    assert first.total == len(every)


@pytest.mark.parametrize("query", ["pytorch", "优化 OR 加速", "灯", "模型 -量化", "显存优化"])
def test_total_counts_every_match_with_a_small_page(
    library: tuple[Path, Store], query: str
) -> None:
    home, _ = library
    every = search.search(home, query, limit=1000)
    assert every.total == len(every.hits) > 0
    small = search.search(home, query, limit=1)
    assert small.total == every.total
    assert [h.url for h in small.hits] == [h.url for h in every.hits[:1]]


def test_suggestions_when_nothing_matches(library: tuple[Path, Store]) -> None:
    home, _ = library
    assert search.search(home, "pytorhc").suggestions == ["pytorch"]
    missing = search.search(home, "显存", site="github")
    assert missing.total == 0
    assert "without site:github" in missing.suggestions
    assert search.search(home, "显存 不存在的词汇xyz").suggestions


def test_a_misspelling_typed_in_full_width_gets_the_same_fix(library: tuple[Path, Store]) -> None:
    """Full width (a Chinese input method's) or capitals: the word is the same word, and
    so is its fix; the rest of the query stays as typed."""
    home, _ = library
    assert search.search(home, "ｐｙｔｏｒｈｃ").suggestions == ["pytorch"]
    assert search.search(home, "ＰＹＴＯＲＨＣ").suggestions == ["pytorch"]
    assert search.search(home, "ｔｉｔｌｅ：ｐｙｔｏｒｈｃ").suggestions == ["ｔｉｔｌｅ：pytorch"]
    assert search.search(home, "ｐｙｔｏｒｈｃ　顯存").suggestions[0] == "pytorch　顯存"


def test_a_chinese_query_without_matches_is_loosened(library: tuple[Path, Store]) -> None:
    home, _ = library
    # a long word of the dictionary that no link has: the words it is made of, all of
    # them where some link has them all, else any of them
    assert search.search(home, "模型压缩").suggestions == ["模型 压缩"]
    assert search.search(home, "模型压缩").total == 0
    assert search.search(home, "模型 压缩").total > 0
    assert search.search(home, "卷积神经网络").suggestions == ["卷积 OR 神经网络"]
    # shown as typed: a query in traditional characters (or capitals) gets its own words
    assert search.search(home, "卷積神經網絡").suggestions == ["卷積 OR 神經網絡"]
    assert search.search(home, "模型壓縮").suggestions == ["模型 壓縮"]
    assert search.search(home, "PyTorch顯存推理").suggestions == ["PyTorch OR 顯存 OR 推理"]
    # but a word typed as an operator is shown as it was searched (retyped, OR is OR)
    assert search.search(home, "OR显存推理").suggestions == ["or OR 显存 OR 推理"]
    assert search.search(home, "ＮＯＴ显存推理").suggestions == ["not OR 显存 OR 推理"]
    assert search.search(home, "title:卷积神经网络").suggestions == ["title:卷积 OR title:神经网络"]
    # two words written together: any of them
    assert search.search(home, "显存推理").suggestions == ["显存 OR 推理"]
    # each word once (a query repeating a word is not a longer suggestion)
    assert search.search(home, "显存推理显存").suggestions == ["显存 OR 推理"]
    # a phrase asks for its words in sequence: not loosened into other words
    assert search.search(home, '"卷积神经网络"').suggestions == []
    # a mixed token by its parts: the model with the Chinese word (its ideographs alone
    # were suggested: 显 存, which left the model out)
    assert search.search(home, "H100显存").suggestions == ["H100 OR 显存"]
    assert search.search(home, "显存H100").suggestions == ["显存 OR H100"]
    assert search.search(home, "RTX4090顯存").suggestions == ["RTX4090 OR 顯存"]
    assert search.search(home, '"H100显存"').suggestions == []


def test_content_only_match_after_a_crawl(tmp_path: Path) -> None:
    from linkindex.extract import extract_page

    home = tmp_path / "home"
    store = Store(home)
    importer.import_paths(store, NOTES[:1])
    indexing.refresh(store, home)
    assert urls(home, "缓存分配器") == []
    page = extract_page(ARTICLE.read_bytes(), url=MEMORY)
    (link_id,) = [r["id"] for r in store.query("SELECT id FROM links WHERE url=?", (MEMORY,))]
    with store.transaction():
        store.conn.execute(
            "INSERT INTO pages(link_id, title, text, published_at) VALUES(?, ?, ?, ?)",
            (link_id, page.title, page.text, page.published_at),
        )
        store.touch([link_id])
    assert indexing.refresh(store, home) == 1
    results = search.search(home, "缓存分配器")
    assert [h.url for h in results.hits] == [MEMORY]
    assert "«缓存分配器»" in results.hits[0].snippet
    assert results.hits[0].published_at == page.published_at
    store.close()


def _crawled_but_not_indexed(tmp_path: Path) -> tuple[Path, Store]:
    """A library whose crawl recorded the memory article's page and was stopped before it
    indexed it (what Ctrl-C leaves when the stop's indexing budget ran out)."""
    from linkindex.extract import extract_page

    home = tmp_path / "home"
    store = Store(home)
    importer.import_paths(store, NOTES[:1])
    indexing.refresh(store, home)
    page = extract_page(ARTICLE.read_bytes(), url=MEMORY)
    (link_id,) = [r["id"] for r in store.query("SELECT id FROM links WHERE url=?", (MEMORY,))]
    with store.transaction():
        store.conn.execute(
            "INSERT INTO pages(link_id, title, text) VALUES(?, ?, ?)",
            (link_id, page.title, page.text),
        )
        store.conn.execute("UPDATE links SET status='ok' WHERE id=?", (link_id,))
        store.touch([link_id])
    return home, store


def test_a_search_indexes_what_a_stopped_run_left_first(tmp_path: Path) -> None:
    """A crawl stopped before it indexed its last pages: the next search (or related)
    indexes them before it searches, so they are found at once."""
    home, store = _crawled_but_not_indexed(tmp_path)
    assert indexing.check(store, home).behind == 1
    assert urls(home, "缓存分配器") == [MEMORY]
    assert urls(home, "status:ok") == [MEMORY]
    assert indexing.check(store, home).ok
    store.close()


def test_a_search_leaves_a_running_writer_alone(tmp_path: Path) -> None:
    """While another process writes (it indexes its own changes as it goes), a search
    searches the index as it is and does not wait."""
    from linkindex.store import LibraryLock

    home, store = _crawled_but_not_indexed(tmp_path)
    writer = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(home)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "held"
        assert urls(home, "缓存分配器") == []
        assert indexing.check(store, home).behind == 1
    finally:
        writer.kill()
        writer.wait()
    with LibraryLock(home):  # the writer is gone: its lock is free
        pass
    assert urls(home, "缓存分配器") == [MEMORY]
    store.close()


def test_a_search_leaves_an_index_being_written_alone(tmp_path: Path) -> None:
    """A program that writes the index without taking the library's lock (``crawl()``
    called from Python): the search searches the index as it is, it does not fail."""
    from linkindex.index import folder

    home, store = _crawled_but_not_indexed(tmp_path)
    with folder.LinkIndex(folder.index_dir(home)) as ix:
        writer = ix.writer()
        try:
            assert urls(home, "缓存分配器") == []
        finally:
            writer.cancel()
    assert urls(home, "缓存分配器") == [MEMORY]
    store.close()


def test_a_search_far_behind_says_how_to_catch_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """An index far behind (an import killed half-way) is not caught up by a search, which
    would take minutes: one warning says which command does it."""
    home, store = _crawled_but_not_indexed(tmp_path)
    monkeypatch.setattr(indexing, "CATCH_UP_LINKS", 0)
    assert urls(home, "缓存分配器") == []
    assert "1 links behind" in caplog.text and "`linkindex index`" in caplog.text
    store.close()


HOLD_LOCK = """
import sys, time
from pathlib import Path
from linkindex.store import LibraryLock
with LibraryLock(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(60)
"""


def test_related_links_share_words_and_topics(library: tuple[Path, Store]) -> None:
    home, _ = library
    hits = search.related(home, MEMORY, limit=5)
    assert hits and MEMORY not in [h.url for h in hits]
    assert any(t[0] == "Pytorch" for t in hits[0].topics)
    with pytest.raises(NotFoundError):
        search.related(home, "https://example.org/never-seen")


def test_empty_library_says_how_to_fill_it(tmp_path: Path) -> None:
    Store(tmp_path).close()
    with pytest.raises(EmptyLibraryError, match="linkindex import"):
        search.search(tmp_path, "显存")


def test_a_library_without_its_index_says_to_index_it(tmp_path: Path) -> None:
    with Store(tmp_path) as store:
        importer.import_paths(store, NOTES)
        for made in (False, True):  # no index folder, then an empty one
            if made:
                (tmp_path / "index").mkdir()
            with pytest.raises(EmptyLibraryError, match="run `linkindex index`"):
                search.search(tmp_path, "显存", store=store)


def test_query_language_parse() -> None:
    spec = search.parse_query('显存 OR 内存 -tensorflow "分析与优化" title:pytorch site:zhihu')
    assert [[c.text for c in g] for g in spec.groups] == [  # type: ignore[union-attr]
        ["显存", "内存"],
        ["分析与优化"],
        ["pytorch"],
    ]
    assert spec.groups[1][0].phrase  # type: ignore[union-attr]
    assert spec.groups[2][0].field == "title"
    assert [c.text for c in spec.excluded] == ["tensorflow"]  # type: ignore[union-attr]
    assert [(f.field, f.value) for f in spec.filters] == [("site", "zhihu")]
    assert search.parse_query("https://x.org/a").groups[0][0].text == "https://x.org/a"  # type: ignore[union-attr]
    # an OR after a filter makes it a group of alternatives: either site, and a word
    either = search.parse_query("显存 site:zhihu OR site:wechat")
    assert [[c.text for c in g if isinstance(c, Words)] for g in either.groups] == [["显存"], []]
    assert either.groups[1] == [Exact("site", "zhihu"), Exact("site", "wechat")]
    assert either.filters == []
    # typed in full width (a Chinese input method): the same syntax
    wide = search.parse_query(
        "显存　ＯＲ　内存 －tensorflow “分析与优化” ｔｉｔｌｅ：pytorch ｓｉｔｅ：zhihu"
    )
    assert (wide.groups, wide.excluded, wide.filters) == (spec.groups, spec.excluded, spec.filters)
    # the values as typed (folded when matched): a topic is shown as written
    assert search.parse_query("ｔｏｐｉｃ：Ｃ／Ｃ＋＋ ＧＰＴ４").filters == [Topic("Ｃ／Ｃ＋＋")]
    assert search.parse_query("－ＧＰＴ４").excluded == [Words("ＧＰＴ４")]
