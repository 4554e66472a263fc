"""The examples in README.md and docs/ are real: each ```console block is run and compared.

Every ``$ linkindex ...`` command that can run on the bundled notes without the
internet is run, in order, in a fresh library per document (so a document reads like
one session: import first, then the commands that need a library), and its output is
compared with the lines written under it. The comparison forgives only what cannot be
the same on two machines:

* a line ``...`` or ``…`` stands for any number of lines, and ``…`` inside a line for
  any text;
* the library home is shown as ``/home/me/.local/share/linkindex`` (the default home of
  a user called ``me``), this checkout as ``/home/me/linkindex`` and the interpreter as
  ``/usr/bin/python3``;
* durations (``0.41 s``, ``61.3s``) and ISO times (``2026-11-27T09:19:15Z``) match any
  other duration or time.

Commands that need the internet, a server or the user's crontab are not run; they are
listed with the reason in ``NOT_RUN``, so a new command is checked unless someone says why
it cannot be.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from children import child_env

ROOT = Path(__file__).resolve().parent.parent

DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

#: Commands whose examples are not run, and why. Anything else starting with
#: ``linkindex`` is run.
NOT_RUN = {
    "crawl": "fetches pages from the internet",
    "update": "crawls the internet",
    "serve": "starts a server",
    "curl": "talks to a running server",
    "schedule --install": "writes the user's crontab",
    "local site": "is about the local example site docs/crawl.md crawls, not the bundled notes",
}
#: Addresses of the local example site that docs/crawl.md crawls (not in the bundled notes).
_LOCAL_SITE = re.compile(r"https?://(127\.0\.0\.1|localhost)[:/]")

SHOWN_HOME = "/home/me/.local/share/linkindex"
SHOWN_PYTHON = "/usr/bin/python3"
SHOWN_CHECKOUT = "/home/me/linkindex"
_DURATION = re.compile(r"\b\d+(?:\.\d+)? ?s\b(?!\w)")
_TIME = re.compile(r"\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\b")
_ANY_LINES = ("...", "…")


@dataclass
class Example:
    """One command of a console block and the output written under it."""

    document: Path
    line: int
    command: str
    expected: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.document.relative_to(ROOT)}:{self.line}"


def console_blocks(document: Path) -> list[list[Example]]:
    """The ```console blocks of a document, each as its commands in order."""
    blocks: list[list[Example]] = []
    current: list[Example] | None = None
    for number, line in enumerate(document.read_text(encoding="utf-8").splitlines(), start=1):
        if current is None:
            if line.strip() == "```console":
                current = []
            continue
        if line.strip() == "```":
            blocks.append(current)
            current = None
        elif line.startswith("$ "):
            current.append(Example(document, number, line[2:].strip()))
        elif current:
            current[-1].expected.append(line.rstrip())
    return blocks


def why_not_run(command: str) -> str | None:
    """Why an example command is not run (None: it is run)."""
    words = shlex.split(command, comments=True)
    if not words:
        return "no command"
    if words[0] != "linkindex":
        return NOT_RUN.get(words[0], f"{words[0]} is not linkindex")
    sub = next((w for w in words[1:] if not w.startswith("-")), "")
    if sub == "schedule" and "--install" in words:
        return NOT_RUN["schedule --install"]
    if any(_LOCAL_SITE.match(word) for word in words):
        return NOT_RUN["local site"]
    return NOT_RUN.get(sub)


def _normal(line: str) -> str:
    line = _TIME.sub("<time>", line.rstrip())
    return _DURATION.sub("<duration>", line)


def _line_matches(expected: str, actual: str) -> bool:
    expected, actual = _normal(expected), _normal(actual)
    if "…" not in expected:
        return expected == actual
    pattern = ".*".join(re.escape(part) for part in expected.split("…"))
    return re.fullmatch(pattern, actual) is not None


def matches(expected: list[str], actual: list[str]) -> bool:
    """Whether the output fits the example (``...`` lines and ``…`` as wildcards)."""
    if not expected:
        return not actual
    head, rest = expected[0], expected[1:]
    if head.strip() in _ANY_LINES:
        return any(matches(rest, actual[skip:]) for skip in range(len(actual) + 1))
    return bool(actual) and _line_matches(head, actual[0]) and matches(rest, actual[1:])


def run_example(example: Example, home: Path, workdir: Path) -> list[str]:
    """Run an example command as a user would, in ``workdir``; its output as shown."""
    env = child_env(
        LINKINDEX_HOME=str(home),
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        COLUMNS="100",
    )
    done = subprocess.run(
        ["bash", "-c", example.command],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = done.stdout + done.stderr
    output = output.replace(str(home), SHOWN_HOME)
    interpreter = re.escape(str(Path(sys.executable).parent)) + r"/python[0-9.]*"
    output = re.sub(interpreter, SHOWN_PYTHON, output)
    output = output.replace(str(ROOT), SHOWN_CHECKOUT)
    return output.splitlines()


def _documents_with_examples() -> list[Path]:
    return [
        d
        for d in DOCUMENTS
        if any(why_not_run(e.command) is None for b in console_blocks(d) for e in b)
    ]


@pytest.mark.timeout(600)
@pytest.mark.parametrize("document", _documents_with_examples(), ids=lambda d: d.name)
def test_console_examples_are_real_output(document: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    workdir = tmp_path / "work"
    workdir.mkdir()
    (workdir / "data").symlink_to(ROOT / "data")
    wrong = []
    runnable = [e for b in console_blocks(document) for e in b if why_not_run(e.command) is None]
    if runnable and not runnable[0].command.startswith("linkindex import"):
        # a document about a library in use starts from the bundled notes, imported
        setup = Example(document, 0, "linkindex import data/notes")
        assert "0 failed" in "\n".join(run_example(setup, home, workdir))
    for example in runnable:
        actual = run_example(example, home, workdir)
        if not matches(example.expected, actual):
            wrong.append(
                f"{example.name}: $ {example.command}\n"
                + "--- written\n"
                + "\n".join(example.expected)
                + "\n--- real\n"
                + "\n".join(actual)
            )
    assert not wrong, "examples that are not real output:\n\n" + "\n\n".join(wrong)


def test_every_command_in_the_readme_has_an_example_that_runs_or_a_reason() -> None:
    """Each console command either runs here or is listed in NOT_RUN with its reason."""
    for document in DOCUMENTS:
        for block in console_blocks(document):
            for example in block:
                reason = why_not_run(example.command)
                assert reason is None or reason in NOT_RUN.values(), (
                    f"{example.name}: {example.command!r} is neither run nor in NOT_RUN"
                )


def test_every_example_of_a_command_is_marked_console() -> None:
    """A fenced block of ``$`` commands that is not marked ``console`` would not be run."""
    unmarked = []
    for document in DOCUMENTS:
        lines = document.read_text(encoding="utf-8").splitlines()
        fence = None
        for number, line in enumerate(lines, start=1):
            if line.startswith("```"):
                fence = None if fence is not None else (number, line[3:].strip())
                continue
            starts = fence is not None and number == fence[0] + 1 and line.startswith("$ ")
            if starts and fence is not None and fence[1] != "console":
                unmarked.append(f"{document.relative_to(ROOT)}:{fence[0]}")
    assert not unmarked, "mark these blocks ```console: " + ", ".join(unmarked)


def test_the_matcher_tells_real_output_from_a_stale_example() -> None:
    assert matches(["a", "...", "d"], ["a", "b", "c", "d"])
    assert matches(["a", "…", "d"], ["a", "d"])
    assert matches(["indexed 3 links in 0.41 s"], ["indexed 3 links in 1.2 s"])
    assert matches(["x https://mp.weixin.qq.com/s/…"], ["x https://mp.weixin.qq.com/s/abc"])
    assert not matches(["skipped links: relative 2"], [])
    assert not matches(["a", "b"], ["a", "b", "c"])
    assert not matches(["indexed 3 links"], ["indexed 4 links"])
