"""A Ctrl-C or SIGTERM in a command's first tenths of a second, while its modules load,
stops it like a running command: exit 130 or 143, one line, no traceback."""

from __future__ import annotations

import signal
import sys
import textwrap
from pathlib import Path

import pytest

from children import interrupted_says, run_python, signal_while_loading

#: Moments after linkindex's own code began (None: as soon as the command's modules load,
#: which map SQLite's library), in seconds: the load and around the time it ends. Before
#: Python has started, nothing but the default action can meet a signal.
MOMENTS = (None, 0.0, 0.005, 0.01, 0.02, 0.03, 0.05, 0.08, 0.15)


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_while_the_command_loads_stops_it_cleanly(
    tmp_path: Path, sig: int, code: int
) -> None:
    home = tmp_path / "home"
    for moment in MOMENTS:
        command = [str(Path(sys.executable).with_name("linkindex")), "stats", "--home", str(home)]
        process = signal_while_loading(command, sig, moment or 0)
        out, err = process.stdout, process.stderr
        if process.returncode in (0, 1) and "Traceback" not in err:
            continue  # it had finished (or refused the empty home) before the signal
        assert process.returncode == code, (moment, process.returncode, err)
        assert len(err.strip().splitlines()) == 1, (moment, err)
        assert interrupted_says(out, err) == "nothing is changed", (moment, err)


def test_a_ctrl_c_wrapped_by_python_is_still_an_interruption(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Python 3.11 wraps a KeyboardInterrupt raised while it creates a class (a module
    loading as the command runs) in a RuntimeError: it is an interruption, not an
    internal error."""
    import typer

    from linkindex.cli import common, running

    monkeypatch.setattr(running, "_stop_listening", lambda: None)  # (pytest's own process)

    def loads_a_module() -> None:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as stop:
            raise RuntimeError("Error calling __set_name__ on 'Field' instance") from stop

    common.command("test-wrapped-interrupt", hidden=True)(loads_a_module)
    (registered,) = [
        c for c in common.app.registered_commands if c.name == "test-wrapped-interrupt"
    ]
    try:
        assert registered.callback is not None
        with pytest.raises(typer.Exit) as stopped:
            registered.callback()
    finally:
        common.app.registered_commands.remove(registered)
    assert stopped.value.exit_code == 130


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_an_early_stop_wrapped_by_python_while_loading_is_still_one(sig: int, code: int) -> None:
    """A signal that lands while a module the command loads creates a class (a quick
    search met it in ``store.library``'s dataclasses) comes as a RuntimeError: it
    stops the command like any early signal, not with a traceback."""
    script = (
        "import signal, sys\n"
        "import linkindex.cli as cli\n"
        "def loading(args):\n"
        f"    try:\n        cli._stop_early({int(sig)}, None)\n"
        "    except cli.StoppedEarly as stop:\n"
        "        raise RuntimeError('Error calling __set_name__ on Field') from stop\n"
        "cli._quick_runner = loading\n"
        "sys.argv = ['linkindex', 'search', 'x']\n"
        "cli.main()\n"
    )
    done = run_python(script)
    assert done.returncode == code, done.stderr
    assert "Traceback" not in done.stderr
    assert interrupted_says(done.stdout, done.stderr) == "nothing is changed"


#: A command's process whose work has ended, then signalled as it exits.
_ENDED_THEN_SIGNALLED = """
import os, signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)
from linkindex.cli import running
running.own_process = True
running.guarded(lambda: print("done", flush=True), "nothing is changed")
os.kill(os.getpid(), signal.{name})
print("exits as the command ended", flush=True)
"""


@pytest.mark.parametrize("name", ["SIGINT", "SIGTERM"])
def test_a_signal_after_the_work_ended_changes_nothing(name: str) -> None:
    """Once a command's work has ended (here: the export's book written), a Ctrl-C or
    SIGTERM as its process exits is dropped: the command's exit code stands. Before, one
    landing as typer and ``main`` wound up escaped as a KeyboardInterrupt (a traceback,
    and the process killed by SIGINT)."""
    done = run_python(_ENDED_THEN_SIGNALLED.replace("{name}", name))
    assert (done.returncode, done.stdout, done.stderr) == (
        0,
        "done\nexits as the command ended\n",
        "",
    )


def test_a_ctrl_c_in_the_instant_the_work_ends_is_a_stop(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A Ctrl-C landing after the work returned but before its signals were set aside is
    raised there, and ends the command as any stop does (one line, 130)."""
    from linkindex.cli import running

    def lands_now() -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(running, "_command_ended", lands_now)
    monkeypatch.setattr(running, "_stop_listening", lambda: None)  # (pytest's own process)
    with pytest.raises(running.Exit) as ended:
        running.guarded(lambda: None, "nothing is changed")
    assert ended.value.exit_code == 130
    assert interrupted_says("", capsys.readouterr().err) == "nothing is changed"


#: A command's process where a Ctrl-C or SIGTERM lands in a weakref callback (``dropped``:
#: where the signal's handler raised it) as ``command`` (written after this) drops a lock.
_LOST_STOP = """
import signal, sys, time, weakref
from linkindex import cli
from linkindex.cli import running
from linkindex.errors import UserError
signal.signal(signal.SIGINT, signal.default_int_handler)  # as a terminal starts it
sys.unraisablehook = cli.keep_stop  # as cli.main sets it
running.own_process = True

class Lock:
    pass

def dropped(_ref):
    if {sig} == signal.SIGTERM:
        running._on_sigterm(signal.SIGTERM, None)
    raise KeyboardInterrupt

def drop_a_lock():
    lock = Lock()
    ref = weakref.ref(lock, dropped)
    del lock
"""


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_stop_python_cannot_raise_where_it_lands_still_stops_the_command(
    sig: int, code: int
) -> None:
    """A Ctrl-C or SIGTERM that lands in a weakref callback (the import system drops its
    module locks through one, so a command loading a module meets it) cannot be raised
    there: Python printed "Exception ignored" with a traceback, and the command ended
    as if never stopped (exit 1 for an empty library). The command ends as stopped:
    one line, exit 130 or 143."""
    script = _LOST_STOP.format(sig=int(sig)) + textwrap.dedent(
        """
        def command():
            drop_a_lock()
            raise UserError("the library has no notes yet")

        try:
            running.guarded(command, "nothing is changed")
        except running.Exit as end:
            sys.exit(end.exit_code)
        """
    )
    ran = run_python(script)
    assert ran.returncode == code, ran.stderr
    assert "Traceback" not in ran.stderr and "Exception ignored" not in ran.stderr
    assert interrupted_says(ran.stdout, ran.stderr) == "nothing is changed"


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_stop_python_cannot_raise_where_it_lands_stops_a_long_command_at_once(
    sig: int, code: int
) -> None:
    """A Ctrl-C or SIGTERM lost in a weakref callback while a long command works (a
    crawl loading a module as it goes) stops the command then, not once its work has
    run to its end: the signal is sent again, to be raised in the command's code."""
    script = _LOST_STOP.format(sig=int(sig)) + textwrap.dedent(
        """
        def command():
            drop_a_lock()
            deadline = time.monotonic() + 60  # a long crawl's work
            while time.monotonic() < deadline:
                time.sleep(0.05)
            print("worked to the end")

        began = time.monotonic()
        try:
            running.guarded(command, "120 of 400 links crawled are kept")
        except running.Exit as end:
            print(f"after {time.monotonic() - began:.1f} s")
            sys.exit(end.exit_code)
        """
    )
    ran = run_python(script)
    assert ran.returncode == code, ran.stderr
    assert "worked to the end" not in ran.stdout
    seconds = float(ran.stdout.split("after ")[1].split(" s")[0])
    assert seconds < 10, ran.stdout
    assert "Exception ignored" not in ran.stderr
    assert interrupted_says("", ran.stderr) == "120 of 400 links crawled are kept"


#: A command's process (``cli.main``) where a Ctrl-C or SIGTERM lands in the instant
#: before the command's work, at ``{where}``, which sends it (typer's parsing, the quick
#: search setting up, or the command setting its own handling up, or once it has).
_STOP_AT = """
import os, signal, sys
signal.signal(signal.SIGINT, signal.default_int_handler)  # as a terminal starts it
import linkindex.cli as cli
from linkindex.cli import common, running

def stopped_at(real):
    def then(*args, **kwargs):
        if real.__name__ == "_prepare_process":  # (once it has run)
            real(*args, **kwargs)
            os.kill(os.getpid(), {sig})
            return None
        os.kill(os.getpid(), {sig})
        return real(*args, **kwargs)
    return then

{where} = stopped_at({where})
sys.argv = ["linkindex", *{argv}]
cli.main()
"""


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
@pytest.mark.parametrize(
    ("where", "command"),
    [
        ("common.guarded", "stats"),  # typer has read the command line
        ("running.write_plainly", "search"),  # the quick search's first step
        ("running.threading_is_main", "search"),  # as the command sets its handling up
        ("running.threading_is_main", "stats"),
        ("running._prepare_process", "search"),  # once the command's handling is set up
        ("running._prepare_process", "stats"),
    ],
)
def test_a_stop_in_the_instant_before_the_work_is_a_stop(
    tmp_path: Path, where: str, command: str, sig: int, code: int
) -> None:
    """A Ctrl-C or SIGTERM between the command's loading and its work stops it like any
    other: one line, exit 130 or 143. Before, typer answered a Ctrl-C after it read the
    command line with a bare exit 130, and the quick search one before its work too; a
    SIGTERM as the command set its own handling up exited 130, with no line."""
    argv = [command, *(["x"] if command == "search" else []), "--home", str(tmp_path)]
    done = run_python(_STOP_AT.format(sig=int(sig), where=where, argv=argv))
    assert done.returncode == code, (done.returncode, done.stderr)
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert interrupted_says(done.stdout, done.stderr) == "nothing is changed"
