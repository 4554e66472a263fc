"""The full-text index of a library (HOME/index/): the only user of whoosh.

One whoosh document per link. Text fields hold jieba search-mode words with positions
(phrases work); two shadow fields hold CJK character bigrams of the title and of the
page text, so that a word jieba never produced (``灯`` inside ``大灯``) still matches,
ranked below word matches. Topic paths are indexed as their keys (``topics.path_keys``:
every contiguous run of headings, folded), so ``topic:`` filters at any level; each
heading's own key among them tells a query which headings the library has
(``searching.Headings``).

Split by concern, the way whoosh itself is:

* ``documents``: the fields, and what a link becomes (``document``);
* ``folder``: the index on disk: every file's name, opening it, the shared reader, the
  meta document, the query dictionary file, swapping a rebuilt folder in;
* ``writing``: adding documents, and a rebuild's segments;
* ``queries``: the query model (``QuerySpec``) and its compilation to whoosh queries;
* ``searching``: running them: best hits, counts, spelling, key terms;
* ``engine`` (with ``topk``, ``postings``), ``bulk`` (with ``blocks``), ``layout``: the
  fast paths under searching and writing.

Documents are segmented by ``analysis.Segmenter`` before they reach whoosh and handed
over as ready postings (``documents.WordsField``): whoosh's own token pipeline costs
several times more per word. A special document (``kind=meta``) records the change
sequence of the store the index has caught up with and the dictionary it was segmented
with; it is written in the same commit as the links, so the two never disagree after a
crash (whoosh writes new segment files, then swaps its table of contents atomically).

This module itself only prepares whoosh's import (below); every module of the package
imports whoosh after it has run.
"""

from __future__ import annotations

import functools
import sys
import types
from typing import Any


def _light_cached_property() -> None:
    """Let whoosh find ``cached_property`` without importing that package.

    whoosh-reloaded imports the ``cached_property`` package for one decorator, and the
    package imports asyncio (~50 ms of a short ``linkindex search``). The standard
    library's ``functools.cached_property`` does the same job for whoosh's reader.
    """
    if "cached_property" not in sys.modules:
        module = types.ModuleType("cached_property")
        module.cached_property = functools.cached_property  # type: ignore[attr-defined]
        sys.modules["cached_property"] = module


#: Modules whoosh imports for functions linkindex never calls, with those functions.
#: While whoosh imports, each is a stand-in whose functions import the real module when
#: first called; the stand-ins are gone from ``sys.modules`` right after, so a later
#: import gets the real module. A short ``linkindex search`` would otherwise spend
#: ~70 ms on them: ``urllib.request`` pulls in http.client and email, ``morph_en``
#: (query variations) and ``porter`` (stemming) compile hundreds of patterns; ``html``
#: (highlighting), ``tempfile`` (a temporary storage), ``calendar`` (relative dates, with
#: ``locale``) and ``shutil`` (writing a compound segment, with its archivers) take
#: ~10 ms. Each function listed is the only one whoosh uses of them.
_DEFERRED = {
    "urllib.request": ("urlretrieve",),
    "whoosh.lang.morph_en": ("variations",),
    "whoosh.lang.porter": ("stem",),
    "whoosh.lang.dmetaphone": ("double_metaphone",),
    "html": ("escape",),
    "tempfile": ("gettempdir",),
    "calendar": ("monthrange",),
    "shutil": ("copyfileobj",),
}
#: The whoosh modules that import them (``compat``: urlretrieve and escape; ``analysis``:
#: stemming and metaphone; ``query``: variations, and through ``filedb.filestore`` and
#: ``fields`` gettempdir and monthrange; ``codec.whoosh3``, which every search reads
#: the index with, through ``filedb.compound``: copyfileobj).
_IMPORTERS = ("whoosh.compat", "whoosh.analysis", "whoosh.query", "whoosh.codec.whoosh3")


def _import_whoosh_deferring() -> None:
    """Import whoosh's modules with ``_DEFERRED`` standing in for the modules they name."""
    import importlib

    if all(name in sys.modules for name in _IMPORTERS):
        return
    stand_ins = {}
    for name, functions in _DEFERRED.items():
        if name in sys.modules:
            continue
        module = types.ModuleType(name)
        for function in functions:
            setattr(module, function, _deferred(name, function))
        stand_ins[name] = module
    sys.modules.update(stand_ins)
    try:
        for name in _IMPORTERS:
            importlib.import_module(name)
    finally:
        for name, module in stand_ins.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]


def _deferred(module: str, function: str) -> Any:
    def call(*args: Any, **kwargs: Any) -> Any:
        import importlib

        return getattr(importlib.import_module(module), function)(*args, **kwargs)

    call.__name__ = function
    return call


_light_cached_property()
_import_whoosh_deferring()

#: whoosh pickles the schema into the index's table of contents, naming each field's
#: class by module and name. Indexes written before ``index/`` was split name these
#: here; they still open (and the next refresh rebuilds them: ``documents.FORMAT``).
_MOVED = {
    "_WordsField": "WordsField",
    "_GramsField": "GramsField",
    "_CompactPositions": "CompactPositions",
}


def __getattr__(name: str) -> Any:
    """The field classes by the names an older index's pickled schema uses."""
    if name in _MOVED:
        from linkindex.index import documents

        return getattr(documents, _MOVED[name])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
