"""The install a newcomer gets has every module linkindex imports, directly or not.

A module missing from the environment must fail here, loudly, rather than months later
as a crawl ``error`` on every page one extractor handles (as ``lxml.html.clean`` did with
the pip bundled with Python 3.11).
"""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
import pkgutil
import re
import sys
from pathlib import Path

import pytest

import linkindex

SRC = Path(linkindex.__file__).resolve().parent

#: Modules imported at run time by the libraries linkindex uses, on paths the suite
#: may not reach: trafilatura's boilerplate removal (justext, lxml.html.clean), HTTP/2,
#: charset detection, PDF text, EPUB, the HTML sanitiser, the web server and templates.
RUNTIME_MODULES = (
    "trafilatura",
    "justext",
    "lxml.html.clean",
    "lxml.etree",
    "h2",
    "charset_normalizer",
    "pypdf",
    "ebooklib",
    "ebooklib.epub",
    "nh3",
    "protego",
    "markdown_it",
    "platformdirs",
    "certifi",
    "idna",
    "whoosh",
    "rjieba",
    "sqlite_utils",
    "starlette.applications",
    "jinja2",
    "markupsafe",
    "uvicorn",
    "typer",
    "httpx",
    "socksio",  # httpx's SOCKS proxies (ALL_PROXY=socks5://...)
    "cryptography.hazmat.primitives.ciphers",  # pypdf's AES-encrypted PDFs
)

#: Imported only when present (each import sits in ``try/except ImportError``).
OPTIONAL = {"sniffio"}


def _declared() -> set[str]:
    """The distributions linkindex requires (without extras), normalised."""
    names = set()
    for requirement in importlib.metadata.requires("linkindex") or []:
        if "extra ==" in requirement:
            continue
        name = re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0]
        names.add(_normal(name))
    return names


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _imported_top_level() -> dict[str, str]:
    """Every top-level module the package's source imports: name -> one file using it."""
    found: dict[str, str] = {}
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                found.setdefault(name.split(".")[0], str(path.relative_to(SRC)))
    return found


def test_every_third_party_module_the_code_imports_is_a_declared_dependency() -> None:
    declared = _declared()
    providers = importlib.metadata.packages_distributions()
    missing = []
    for module, where in sorted(_imported_top_level().items()):
        if module in sys.stdlib_module_names or module in ("linkindex", "__future__"):
            continue
        if module in OPTIONAL:
            continue
        distributions = {_normal(d) for d in providers.get(module, [])}
        if not distributions & declared:
            missing.append(f"{module} (imported in {where}; provided by {distributions or '?'})")
    assert not missing, "declare these in pyproject.toml [project] dependencies: " + ", ".join(
        missing
    )


@pytest.mark.parametrize("module", RUNTIME_MODULES)
def test_runtime_module_imports(module: str) -> None:
    importlib.import_module(module)


def test_jieba_dictionary_is_installed() -> None:
    spec = importlib.util.find_spec("jieba")
    assert spec is not None and spec.submodule_search_locations
    folder = Path(next(iter(spec.submodule_search_locations)))
    assert (folder / "dict.txt").stat().st_size > 1_000_000


def test_every_linkindex_module_imports() -> None:
    failed = []
    for info in pkgutil.walk_packages([str(SRC)], prefix="linkindex."):
        if info.name == "linkindex.__main__":  # runs the command line
            continue
        try:
            importlib.import_module(info.name)
        except Exception as exc:  # every failure is reported, not just the first
            failed.append(f"{info.name}: {type(exc).__name__}: {exc}")
    assert not failed, "\n".join(failed)


def test_the_generic_extractor_runs_as_installed() -> None:
    """trafilatura's whole path, as a crawl of an ordinary blog page takes it."""
    from linkindex.extract import extract_page

    body = (
        "<html><head><title>Memory</title></head><body><article><h1>Memory</h1>"
        + "<p>A long paragraph about GPU memory and how to save it in training. </p>" * 20
        + "</article></body></html>"
    ).encode()
    page = extract_page(body, url="https://blog.example/post", headers={})
    assert page.extractor == "web"
    assert "GPU memory" in page.text
