"""The Chinese/English analyzer: jieba segmentation, folding, CJK bigrams, dictionaries.

Pure logic over text; the only user of jieba (through rjieba, the jieba-rs bindings:
identical tokens to jieba 0.42.1 on the same dictionary, ~20x faster, no pkg_resources
import). Two segmenters share one dictionary:

* ``Segmenter`` (indexing): the full dictionary (jieba's ``dict.txt`` as built into
  rjieba, its entries folded, plus the user words) in *search mode*: every word of the
  plain cut, and the dictionary words of 2 and 3 characters inside longer words, each
  with the position of the word it belongs to, so phrase queries and highlights work.
  ``tokens`` reads rjieba's search mode (the reference); ``analyze`` and ``positions``
  (indexing) give the same tokens from the plain cut several times faster.
* ``QuerySegmenter`` (searching, ``analysis.query``): the plain cut of a short query,
  computed with a tiny dictionary holding only the words that occur inside the query,
  the same cut as with the full dictionary.

Text is folded before segmentation (``characters.fold``: traditional characters to
simplified, full-width letters and digits to ASCII, lower case; length preserving, so
offsets point into the original text). English and code terms stay whole (``pytorch``,
``c++``, ``word2vec``); nothing is stemmed. What the words of a cut become, compounds and
mixed tokens (``8比特``, ``gpt4``) included, is ``tokens``'.

Pure logic: nothing here reads a file or keeps what it read. The dictionaries' texts
(jieba's ``dict.txt``, the bundled ``userdict.txt``) are read and kept per process by the
index folder (``index.folder.segmenter``), which also writes and maps the query
dictionary; here is what they hold. Only the rjieba extension is loaded
(``analysis.extension``), as an import is.
"""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from itertools import accumulate, compress, islice, repeat

from linkindex.analysis import characters, query
from linkindex.analysis.characters import (
    CJK_CHARS,
    cjk_grams,
    cjk_runs,
    fold,
    has_cjk,
    spellings,
    telltales,
    traditional,
)
from linkindex.analysis.extension import rjieba as _rjieba
from linkindex.analysis.query import QuerySegmenter
from linkindex.analysis.regional import other_wording
from linkindex.analysis.tokens import (
    NOTHING,
    Expansion,
    Piece,
    Pieces,
    Token,
    catenation,
    compound_parts,
    in_parts,
    is_compound,
    is_word,
    joins,
    parts,
    query_words,
    search_tokens,
)
from linkindex.memo import Memo

__all__ = [
    "ANALYZER_VERSION",
    "QuerySegmenter",
    "Segmenter",
    "Token",
    "base_dictionary",
    "catenation",
    "changed_words",
    "cjk_grams",
    "cjk_runs",
    "compound_parts",
    "fingerprint",
    "fold",
    "folded_entries",
    "has_cjk",
    "heading_words",
    "in_parts",
    "is_compound",
    "is_word",
    "other_wording",
    "parts",
    "spellings",
    "telltales",
    "traditional",
    "user_words",
]

# -- dictionaries ----------------------------------------------------------------------
# What the dictionaries hold; reading them (jieba's dict.txt, the bundled words) and keeping
# them per process is the index folder's (``index.folder``).


def user_words(text: str) -> dict[str, int | None]:
    """The words of a user dictionary's text (``word [frequency]`` lines, ``#`` comments),
    folded: what ``linkindex/data/userdict.txt`` ships."""
    words: dict[str, int | None] = {}
    for line in text.splitlines():
        parts = line.split("#", 1)[0].split()
        if not parts:
            continue
        freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        words[fold(parts[0])] = freq
    return words


#: Headings that may become dictionary words: short, of ideographs, letters and digits
#: only (no spaces, no punctuation, not the symbols of code terms: see ``heading_words``).
_TERM_LIKE = f"^[0-9a-z{CJK_CHARS}]{{2,8}}$"


def heading_words(headings: Iterable[str]) -> list[str]:
    """The headings of the notes that should be single words (``NN中间语言``, ``显存``).

    Only short, term-like headings with an ideograph qualify: making a long heading
    such as ``op的C++实现`` one word would hide ``c++`` inside it. Nor does one with a
    code term's symbols (``Top-K采样``, ``Node.js入门``, ``C++实现``): as one word, text
    that writes it would be indexed by the whole only, not by ``top-k``, ``topk``, ``top``.
    """
    words = {fold(h.strip()) for h in headings}
    term_like = re.compile(_TERM_LIKE).match  # (compiled here: a search never needs it)
    return sorted(w for w in words if term_like(w) and has_cjk(w) and "的" not in w)


def base_dictionary(text: str) -> tuple[dict[str, int], int]:
    """jieba's dictionary (the text of its ``dict.txt``, the one built into rjieba) as
    {word: frequency} and its total."""
    freqs: dict[str, int] = {}
    total = 0
    for line in text.splitlines():
        word, freq, *_ = line.split(" ")
        freqs[word] = int(freq)
        total += int(freq)
    return freqs, total


def folded_entries(text: str) -> list[tuple[str, int]]:
    """The entries of jieba's ``dict.txt`` (its text) that fold to another word (``B超`` ->
    ``b超``, ``顯示`` -> ``显示``), folded, with their frequencies (the highest where two
    fold alike: ``閱`` and ``閲`` are ``阅``).

    The originals never meet folded text. Only the ~2,000 lines that change are read (a
    fresh indexing process would otherwise spend most of a second on all 350,000).
    """
    starts = sorted({text.rfind("\n", 0, at) + 1 for at in characters.changes(text)})
    found: dict[str, int] = {}
    for start in starts:
        end = text.find("\n", start)
        word, freq, *_ = text[start : end if end >= 0 else len(text)].split(" ")
        folded = fold(word)
        if folded != word and int(freq) > found.get(folded, 0):
            found[folded] = int(freq)
    return list(found.items())


#: Bump when segmentation changes in a way that needs every document re-indexed.
#: 5: the fast path indexes a word of an ideograph jieba does not know and a symbol
#: (``䶮.``), which version 4 dropped, shifting the positions after it. 6: a compound
#: written together with a version after the joint is its name too (``wi-fi6``: ``wifi``).
#: 7: a number jieba glued to ideographs that are no word (``128核上``) is also the
#: dictionary's words of those and the number with the first (``128核``, ``核``, ``上``);
#: the fold table folds OpenCC's traditional forms of simplified characters with them
#: (``暱`` is ``昵``, ``谘`` is ``咨``: ``scripts/fold_table.py``). 8: jieba's cut without
#: its HMM (``讲半``, ``锁来``, ``李明`` are single characters), code runs as with it
#: (``query.dictionary_cut``).
ANALYZER_VERSION = "8"


def fingerprint(bundled: Mapping[str, int | None], extra_words: Sequence[str]) -> str:
    """A short hash naming a dictionary: the analyzer, the bundled words, the extra words.

    The index records it; a different one means its documents must be re-segmented.
    """
    digest = hashlib.sha256(ANALYZER_VERSION.encode())
    for word, freq in bundled.items():
        digest.update(f"{word}\t{freq}\n".encode())
    digest.update(b"--\n")
    for word in extra_words:
        digest.update(f"{word}\n".encode())
    return digest.hexdigest()[:16]


def changed_words(old: dict[str, int], new: dict[str, int]) -> list[str]:
    """Words added, dropped or given another frequency between two added-word lists.

    Only text containing one of them can segment differently (up to the shift of
    the dictionary's total frequency, which moves every path's score alike by a
    millionth and is ignored).
    """
    return sorted(w for w in old.keys() | new.keys() if old.get(w) != new.get(w))


#: The lengths of the dictionary words search mode finds inside a longer word.
_INSIDE = (2, 3)
#: Words this long may hold dictionary words inside (search mode looks at 2 and 3).
_THREE_OR_MORE = (3).__le__
#: A word's length (up to 255) to 1 if it is three characters or more, else to 0.
_LONG = bytes(3) + b"\x01" * 253
#: Punctuation that is never in a word of two characters or more of the cut (jieba keeps
#: only ideographs, Latin letters, digits and the symbols ``+-._&#%`` together): ASCII
#: punctuation but those symbols, general punctuation (dashes, quotes, ``…``) and CJK
#: punctuation (``、。《》「」【】``). (Full-width punctuation is ASCII once folded.)
_NEVER_IN_WORDS = r"""!"$'()*,/:;<=>?@\[\\\]^`{|}~\u2010-\u2027\u2030-\u205e""" + (
    r"\u3001-\u3003\u3008-\u3011\u3014-\u301f"
)
#: A character where a word of two characters can be more than itself: a Latin letter or
#: digit next to a character of another kind that is not a space (``b超``, ``c#``, ``5%``,
#: ``a1``), or ending a number or code written straight before ideographs (``8``
#: ``比特``); one of the symbols jieba keeps inside words next to an ideograph (``䶮.``,
#: ``+𠮷``: ideographs jieba does not know). Every such character, not only the first of
#: a run. The pattern begins with one class, the Latin letters, digits and symbols, and
#: tells them apart by looking behind: the scan then skips in C to those characters
#: (with two branches that each begin with a class it tries every character: 16 ms
#: rather than 7 on the benchmark's 300 pages). A neighbour that is never in a word
#: (``_NEVER_IN_WORDS``: ``word,``) is no edge: it is in neither the word of two
#: characters nor the word after (English text has half the edges, each looked at in
#: Python). A letter after a space, a letter, a digit or such punctuation and before a
#: space, a letter or such punctuation is never an edge: the pattern says so first (the
#: scan tries every letter, and says no at once to most of them: the scan of English
#: text and code a third faster than saying so only of a letter between two letters).
_LATIN_EDGE = re.compile(
    rf"[0-9a-z+\-._&#%](?!(?<=[\s0-9a-z{_NEVER_IN_WORDS}][a-z])[\sa-z{_NEVER_IN_WORDS}])"
    rf"(?:(?<=[a-z])(?=[^\sa-z{_NEVER_IN_WORDS}])|(?<=[0-9])(?=[^\s0-9{_NEVER_IN_WORDS}])"
    rf"|(?<=[^\s0-9a-z{_NEVER_IN_WORDS}][0-9a-z])"
    rf"|(?<=[^\s0-9a-z+\-._&#%{_NEVER_IN_WORDS}][+\-._&#%])"
    rf"|(?<=[+\-._&#%])(?=[^\s0-9a-z+\-._&#%{_NEVER_IN_WORDS}]))"
)

#: A number or code (Latin letters and digits, a digit among them) and two ideographs or
#: more after it, in one word of the cut (a heading that became a word; with jieba's HMM,
#: which the cut no longer uses, also its guesses: ``128核上``).
_GLUED = re.compile(f"([0-9a-z]*[0-9][0-9a-z]*)([{CJK_CHARS}]{{2,}})")

#: Distinct words whose expansion a segmenter keeps (words of three characters or more,
#: symbols and mixed tokens; ~60 MB at most), and joined pairs (``8`` ``比特``; ~20 MB).
_EXPANSIONS_KEPT = 400_000
_JOINED_KEPT = 40_000


class Segmenter:
    """Search-mode segmentation with the full dictionary (a process keeps one:
    ``indexing.segmenter``).

    ``tokens`` is the reference: rjieba's search mode, read word by word. ``analyze``
    and ``positions`` give the same tokens several times faster, from rjieba's plain
    cut and each distinct word's tokens worked out once (``_expansion``).
    """

    def __init__(
        self,
        extra_words: Sequence[str],
        *,
        bundled: Mapping[str, int | None],
        folded: Iterable[tuple[str, int]],
    ) -> None:
        """A segmenter with jieba's dictionary, its ``folded`` entries (``folded_entries``),
        the ``bundled`` words (``user_words``) and ``extra_words``; ``index.folder``
        reads the first two (``index.folder.segmenter``)."""
        self._jieba = _rjieba().Jieba()
        added: list[tuple[str, int]] = []
        seen: set[str] = set()
        for word, freq in folded:
            # A folded word weighs what its most frequent spelling does: 显著 (2,721) folds
            # to 显着, an old spelling jieba also lists (3), which would cut it 显 着. The
            # stored frequency is not exposed; suggest_freq is at least it, and below it
            # the folded spelling would change little.
            if not self._jieba.has_word(word) or freq > self._jieba.suggest_freq(word):
                self._jieba.add_word(word, freq, None)
                added.append((word, freq))
                seen.add(word)
        for word in [*bundled, *extra_words]:
            if word in seen:
                continue
            seen.add(word)
            freq = bundled.get(word) or self._jieba.suggest_freq(word)
            self._jieba.add_word(word, freq, None)
            added.append((word, int(freq)))
        self.added = added
        self.fingerprint = fingerprint(bundled, extra_words)
        self.extra = tuple(extra_words)
        self._expansions: Memo[str, Expansion] = Memo(self._learn)
        self._code_words: Memo[str, list[str]] = Memo(self._jieba.cut)
        self._joined: dict[tuple[str, str], Pieces] = {}

    @property
    def words(self) -> dict[str, int]:
        """The words added to jieba's dictionary, with their frequencies."""
        return dict(self.added)

    def cut(self, text: str) -> list[str]:
        """The plain jieba cut of folded text as a query is cut: meaningful words only,
        mixed tokens joined, code compounds whole (``query_words``)."""
        return query_words(self._plain_cut(fold(text)))

    def _plain_cut(self, folded: str) -> list[str]:
        """jieba's plain cut of folded text without its HMM, English and code terms as
        the HMM keeps them (``query.dictionary_cut``)."""
        return self._plain_words(folded)[0]

    def _plain_words(self, folded: str) -> tuple[list[str], list[int], list[int] | None]:
        """``_plain_cut``, each word's length and where each word begins, if worked out
        (``query.dictionary_words``)."""
        if len(self._code_words) >= _JOINED_KEPT:
            self._code_words.clear()
        return query.dictionary_words(self._jieba, folded, self._code_words.__getitem__)

    def _search_words(self, folded: str) -> list[_SearchWord]:
        """rjieba's search mode over folded text, as the words of its plain cut and the
        dictionary words inside each, without its HMM but for code runs (as
        ``query.dictionary_cut``)."""
        raw = self._jieba.tokenize(folded, mode="search", hmm=False)
        words = _search_words(raw, len(folded))
        run = query.CODE_RUN.search(folded)
        if run is None:
            return words
        starts = [start for _, start, _, _ in words] + [len(folded)]
        for begin, end, first, after in query.code_spans(folded, starts, run.start()):
            raw = self._jieba.tokenize(folded[begin:end], mode="search")
            shifted = [(w, begin + s, begin + e) for w, s, e in raw]
            words[first:after] = _search_words(shifted, end)
        return words

    # -- the reference: search mode, word by word -------------------------------------

    def tokens(self, text: str) -> list[Token]:
        """Search-mode tokens with word positions and character offsets into ``text``.

        Words inside a longer word share its position, so both ``深度学习 框架`` and
        ``学习 框架`` are phrases of ``深度学习框架``. A code compound (``torch.cuda``)
        is indexed whole and by its parts, at consecutive positions; a mixed token
        (``gpt4``, ``b超``, and ``8比特`` where jieba cuts ``8`` ``比特``) whole and by its
        parts (``parts``), at one position.
        """
        words = self._search_words(fold(text))
        tokens: list[Token] = []
        position = index = 0
        while index < len(words):
            word, start, _, inner = words[index]
            if index + 1 < len(words) and joins(word, words[index + 1][0]):
                after = words[index + 1]
                tokens += search_tokens(word, start, inner, position)[0]
                tokens += search_tokens(after[0], after[1], after[3], position)[0]
                tokens.append((word + after[0], position, start, after[2]))
                glued = self._glued(word + after[0])
                tokens += [(w, position, start + s, start + e) for w, s, e in glued]
                position += 1
                index += 2
                continue
            glued = [(w, start + s, start + e) for w, s, e in self._glued(word)]
            found, step = search_tokens(word, start, inner + glued, position)
            tokens += found
            position += step
            index += 1
        return tokens

    # -- the fast path: the plain cut, each distinct word worked out once --------------

    def analyze(self, text: str, start: int = 0) -> list[Token]:
        """The tokens of ``tokens(text)`` (in another order), positions from ``start``.

        Every word of the cut that is indexed is a token as itself; the words indexed
        by more than that (``Pieces``) add their other tokens after. The first become
        tokens in a few passes in C over the cut (steps, running sums) rather than in
        one Python step per word.
        """
        words, lens, steps, odd, starts = self._cut(fold(text))
        positions = list(accumulate(steps, initial=start))
        if starts is None:
            starts = list(accumulate(lens, initial=0))
        # (the running sums are one longer than the cut: zip stops at its end)
        numbered = zip(words, positions, starts, islice(starts, 1, None), strict=False)
        tokens = list(compress(numbered, steps))
        append = tokens.append
        for index, (pieces, _) in odd.items():
            at, offset = positions[index], starts[index]
            for piece, shift, begin, end in pieces:
                append((piece, at + shift, offset + begin, offset + end))
        return tokens

    def positions(self, text: str, start: int = 0) -> dict[str, list[int]]:
        """Every word of ``tokens(text)`` with its positions (plus ``start``), ascending.

        Indexing uses this: the words of ``analyze`` without their offsets.
        """
        words, _, steps, odd, _ = self._cut(fold(text))
        positions = list(accumulate(steps, initial=start))
        found: dict[str, list[int]] = {}
        get = found.get
        for word, position in compress(zip(words, positions, strict=False), steps):
            at = get(word)
            if at is None:
                found[word] = [position]
            else:
                at.append(position)
        if not odd:
            return found
        touched: list[list[int]] = []
        for index, (pieces, _) in odd.items():
            base = positions[index]
            for piece, shift, _, _ in pieces:
                at = get(piece)
                if at is None:
                    found[piece] = [base + shift]
                else:
                    at.append(base + shift)
                    touched.append(at)
        for at in touched:  # a piece's positions may come after a later plain word's
            at.sort()
        return found

    def _cut(
        self, folded: str
    ) -> tuple[list[str], list[int], list[int], dict[int, Pieces], list[int] | None]:
        """The plain cut of folded text; each word's length and step (0 for words that
        are not indexed: a word is a token as itself wherever its step is not 0); the
        words indexed by more than themselves, by their index in the cut (``Pieces``);
        and where each word starts, if it was worked out (else None).

        Only words of three characters or more and words holding a Latin edge (``b超``,
        ``a1``, ``c#``, ``8`` before ``比特``) can be indexed otherwise: the rest are
        classified by ``str.isalnum`` in C.
        """
        words, lens, starts = self._plain_words(folded)
        steps: list[int] = list(map(str.isalnum, words))
        longs = _long_words(lens)
        found = list(map(self._expansions.__getitem__, map(words.__getitem__, longs)))
        # the long words indexed by more than themselves: their expansions are tuples
        pieces = compress(zip(longs, found, strict=True), map(isinstance, found, _TUPLES))
        odd: dict[int, Pieces] = dict(pieces)  # type: ignore[arg-type]
        edge = _LATIN_EDGE.search(folded)
        if edge is not None:
            if starts is None:
                starts = list(accumulate(lens, initial=0))
            self._latin_edges(folded, edge.start(), words, lens, starts, odd)
        for index, (_, step) in odd.items():
            steps[index] = step
        return words, lens, steps, odd, starts

    def _latin_edges(
        self,
        folded: str,
        first: int,
        words: list[str],
        lens: list[int],
        starts: list[int],
        odd: dict[int, Pieces],
    ) -> None:
        """Classify the words of two characters that hold a Latin edge (``b超``, ``a1``,
        ``c#``) and join a Latin word with a digit to the ideographs after it (``8``
        ``比特``), for the edges from character ``first`` on (``_LATIN_EDGE``)."""
        expansions = self._expansions
        last = len(words) - 1
        for at in map(_match_start, _LATIN_EDGE.finditer(folded, first)):
            index = bisect_right(starts, at) - 1
            if lens[index] == 2 and index not in odd:
                expansion = expansions[words[index]]
                if expansion is not True and expansion is not False:
                    odd[index] = expansion
            if starts[index + 1] == at + 1 and index < last and joins(*words[index : index + 2]):
                pair = (words[index], words[index + 1])
                joined = self._joined.get(pair)
                if joined is None:
                    if len(self._joined) >= _JOINED_KEPT:
                        self._joined.clear()
                    joined = self._joined[pair] = self._join(*pair)
                odd[index] = joined
                odd[index + 1] = NOTHING

    def _learn(self, word: str) -> Expansion:
        """``_expansion``, for the words ``_expansions`` does not hold yet."""
        if len(self._expansions) >= _EXPANSIONS_KEPT:
            self._expansions.clear()
            self._joined.clear()
        return self._expansion(word)

    def _join(self, first: str, second: str) -> Pieces:
        """The pieces of two words of the cut that form one mixed token (``joins``):
        besides the first as itself, its pieces, the second and its pieces, and the two
        written together."""
        pieces = list(self._pieces(first))
        pieces.append((second, 0, len(first), len(first) + len(second)))
        pieces += [(w, 0, len(first) + s, len(first) + e) for w, _, s, e in self._pieces(second)]
        pieces.append((first + second, 0, 0, len(first) + len(second)))
        pieces += [(w, 0, s, e) for w, s, e in self._glued(first + second)]
        return tuple(pieces), 1

    def _pieces(self, word: str) -> tuple[Piece, ...]:
        """A word's tokens besides itself (``Pieces``; none for a plain word)."""
        expansion = self._expansions[word]
        return () if isinstance(expansion, bool) else expansion[0]

    def _expansion(self, word: str) -> Expansion:
        """What one word of the plain cut becomes (see ``Expansion``): the tokens
        ``search_tokens`` gives it, the words inside it found in the dictionary as
        search mode finds them (those of 2 characters, and in words over 3 characters
        those of 3)."""
        if not (word.isalnum() or is_word(word)):
            return False
        inside: list[tuple[str, int, int]] = []
        if word.isalnum() or not is_compound(word):
            for size in _INSIDE:
                if len(word) > size:
                    for begin in range(len(word) - size + 1):
                        gram = word[begin : begin + size]
                        if self._jieba.has_word(gram):
                            inside.append((gram, begin, begin + size))
            inside += self._glued(word)
        tokens, step = search_tokens(word, 0, inside, 0)
        itself = (word, 0, 0, len(word))
        others = tuple(token for token in tokens if token != itself)
        if step == 1 and not others and word.isalnum():
            return True
        return others, step

    def _glued(self, word: str) -> list[tuple[str, int, int]]:
        """The words of a number joined in one word of the cut to ideographs after it
        which are no word (a heading ``3天内``; with jieba's HMM, ``128核上`` of
        ``在128核上部署``), besides the dictionary words of 2 and 3 characters search
        mode finds inside it: the
        ideographs as the dictionary alone cuts them, and the number with the first of
        them (``128核``, ``核``, ``上``), as if jieba had cut ``128`` ``核`` ``上``; with
        their offsets in the word. None for other words (``8比特``: ``比特`` is a word)."""
        glued = _GLUED.fullmatch(word)
        if glued is None:
            return []
        # the ideographs as the dictionary alone cuts them (天内 is a rare word of it)
        pieces = self._jieba.cut(glued.group(2), False)
        if len(pieces) == 1:
            return []
        number, at = glued.group(1), glued.end(1)
        found: list[tuple[str, int, int]] = []
        for piece in pieces:
            end = at + len(piece)
            if not found:
                found.append((number + piece, 0, end))
            if not (len(piece) in _INSIDE and self._jieba.has_word(piece)):  # (found inside)
                found.append((piece, at, end))
            at = end
        return found

    def dictionary_lines(self, base: Mapping[str, int], total: int) -> list[str]:
        """The whole dictionary as ``QuerySegmenter`` reads it, given jieba's
        (``base_dictionary``): a total line, then ``word<TAB>frequency`` lines sorted by
        word (``index.folder`` writes them)."""
        merged = dict(base)
        for word, freq in self.added:
            total += freq - merged.get(word, 0)
            merged[word] = freq
        return query.dictionary_lines(merged, total)


#: A word of rjieba's search mode: a word of the plain cut, its offsets, and the dictionary
#: words inside it with theirs.
_SearchWord = tuple[str, int, int, list[tuple[str, int, int]]]


def _search_words(raw: Sequence[tuple[str, int, int]], length: int) -> list[_SearchWord]:
    """rjieba's search mode tokens (``raw``) of a text of ``length`` characters as the
    words of its plain cut, each with the dictionary words inside it."""
    # Search mode gives, for each word of the plain cut, the dictionary words inside
    # it and then the word itself. Walking backwards, a word of the cut is one that
    # ends where (or before) the next word of the cut begins; the rest lie inside it.
    base = [False] * len(raw)
    begins = length + 1
    for index in range(len(raw) - 1, -1, -1):
        if raw[index][2] <= begins:
            base[index] = True
            begins = raw[index][1]
    words: list[_SearchWord] = []
    inside: list[tuple[str, int, int]] = []
    for index, (word, start, end) in enumerate(raw):
        if base[index]:
            words.append((word, start, end, inside))
            inside = []
        else:
            inside.append((word, start, end))
    return words


#: Helpers of passes in C: a match's start (``map`` over ``finditer``), and ``tuple`` as
#: many times as asked (``map(isinstance, found, _TUPLES)``: which expansions are Pieces).
_match_start = re.Match.start
_TUPLES = repeat(tuple)


def _long_words(lens: list[int]) -> list[int]:
    """The indexes of the words of three characters or more, given the words' lengths."""
    try:
        flags = bytes(lens).translate(_LONG)
    except ValueError:  # a word of 256 characters or more
        return list(compress(range(len(lens)), map(_THREE_OR_MORE, lens)))
    found: list[int] = []
    at = flags.find(1)
    while at >= 0:
        found.append(at)
        at = flags.find(1, at + 1)
    return found
