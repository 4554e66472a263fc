"""What ``linkindex.index`` defers of whoosh's imports (``index._DEFERRED``) is safe."""

from __future__ import annotations

import inspect
import re
import sys
import types
from pathlib import Path

from children import run_python


def check_stand_ins() -> int:
    """Every stand-in whoosh holds (a module global, or a function it imported) offers
    every name whoosh uses of it; returns how many it holds. Run in a fresh process,
    where whoosh is imported by ``linkindex.index`` first."""
    from linkindex import index

    stand_ins = {name: set(functions) for name, functions in index._DEFERRED.items()}
    held = 0
    for module in [m for n, m in list(sys.modules.items()) if n.startswith("whoosh")]:
        for name, value in vars(module).items():
            if isinstance(value, types.ModuleType) and value.__name__ in stand_ins:
                assert sys.modules.get(value.__name__) is not value, "a stand-in stayed"
                used = set(re.findall(rf"\b{re.escape(name)}\.(\w+)", inspect.getsource(module)))
                assert used <= stand_ins[value.__name__], (module.__name__, used)
                held += 1
            elif callable(value) and getattr(value, "__module__", "") == index.__name__:
                assert value.__name__ in set().union(*stand_ins.values()), (module, name)
                held += 1
    return held


def test_whoosh_uses_nothing_of_a_deferred_module_but_the_deferred_functions() -> None:
    script = (
        "import sys\n"
        "import test_index_import\n"
        "from linkindex import index\n"
        "held = test_index_import.check_stand_ins()\n"
        "assert held >= len(index._DEFERRED), held  # each is held (or useless)\n"
    )
    done = run_python(script, cwd=Path(__file__).parent)
    assert done.returncode == 0, done.stderr


def test_the_deferred_functions_work_and_later_imports_get_the_real_modules() -> None:
    script = (
        "import linkindex.index\n"
        "import calendar, html, shutil, tempfile\n"
        "assert all(m.__spec__ for m in (calendar, html, shutil, tempfile))\n"
        "assert callable(shutil.rmtree) and callable(tempfile.mkdtemp)\n"
        "import whoosh.compat, whoosh.util.times, whoosh.filedb.filestore as store\n"
        "import whoosh.filedb.compound as compound\n"
        "assert whoosh.compat.htmlescape('<a>') == '&lt;a&gt;'\n"
        "assert whoosh.util.times.calendar.monthrange(2024, 2) == (3, 29)\n"
        "assert store.tempfile.gettempdir() == tempfile.gettempdir()\n"
        "import io\n"
        "out = io.BytesIO()\n"
        "compound.copyfileobj(io.BytesIO(b'segment'), out)\n"
        "assert out.getvalue() == b'segment'\n"
    )
    done = run_python(script)
    assert done.returncode == 0, done.stderr
