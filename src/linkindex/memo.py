"""A dict that works out a missing value the first time it is asked for.

Hot loops look values up with ``map(memo.__getitem__, keys)``, in C, while each distinct
key is computed once: a character's kind (notes), a word's expansion (analysis), a block
template's shape (index).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Memo(dict[K, V]):
    """``compute(key)`` for each key, computed when first asked for and kept."""

    def __init__(self, compute: Callable[[K], V]) -> None:
        super().__init__()
        self.compute = compute

    def __missing__(self, key: K) -> V:
        value = self[key] = self.compute(key)
        return value
