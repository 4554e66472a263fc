"""The quick path of ``linkindex search``: a plain command line runs without typer.

Loading typer and click and building the command costs a search process ~45 ms, a sixth
of its time, for a command line that is nearly always ``linkindex search WORDS`` with a
few options. When the line is plain, this reads it and runs the same function the typer
command runs (``hits.search_and_show``), inside the same ``running.guarded``: the same
values, the same lines printed, the same exit codes, the same handling of Ctrl-C.

Plain means read here exactly as typer would read it: ``[--home DIR] search`` then the
query's words (one query, joined by spaces) and the options of ``search`` each at most
once, as ``--option VALUE``, with values that do not start with ``-``, numbers written
in digits, and a ``--home`` that typer's path check lets through. Anything else
(``--help``, ``--opt=value``, ``--``, an unknown or repeated option, no query,
``--limit x``) goes to typer,
which reads it and says what is wrong. So does a run where click would write to the
streams its own way (an ASCII-only stream, Windows) or complete a shell's words.
"""

from __future__ import annotations

import codecs
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from linkindex.cli import NOTHING_CHANGED

#: The options of ``search`` that take a value: their parameter, and whether it is a number.
_VALUED = {
    "--topic": ("topic", False),
    "--site": ("site", False),
    "--status": ("status", False),
    "--since": ("since", False),
    "--limit": ("limit", True),
    "--page": ("page", True),
    "--home": ("home", False),
}


def runner(args: Sequence[str]) -> Callable[[], int] | None:
    """What runs ``linkindex ARGS`` without typer (its exit code), or None: typer runs it.

    Call it while the command loads (it imports what the search needs to start); the
    function it returns runs the command.
    """
    found = parameters(args)
    if found is None or not _plain_process():
        return None
    # What the search imports when it starts, loaded now with the rest (``main``)
    from linkindex import search, store  # noqa: F401
    from linkindex.cli import hits, running

    def run() -> int:
        running.write_plainly()
        try:
            running.guarded(hits.search_and_show, NOTHING_CHANGED, **found)
        except running.Exit as end:
            return end.exit_code
        return 0

    return run


def parameters(args: Sequence[str]) -> dict[str, Any] | None:
    """The parameters of ``hits.search_and_show`` for a plain ``search`` command line
    (the arguments after the program's name), or None."""
    from linkindex.cli.hits import LIMIT, PAGE

    rest = list(args)
    home_before: str | None = None
    while rest and rest[0] != "search":
        if rest[:1] != ["--home"] or home_before is not None or not _value(rest[1:2]):
            return None
        home_before = rest[1]
        del rest[:2]
    found: dict[str, Any] = {
        "topic": None, "site": None, "status": None, "since": None,
        "limit": LIMIT, "page": PAGE, "home": None, "json_output": False,
    }  # fmt: skip
    words: list[str] = []
    seen: set[str] = set()
    for_option: str | None = None
    for token in rest[1:]:
        if for_option is not None:
            name, number = _VALUED[for_option]
            if not _value([token]) or (number and not _digits(token)):
                return None
            found[name] = int(token) if number else token
            for_option = None
        elif not token.startswith("-"):
            words.append(token)
        elif token in seen or (token not in _VALUED and token != "--json"):
            return None
        else:
            seen.add(token)
            if token == "--json":
                found["json_output"] = True
            else:
                for_option = token
    if not words or for_option is not None or not rest:
        return None
    home = found["home"] if found["home"] is not None else home_before
    if home is not None and not _readable_path(home):
        return None
    found["home"] = None if home is None else Path(home)
    return {"query": " ".join(words), **found}


#: Digits a number of the quick path may have: more are left to typer, which says they
#: are not a valid integer (Python refuses to read an int of over 4,300 digits).
_MOST_DIGITS = 18


def _digits(token: str) -> bool:
    """Whether an option's number is plain digits, short enough to read."""
    return token.isascii() and token.isdigit() and len(token) <= _MOST_DIGITS


def _value(tokens: Sequence[str]) -> bool:
    """Whether an option's value is there and is not one typer could take for an option."""
    return bool(tokens) and not tokens[0].startswith("-")


def _readable_path(path: str) -> bool:
    """Whether typer's path check lets ``--home PATH`` through without a word (click's
    ``Path`` type: a path that does not exist passes; one that exists must be readable)."""
    try:
        os.stat(path)
    except OSError:
        return True
    except ValueError:  # a NUL in the path: let typer say what it says
        return False
    return os.access(path, os.R_OK)


def _plain_process() -> bool:
    """Whether click would write to the streams as they are and not complete words."""
    if os.name == "nt":
        return False
    if any(name.startswith("_") and name.endswith("_COMPLETE") for name in os.environ):
        return False
    for stream in (sys.stdout, sys.stderr):
        if stream is None or _ascii(getattr(stream, "encoding", None) or "ascii"):
            return False
    return True


def _ascii(encoding: str) -> bool:
    try:
        return codecs.lookup(encoding).name == "ascii"
    except LookupError:
        return False
