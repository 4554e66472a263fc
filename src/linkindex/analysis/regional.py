"""Words of Taiwan and Hong Kong as the mainland writes them (記憶體: 内存), and words
spelled with other characters in traditional script (了解: 瞭解), for queries.

Folding makes the two scripts' characters one; the words differ too: 記憶體 is 内存,
軟體 软件, 視訊記憶體 显存. A query written in traditional characters looks for the
mainland's word as well (``queries.with_other_wording``), by OpenCC's phrase tables
(``regional_words``); so does one in simplified characters for a word written with
characters both scripts share that the mainland never writes (伺服器, 硬碟). And some
words are spelled in traditional script with characters that are simplified ones too,
which fold to themselves (瞭解 for 了解, 回覆 for 回复, 座標 for 坐标): a query with
either spelling, in either script, looks for both (``spelling_words``). The text itself
is never converted, so offsets stay true.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import cache

from linkindex.analysis.tokens import parts

#: A regional word spans at most this many words of a query's cut (名·姓: three).
_SPAN = 6


@cache
def _table(regional: bool) -> dict[str, str]:
    """Each word spelled two ways, folded, with the other spelling (both ways round),
    and each regional word with the mainland's: with ``regional`` every one, else those
    a query in simplified characters may mean too (``伺服器``, not ``程式`` or ``进阶``:
    ``regional_words.ANY_SCRIPT``). Made on first use."""
    from linkindex.analysis import regional_words, spelling_words

    spelled = dict(line.split("\t") for line in spelling_words.WORDS)
    table = {**spelled, **{other: word for word, other in spelled.items()}}
    words = (line.split("\t") for line in regional_words.WORDS)
    table.update(
        (word, mainland)
        for word, mainland in words
        if regional or word in regional_words.ANY_SCRIPT
    )
    return table


def other_wording(
    text: str,
    words: Sequence[str],
    *,
    regional: bool = True,
    apart: Callable[[str], Sequence[str] | None] | None = None,
) -> str | None:
    """Folded ``text`` with each word spelled otherwise in the other script written so
    (``了解``: ``瞭解``, ``瞭解``: ``了解``) and each word of Taiwan or Hong Kong written as
    the mainland writes it (``记忆体泄漏``: ``内存泄漏``), where ``regional`` (a query in
    traditional characters) or where it is one of ``regional_words.ANY_SCRIPT``
    (``伺服器``: written with characters both scripts share, never by the mainland); None where
    it has none. ``words`` are the text's cut, in order: a word counts only where it
    begins and ends with words of it (``行程`` is no ``进程`` in ``旅行程序``, cut ``旅行``
    ``程序``); a mixed token's parts are words of it (``rtx4090显示卡``: ``rtx4090``
    ``显示卡``), unless it is such a word whole (``b肝``), and so are, with ``apart``
    (``QuerySegmenter.apart``), the smaller words of a longer one that holds such a
    word: a heading of the notes is a word of the dictionary (``虚拟记忆体``: ``虚拟``
    ``记忆体``)."""
    table = _table(regional)
    spans: list[tuple[int, int]] = []
    at = 0
    for word in _words(words, table, apart):
        begin = text.find(word, at)
        if begin >= 0:
            spans.append((begin, begin + len(word)))
            at = begin + len(word)
    pieces: list[str] = []
    done = 0  # where the text not yet in pieces begins
    for index, (begin, _) in enumerate(spans):
        if begin < done:
            continue
        for _, end in reversed(spans[index : index + _SPAN]):
            other = table.get(text[begin:end])
            if other is not None:
                pieces += [text[done:begin], other]
                done = end
                break
    if not pieces:
        return None
    return "".join(pieces) + text[done:]


def _words(
    words: Sequence[str], table: dict[str, str], apart: Callable[[str], Sequence[str] | None] | None
) -> Iterator[str]:
    """The words of a cut that other wordings may begin and end with (``other_wording``)."""
    for word in words:
        if word in table:
            yield word
            continue
        for part in parts(word) or [word]:
            # apart costs a cut: only for a word that holds a word of the table
            holds = apart is not None and part not in table and _holds(part, table)
            yield from (apart(part) or [part]) if holds and apart is not None else [part]


def _holds(word: str, table: dict[str, str]) -> bool:
    """Whether some run of ``word``'s characters is a word of ``table``."""
    return any(
        word[begin:end] in table
        for begin in range(len(word))
        for end in range(begin + 1, len(word) + 1)
    )
