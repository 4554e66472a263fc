"""The Chinese/English analyzer: jieba segmentation, case folding, CJK bigrams, dictionaries.

Pure logic over text; the only user of jieba (through rjieba, the jieba-rs bindings:
identical tokens to jieba 0.42.1 on the same dictionary, ~20x faster, no pkg_resources
import). Two segmenters share one dictionary:

* ``Segmenter`` (indexing): the full dictionary (jieba's ``dict.txt`` as built into
  rjieba) plus the user words, in *search mode*: every word of the plain cut, and the
  dictionary words of 2 and 3 characters inside longer words, each with the position of
  the word it belongs to, so phrase queries and highlights work.
* ``QuerySegmenter`` (searching): the plain cut of a short query, computed with a tiny
  dictionary holding only the words that occur inside the query, looked up in the sorted
  dictionary ``dictionary_lines`` gives (``index.folder`` keeps it as a file next to the
  index and maps it into memory). jieba's choice between segmentations only
  depends on the frequencies of the words inside the text and on the dictionary's total,
  so the cut is the same as with the full dictionary, without the ~0.15-0.9 s it takes to
  load 350,000 words into a short ``linkindex search`` process.

Text is folded before segmentation (lower case, full-width ASCII to ASCII, length
preserving so that offsets point into the original text). English and code terms stay
whole (``pytorch``, ``c++``, ``word2vec``); nothing is stemmed.
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import mmap
import re
from collections.abc import Iterable, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from linkindex.errors import InstallError

#: A word that never occurs in folded text; its frequency carries the dictionary total.
_TOTAL_CARRIER = "\ue000"

#: Full-width ASCII (！ to ～) folds to ASCII; the ideographic space to a space.
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}

_WIDE = re.compile("[\uff01-\uff5e\u3000]")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")

#: Headings that may become dictionary words: short, with a CJK character, no spaces or
#: punctuation other than the characters of code terms (C++, C#, .NET, -).
_TERM_LIKE = re.compile(r"^[0-9a-z\u3400-\u4dbf\u4e00-\u9fff+#.\-]{2,8}$")

Token = tuple[str, int, int, int]  # folded word, position, start char, end char


def fold(text: str) -> str:
    """Lower-case and fold full-width ASCII, keeping the length (offsets stay valid)."""
    folded = (text.translate(_FULL_WIDTH) if _WIDE.search(text) else text).lower()
    if len(folded) == len(text):
        return folded
    # A few characters (U+0130 İ) grow when lower-cased: keep those as they are.
    return "".join(low if len(low := ch.translate(_FULL_WIDTH).lower()) == 1 else ch for ch in text)


def is_word(token: str) -> bool:
    """Whether a token carries meaning (has a letter, digit or ideograph)."""
    return any(ch.isalnum() for ch in token)


_COMPOUND_PART = re.compile(r"[0-9a-z+#]+")


def _is_compound(word: str) -> bool:
    """An English/code run that jieba-rs keeps whole: ``torch.cuda``, ``x_1``, ``2016-2017``."""
    return (
        word.isascii() and any(c in "._-" for c in word) and len(_COMPOUND_PART.findall(word)) > 1
    )


def _query_words(words: Iterable[str]) -> list[str]:
    """Meaningful words of a cut, compounds replaced by their parts (all required)."""
    found: list[str] = []
    for word in words:
        if _is_compound(word):
            found.extend(_COMPOUND_PART.findall(word))
        elif is_word(word):
            found.append(word)
    return found


def cjk_grams(text: str, *, unigrams: bool = False) -> list[str]:
    """Overlapping character bigrams of the CJK runs of ``text`` (and single characters).

    A run of one character yields that character; with ``unigrams`` every character
    of a run is yielded as well.
    """
    grams: list[str] = []
    for match in _CJK.finditer(text):
        run = match.group()
        if len(run) == 1 or unigrams:
            grams.extend(run)
        grams.extend(run[i : i + 2] for i in range(len(run) - 1))
    return grams


def cjk_runs(text: str) -> list[str]:
    """The runs of CJK ideographs in ``text``."""
    return _CJK.findall(text)


def has_cjk(text: str) -> bool:
    """Whether the text contains a CJK ideograph."""
    return _CJK.search(text) is not None


# -- dictionaries ----------------------------------------------------------------------


def bundled_user_words() -> dict[str, int | None]:
    """The field's terms shipped in ``linkindex/data/userdict.txt`` (word [frequency])."""
    text = resources.files("linkindex").joinpath("data/userdict.txt").read_text("utf-8")
    words: dict[str, int | None] = {}
    for line in text.splitlines():
        parts = line.split("#", 1)[0].split()
        if not parts:
            continue
        freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        words[fold(parts[0])] = freq
    return words


def heading_words(headings: Iterable[str]) -> list[str]:
    """The headings of the notes that should be single words (``NN中间语言``, ``显存``).

    Only short, term-like headings with an ideograph qualify: making a long heading
    such as ``op的C++实现`` one word would hide ``c++`` inside it.
    """
    words = {fold(h.strip()) for h in headings}
    return sorted(w for w in words if _TERM_LIKE.match(w) and has_cjk(w) and "的" not in w)


def _jieba_dict_path() -> Path:
    # Read jieba's dictionary as data: importing the jieba package costs ~0.3 s
    # (it pulls in pkg_resources) and its segmenter is not used.
    spec = importlib.util.find_spec("jieba")
    if spec is None or not spec.submodule_search_locations:
        raise InstallError("the jieba package is not installed; reinstall linkindex")
    return Path(next(iter(spec.submodule_search_locations))) / "dict.txt"


@cache
def _base_dictionary() -> tuple[dict[str, int], int]:
    """jieba's dictionary as {word: frequency} and its total (the one built into rjieba)."""
    freqs: dict[str, int] = {}
    total = 0
    with _jieba_dict_path().open(encoding="utf-8") as lines:
        for line in lines:
            word, freq, *_ = line.split(" ")
            freqs[word] = int(freq)
            total += int(freq)
    return freqs, total


@cache
def _folded_capitals() -> list[tuple[str, int]]:
    """jieba's entries with capitals (``B超``) folded: the originals never meet folded text.

    Only the ~60 lines that change when lower-cased are parsed (a fresh indexing
    process would otherwise spend most of a second parsing all 350,000).
    """
    text = _jieba_dict_path().read_text(encoding="utf-8")
    lowered = text.lower()
    if len(lowered) != len(text):  # pragma: no cover - jieba's dictionary has no such letter
        return _folded_capitals_slowly()
    found: dict[str, int] = {}
    for original, low in zip(text.splitlines(), lowered.splitlines(), strict=True):
        if original != low:
            word, freq, *_ = original.split(" ")
            found.setdefault(fold(word), int(freq))
    known = _rjieba().Jieba()
    return [(w, f) for w, f in found.items() if not known.has_word(w)]


def _folded_capitals_slowly() -> list[tuple[str, int]]:
    base, _ = _base_dictionary()
    folded = [(fold(w), f) for w, f in base.items() if not w.islower() and fold(w) != w]
    return [(w, f) for w, f in folded if w not in base]


def _load_rjieba() -> Any:
    """The rjieba extension module, without running ``rjieba/__init__.py``.

    The package's ``__init__`` builds a default segmenter with the whole dictionary at
    import (~0.15 s); a search process only needs an empty one.
    """
    spec = importlib.util.find_spec("rjieba")
    if spec is None or not spec.submodule_search_locations:
        raise InstallError("the rjieba package is not installed; reinstall linkindex")
    folder = Path(next(iter(spec.submodule_search_locations)))
    library = next(
        p for p in folder.iterdir() if p.name.startswith("rjieba.") and p.suffix in (".so", ".pyd")
    )
    loader = importlib.machinery.ExtensionFileLoader("rjieba.rjieba", str(library))
    module_spec = importlib.util.spec_from_file_location(
        "rjieba.rjieba", str(library), loader=loader
    )
    assert module_spec is not None
    module = importlib.util.module_from_spec(module_spec)
    loader.exec_module(module)
    return module


_rjieba = cache(_load_rjieba)


#: Bump when segmentation changes in a way that needs every document re-indexed.
ANALYZER_VERSION = "1"


def fingerprint(extra_words: Sequence[str]) -> str:
    """A short hash naming a dictionary: the analyzer, the bundled words, the extra words.

    The index records it; a different one means its documents must be re-segmented.
    """
    digest = hashlib.sha256(ANALYZER_VERSION.encode())
    for word, freq in bundled_user_words().items():
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


def telltale(word: str) -> str:
    """A piece of ``word`` that any text containing the folded word contains as is.

    Folding keeps CJK characters, so the longest run of them serves; a word without
    any is returned lower-cased (to be matched case-insensitively).
    """
    runs = cjk_runs(word)
    return max(runs, key=len) if runs else word.lower()


#: Distinct words whose search-mode expansion a segmenter keeps (~60 MB at most).
_EXPANSIONS_KEPT = 400_000
#: A word of the plain cut as indexed: (token, position offset) pairs and the step to
#: the next word, or (the common case) the word alone, one step.
_Expansion = tuple[tuple[tuple[str, int], ...], int] | str


class Segmenter:
    """Search-mode segmentation with the full dictionary; build with ``segmenter()``."""

    def __init__(self, extra_words: Sequence[str]) -> None:
        self._jieba = _rjieba().Jieba()
        added: list[tuple[str, int]] = []
        for word, freq in _folded_capitals():
            self._jieba.add_word(word, freq, None)
            added.append((word, freq))
        bundled = bundled_user_words()
        seen = {w for w, _ in added}
        for word in [*bundled, *extra_words]:
            if word in seen:
                continue
            seen.add(word)
            freq = bundled.get(word) or self._jieba.suggest_freq(word)
            self._jieba.add_word(word, freq, None)
            added.append((word, int(freq)))
        self.added = added
        self.fingerprint = fingerprint(extra_words)
        self.extra = tuple(extra_words)
        self._expansions: dict[str, _Expansion] = {}

    @property
    def words(self) -> dict[str, int]:
        """The words added to jieba's dictionary, with their frequencies."""
        return dict(self.added)

    def cut(self, text: str) -> list[str]:
        """The plain jieba cut of folded text, meaningful words only, compounds in parts."""
        return _query_words(self._jieba.cut(fold(text)))

    def tokens(self, text: str) -> list[Token]:
        """Search-mode tokens with word positions and character offsets into ``text``.

        Words inside a longer word share its position, so both ``深度学习 框架`` and
        ``学习 框架`` are phrases of ``深度学习框架``. A code compound (``torch.cuda``)
        is indexed whole and by its parts, at consecutive positions.
        """
        folded = fold(text)
        raw = self._jieba.tokenize(folded, mode="search")
        # Search mode gives, for each word of the plain cut, the dictionary words inside
        # it and then the word itself. Walking backwards, a word of the cut is one that
        # ends where (or before) the next word of the cut begins; the rest lie inside it.
        base = [False] * len(raw)
        begins = len(folded) + 1
        for index in range(len(raw) - 1, -1, -1):
            if raw[index][2] <= begins:
                base[index] = True
                begins = raw[index][1]
        tokens: list[Token] = []
        inner: list[tuple[str, int, int]] = []  # words inside the next word of the cut
        position = 0
        for index, (word, start, end) in enumerate(raw):
            if not (word.isalnum() or is_word(word)):
                continue
            if not base[index]:
                inner.append((word, start, end))
                continue
            if word.isascii() and not word.isalnum() and _is_compound(word):
                tokens.append((word, position, start, end))
                for piece in _COMPOUND_PART.finditer(word):
                    tokens.append(
                        (piece.group(), position, start + piece.start(), start + piece.end())
                    )
                    position += 1
            else:
                tokens.extend((w, position, s, e) for w, s, e in inner)
                tokens.append((word, position, start, end))
                position += 1
            inner.clear()
        return tokens

    def positions(self, text: str, start: int = 0) -> dict[str, list[int]]:
        """Every word of ``tokens(text)`` with its positions (plus ``start``), ascending.

        The same words at the same positions as ``tokens``, at a fraction of the cost:
        jieba's plain cut, and for each word of it the search-mode words it stands for,
        worked out once per distinct word (``_expansion``). Indexing uses this.
        """
        found: dict[str, list[int]] = {}
        position = start
        expansions = self._expansions
        for word in self._jieba.cut(fold(text)):
            expansion = expansions.get(word)
            if expansion is None:
                if len(expansions) >= _EXPANSIONS_KEPT:
                    expansions.clear()
                expansion = expansions[word] = self._expansion(word)
            if isinstance(expansion, str):  # the common case: the word itself, one step
                at = found.get(expansion)
                if at is None:
                    found[expansion] = [position]
                else:
                    at.append(position)
                position += 1
                continue
            pieces, step = expansion
            for piece, shift in pieces:
                at = found.get(piece)
                if at is None:
                    found[piece] = [position + shift]
                else:
                    at.append(position + shift)
            position += step
        return found

    def _expansion(self, word: str) -> _Expansion:
        """What one word of the plain cut becomes: (token, position offset) pairs, step.

        Search mode adds the dictionary words of 2 (and, in words over 3 characters, 3)
        characters inside a longer word, at its position; a code compound becomes itself
        and its parts at consecutive positions; punctuation becomes nothing.
        """
        if not (word.isalnum() or is_word(word)):
            return (), 0
        if word.isascii() and not word.isalnum() and _is_compound(word):
            parts = [piece.group() for piece in _COMPOUND_PART.finditer(word)]
            return ((word, 0), *((part, shift) for shift, part in enumerate(parts))), len(parts)
        inner: list[tuple[str, int]] = []
        for size in (2, 3):
            if len(word) > size:
                for begin in range(len(word) - size + 1):
                    gram = word[begin : begin + size]
                    if self._jieba.has_word(gram) and is_word(gram):
                        inner.append((gram, 0))
        return ((*inner, (word, 0)), 1) if inner else word

    def dictionary_lines(self) -> list[str]:
        """The whole dictionary as ``QuerySegmenter`` reads it: a total line, then
        ``word<TAB>frequency`` lines sorted by word (``index.folder`` writes them)."""
        base, total = _base_dictionary()
        merged = dict(base)
        for word, freq in self.added:
            total += freq - merged.get(word, 0)
            merged[word] = freq
        lines = [f"{word}\t{freq}\n" for word, freq in sorted(merged.items())]
        return [f"{_TOTAL_CARRIER}total\t{total}\n", *lines]


class QuerySegmenter:
    """The plain cut of short queries, from a dictionary written by ``Segmenter``.

    ``data`` holds ``Segmenter.dictionary_lines()`` as UTF-8 bytes: bytes, or a memory
    map of the file (``index.folder.query_segmenter``), searched in place.
    """

    def __init__(self, data: bytes | mmap.mmap) -> None:
        self._map = data
        header_end = data.find(b"\n")
        header = bytes(data[:header_end]).decode("utf-8")
        self._total = int(header.split("\t")[1])
        self._start = header_end + 1

    def _line_at(self, offset: int) -> tuple[bytes, int, int]:
        """The entry of the line containing ``offset``: (word, frequency, next offset)."""
        data = self._map
        begin = data.rfind(b"\n", self._start - 1, offset) + 1
        end = data.find(b"\n", begin)
        word, _, freq = data[begin:end].partition(b"\t")
        return word, int(freq), end + 1

    def _ceiling(self, key: bytes) -> tuple[bytes, int] | None:
        """The first entry whose word is >= key (UTF-8 byte order is code point order)."""
        low, high = self._start, len(self._map)
        while low < high:
            middle = (low + high) // 2
            word, _, after = self._line_at(middle)
            if word < key:
                low = after
            else:
                high = self._map.rfind(b"\n", self._start - 1, middle) + 1
        if low >= len(self._map):
            return None
        word, freq, _ = self._line_at(low)
        return word, freq

    def words_in(self, text: str) -> dict[str, int]:
        """Every dictionary word that occurs in ``text``, with its frequency."""
        found: dict[str, int] = {}
        for begin in range(len(text)):
            for end in range(begin + 1, len(text) + 1):
                piece = text[begin:end]
                entry = self._ceiling(piece.encode("utf-8"))
                if entry is None or not entry[0].startswith(piece.encode("utf-8")):
                    break  # no word starts with this piece: longer pieces neither
                if entry[0] == piece.encode("utf-8"):
                    found[piece] = entry[1]
        return found

    def cut(self, text: str) -> list[str]:
        """The same cut as ``Segmenter.cut`` gives, meaningful words only."""
        folded = fold(text).replace(_TOTAL_CARRIER, " ")
        words = self.words_in(folded)
        jieba = _rjieba().Jieba.empty()
        for word, freq in words.items():
            jieba.add_word(word, freq, None)
        rest = self._total - sum(words.values())
        if rest > 0:
            jieba.add_word(_TOTAL_CARRIER, rest, None)
        return _query_words(jieba.cut(folded))
