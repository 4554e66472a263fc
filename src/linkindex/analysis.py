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
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from functools import cache
from importlib import resources
from itertools import accumulate, compress, product
from pathlib import Path
from typing import Any

from linkindex.errors import InstallError

#: A word that never occurs in folded text; its frequency carries the dictionary total.
_TOTAL_CARRIER = "\ue000"

#: CJK ideographs: the unified blocks, extension A, the compatibility block and the
#: supplementary planes (extensions B-H, where some of OpenCC's simplified forms live).
_CJK_CHARS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_CJK = re.compile(f"[{_CJK_CHARS}]+")

#: Headings that may become dictionary words: short, with a CJK character, no spaces or
#: punctuation other than the characters of code terms (C++, C#, .NET, -).
_TERM_LIKE = re.compile(f"^[0-9a-z{_CJK_CHARS}+#.\\-]{{2,8}}$")

#: Full-width letters and digits, and the symbols jieba keeps inside English and code
#: words (＋ ＃ ＆ ． ＿ ％ －), fold to ASCII. Other full-width punctuation (，！？：) is
#: cut alone either way, and leaving it keeps most Chinese text from needing a
#: translation at all.
_FULL_WIDTH = {
    code: code - 0xFEE0
    for code in [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B)]
    + [ord(symbol) for symbol in "＋＃＆．＿％－"]
}

#: Texts this long or longer are scanned for the characters that fold (few in most
#: text) instead of being translated whole: ``str.translate`` looks up every
#: character in a dict (~0.15 us each), the scan is a regular expression in C.
_SCAN_FROM = 200
#: Text with more runs of characters to fold than this is translated whole (one call
#: per run costs more than a lookup per character beyond it).
_RUNS_TRANSLATED = 16

_BEYOND_BASIC_PLANE = re.compile("[\U00010000-\U0010ffff]")

Token = tuple[str, int, int, int]  # folded word, position, start char, end char


@cache
def _fold_table() -> dict[int, int]:
    """Code point to code point: full-width ASCII and traditional characters.

    The traditional-to-simplified pairs are OpenCC's character table as derived by
    ``scripts/fold_table.py`` into ``data/ts_fold.txt`` (its first candidate per
    character; Apache-2.0, see ``data/OpenCC-LICENSE.txt``).
    """
    table = dict(_FULL_WIDTH)
    text = resources.files("linkindex").joinpath("data/ts_fold.txt").read_text("utf-8")
    for line in text.splitlines():
        if line and line[0] != "#":
            table[ord(line[0])] = ord(line[2])
    return table


@cache
def _foldable() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Runs of characters that fold to others: those of the basic plane, and the few
    beyond it (a class with those is scanned ~20x slower, so it is only used on text
    that has such characters). Compiled on first use (~6 ms)."""
    chars = "".join(map(chr, sorted(_fold_table())))
    basic = "".join(ch for ch in chars if ch <= "\uffff")
    beyond = "".join(ch for ch in chars if ch > "\uffff")
    never = "(?!)"
    return (
        re.compile(f"[{re.escape(basic)}]+" if basic else never),
        re.compile(f"[{re.escape(beyond)}]+" if beyond else never),
    )


def _fold_run(match: re.Match[str]) -> str:
    return match.group().translate(_fold_table())


def fold(text: str) -> str:
    """The form text is matched in: traditional characters as simplified, full-width
    letters and digits as ASCII, lower case; the same length, so offsets into the
    folded text are offsets into the original.
    """
    if len(text) < _SCAN_FROM:
        folded = text.translate(_fold_table()).lower()
    else:
        basic, beyond = _foldable()
        runs = len(basic.findall(text))
        if runs > _RUNS_TRANSLATED:  # traditional text: translated whole
            folded = text.translate(_fold_table())
        else:
            folded = basic.sub(_fold_run, text) if runs else text
            if _BEYOND_BASIC_PLANE.search(text) is not None:
                folded = beyond.sub(_fold_run, folded)
        folded = folded.lower()
    if len(folded) == len(text):
        return folded
    # A few characters (U+0130 İ) grow when lower-cased: keep those as they are.
    table = _fold_table()
    return "".join(low if len(low := ch.translate(table).lower()) == 1 else ch for ch in text)


def is_word(token: str) -> bool:
    """Whether a token carries meaning (has a letter, digit or ideograph)."""
    return any(ch.isalnum() for ch in token)


_COMPOUND_PART = re.compile(r"[0-9a-z+#]+")


def _is_compound(word: str) -> bool:
    """An English/code run that jieba-rs keeps whole: ``torch.cuda``, ``x_1``, ``2016-2017``."""
    return (
        word.isascii() and any(c in "._-" for c in word) and len(_COMPOUND_PART.findall(word)) > 1
    )


#: Runs of one script in a word: Latin letters and digits, or ideographs.
_SCRIPT_RUN = re.compile(f"[0-9a-z]+|[{_CJK_CHARS}]+")
#: Runs of letters or of digits in a Latin word.
_LETTERS_OR_DIGITS = re.compile(r"[a-z]+|[0-9]+")
_CJK_START = re.compile(f"[{_CJK_CHARS}]")


def _part_spans(word: str) -> list[tuple[str, int, int]]:
    """The parts of a mixed token with their offsets in it (see ``parts``)."""
    runs = [(m.group(), m.start(), m.end()) for m in _SCRIPT_RUN.finditer(word)]
    if len(runs) > 1 and sum(end - begin for _, begin, end in runs) == len(word):
        return runs
    if len(runs) == 1 and len(runs[0][0]) == len(word) and word.isascii():
        pieces = [(m.group(), m.start(), m.end()) for m in _LETTERS_OR_DIGITS.finditer(word)]
        if len(pieces) > 1:
            return pieces
    return []


def parts(word: str) -> list[str]:
    """The words a mixed token is also indexed by, at its own position ([] for others).

    A folded word of Latin letters or digits and ideographs splits by script (``8比特``
    -> ``8`` ``比特``, ``b超`` -> ``b`` ``超``), a Latin word by letters and digits
    (``gpt4`` -> ``gpt`` ``4``); a part can be mixed itself (``gpt4模型`` -> ``gpt4``
    ``模型``, and ``gpt4`` -> ``gpt`` ``4``).
    """
    return [part for part, _, _ in _part_spans(word)]


def _mixed_pieces(word: str) -> list[tuple[str, int, int]]:
    """Every part of a mixed token, parts of parts included, with offsets in it."""
    found: list[tuple[str, int, int]] = []
    for part, begin, end in _part_spans(word):
        found.append((part, begin, end))
        found.extend((inner, begin + b, begin + e) for inner, b, e in _mixed_pieces(part))
    return found


def _joins(first: str, second: str) -> bool:
    """Whether two words of a cut form one mixed token (``8`` ``比特``, ``3d`` ``打印``):
    Latin letters and digits with a digit among them, written straight before ideographs.
    """
    return (
        first.isascii()
        and first.isalnum()
        and not first.isalpha()
        and _CJK_START.match(second) is not None
    )


def _query_words(words: Sequence[str]) -> list[str]:
    """Meaningful words of a cut: compounds replaced by their parts (all required), a
    number or code written straight before ideographs joined to them (``8比特``)."""
    found: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        if index + 1 < len(words) and _joins(word, words[index + 1]):
            found.append(word + words[index + 1])
            index += 2
            continue
        if _is_compound(word):
            found.extend(_COMPOUND_PART.findall(word))
        elif is_word(word):
            found.append(word)
        index += 1
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
def _folded_entries() -> list[tuple[str, int]]:
    """jieba's entries that fold to another word (``B超`` -> ``b超``, ``顯示`` -> ``显示``),
    folded, with their frequencies (the first entry wins where two fold alike).

    The originals never meet folded text. Only the ~2,000 lines that change are parsed (a
    fresh indexing process would otherwise spend most of a second parsing all 350,000).
    """
    text = _jieba_dict_path().read_text(encoding="utf-8")
    folded = fold(text)
    found: dict[str, int] = {}
    for original, line in zip(text.splitlines(), folded.splitlines(), strict=True):
        if original != line:
            word, freq, *_ = line.split(" ")
            found.setdefault(word, int(freq))
    return list(found.items())


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
ANALYZER_VERSION = "2"


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


@cache
def _spellings() -> dict[str, str]:
    """Each folded ideograph with every character that folds to it, itself first."""
    forms: dict[str, str] = {}
    for code, target in _fold_table().items():
        char = chr(target)
        forms[char] = forms.get(char, char) + chr(code)
    return forms


#: A telltale run of ideographs is looked up in at most this many spellings.
_SPELLINGS_KEPT = 16


def telltales(word: str) -> list[str]:
    """Pieces of ``word``, one of which any text whose fold contains the word contains as is.

    The longest run of ideographs serves, in every spelling that folds to it (``显存``:
    ``显存`` ``顯存``), shortened where it has too many spellings. A word without
    ideographs is returned lower-cased (to be matched case-insensitively).
    """
    runs = cjk_runs(word)
    if not runs:
        return [word.lower()]
    forms = _spellings()
    best = ""
    for run in runs:
        for begin in range(len(run)):
            count = 1
            for end in range(begin + 1, len(run) + 1):
                count *= len(forms.get(run[end - 1], "."))
                if count > _SPELLINGS_KEPT:
                    break
                if end - begin > len(best):
                    best = run[begin:end]
    return ["".join(chars) for chars in product(*(forms.get(ch, ch) for ch in best))]


#: Distinct words whose expansion a segmenter keeps (words of three characters or more,
#: symbols and mixed tokens; ~60 MB at most).
_EXPANSIONS_KEPT = 400_000

#: A token of a word: (token, position shift, start, end in the word).
_Piece = tuple[str, int, int, int]
#: The tokens of a word of the cut and the step from its position to the next word's.
_Pieces = tuple[tuple[_Piece, ...], int]
#: How a word of the plain cut is indexed: True, as itself at one position (the common
#: case); False, not at all (punctuation); else by its pieces.
_Expansion = _Pieces | bool

_NOTHING: _Pieces = ((), 0)
_THREE_OR_MORE = (3).__le__
_LATIN_RUN = re.compile(r"[0-9a-z]+")


def _search_tokens(
    word: str, start: int, inside: Sequence[tuple[str, int, int]], position: int
) -> tuple[list[Token], int]:
    """The tokens of one word of the cut at ``start`` and ``position``, given the
    dictionary words search mode found inside it; and the step to the next word.

    A code compound is itself and its parts at consecutive positions; any other word
    is the words inside it, itself and, for a mixed token, its parts, at its position;
    punctuation is nothing.
    """
    if not (word.isalnum() or is_word(word)):
        return [], 0
    end = start + len(word)
    if word.isascii() and not word.isalnum() and _is_compound(word):
        tokens = [(word, position, start, end)]
        tokens += [
            (part.group(), position + shift, start + part.start(), start + part.end())
            for shift, part in enumerate(_COMPOUND_PART.finditer(word))
        ]
        return tokens, len(tokens) - 1
    tokens = [(w, position, s, e) for w, s, e in inside if is_word(w)]
    tokens.append((word, position, start, end))
    pieces = _mixed_pieces(word)
    if pieces:
        seen = {(w, s, e) for w, _, s, e in tokens}
        for part, begin, stop in pieces:
            if (part, start + begin, start + stop) not in seen:
                seen.add((part, start + begin, start + stop))
                tokens.append((part, position, start + begin, start + stop))
    return tokens, 1


class Segmenter:
    """Search-mode segmentation with the full dictionary; build with ``segmenter()``.

    ``tokens`` is the reference: rjieba's search mode, read word by word. ``analyze``
    and ``positions`` give the same tokens several times faster, from rjieba's plain
    cut and each distinct word's tokens worked out once (``_expansion``).
    """

    def __init__(self, extra_words: Sequence[str]) -> None:
        self._jieba = _rjieba().Jieba()
        added: list[tuple[str, int]] = []
        seen: set[str] = set()
        for word, freq in _folded_entries():
            if not self._jieba.has_word(word):
                self._jieba.add_word(word, freq, None)
                added.append((word, freq))
                seen.add(word)
        bundled = bundled_user_words()
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
        self._joined: dict[tuple[str, str], _Pieces] = {}

    @property
    def words(self) -> dict[str, int]:
        """The words added to jieba's dictionary, with their frequencies."""
        return dict(self.added)

    def cut(self, text: str) -> list[str]:
        """The plain jieba cut of folded text, meaningful words only, compounds in parts."""
        return _query_words(self._jieba.cut(fold(text)))

    # -- the reference: search mode, word by word -------------------------------------

    def tokens(self, text: str) -> list[Token]:
        """Search-mode tokens with word positions and character offsets into ``text``.

        Words inside a longer word share its position, so both ``深度学习 框架`` and
        ``学习 框架`` are phrases of ``深度学习框架``. A code compound (``torch.cuda``)
        is indexed whole and by its parts, at consecutive positions; a mixed token
        (``gpt4``, ``b超``, and ``8比特`` where jieba cuts ``8`` ``比特``) whole and by its
        parts (``parts``), at one position.
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
        words: list[tuple[str, int, int, list[tuple[str, int, int]]]] = []
        inside: list[tuple[str, int, int]] = []
        for index, (word, start, end) in enumerate(raw):
            if base[index]:
                words.append((word, start, end, inside))
                inside = []
            else:
                inside.append((word, start, end))
        tokens: list[Token] = []
        position = index = 0
        while index < len(words):
            word, start, end, inner = words[index]
            if index + 1 < len(words) and _joins(word, words[index + 1][0]):
                after = words[index + 1]
                tokens += _search_tokens(word, start, inner, position)[0]
                tokens += _search_tokens(after[0], after[1], after[3], position)[0]
                tokens.append((word + after[0], position, start, after[2]))
                position += 1
                index += 2
                continue
            found, step = _search_tokens(word, start, inner, position)
            tokens += found
            position += step
            index += 1
        return tokens

    # -- the fast path: the plain cut, each distinct word worked out once --------------

    def analyze(self, text: str, start: int = 0) -> list[Token]:
        """The tokens of ``tokens(text)`` (in another order), positions from ``start``.

        Most words are indexed as themselves at one position; they become tokens in a
        few passes in C over the cut (lengths, steps, running sums) rather than in one
        Python step per word.
        """
        words, lens, steps, odd = self._cut(fold(text))
        if not odd:
            # (running sums with ``initial`` are one longer than the cut: zip stops first)
            numbered = zip(
                words,
                accumulate(steps, initial=start),
                accumulate(lens, initial=0),
                accumulate(lens),
                strict=False,
            )
            return list(compress(numbered, steps))
        emit = _odd_steps(steps, odd)
        positions = list(accumulate(steps, initial=start))
        starts = list(accumulate(lens, initial=0))
        tokens = list(compress(zip(words, positions, starts, starts[1:], strict=False), emit))
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
        words, _, steps, odd = self._cut(fold(text))
        found: dict[str, list[int]] = {}
        get = found.get
        if not odd:
            numbered = zip(words, accumulate(steps, initial=start), strict=False)
            for word, position in compress(numbered, steps):
                at = get(word)
                if at is None:
                    found[word] = [position]
                else:
                    at.append(position)
            return found
        emit = _odd_steps(steps, odd)
        positions = list(accumulate(steps, initial=start))
        for word, position in compress(zip(words, positions, strict=False), emit):
            at = get(word)
            if at is None:
                found[word] = [position]
            else:
                at.append(position)
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

    def _cut(self, folded: str) -> tuple[list[str], list[int], list[int], dict[int, _Pieces]]:
        """The plain cut of folded text; each word's length and step (1: letters, digits
        or ideographs, indexed as itself; 0: punctuation); and the words indexed
        otherwise, by their index in the cut (``_Pieces``).

        Only words of three characters or more and words at the edges of Latin runs
        (``b超``, ``a1``, ``c#``, ``8`` before ``比特``) can be indexed otherwise: the rest
        are classified by ``str.isalnum`` in C.
        """
        words: list[str] = self._jieba.cut(folded)
        lens = list(map(len, words))
        steps: list[int] = list(map(str.isalnum, words))
        odd: dict[int, _Pieces] = {}
        expansions = self._expansions
        for index in compress(range(len(words)), map(_THREE_OR_MORE, lens)):
            word = words[index]
            expansion = expansions.get(word)
            if expansion is None:
                expansion = self._learn(word)
            if expansion is True:
                steps[index] = 1  # c++: a word, though not alphanumeric
            elif expansion is not False:
                odd[index] = expansion
        if _LATIN_RUN.search(folded) is not None:
            self._latin_edges(folded, words, lens, steps, odd)
        return words, lens, steps, odd

    def _latin_edges(
        self,
        folded: str,
        words: list[str],
        lens: list[int],
        steps: list[int],
        odd: dict[int, _Pieces],
    ) -> None:
        """Classify the words of two characters at the edges of Latin runs (``b超``,
        ``a1``, ``c#``; inside a run that mixes letters and digits, every one) and join
        a Latin word with a digit to the ideographs after it (``8`` ``比特``)."""
        ends = list(accumulate(lens))
        for run in _LATIN_RUN.finditer(folded):
            first, end = run.span()
            head = bisect_right(ends, first)
            latin = run.group()
            letters = latin.isalpha()
            if letters and ends[head] >= end and lens[head] != 2:
                continue  # letters inside one word (pytorch, c++): seen with the long words
            tail = bisect_right(ends, end - 1)
            inside = range(head, tail + 1) if not (letters or latin.isdigit()) else (head, tail)
            for index in inside:
                if lens[index] == 2 and index not in odd:
                    expansion = self._expansion_of(words[index])
                    if expansion is True:
                        steps[index] = 1
                    elif expansion is not False:
                        odd[index] = expansion
            if (
                not letters
                and ends[tail] == end
                and tail + 1 < len(words)
                and _joins(words[tail], words[tail + 1])
            ):
                pair = (words[tail], words[tail + 1])
                joined = self._joined.get(pair)
                if joined is None:
                    joined = self._joined[pair] = self._join(*pair)
                odd[tail] = joined
                odd[tail + 1] = _NOTHING

    def _expansion_of(self, word: str) -> _Expansion:
        expansion = self._expansions.get(word)
        return self._learn(word) if expansion is None else expansion

    def _learn(self, word: str) -> _Expansion:
        expansions = self._expansions
        if len(expansions) >= _EXPANSIONS_KEPT:
            expansions.clear()
            self._joined.clear()
        expansion = expansions[word] = self._expansion(word)
        return expansion

    def _join(self, first: str, second: str) -> _Pieces:
        """The pieces of two words of the cut that form one mixed token (``_joins``)."""
        pieces: list[_Piece] = []
        offset = 0
        for word in (first, second):
            expansion = self._expansion_of(word)
            if expansion is True:
                pieces.append((word, 0, offset, offset + len(word)))
            elif expansion is not False:
                pieces += [(w, 0, offset + s, offset + e) for w, _, s, e in expansion[0]]
            offset += len(word)
        pieces.append((first + second, 0, 0, offset))
        return tuple(pieces), 1

    def _expansion(self, word: str) -> _Expansion:
        """What one word of the plain cut becomes (see ``_Expansion``): the tokens
        ``_search_tokens`` gives it, the words inside it found in the dictionary as
        search mode finds them (those of 2 characters, and in words over 3 characters
        those of 3)."""
        if not (word.isalnum() or is_word(word)):
            return False
        inside: list[tuple[str, int, int]] = []
        if word.isalnum() or not _is_compound(word):
            for size in (2, 3):
                if len(word) > size:
                    for begin in range(len(word) - size + 1):
                        gram = word[begin : begin + size]
                        if self._jieba.has_word(gram):
                            inside.append((gram, begin, begin + size))
        tokens, step = _search_tokens(word, 0, inside, 0)
        if step == 1 and len(tokens) == 1:
            return True
        return tuple(tokens), step

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


def _odd_steps(steps: list[int], odd: dict[int, _Pieces]) -> list[int]:
    """Put the odd words' steps in ``steps``; return which words are tokens as such."""
    emit = steps.copy()
    for index, (_, step) in odd.items():
        emit[index] = 0
        steps[index] = step
    return emit


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
