"""The quick path of ``linkindex search``: a plain command line runs without typer, and
does exactly what the typer command does."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from children import child_env, interrupted_says, run_python, signal_while_loading
from linkindex.cli import app, quick

ROOT = Path(__file__).resolve().parent.parent
NOTES = ROOT / "data" / "notes"
MEMORY = "https://mp.weixin.qq.com/s/KNaFelqk9UO6JYjbPTQohA"

#: Any variable named like a shell-completion request sends a run to typer (click would
#: look at its own one only): the same command line, read and run by typer.
BY_TYPER = {"_LINKINDEX_TEST_COMPLETE": "1"}


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A library filled from the bundled notes, indexed."""
    from linkindex import importer
    from linkindex.store import Store

    home = tmp_path_factory.mktemp("quick") / "home"
    with Store(home) as store:
        importer.import_paths(store, [NOTES])
    done = CliRunner().invoke(app, ["index", "--home", str(home)])
    assert done.exit_code == 0, done.output
    return home


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "linkindex", *args],
        capture_output=True,
        text=True,
        env=child_env(**env),
        timeout=60,
    )


def test_a_plain_search_loads_neither_typer_nor_what_a_search_never_uses(library: Path) -> None:
    script = (
        "import sys\n"
        f"sys.argv = ['linkindex', 'search', '显存优化', '--home', {str(library)!r}]\n"
        "from linkindex.cli import main\n"
        "try:\n"
        "    main()\n"
        "finally:\n"
        "    print(' '.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    done = run_python(script)
    assert done.returncode == 0, done.stderr
    assert MEMORY in done.stdout
    modules = set(done.stderr.split())
    assert "linkindex.search" in modules  # the search did run here
    unused = {
        # the command line: typer and click, and every other command's module
        "typer", "click", "linkindex.cli.common", "linkindex.cli.searching",
        # what the other commands need: settings, writing the index, the crawler, HTTP
        "linkindex.config", "linkindex.index.bulk", "linkindex.index.writing",
        "whoosh.writing", "linkindex.indexing", "linkindex.crawl", "linkindex.fetch",
        "httpx", "bs4", "trafilatura", "jieba", "sqlite_utils", "linkindex.store.rows",
        # what whoosh imports for functions linkindex never calls (index._DEFERRED)
        "urllib.request", "whoosh.lang.morph_en", "whoosh.lang.porter",
        # standard modules only other paths need
        "importlib.resources", "asyncio",
    }  # fmt: skip
    assert sorted(unused & modules) == []


@pytest.mark.parametrize(
    "args",
    [
        ["search", "显存优化"],
        ["search", "pytorch"],  # more hits than a page holds
        ["search", "显存优化", "--json", "--limit", "1"],
        ["search", "pytorch", "--limit", "2", "--page", "2"],
        ["search", "显存", "--topic", "Pytorch", "--site", "wechat", "--status", "new"],
        ["search", "显存", "--since", "2018"],
        ["search", "pytorch", "显存", "--limit", "3", "优化"],  # words: one query
        ["search", "pytorch", "-tensorflow"],  # read as an option: the error says what to do
        ["search", "显存", "--limit", "2", "优化"],
        ["search", "nothing-matches-this-zzqx"],  # no hits: exit 1
        ["search", "显存", "--site", "nowhere"],  # a bad value: one error line
        ["search", "显存", "--limit", "0"],
        ["search", "显存", "--limit", "9" * 5000],  # too long for int(): typer's error line
        ["search", "显存", "--since", "yesterday"],
        ["search", "显存", "--home", "{missing}"],  # no library there
        ["--home", "{missing}", "search", "显存", "--home", "{home}"],  # the later one counts
        ["--home", "{home}", "search", "显存"],
        # not plain: typer reads these on both runs
        ["search", "显存", "--limit", "x"],
        ["search", "--help"],
        ["search", "显存", "--limit=2"],
        ["search", "显存", "--json", "--json"],
        ["search"],
    ],
)
def test_the_quick_path_does_what_typer_does(
    library: Path, tmp_path: Path, args: list[str]
) -> None:
    filled = [a.format(home=library, missing=tmp_path / "none") for a in args]
    if "--home" not in filled:
        filled += ["--home", str(library)]
    quickly, by_typer = _run(filled), _run(filled, **BY_TYPER)
    assert (quickly.returncode, quickly.stdout, quickly.stderr) == (
        by_typer.returncode,
        by_typer.stdout,
        by_typer.stderr,
    )
    assert "Traceback" not in quickly.stderr


def test_a_search_with_stdout_closed_ends_quietly(library: Path) -> None:
    """``linkindex search x >&-``: nothing to write to, no "internal error"."""
    for env in ({}, BY_TYPER):
        done = subprocess.run(
            [sys.executable, "-m", "linkindex", "search", "显存", "--home", str(library)],
            stdout=None,
            stderr=subprocess.PIPE,
            text=True,
            env=child_env(**env),
            timeout=60,
            preexec_fn=lambda: os.close(1),
        )
        assert (done.returncode, done.stderr) == (0, ""), env


def test_what_the_quick_path_takes_and_leaves(tmp_path: Path) -> None:
    home = tmp_path / "lib"
    found = quick.parameters(["--home", str(home), "search", "显存 优化", "--limit", "5", "--json"])
    assert found == {
        "query": "显存 优化",
        "topic": None,
        "site": None,
        "status": None,
        "since": None,
        "limit": 5,
        "page": 1,
        "home": home,
        "json_output": True,
    }
    assert quick.parameters(["search", "", "--page", "007"]) == {**found, "query": "", "page": 7,
        "limit": 20, "home": None, "json_output": False}  # fmt: skip
    several = quick.parameters(["search", "显存", "--limit", "5", "优化", "--json"])
    assert several is not None and several["query"] == "显存 优化"
    for line in (
        ["search", "显存", "--help"],
        ["search", "-h"],
        ["--help", "search", "显存"],
        ["search", "显存", "--limit=5"],
        ["search", "显存", "--limit", "-1"],
        ["search", "显存", "--limit", "１"],  # typer would have to judge a full-width digit
        ["search", "显存", "--topic", "--json"],  # typer takes --json for the topic
        ["search", "显存", "--page"],
        ["search", "显存", "--site", "a", "--site", "b"],
        ["search", "--", "-显存"],
        ["search", "-显存"],
        ["search", "显存", "--verbose"],
        ["search"],
        ["--home", "a", "--home", "b", "search", "显存"],
        ["--home", "search", "显存"],
        ["related", "显存"],
        [],
    ):
        assert quick.parameters(line) is None, line


def test_a_terminal_colours_the_same_either_way(library: Path) -> None:
    """A run whose stdout is a terminal (here a pseudo-terminal) gets the same colours."""
    import os
    import pty

    outputs = []
    for env in ({}, BY_TYPER):
        leader, follower = pty.openpty()
        done = subprocess.run(
            [sys.executable, "-m", "linkindex", "search", "显存优化", "--home", str(library)],
            stdout=follower,
            stderr=subprocess.PIPE,
            env=child_env(TERM="xterm", **env),
            timeout=60,
        )
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        os.close(leader)
        assert done.returncode == 0, done.stderr
        outputs.append(b"".join(chunks))
    assert b"\x1b[1;33m" in outputs[0]  # the matches are highlighted
    assert outputs[0] == outputs[1]


def test_json_of_the_quick_path_is_the_documented_object(library: Path) -> None:
    done = _run(["search", "显存优化", "--json", "--home", str(library)])
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["hits"][0]["url"] == MEMORY
    assert set(found) == {"query", "total", "page", "limit", "hits", "suggestions"}


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_stops_a_quick_search_cleanly(library: Path, sig: int, code: int) -> None:
    """Ctrl-C or SIGTERM at any moment of a quick search once linkindex's code runs (it
    loads SQLite's library then): exit 130 or 143 with the one line (or the search had
    already ended), never a traceback."""
    for moment in (0.0, 0.005, 0.01, 0.02, 0.04, 0.08, 0.15):
        command = [sys.executable, "-m", "linkindex", "search", "显存优化", "--home", str(library)]
        process = signal_while_loading(command, sig, moment)
        out, err = process.stdout, process.stderr
        if process.returncode == 0:
            # It had finished before the signal; or the signal met Python's import lock
            # releasing a module (a weakref callback), where CPython prints the exception
            # and drops it, as it does for any program (whoosh loads its codec as the
            # search opens the index, and the typer path imports more inside commands).
            assert "Traceback" not in err or "Exception ignored in" in err, (moment, err)
            continue
        assert process.returncode == code, (moment, process.returncode, err)
        assert len(err.strip().splitlines()) == 1, (moment, err)
        assert interrupted_says(out, err) == "nothing is changed", (moment, err)
