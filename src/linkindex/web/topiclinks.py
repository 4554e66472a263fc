"""How the web's own links name a topic in ``?topic=``, so that every one of them opens.

A topic is linked by its label (``Pytorch > 参考``), which people can read and type. A
heading is a line of a note, and nothing bounds its length; a label longer than a query
parameter may be (``safety.MAX_PARAMETER``, one cap for every parameter of every route)
is linked by a short key instead: ``@`` and 16 hex digits of the label's sha256.
``written_topic`` turns such a key back into the label, from the library's heading
paths; any other text is a topic as typed. Pure: strings in, strings out.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence

from linkindex import topics
from linkindex.web.safety import MAX_PARAMETER

__all__ = ["topic_param", "written_topic"]

_SHORT_KEY = re.compile(r"@[0-9a-f]{16}")


def topic_param(topic: str | Sequence[str]) -> str:
    """The ``?topic=`` value of a topic (a label, or a heading path): the label, or the
    short key of a label longer than a parameter may be."""
    label = topic if isinstance(topic, str) else topics.label(topic)
    if len(label) <= MAX_PARAMETER:
        return label
    return "@" + hashlib.sha256(label.encode("utf-8")).hexdigest()[:16]


def written_topic(text: str, paths: Iterable[Sequence[str]]) -> str:
    """The topic a ``?topic=`` value names: the long label a short key stands for (found
    among ``paths`` and their leading runs), else the text itself."""
    text = text.strip()
    if not _SHORT_KEY.fullmatch(text):
        return text
    seen: set[tuple[str, ...]] = set()
    for path in paths:
        for end in range(1, len(path) + 1):
            run = tuple(path[:end])
            if run in seen:
                continue
            seen.add(run)
            label = topics.label(run)
            if len(label) > MAX_PARAMETER and topic_param(label) == text:
                return label
    return text
