"""Queries: the model a parsed query is (``QuerySpec``) and its whoosh query.

``search.parse_query`` turns the query language into a ``QuerySpec``; ``to_whoosh``
compiles it (with the query segmenter's ``cut``) into the query ``searching`` runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from itertools import groupby
from typing import Any

from whoosh import query

from linkindex import analysis, topics

#: Query boosts: the exact sequence in the title on top, the character fallbacks
#: (title bigrams, single characters in a row in the text) well below word matches.
WEIGHTS = {"title_phrase": 3.0, "title_cjk": 0.5, "chars": 0.3}


@dataclass(frozen=True, slots=True)
class Words:
    """Free text of a query: a bare word (all its jieba words required) or a phrase."""

    text: str
    field: str | None = None  # None: every text field; "title": the title only
    phrase: bool = False
    #: The mainland's wording, or the other spelling, of the clause before it in its
    #: group (``with_other_wording``), which the query did not type: a run of words typed
    #: apart goes on through it.
    reworded: bool = False


@dataclass(frozen=True, slots=True)
class Exact:
    """A filter term: site, status or kind."""

    field: str
    value: str


@dataclass(frozen=True, slots=True)
class Topic:
    """A topic filter as typed (``topic:``, ``--topic``).

    Its term is the topic's key, which depends on the library's headings (``topics.key``):
    it is found when the query is compiled, against the headings the index holds.
    """

    text: str


Filter = Exact | Topic
Clause = Words | Exact | Topic


@dataclass(slots=True)
class QuerySpec:
    """A parsed query: every group must match (one clause of it), no excluded may."""

    groups: list[list[Clause]] = field(default_factory=list)
    excluded: list[Clause] = field(default_factory=list)
    filters: list[Filter] = field(default_factory=list)
    since: str | None = None  # YYYY-MM-DD


def _gram_query(
    text: str, words: Sequence[str], title_only: bool, known: Any, cut: Any
) -> query.Query | None:
    """The fallback for the CJK part of ``text`` that jieba's words may have missed.

    Titles have a bigram (and character) shadow; page text is matched as the sequence
    of its characters where jieba left them single (``_char_phrases``).
    """
    grams = analysis.cjk_grams(text)
    if not grams:
        return None
    parts: list[query.Query] = [
        query.And([query.Term("title_cjk", g, boost=WEIGHTS["title_cjk"]) for g in grams])
    ]
    if not title_only:
        parts += _char_phrases(text, words, known, cut)
    return parts[0] if len(parts) == 1 else query.Or(parts)


def _char_phrases(text: str, words: Sequence[str], known: Any, cut: Any) -> list[query.Query]:
    """Page text's fallback: each run of ideographs of ``text`` as a sequence of its
    characters where jieba left them single (a name split oddly: 李 明), and as its
    words with those the index does not know by their characters (the text's cut of
    ``了最短路径`` is ``最`` ``短`` ``路径``, the query's ``最短`` ``路径``); none unless a
    word of the query is not a known word of the index (that check would cost much and
    find little)."""
    if all(known(w) for w in words):
        return []
    phrases: list[query.Query] = []
    for run in analysis.cjk_runs(text):
        if len(run) > 1:
            chars = list(run)
            phrases.append(query.Phrase("text", chars, boost=WEIGHTS["chars"]))
            apart = [piece for w in cut(run) for piece in ([w] if known(w) else list(w))]
            if 1 < len(apart) < len(chars):
                phrases.append(query.Phrase("text", apart, boost=WEIGHTS["chars"]))
    return phrases


def _word_query(name: str, word: str, known: Any = None) -> query.Query:
    """One word of a query; a mixed token with ideographs (``8比特``) is found whole or by
    all its parts (``8`` and ``比特`` apart), whole above apart (it then matches both); one
    of letters and digits (``gpt4``, ``win10``) whole or by its parts in sequence, as
    quoted (``_token_query``; ``known``: whether the index has a word); a code compound by
    its parts in sequence (``_compound_query``), or written together (``k-means`` finds
    ``KMeans``)."""
    if analysis.is_compound(word):
        apart = _compound_query(name, analysis.compound_parts(word))
        joined = analysis.catenation(word)
        return apart if joined is None else query.Or([apart, query.Term(name, joined)])
    pieces = analysis.parts(word)
    if not pieces:
        return query.Term(name, word)
    if word.isascii() and word.isalnum():
        # a model or version name: win10 is no Win11 page with a 10 in it, as gpt-3.5 is
        # no GPT-4 page with a 3 and a 5 (_compound_query)
        return _token_query(name, word, known)
    apart = query.And([_part_query(name, piece, known) for piece in pieces])
    return query.Or([query.Term(name, word), apart])


def _part_query(name: str, part: str, known: Any = None) -> query.Query:
    """One part of a mixed token; one of ideographs also as its characters in sequence,
    as text holds ideographs the dictionary does not join (``骁龙`` of ``骁龙8gen3``, a
    heading that became a word: text writing ``骁龙 8 Gen 3`` holds ``骁`` ``龙``)."""
    found = _word_query(name, part, known)
    if len(part) > 1 and _ideographs(part):
        return query.Or([found, query.Phrase(name, list(part))])
    return found


#: Search mode indexes the dictionary words of 2 and 3 characters inside a longer word.
_INNER_WORD = range(2, 4)


def _ideographs(word: str) -> bool:
    return analysis.cjk_runs(word) == [word]


def _letters(word: str) -> bool:
    return word.isascii() and word.isalpha()


def _grouped(words: list[str]) -> list[list[str]]:
    """The words one by one, except words of ideographs in a row that make 2 or 3
    characters together (``美`` ``图``, ``政治`` ``权``): jieba cuts such a rare word apart
    where it stands alone, while search mode indexes it whole inside a longer word
    (``美图`` in ``美图秀秀``, ``政治权`` in ``政治权利``)."""
    runs: list[list[str]] = []
    for word in words:
        if runs and _ideographs(word) and _ideographs(runs[-1][-1]):
            runs[-1].append(word)
        else:
            runs.append([word])
    # a longer run is left as it is (no word of the index holds it)
    return [
        group
        for run in runs
        for group in ([run] if sum(map(len, run)) in _INNER_WORD else [[w] for w in run])
    ]


def joined_runs(words: list[str]) -> list[str]:
    """The words with each group of ``_grouped`` written together (``美`` ``图`` ->
    ``美图``): what a snippet marks (not a lone ``图`` elsewhere)."""
    return ["".join(group) for group in _grouped(words)]


def _bare_word(group: list[Clause]) -> tuple[str, str | None] | None:
    """The English word a group is, and its field, if it is one typed alone (not
    quoted, no OR)."""
    if len(group) != 1 or not isinstance(group[0], Words) or group[0].phrase:
        return None
    word = analysis.fold(group[0].text)
    return (word, group[0].field) if _letters(word) else None


def written_together(spec: QuerySpec) -> dict[int, str]:
    """Two English words typed apart that a text may write as one word (``spring boot``:
    ``SpringBoot``, ``hugging face``: ``HuggingFace``): the first one's group, and the
    word. Only a pair of them, in one field: in a longer run of English words
    (``attention is all you need``) which two belong together is anyone's guess."""
    found: dict[int, str] = {}
    start = 0
    bare = map(_bare_word, spec.groups)
    for field_of, run in groupby(bare, key=lambda word: word and (word[1],)):
        groups = list(run)
        if field_of is not None and len(groups) == 2:
            found[start] = "".join(word for word, _ in filter(None, groups))
        start += len(groups)
    return found


#: Each of the two words ``written_apart`` finds in one has this many letters at least.
_APART_LETTERS = 3
#: ``written_apart`` gives at most this many ways.
_APART_WAYS = 2


def written_apart(
    word: str, known: Any, *, letters: int = _APART_LETTERS, ways: int = _APART_WAYS
) -> list[tuple[str, str]]:
    """The ways an English word typed as one may be two words of the index written apart
    (``springboot``: ``spring`` ``boot``, as in ``Spring Boot``; ``tensorflow``: ``tensor``
    ``flow``): both words the index has (``known``), of ``letters`` letters or more; at
    most ``ways`` of them."""
    if known is None or not _letters(word) or len(word) < 2 * letters:
        return []
    found: list[tuple[str, str]] = []
    for at in range(letters, len(word) - letters + 1):
        if known(word[:at]) and known(word[at:]):
            found.append((word[:at], word[at:]))
            if len(found) == ways:
                break
    return found


def _word_terms(name: str, words: list[str], known: Any = None) -> list[query.Query]:
    """The query of each word; the words of a group (``_grouped``) are found written
    together or apart, single characters in sequence (a name jieba does not know, ``李``
    ``明``, is single characters in text too), others anywhere (``是`` ``一个``: a phrase of
    words nearly every page has is costly to look for); an English word also as two
    words written apart (``written_apart``: ``springboot`` finds ``Spring Boot``)."""
    terms: list[query.Query] = []
    for group in _grouped(words):
        if len(group) == 1:
            found = _word_query(name, group[0], known)
            apart = [query.Phrase(name, list(way)) for way in written_apart(group[0], known)]
            terms.append(query.Or([found, *apart]) if apart else found)
        else:
            if max(map(len, group)) == 1:
                parts: query.Query = query.Phrase(name, group)
            else:
                parts = query.And([_word_query(name, word, known) for word in group])
            terms.append(query.Or([parts, query.Term(name, "".join(group))]))
    return terms


def joinable(first: str, second: str) -> bool:
    """Whether two words of a query, written apart, may be one word of the index where a
    text writes them together: a name and its number (``rtx`` ``4090``, ``qwen`` ``2``)
    or version (``yolo`` ``v8``: ``YOLOv8``), English words (``spring`` ``boot``:
    ``SpringBoot``), a number and the Chinese word after it (``8`` ``比特``), ideographs
    that make a word of 2 or 3 characters (``美`` ``图``, see ``_grouped``), letters and
    the ideographs after them, which a word of the dictionary may join (a heading
    ``AI绘画``, jieba's ``B超``: text that writes it holds the word, and its parts at its
    position, not in sequence)."""
    if first.isascii() and second.isascii():
        border = first[-1:].isdigit() != second[:1].isdigit()
        version = _letters(first) and second[:1] == "v" and second[1:].isdigit()
        return (
            first.isalnum() and second.isalnum() and (border or version or _letters(first + second))
        )
    if _ideographs(first) and _ideographs(second):
        return len(first) + len(second) in _INNER_WORD
    return analysis.joins(first, second) or (_letters(first) and _ideographs(second))


#: A phrase is looked for in at most this many ways of writing its words.
_PHRASE_WAYS = 8


def _joined(words: list[str]) -> list[list[str]]:
    """The words, and the ways of writing them with neighbours joined that the index may
    hold as one word (``rtx`` ``4090``: also ``rtx4090``); at most ``_PHRASE_WAYS``."""
    ways: list[list[str]] = [[]]
    for word in words:
        grown = [[*way, word] for way in ways]
        grown += [[*way[:-1], way[-1] + word] for way in ways if way and joinable(way[-1], word)]
        ways = grown[:_PHRASE_WAYS]
    return ways


def _phrase(name: str, words: list[str], boost: float = 1.0) -> query.Query:
    """The words in sequence, or with neighbours the index holds as one word where a
    text writes them together (``"rtx 4090"`` finds ``RTX4090``, ``"qwen 2.5"``
    ``Qwen2.5``, ``"8 比特"`` ``8比特``)."""
    ways = _joined(words)
    found = [
        query.Phrase(name, way, boost=boost)
        if len(way) > 1
        else query.Term(name, way[0], boost=boost)
        for way in ways
    ]
    return found[0] if len(found) == 1 else query.Or(found)


def _letters_and_digits(word: str) -> list[str]:
    """A word's smallest parts (``python3`` -> ``python`` ``3``; ``72b`` -> ``72`` ``b``)."""
    pieces = analysis.parts(word)
    return [small for piece in pieces for small in _letters_and_digits(piece)] or [word]


def _ways_apart(parts: list[str]) -> list[list[str]]:
    """Parts in sequence, each also by its letters and digits apart where a text writes
    it so (``python3`` ``12``: also ``python`` ``3`` ``12``), ideographs by their characters
    (``骁龙`` ``8gen3``: also ``骁`` ``龙`` ``8gen3``, a name the dictionary does not join);
    at most ``_PHRASE_WAYS``."""
    ways: list[list[str]] = [[]]
    for part in parts:
        apart = list(part) if _ideographs(part) else _letters_and_digits(part)
        ways = [[*way, part] for way in ways] + (
            [[*way, *apart] for way in ways] if len(apart) > 1 else []
        )
    return [list(way) for way in dict.fromkeys(map(tuple, ways))][:_PHRASE_WAYS]


def _compound_query(name: str, parts: list[str]) -> query.Query:
    """A code compound's parts in sequence, as the index holds them (``qwen2.5``:
    ``qwen2`` ``5``), each part also by its letters and digits apart where a text writes
    it so (``python3.12`` finds ``Python 3.12``: ``python`` ``3`` ``12``), and neighbours
    together (``gpt-4`` finds ``GPT4``); not anywhere: ``gpt-3.5`` is no ``GPT-4`` with a
    3 and a 5 somewhere, as most pages of some length have. A quoted phrase's words too
    (``"qwen2.5 部署"``)."""
    found = [_phrase(name, way) for way in _ways_apart(parts)]
    return found[0] if len(found) == 1 else query.Or(found)


#: A quoted mixed token's parts written apart in sequence weigh this much of the token.
_PARTS_IN_SEQUENCE = 0.5


class Together(query.Phrase):
    """Words at one position, not one after another: a mixed token's parts, which the
    index holds at the token's position (``gpt`` ``4`` of ``GPT4o``, ``yolo`` ``v5`` of
    ``YOLOv5s``). linkindex's evaluator reads it so (``engine``); whoosh's own, as the
    phrase it is written as."""

    def __init__(self, fieldname: str, words: list[str], boost: float = 1.0) -> None:
        super().__init__(fieldname, words, boost=boost)


def _token_query(name: str, word: str, known: Any = None) -> query.Query:
    """A quoted mixed token (``"4比特"``, ``"gpt4"``), or one of letters and digits
    unquoted (``gpt4``): the token, or its parts in sequence where a text writes them
    apart (``4 比特``, ``GPT-4``, ``24 GB 显存``; two of them together: ``GPT-4o`` for
    ``"gpt4o"``), ranked below; not its parts anywhere (``比特币…4家`` is not ``"4比特"``,
    a ``Win11`` page with a 10 no ``win10``); a name of letters in it also as two words
    joined by a hyphen the token left out, where the index has both (``_hyphened``:
    ``wifi6`` finds ``Wi-Fi 6``)."""
    pieces = analysis.parts(word)
    whole: query.Query = query.Term(name, word)
    if len(pieces) < 2:  # (50%: only the token)
        return whole
    # the token scores its parts too (the index holds them at its position), as unquoted:
    # else a short title with the parts apart outranks a long one with the token
    parts = [query.Term(name, piece) for piece in pieces]
    whole = query.AndMaybe(whole, query.And(parts))
    # each part by its letters and digits apart too: "24gb显存" finds 24 GB 显存; and
    # neighbours together: GPT-4o holds gpt 4o in sequence, its 4 and o at 4o's position
    # (each way once: python3 12 is also python 3 12 joined; the token whole is above)
    ways = (
        tuple(way)
        for apart in _ways_apart(pieces)
        for hyphened in _hyphened(apart, known)
        for way in _joined(hyphened)
    )
    apart = [
        query.Phrase(name, list(way), boost=_PARTS_IN_SEQUENCE)
        for way in dict.fromkeys(ways)
        if len(way) > 1
    ]
    # and the parts at one position: a longer token that begins with them (gpt4 finds
    # GPT4o, yolov5 YOLOv5s, rtx4090 RTX4090D), not the parts anywhere (no GPT-3 page
    # with a 4 in it)
    apart.append(Together(name, pieces, boost=_PARTS_IN_SEQUENCE))
    # where the text has the token, its parts' sequence adds nothing (they are there, at
    # its position): it is only looked for in the others (in a library where every page
    # has word2vec, word 2 vec in sequence took ~100 ms to look for in them all)
    return query.Or([whole, query.AndNot(query.Or(apart), query.Term(name, word))])


#: Each of the two words ``_halves`` finds in a name of letters has this many letters at
#: least: a hyphen joins short ones (``Wi-Fi``).
_HYPHENED_LETTERS = 2


def _halves(word: str, known: Any) -> list[str]:
    """A name of letters as two words a text may write it with, joined by a hyphen: the
    first cut whose words the index has both (``wifi``: ``wi`` ``fi``), or []. ``Wi-Fi 6``
    holds ``wifi`` at ``wi``'s position, not right before the ``6``: only ``wi`` ``fi``
    ``6`` are in sequence."""
    found = written_apart(word, known, letters=_HYPHENED_LETTERS, ways=1)
    return list(found[0]) if found else []


def _hyphened(words: list[str], known: Any) -> list[list[str]]:
    """The words, and each name of letters among them also as its ``_halves``."""
    ways: list[list[str]] = [[]]
    for word in words:
        halves = _halves(word, known)
        ways = [[*way, word] for way in ways] + [[*way, *halves] for way in ways if halves]
    return ways


def _latin_pieces(words: Sequence[str]) -> list[str]:
    """The parts of letters and digits of the mixed tokens among ``words`` (``h100`` of
    ``h100显卡``, ``3`` of ``3代``)."""
    return [
        piece
        for word in words
        if analysis.has_cjk(word)
        for piece in analysis.parts(word)
        if not analysis.has_cjk(piece)
    ]


def words_query(clause: Words, cut: Any, known: Any = None, *, apart: Any = None) -> query.Query:
    """The whoosh query of one free-text clause.

    ``cut`` segments query text; ``known(word)`` says whether the index has the word
    (``apart``: for ``written_apart`` only, where the character fallback is not to use
    it: an excluded word's; by default ``known``).
    """
    text = analysis.fold(clause.text)
    words = cut(text)
    name = "title" if clause.field == "title" else "text"
    if not words:
        return query.NullQuery
    flat = analysis.in_parts(words)  # as a phrase: a compound's parts follow each other
    knows = known or (lambda _: False)
    if clause.phrase and len(flat) > 1:
        phrase = _compound_query(name, flat)
        if name == "title":
            return phrase
        found = query.AndMaybe(phrase, _phrase("title", flat, WEIGHTS["title_phrase"]))
        # its characters in sequence, where the text's cut differs (a phrase still)
        chars = _char_phrases(text, flat, knows, cut) if _ideographs(text) else []
        return query.Or([found, *chars]) if chars else found
    if clause.phrase and analysis.parts(flat[0]):
        return _token_query(name, flat[0], apart or known)
    terms = _word_terms(name, words, apart or known)
    required: query.Query = terms[0] if len(terms) == 1 else query.And(terms)
    if not clause.phrase:
        grams = _gram_query(text, flat, name == "title", knows, cut)
    else:  # one word quoted: its characters in a row in the text, not the title's pairs
        quoted = name != "title" and _ideographs(text)
        chars = _char_phrases(text, flat, knows, cut) if quoted else []
        grams = None if not chars else chars[0] if len(chars) == 1 else query.Or(chars)
    if grams is not None:
        latin = [query.Term(name, w) for w in flat if not analysis.has_cjk(w)]
        # a mixed token's letters and digits are required too, not scored twice: the
        # fallback stands for its ideographs (else h100显卡 finds any 显卡, 4比特 8比特)
        numbers = [_word_query(name, piece, apart or known) for piece in _latin_pieces(flat)]
        if numbers:
            latin.append(query.And(numbers, boost=_FILTER_BOOST))
        fallback = query.And([*latin, grams]) if latin else grams
        required = query.Or([required, fallback])
    if len(flat) > 1:
        # The exact sequence counts in the title only: checking positions in the page
        # text of every match cost seconds on 25,000 links (whoosh decodes them in
        # Python); a quoted phrase does search the text.
        return query.AndMaybe(required, _phrase("title", flat, WEIGHTS["title_phrase"]))
    return required


def with_other_wording(
    spec: QuerySpec, cut: Any, *, regional: bool = True, apart: Any = None
) -> QuerySpec:
    """The query with the other spelling of words spelled otherwise in traditional script
    (了解 looks for 瞭解 too, 瞭解 for 了解) and, with ``regional``, the mainland's wording
    of Taiwan's and Hong Kong's words (``analysis.other_wording``: 記憶體 洩漏 looks for
    内存 泄漏 too): a words clause that has such words gets the other wording as an
    alternative (OR); an excluded one excludes both. ``cut`` segments query text;
    ``apart`` (``QuerySegmenter.apart``) gives the words a longer word is made of, so a
    heading that became a word (虛擬記憶體) still has 記憶體 in it."""

    def mainland(clause: Clause) -> list[Clause]:
        if not isinstance(clause, Words):
            return []
        text = analysis.fold(clause.text)
        other = analysis.other_wording(text, cut(text), regional=regional, apart=apart)
        return [] if other is None else [Words(other, clause.field, clause.phrase, reworded=True)]

    groups = [[*group, *(c for clause in group for c in mainland(clause))] for group in spec.groups]
    excluded = [*spec.excluded, *(c for clause in spec.excluded for c in mainland(clause))]
    return replace(spec, groups=groups, excluded=excluded)


def filter_term(clause: Filter, headings: topics.Known, boost: float = 1.0) -> query.Term:
    """The term of a filter; a topic's is its key among ``headings`` (``topics.key``)."""
    if isinstance(clause, Topic):
        return query.Term("topic", topics.key(clause.text, headings), boost=boost)
    return query.Term(clause.field, clause.value, boost=boost)


def clause_query(
    clause: Clause, cut: Any, known: Any = None, *, headings: topics.Known, apart: Any = None
) -> query.Query:
    """The whoosh query of a clause (``headings``: the heading keys a topic resolves by;
    ``known`` and ``apart``: as ``words_query``'s)."""
    if isinstance(clause, Words):
        return words_query(clause, cut, known, apart=apart)
    return filter_term(clause, headings)


#: A run of words typed apart has its sequence looked for in titles up to this length.
_RUN_WORDS = 8


def _typed_runs(spec: QuerySpec, cut: Any) -> list[list[str]]:
    """The words of each run of two or more words typed apart (not quoted, no OR, not
    ``title:``), whose sequence in a title ranks a link higher, as a word cut in two
    does (``rtx 4090`` puts ``RTX4090…`` and ``RTX 4090…`` above ``RTX 3090与4090``,
    ``显存 优化`` ``显存优化`` above ``显存…优化``). A run with Taiwan's or Hong Kong's
    words, or words of two spellings (``with_other_wording``), is looked for in the other
    wording too (視訊記憶體 最佳化: 显存 优化), so it ranks the links the mainland's
    words would."""
    runs: list[list[tuple[str, str]]] = [[]]  # each word as typed, and reworded
    for group in spec.groups:
        (clause, *others) = group
        reworded = [other for other in others if isinstance(other, Words) and other.reworded]
        typed_or = len(reworded) < len(others)
        if typed_or or not isinstance(clause, Words) or clause.phrase or clause.field:
            runs.append([])
            continue
        runs[-1].append((clause.text, reworded[0].text if reworded else clause.text))
    found: list[list[str]] = []
    for run in runs:
        if len(run) > 1:
            for texts in dict.fromkeys([tuple(t for t, _ in run), tuple(m for _, m in run)]):
                words = analysis.in_parts([w for text in texts for w in cut(analysis.fold(text))])
                if 1 < len(words) <= _RUN_WORDS:
                    found.append(words)
    return found


#: Filters score (almost) nothing; zero would break whoosh's block-quality skipping.
_FILTER_BOOST = 1e-6


def to_whoosh(
    spec: QuerySpec, cut: Any, known: Any = None, *, headings: topics.Known
) -> query.Query:
    """The whoosh query of a parsed query, filters included.

    ``known(word)`` says whether the index has a word; ``headings`` holds the key of every
    heading the index has (a topic's key is found by them: ``topics.key``).

    Filters are intersected with the words (whoosh skips through their postings) rather
    than passed as a search filter, which builds the set of every link that passes it on
    each search. The meta document has no words, so it never matches
    a query with words; a query of filters alone starts from every link.
    """
    groups: list[query.Query] = []
    for group in spec.groups:
        clauses = [clause_query(c, cut, known, headings=headings) for c in group]
        groups.append(clauses[0] if len(clauses) == 1 else query.Or(clauses))
    parts: list[query.Query] = []
    together = written_together(spec)
    index = 0
    while index < len(groups):
        joined = together.get(index)
        if joined is None:
            parts.append(groups[index])
            index += 1
            continue
        first = spec.groups[index][0]
        name = "title" if isinstance(first, Words) and first.field == "title" else "text"
        apart = query.And(groups[index : index + 2])
        parts.append(query.Or([apart, query.Term(name, joined)]))
        index += 2
    parts += [filter_term(f, headings, _FILTER_BOOST) for f in spec.filters]
    if spec.since:
        parts.append(query.TermRange("date", spec.since, None, boost=_FILTER_BOOST))
    if not spec.groups:
        parts.append(query.Term("kind", "link", boost=_FILTER_BOOST))
    main: query.Query = parts[0] if len(parts) == 1 else query.And(parts)
    bonus = [_phrase("title", words, WEIGHTS["title_phrase"]) for words in _typed_runs(spec, cut)]
    if bonus:
        main = query.AndMaybe(main, bonus[0] if len(bonus) == 1 else query.Or(bonus))
    if spec.excluded:
        # (what a word finds written apart is excluded too: -springboot, Spring Boot)
        excluded = [clause_query(c, cut, headings=headings, apart=known) for c in spec.excluded]
        main = query.AndNot(main, query.Or(excluded))
    return main


def related_query(terms: Sequence[tuple[str, float]], topics: Sequence[str]) -> query.Query:
    """A more-like-this query from weighted key terms and topic keys.

    Term weights are scaled to at most 1; sharing the link's own topic path (boost 8)
    or one of its headings (4) then counts about as much as sharing its best words.
    """
    parts: list[query.Query] = []
    top = max((weight for _, weight in terms), default=1.0) or 1.0
    for term, weight in terms:
        parts.append(query.Term("text", term, boost=weight / top))
    longest = max((key.count("/") for key in topics), default=0)
    for key in topics:
        parts.append(query.Term("topic", key, boost=8.0 if key.count("/") == longest else 4.0))
    return query.Or(parts) if parts else query.NullQuery
