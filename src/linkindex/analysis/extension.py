"""The rjieba extension module (the jieba-rs bindings), loaded as an import is.

The package's ``__init__`` builds a default segmenter with the whole dictionary at
import (~0.15 s); a search process only needs an empty one, so the extension module is
loaded by itself.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
from functools import cache
from pathlib import Path
from typing import Any

from linkindex.errors import InstallError


def load() -> Any:
    """The rjieba extension module, without running ``rjieba/__init__.py``.

    The package's ``__init__`` builds a default segmenter with the whole dictionary at
    import (~0.15 s); a search process only needs an empty one.
    """
    spec = importlib.util.find_spec("rjieba")
    if spec is None or not spec.submodule_search_locations:
        raise InstallError("the rjieba package is not installed; reinstall linkindex")
    folder = Path(next(iter(spec.submodule_search_locations)))
    library = next(
        (
            p
            for p in folder.iterdir()
            if p.name.startswith("rjieba.") and p.suffix in (".so", ".pyd")
        ),
        None,
    )
    if library is None:
        raise InstallError("the rjieba package has no extension module; reinstall linkindex")
    loader = importlib.machinery.ExtensionFileLoader("rjieba.rjieba", str(library))
    module_spec = importlib.util.spec_from_file_location(
        "rjieba.rjieba", str(library), loader=loader
    )
    assert module_spec is not None
    module = importlib.util.module_from_spec(module_spec)
    loader.exec_module(module)
    return module


#: The module, loaded once a process.
rjieba = cache(load)
