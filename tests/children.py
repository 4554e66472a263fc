"""The processes a test starts: their environment (they may not leave the machine either),
how ``linkindex`` is run as one, and a look at what is left of them in /proc.

The socket guard in ``conftest`` holds only inside the test process. A child (``linkindex
crawl``, ``serve``, a browser) gets ``HTTP(S)_PROXY`` and ``ALL_PROXY`` pointing at a
loopback port where nothing listens, with ``NO_PROXY`` only for 127.0.0.1 and localhost:
a request to the local test servers goes straight there, and any other fails at once
(connection refused) instead of reaching the internet. linkindex never resolves a
proxied name itself, so no DNS look-up leaves the child either.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

#: The proxy variables, in both spellings: the lower-case ones win for most programs.
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")

_closed: socket.socket | None = None


def closed_port() -> int:
    """A loopback port that refuses connections for the whole test session.

    The socket is bound (so no one else gets the port) but never listens.
    """
    global _closed
    if _closed is None:
        _closed = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        _closed.bind(("127.0.0.1", 0))
    return int(_closed.getsockname()[1])


def child_env(**extra: str) -> dict[str, str]:
    """``os.environ`` with the proxies of a child that must stay on this machine."""
    env = {name: value for name, value in os.environ.items() if name.upper() not in PROXY_VARIABLES}
    proxy = f"http://127.0.0.1:{closed_port()}"
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        env[name] = env[name.lower()] = proxy
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env.update(extra)
    return env


def run_python(
    script: str, *, timeout: float = 120, **kwargs: Any
) -> subprocess.CompletedProcess[str]:
    """A Python script run in a child that stays on this machine (``child_env``, unless
    ``env`` says otherwise), its output captured as text."""
    kwargs.setdefault("env", child_env())
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=timeout, **kwargs
    )


def linkindex_env(home: Path) -> dict[str, str]:
    """The environment of a linkindex child process: its own home, no way out."""
    env = child_env(LINKINDEX_HOME=str(home), PYTHONUNBUFFERED="1")
    env.pop("LINKINDEX_DEBUG", None)
    return env


def ctrl_c_back() -> None:
    """In a child about to start: Ctrl-C does what it does in a terminal. A test run
    started in the background (``&``, nohup) hands its children an ignored SIGINT, which
    linkindex keeps, as any program does."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_script(script: Path, **options: Any) -> subprocess.Popen[str]:
    """``python SCRIPT`` in a new session, its output and errors read as text."""
    return subprocess.Popen(
        [sys.executable, str(script)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        **options,
    )


def start(home: Path, *args: str) -> subprocess.Popen[str]:
    """``linkindex ARGS`` in a new session (its pid is the session id)."""
    return subprocess.Popen(
        [sys.executable, "-m", "linkindex", *args],
        env=linkindex_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=ctrl_c_back,
    )


def run(home: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``linkindex ARGS`` run to its end, its output captured."""
    return subprocess.run(
        [sys.executable, "-m", "linkindex", *args],
        env=linkindex_env(home),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def process_fields(pid: int) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name (None: no such process)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # "pid (comm) state ppid pgrp session ...": comm may hold spaces and parentheses
    return raw[raw.rindex(")") + 2 :].split()


def session_members(session: int) -> list[int]:
    """Live processes of a session (zombies aside)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = process_fields(int(entry.name))
        if fields and fields[0] != "Z" and int(fields[3]) == session:
            found.append(int(entry.name))
    return found


def children_of(pid: int) -> list[int]:
    """Live child processes of ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = process_fields(int(entry.name))
            if fields and fields[0] != "Z" and int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def wait_for(condition: object, timeout: float, what: str) -> None:
    """Wait until ``condition()`` holds; AssertionError naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def leftovers(session: int, timeout: float = 5.0) -> list[str]:
    """What is still running in ``session`` after ``timeout`` seconds (command lines)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not session_members(session):
            return []
        time.sleep(0.05)
    lines = []
    for pid in session_members(session):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        lines.append(f"{pid}: {cmdline.decode(errors='replace')}")
        os.kill(pid, signal.SIGKILL)  # leave nothing behind for the next test either
    return lines


def many_notes(folder: Path, notes: int, links: int) -> Path:
    """A notes folder big enough for the import to parse in worker processes for a while."""
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(notes):
        parts = [f"---\ntitle: 笔记{n}\ncategory: 测试\n---\n"]
        for section in range(4):
            parts.append(f"\n# 主题{section}\n\n## 参考{n % 7}\n")
            for i in range(links // 4):
                parts.append(
                    f"\nhttps://mp.weixin.qq.com/s/n{n}s{section}l{i}\n\n"
                    f"显存优化与分布式训练的第{i}篇笔记 {n}\n\n"
                    f"- 一条 *说明* 带着 `代码` 和 [链接](https://example.com/{n}/{i})\n"
                )
        (folder / f"2020-1-{n % 28 + 1}-note{n}.md").write_text("".join(parts), encoding="utf-8")
    return folder


def signal_when_workers_run(process: subprocess.Popen[str], sig: int, *, group: bool) -> None:
    """Send ``sig`` once the command's worker processes have been at work for a moment."""
    wait_for(
        lambda: len(children_of(process.pid)) >= 2 or process.poll() is not None,
        60,
        "the command's worker processes",
    )
    time.sleep(0.2)  # the workers are parsing now
    assert process.poll() is None, "the command finished before it could be interrupted"
    assert len(children_of(process.pid)) >= 2, "the workers were gone before the signal"
    if group:
        os.killpg(process.pid, sig)  # a terminal's Ctrl-C reaches the whole group
    else:
        os.kill(process.pid, sig)


#: The line every command stopped by Ctrl-C or SIGTERM ends with (``cli.running.interrupted``).
INTERRUPTED = re.compile(r"interrupted: (?P<kept>.+); run the same command again to go on")


def loading(pid: int) -> bool:
    """Whether a linkindex child runs its own code yet: its modules load SQLite's library
    (before that, Python itself is starting, and a signal meets its default action)."""
    try:
        return "_sqlite3" in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


def signal_while_loading(
    command: list[str], sig: int, moment: float
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` (a linkindex), send it ``sig`` ``moment`` seconds after its own code
    began (``loading``), and return how it ended."""
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(),
        preexec_fn=ctrl_c_back,
    )
    deadline = time.monotonic() + 20
    while not loading(process.pid) and process.poll() is None:
        assert time.monotonic() < deadline, "the command never loaded"
        time.sleep(0.001)
    time.sleep(moment)
    process.send_signal(sig)
    out, err = process.communicate(timeout=30)
    return subprocess.CompletedProcess(command, process.returncode, out, err)


def interrupted_says(out: str, err: str) -> str:
    """What a stopped command's one ``interrupted:`` line says it kept.

    Asserts that the line is on stderr, alone of its kind, and that stdout says nothing
    about the stop (it holds only what the command did), and there is no traceback.
    """
    assert "interrupted:" not in out and "run the same command again" not in out, out
    assert "Traceback" not in out + err, err
    said = [line for line in err.splitlines() if "interrupted" in line or "error:" in line]
    assert len(said) == 1, err
    found = INTERRUPTED.fullmatch(said[0])
    assert found is not None, err
    return found["kept"]
