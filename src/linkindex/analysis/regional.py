"""Words of Taiwan and Hong Kong as the mainland writes them (記憶體: 内存), for queries.

Folding makes the two scripts' characters one; the words differ too: 記憶體 is 内存,
軟體 软件, 視訊記憶體 显存. A query written in traditional characters looks for the
mainland's word as well (``queries.with_regional``), by OpenCC's phrase tables
(``regional_words``); the text itself is never converted, so offsets stay true.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

#: A regional word spans at most this many words of a query's cut (名·姓: three).
_SPAN = 6


@cache
def _table() -> dict[str, str]:
    """Each regional word, folded, with the mainland's (made on first use)."""
    from linkindex.analysis.regional_words import WORDS

    return dict(line.split("\t") for line in WORDS)


def mainland_wording(text: str, words: Sequence[str]) -> str | None:
    """Folded ``text`` with each word of Taiwan or Hong Kong written as the mainland
    writes it (``记忆体泄漏``: ``内存泄漏``), or None where it has none. ``words`` are the
    text's cut, in order: a regional word counts only where it begins and ends with words
    of it (``行程`` is no ``进程`` in ``旅行程序``, cut ``旅行`` ``程序``)."""
    table = _table()
    spans: list[tuple[int, int]] = []
    at = 0
    for word in words:
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
