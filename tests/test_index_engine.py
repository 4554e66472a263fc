"""The index's fast paths against whoosh's own: the bulk segment writer and the evaluator.

Both must be invisible: a segment written by ``bulk.BulkWriter`` reads, term by term and
posting by posting, like one written by whoosh's ``SegmentWriter``, and ``engine``
finds the same documents with the same scores as whoosh's matchers.
"""

from __future__ import annotations

import gc
import itertools
import pickle
import random
import struct
import weakref
from pathlib import Path
from typing import Any

import pytest
from whoosh import query
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3Codec, W3TermInfo
from whoosh.writing import SegmentWriter

from linkindex import analysis, indexing
from linkindex.index import blocks, documents, engine, folder, layout, postings, topk

WORDS = ["显存", "优化", "深度", "学习", "深度学习", "模型", "量化", "推理", "pytorch", "cuda"]
WORDS += ["卷积", "网络", "神经", "神经网络", "注意力", "机制", "灯", "大灯", "改装", "数据"]
SITES = ["wechat", "zhihu", "github"]


def _text(rng: random.Random, size: int) -> str:
    return "".join(rng.choice(WORDS) + rng.choice(["", "，", "。", " "]) for _ in range(size))


def _documents(count: int, seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    segmenter = indexing.segmenter(["显存"])
    docs = []
    for number in range(count):
        title, content = _text(rng, rng.randint(2, 6)), _text(rng, rng.randint(5, 400))
        positions: dict[str, list[int]] = {}
        weights: dict[str, float] = {}
        for part, (value, weight) in enumerate([(title, 4.0), (content, 1.0)]):
            for word, found in segmenter.positions(value, part * documents.PART_GAP).items():
                positions.setdefault(word, []).extend(found)
                weights[word] = weights.get(word, 0.0) + weight * len(found)
        docs.append(
            {
                "id": str(number + 1),
                "kind": ["link"],
                "text": (positions, weights),
                "title": (segmenter.positions(title), None),
                "title_cjk": analysis.cjk_grams(analysis.fold(title), unigrams=True),
                "site": [rng.choice(SITES)],
                "status": ["ok" if rng.random() < 0.8 else "dead"],
                "topic": ["pytorch", "pytorch/参考"] if rng.random() < 0.3 else ["数学"],
                "date": [f"20{10 + rng.randint(0, 15)}-01-01"],
            }
        )
    return docs


def _build(where: Path, docs: list[dict[str, Any]], *, stock: bool, per_segment: int) -> Any:
    folder.create(where)
    ix = folder.LinkIndex(where)
    codec = W3Codec(blocklimit=blocks.BLOCK, compression=blocks.COMPRESSION, inlinelimit=1)
    for start in range(0, len(docs), per_segment):
        writer = SegmentWriter(ix._ix, codec=codec, compound=False) if stock else ix.writer()
        for doc in docs[start : start + per_segment]:
            writer.add_document(**doc)
        writer.commit(merge=False)
    return ix


def _postings(ix: Any) -> dict[tuple[str, bytes], list[tuple[int, float, Any]]]:
    found = {}
    with ix._ix.reader() as reader:
        for fieldname, text in reader.all_terms():
            matcher = reader.postings(fieldname, text)
            rows = []
            while matcher.is_active():
                rows.append((matcher.id(), matcher.weight(), matcher.value()))
                matcher.next()
            info = reader.term_info(fieldname, text)
            stats = (info.doc_frequency(), info.weight(), info.min_length(), info.max_length())
            found[(fieldname, text)] = [stats, *rows]
    return found


def test_bulk_segments_read_like_whoosh_segments(tmp_path: Path) -> None:
    docs = _documents(300)
    ours = _build(tmp_path / "ours", docs, stock=False, per_segment=300)
    theirs = _build(tmp_path / "theirs", docs, stock=True, per_segment=300)
    mine, stock = _postings(ours), _postings(theirs)
    assert len(mine) > 500
    assert mine == stock
    with ours._ix.reader() as a, theirs._ix.reader() as b:
        for docnum in range(len(docs)):
            for name in ("text", "title", "title_cjk"):
                assert a.doc_field_length(docnum, name) == b.doc_field_length(docnum, name)
            assert a.stored_fields(docnum) == b.stored_fields(docnum)
    ours.close()
    theirs.close()


def test_segments_merged_by_a_bulk_writer_read_like_whoosh_segments(tmp_path: Path) -> None:
    """whoosh merges segments through the pool of the writer that commits, which holds
    its own new documents too (records and merged postings of the same words)."""
    from whoosh.writing import OPTIMIZE

    docs = _documents(300)
    ours = _build(tmp_path / "ours", docs[:200], stock=False, per_segment=100)
    writer = ours.writer()
    for doc in docs[200:]:
        writer.add_document(**doc)
    writer.commit(mergetype=OPTIMIZE)  # the writer's documents, then the merged ones
    theirs = _build(tmp_path / "theirs", docs[200:] + docs[:200], stock=True, per_segment=300)
    with ours._ix.reader() as reader:
        assert len(list(reader.leaf_readers())) == 1
    assert _postings(ours) == _postings(theirs)
    ours.close()
    theirs.close()


def _crafted(count: int, *, long_value: bool = False) -> list[dict[str, Any]]:
    """Documents whose words take every path of the bulk writer: one posting with one
    position or several (kept in the pool's blob), a few postings, and more than one
    block's worth (some with several positions), in documents numbered past 255."""
    docs = []
    for number in range(count):
        positions = {
            f"独{number}": [number + 1],  # one document, one position
            f"多{number}": [2, 5, 9 + number],  # one document, several positions
            "常见": [3] if number % 3 else list(range(1, 2 + number % 7)),  # every document
            "偶尔": [7, 8] if number % 2 else [7],  # every other: more than a block
        }
        if number % 40 == 0:
            positions["稀有"] = [11 + number]  # a few documents
        if long_value and number == 99:  # one document, a value too long for a template
            positions["长"] = list(range(20, 120))
        weights = {"常见": 0.5 + number % 5, "偶尔": 4.0 * len(positions["偶尔"])}
        docs.append(
            {
                "id": str(number + 1),
                "text": (positions, weights),
                "title": ({f"标题{number % 2}": [0], "独题": [number]}, None),
                "title_cjk": ["标题", "标题", f"号{number}"],
                "site": ["a" if number < 5 else "b"],
            }
        )
    return docs


@pytest.mark.parametrize(("long_value", "read_at_once"), [(False, None), (True, None), (False, 40)])
def test_a_crafted_segment_reads_back_through_whoosh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, long_value: bool, read_at_once: int | None
) -> None:
    """(With ``long_value``, the words field's one-posting terms are not made together:
    ``Blocks.singles``; with ``read_at_once``, the records of terms of several postings
    are read a term or two at a time.)"""
    from linkindex.index import bulk

    if read_at_once is not None:
        monkeypatch.setattr(bulk, "READ_AT_ONCE", read_at_once)
    docs = _crafted(300, long_value=long_value)
    ours = _build(tmp_path / "ours", docs, stock=False, per_segment=300)
    theirs = _build(tmp_path / "theirs", docs, stock=True, per_segment=300)
    mine = _postings(ours)
    assert mine == _postings(theirs)
    decode = documents.CompactPositions().decode_positions
    for word, wanted in [("独299", [(299, 1.0, [300])]), ("多260", [(260, 3.0, [2, 5, 269])])]:
        stats, *rows = mine[("text", word.encode())]
        assert [(docnum, weight, decode(value)) for docnum, weight, value in rows] == wanted
    stats, *rows = mine[("text", "偶尔".encode())]
    assert stats[0] == 300 > blocks.BLOCK
    assert [decode(value) for _, _, value in rows[:3]] == [[7], [7, 8], [7]]
    assert [weight for _, weight, _ in rows[:2]] == [4.0, 8.0]
    stats, *rows = mine[("text", "常见".encode())]
    assert [(docnum, weight, decode(value)) for docnum, weight, value in rows[256:258]] == [
        (256, 1.5, [3]),
        (257, 2.5, [3]),
    ]
    assert decode(rows[258][2]) == list(range(1, 2 + 258 % 7))
    ours.close()
    theirs.close()


def test_positions_are_encoded_as_their_count_and_an_array_of_deltas() -> None:
    """``CompactPositions.encode`` packs two and three positions itself: the same bytes
    as the count (``pack_uint``) and ``array("I")`` of the deltas, for every count."""
    from array import array

    from whoosh.system import pack_uint

    rng = random.Random(3)
    compact = documents.CompactPositions()
    for count in [*range(1, 10), 255, 256, 300]:
        for _ in range(20):
            start = rng.choice([0, 1, documents.PART_GAP, 3 * documents.PART_GAP])
            found = sorted(rng.sample(range(start, start + 5 * count + 10), count))
            deltas = array("I", [found[0]] + [b - a for a, b in itertools.pairwise(found)])
            assert compact.encode(found) == pack_uint(count) + deltas.tobytes()
            assert compact.decode_positions(compact.encode(found)) == found


def _whoosh_block(ids: list[int], weights: list[float], values: Any, code: int) -> bytes:
    """A one-block term's bytes as whoosh's W3 writer makes them (with ``pickle.dumps``)."""
    weight = weights[-1]
    data = pickle.dumps((tuple(ids), None if weight == 1 else weight, values), blocks.PICKLE)
    info = pickle.dumps((len(ids), ids[-1], weight, 0, code, code), blocks.PICKLE)
    size = struct.pack("!i", -(len(info) + len(data)))
    return WHOOSH3_HEADER_MAGIC + size + info + data


@pytest.mark.parametrize("fixed", [None, -1, 0, 4])
def test_one_posting_blocks_are_what_pickle_writes(fixed: int | None) -> None:
    """``Blocks.single`` fills in templates: every shape is held to ``pickle.dumps``."""

    class Out:
        def __init__(self) -> None:
            self.written: list[bytes] = []

        def write(self, data: bytes) -> int:
            self.written.append(data)
            return 1000 + len(self.written)

    rng = random.Random(5)
    codes = bytes(rng.randrange(256) for _ in range(70_000))
    out = Out()
    numbers = blocks.pickled_numbers(len(codes))
    written = blocks.Blocks(out, codes, fixed, numbers)
    sizes = [4] if fixed == 4 else [0, 1, 8, 37, 100, 255, 256, 300]
    # 37 (b"%") as a number's or a value's bytes, a frame's length or a length byte
    for docnum in [0, 1, 37, 255, 256, 0x2525, 9509, 65535, 65536, 69_999]:
        for weight in (1.0, 0.5, 3.0, 37.0):
            for size in sizes:
                value = bytes(rng.randrange(256) for _ in range(size))
                info = written.single(docnum, weight, value)
                code = codes[docnum]
                if fixed is None or fixed < 0:
                    values: Any = (value,)
                else:
                    values = None if fixed == 0 else value
                assert out.written[-1] == _whoosh_block([docnum], [weight], values, code)
                assert info == W3TermInfo._struct.pack(
                    False, weight, 1, code, code, weight, docnum, docnum
                ) + struct.pack("!qi", 1000 + len(out.written), len(out.written[-1]))


@pytest.mark.parametrize("fixed", [None, -1, 0, 4])
@pytest.mark.parametrize("lengths", [True, False])
def test_one_posting_blocks_made_together_are_those_made_one_by_one(
    fixed: int | None, lengths: bool
) -> None:
    """``Blocks.singles`` (the words fields' one-posting terms, in passes in C) makes
    the bytes ``Blocks.single`` writes, shape by shape; for a value too long for its
    templates, or a format without a tuple of values, it leaves them to ``single``."""

    class Out:
        def __init__(self) -> None:
            self.written: list[bytes] = []

        def write(self, data: bytes) -> int:
            self.written.append(data)
            return 0

    rng = random.Random(9)
    codes = bytes(rng.randrange(256) for _ in range(70_000)) if lengths else None
    numbers = blocks.pickled_numbers(70_000)
    docnums, weights, values = [], [], []
    for docnum in [0, 1, 37, 255, 256, 0x2525, 65535, 65536, 69_999]:
        for weight in (1.0, 0.5, 3.0, 37.0):
            for size in [0, 1, 8, 37, 100, 255]:
                docnums.append(docnum)
                weights.append(weight)
                values.append(bytes(rng.randrange(256) for _ in range(size)))
    out = Out()
    one_by_one = blocks.Blocks(out, codes, fixed, numbers)
    for docnum, weight, value in zip(docnums, weights, values, strict=True):
        one_by_one.single(docnum, weight, value)
    together = blocks.Blocks(out, codes, fixed, numbers)
    made = together.singles(docnums, weights, values)
    if fixed is None or fixed < 0:
        assert made == out.written
        assert together.singles([5], [1.0], [bytes(256)]) is None
    else:
        assert made is None


def test_positions_are_the_tokens_of_search_mode() -> None:
    segmenter = indexing.segmenter(["NN中间语言", "显存"])
    rng = random.Random(3)
    texts = [_text(rng, 200) for _ in range(20)]
    texts.append("PyTorch的torch.cuda.empty_cache()与C++、word2vec，8比特 2016-2017 ＰｙＴｏｒｃｈ")
    texts.append("中华人民共和国哈哈哈哈NN中间语言显存优化")
    for text in texts:
        expected: dict[str, list[int]] = {}
        for word, position, _, _ in segmenter.tokens(text):
            expected.setdefault(word, []).append(position)
        assert segmenter.positions(text) == {w: sorted(p) for w, p in expected.items()}


QUERIES = [
    query.Term("text", "显存"),
    query.And([query.Term("text", "pytorch"), query.Term("text", "cuda")]),
    query.Or([query.Term("text", "灯"), query.Term("title", "模型", boost=2.0)]),
    query.AndMaybe(
        query.And([query.Term("text", "神经"), query.Term("text", "网络")]),
        query.Phrase("title", ["神经", "网络"], boost=3.0),
    ),
    query.Phrase("text", ["深度学习", "模型"]),
    query.Phrase("text", ["学习", "模型"]),
    query.Phrase("text", ["模型", "深度", "模型"]),  # positions read rarest word first
    query.And([query.Term("text", "pytorch"), query.Phrase("text", ["灯", "改装"])]),
    # a phrase found in the whole segment, then again within some documents (kept)
    query.Or(
        [
            query.Phrase("text", ["学习", "模型"]),
            query.And([query.Term("text", "pytorch"), query.Phrase("text", ["学习", "模型"])]),
            query.Phrase("text", ["学习", "模型"], boost=2.0),
        ]
    ),
    query.AndNot(query.Term("text", "优化"), query.Or([query.Term("text", "卷积")])),
    # a phrase looked for only in the documents without the excluded word
    query.AndNot(
        query.Or([query.Phrase("text", ["学习", "模型"]), query.Term("text", "灯")]),
        query.Term("text", "pytorch"),
    ),
    query.And(
        [
            query.Term("text", "数据"),
            query.Term("site", "zhihu", boost=1e-6),
        ]
    ),
    # whoosh scores a range 1.0 (one term) or by its terms (several): the evaluator
    # gives every match the range's boost, as queries.to_whoosh means it (same sets).
    query.And([query.Term("text", "数据"), query.TermRange("date", "2018-01-01", None)]),
    query.And([query.Term("title_cjk", "大灯", boost=0.5), query.Term("topic", "pytorch")]),
    query.And([query.Term("kind", "link", boost=1e-6), query.Term("status", "dead")]),
    query.And([query.Term("text", "显存"), query.NullQuery]),
    query.Term("text", "没有这个词"),
]


@pytest.mark.parametrize(("per_segment", "common_from"), [(400, 512), (90, 512), (90, 2)])
def test_engine_finds_what_whoosh_finds_with_the_same_scores(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, per_segment: int, common_from: int
) -> None:
    monkeypatch.setattr(layout, "COMMON_FROM", common_from)  # 2: most terms have arrays
    ix = _build(tmp_path / "ix", _documents(400, seed=11), stock=False, per_segment=per_segment)
    writer = ix.writer()
    for ident in ("5", "17", "250"):
        writer.delete_by_term("id", ident)
    writer.commit(merge=False)
    if common_from == 2:
        assert list(ix.folder.glob(f"*{layout.COMMON_EXT}"))
    with ix.searcher() as searcher:
        for wanted in QUERIES:
            ours = engine.evaluate(searcher, wanted)
            theirs = {
                hit.docnum: hit.score for hit in searcher.search(wanted, limit=None, optimize=False)
            }
            assert ours.keys() == theirs.keys(), wanted
            assert engine.evaluate(searcher, wanted, scored=False).keys() == ours.keys()
            if any(isinstance(q, query.TermRange) for q in wanted.leaves()):
                continue
            for docnum, score in theirs.items():
                assert ours[docnum] == pytest.approx(score, rel=1e-6), wanted
    ix.close()


def test_a_phrase_but_a_word_is_the_phrase_where_the_word_is_not(tmp_path: Path) -> None:
    """A token or its parts in sequence where the text does not have the token
    (``queries._token_query``): the phrase's positions are read only in the documents
    without the word, and it scores as the phrase. (whoosh's own matcher keeps a
    document that has both here: it is checked against whoosh's phrase and word.)"""
    ix = _build(tmp_path / "ix", _documents(400, seed=11), stock=False, per_segment=90)
    phrase, word = query.Phrase("text", ["学习", "模型"]), query.Term("text", "深度学习")
    with ix.searcher() as searcher:

        def whoosh(q: query.Query) -> dict[int, float]:
            return {h.docnum: h.score for h in searcher.search(q, limit=None, optimize=False)}

        with_word, in_sequence = whoosh(word), whoosh(phrase)
        alone = {d: s for d, s in in_sequence.items() if d not in with_word}
        assert alone and set(in_sequence) & set(with_word)  # (both kinds are there)
        but = engine.evaluate(searcher, query.AndNot(phrase, word))
        assert but.keys() == alone.keys()
        assert all(but[d] == pytest.approx(s, rel=1e-6) for d, s in alone.items())
        either = engine.evaluate(searcher, query.Or([word, query.AndNot(phrase, word)]))
        assert either.keys() == with_word.keys() | alone.keys()
        expected = {**with_word, **alone}
        assert all(either[d] == pytest.approx(s, rel=1e-6) for d, s in expected.items())
        unscored = engine.evaluate(
            searcher, query.Or([word, query.AndNot(phrase, word)]), scored=False
        )
        assert unscored.keys() == either.keys()
    ix.close()


def test_engine_leaves_other_queries_to_whoosh(tmp_path: Path) -> None:
    ix = _build(tmp_path / "ix", _documents(20), stock=False, per_segment=20)
    with ix.searcher() as searcher, pytest.raises(engine.Unsupported):
        engine.evaluate(searcher, query.Prefix("text", "显"))
    ix.close()


def test_the_best_come_first_and_ties_in_index_order() -> None:
    scores = {docnum: float(docnum % 7) for docnum in range(100)}
    expected = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    for top in (1, 3, 10, 30, 200):
        assert topk.first(scores, top) == expected[:top]


def _skewed_documents(count: int, seed: int) -> list[dict[str, Any]]:
    """Documents where a word's weight and the page's length pull apart: most pages are
    long and have ``common`` a few times, some have it often, and some very short pages
    have it once (they outscore heavier long pages: a bound on the weight alone is wrong),
    and groups of pages are alike to the last float (ties go to the lower number)."""
    rng = random.Random(seed)
    docs = []
    for number in range(count):
        kind = rng.random()
        if kind < 0.05:  # short: common once, nothing else
            counts = {"common": 1}
        elif kind < 0.07:  # heavy: common often
            counts = {"common": 12, "filler": rng.randint(150, 300)}
        elif kind < 0.12:  # twins: the same words, the same weights
            counts = {"common": 2, "other": 2, "filler": 200}
        else:
            counts = {"common": rng.choice([1, 2, 3]), "filler": rng.randint(100, 300)}
            if rng.random() < 0.6:
                counts["other"] = rng.randint(1, 8)
        positions: dict[str, list[int]] = {}
        place = 0
        for word, times in counts.items():
            positions[word] = list(range(place, place + times))
            place += times
        docs.append(
            {
                "id": str(number + 1),
                "kind": ["link"],
                "text": (positions, None),
                "title": (_title(number, rng.random() < 0.1), None),
                "site": [rng.choice(SITES)],
                "status": ["ok"],
                "topic": ["数学"],
            }
        )
    return docs


def _title(number: int, common: bool) -> dict[str, list[int]]:
    """A title's words: ``common`` in a tenth of them, ``other`` in a third of the rest;
    in a fifth of the titles with ``common``, ``other`` right after it (the phrase)."""
    if common:
        return {"common": [0], "other": [1]} if number % 5 == 0 else {"common": [0]}
    return {"other": [5]} if number % 3 == 0 else {}


#: A title phrase of two words many titles have, few together (``rtx 4090`` typed apart).
TITLE_PHRASE = query.AndMaybe(
    query.And([query.Term("text", "common"), query.Term("text", "other")]),
    query.Phrase("title", ["common", "other"], boost=3.0),
)

PRUNED = [
    TITLE_PHRASE,
    query.Term("text", "common"),
    query.And([query.Term("text", "common"), query.Term("text", "other")]),
    query.Or([query.Term("text", "common"), query.Term("text", "other", boost=0.5)]),
    query.AndMaybe(query.Term("text", "common"), query.Term("title", "common", boost=3.0)),
    query.And([query.Term("text", "common"), query.Term("site", "zhihu", boost=1e-6)]),
    query.AndNot(query.Term("text", "common"), query.Term("text", "other")),
    query.AndMaybe(
        query.Term("text", "common"), query.Phrase("text", ["common", "other"], boost=2.0)
    ),
]


@pytest.mark.parametrize("common_from", [512, 2])
def test_the_best_without_scoring_every_match_are_the_best_of_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, common_from: int
) -> None:
    """``topk`` scores a word's heaviest pages and shows that no other can do better;
    its top hits must be exactly the first of every match scored, ties included."""
    monkeypatch.setattr(layout, "COMMON_FROM", common_from)
    monkeypatch.setattr(topk, "SCORE_ALL_BELOW", 2)  # small index: bound from a few pages
    monkeypatch.setattr(topk, "PRUNE_FROM", 2)
    docs = _skewed_documents(600, seed=3)
    ix = _build(tmp_path / "ix", docs, stock=False, per_segment=250)
    writer = ix.writer()
    heavy = [doc["id"] for doc in docs if len(doc["text"][0]["common"]) > 3]
    for ident in heavy[:4]:  # deleted among the best candidates: never a hit
        writer.delete_by_term("id", ident)
    writer.commit(merge=False)
    pruned = []
    real = topk._pruned
    monkeypatch.setattr(topk, "_pruned", lambda *a: pruned.append(real(*a)) or pruned[-1])
    with ix.searcher() as searcher:
        for wanted in PRUNED:
            every = engine.evaluate(searcher, wanted)
            for top in (1, 3, 10, 25):
                assert engine.best(searcher, wanted, top) == (topk.first(every, top), len(every))
    assert any(found is not None for found in pruned)  # the bound did cut short
    ix.close()


def _stepped_documents(count: int, *, short: bool) -> list[dict[str, Any]]:
    """Pages where a word weighs in steps: two thirds weigh it 4 (a title's weight) on
    pages of one length, all tied; the others weigh it 1. With ``short``, every 25th page
    is very short and weighs it 2.5: those outscore the tied pages."""
    docs = []
    for number in range(count):
        if short and number % 25 == 7:
            weight, filler = 2.5, 9
        else:
            weight, filler = (4.0 if number % 3 else 1.0), 99
        positions = {"stepped": [0], "filler": list(range(1, filler + 1))}
        docs.append(
            {
                "id": str(number + 1),
                "kind": ["link"],
                "text": (positions, {"stepped": weight}),
                "title": ({}, None),
                "site": ["zhihu"],
                "status": ["ok"],
                "topic": ["数学"],
            }
        )
    return docs


@pytest.mark.parametrize("short", [False, True])
def test_pages_tied_at_the_bar_are_bounded_at_the_weight_below_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, short: bool
) -> None:
    """Many pages tie at the bar, so the top-th best ties with the bar's bound: the
    others weigh less, and the bound at the most they weigh shows that. Where short pages
    weighing less outscore the tied ones, that bound is no lower than their score."""
    monkeypatch.setattr(topk, "SCORE_ALL_BELOW", 2)
    monkeypatch.setattr(topk, "PRUNE_FROM", 2)
    docs = _stepped_documents(300, short=short)
    ix = _build(tmp_path / "ix", docs, stock=False, per_segment=300)
    pruned = []
    real = topk._pruned
    monkeypatch.setattr(topk, "_pruned", lambda *a: pruned.append(real(*a)) or pruned[-1])
    wanted = query.Term("text", "stepped")
    with ix.searcher() as searcher:
        every = engine.evaluate(searcher, wanted)
        for top in (1, 3, 10, 25):
            assert engine.best(searcher, wanted, top) == (topk.first(every, top), len(every))
        best = [searcher.stored_fields(d)["id"] for d, _ in engine.best(searcher, wanted, 12)[0]]
    if short:
        assert best == [str(number + 1) for number in range(300) if number % 25 == 7]
    else:
        assert any(found is not None for found in pruned)  # the bound did cut short
    ix.close()


def _described(info: Any) -> tuple[Any, ...]:
    where = info.inlined_postings() if info.is_inlined() else info.extent()
    lengths = (info.min_length(), info.max_length(), info.max_weight())
    return (info.doc_frequency(), info.weight(), *lengths, info.min_id(), info.max_id(), where)


@pytest.mark.parametrize("stock", [False, True])
def test_a_term_is_looked_up_in_memory_as_whoosh_looks_it_up(tmp_path: Path, stock: bool) -> None:
    """``postings.TermIndex`` walks whoosh's hash tables itself: every term of a segment
    (bulk- or whoosh-written) has the same information, a word not there none."""
    ix = _build(tmp_path / "ix", _documents(300), stock=stock, per_segment=300)
    with ix._ix.reader() as reader:
        (leaf, _), *_ = reader.leaf_readers()
        terms = postings.open_terms(leaf)
        assert terms is not None
        checked = 0
        for fieldname, text in leaf.all_terms():
            ours = terms.info(fieldname, text)
            theirs = leaf.term_info(fieldname, text)
            assert ours is not None and _described(ours) == _described(theirs), (fieldname, text)
            checked += 1
        assert checked > 500
        assert leaf.doc_frequency("text", "没有这个词") == 0
        for fieldname, text in [("text", "没有这个词"), ("site", "显存"), ("nofield", "显存")]:
            assert terms.info(fieldname, text.encode()) is None
        terms.close()
    ix.close()


def test_a_compound_segment_s_terms_are_left_to_whoosh(tmp_path: Path) -> None:
    folder.create(tmp_path / "ix")
    ix = folder.LinkIndex(tmp_path / "ix")
    writer = SegmentWriter(ix._ix, compound=True)
    for doc in _documents(50):
        writer.add_document(**doc)
    writer.commit(merge=False)
    with ix.searcher() as searcher:
        (leaf, _), *_ = searcher.reader().leaf_readers()
        assert postings.open_terms(leaf) is None
        wanted = query.Term("text", "显存")
        theirs = {hit.docnum for hit in searcher.search(wanted, limit=None)}
        assert theirs and set(engine.evaluate(searcher, wanted)) == theirs
    ix.close()


def test_what_a_search_read_is_freed_with_its_searcher(tmp_path: Path) -> None:
    """The postings a search read go when its searcher does, by reference counts: left
    in reference cycles, Python's cycle collector walked them again and again."""
    ix = _build(tmp_path / "ix", _documents(50), stock=False, per_segment=20)
    gc.collect()
    gc.disable()
    try:
        with ix.searcher() as searcher:
            assert engine.best(searcher, query.Term("text", "显存"), 5)[0]
            kept = weakref.ref(engine._search(searcher))
        del searcher
        assert kept() is None
    finally:
        gc.enable()
    ix.close()


def test_a_title_phrase_of_common_words_is_bounded_by_the_titles_having_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A phrase matches only where all its words are: where those titles are few, they
    are all candidates and the phrase adds nothing to the bound, so a query with a title
    phrase of two words many titles have (``rtx 4090`` typed apart) is still pruned."""
    monkeypatch.setattr(topk, "SCORE_ALL_BELOW", 2)
    monkeypatch.setattr(topk, "PRUNE_FROM", 2)
    ix = _build(tmp_path / "ix", _skewed_documents(600, seed=3), stock=False, per_segment=600)
    pruned = []
    real = topk._pruned
    monkeypatch.setattr(topk, "_pruned", lambda *a: pruned.append(real(*a)) or pruned[-1])
    with ix.searcher() as searcher:
        every = engine.evaluate(searcher, TITLE_PHRASE)
        assert engine.best(searcher, TITLE_PHRASE, 10) == (topk.first(every, 10), len(every))
    assert pruned and pruned[-1] is not None
    ix.close()
