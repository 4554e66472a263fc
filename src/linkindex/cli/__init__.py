"""The ``linkindex`` command line: thin typer commands over the library.

Each command module registers its commands on the typer application of ``common``;
they import the operations they need inside the command so that a short command pays
only for itself. A run of ``linkindex COMMAND`` imports only the module of that
command, and builds only that command: typer builds (and inspects the signature of)
every command it has, ~30 ms of a ``linkindex search`` for the fourteen others.
``linkindex.cli.app`` is the application with every command (help, tests, programs that
drive the CLI).
"""

from __future__ import annotations

import copy
import gc
import importlib
import signal
import sys
from collections.abc import Callable, Sequence
from typing import Any

#: The module of each command.
COMMANDS = {
    "import": "library",
    "topics": "library",
    "stats": "library",
    "crawl": "crawling",
    "show": "crawling",
    "search": "searching",
    "related": "searching",
    "index": "searching",
    "doctor": "searching",
    "update": "freshness",
    "due": "freshness",
    "schedule": "freshness",
    "report": "freshness",
    "export": "exporting",
    "serve": "serving",
}


def load_commands(names: Sequence[str] | None = None) -> Any:
    """Register the commands ``names`` (every command if None); returns the application."""
    wanted = sorted(set(COMMANDS.values())) if names is None else [COMMANDS[n] for n in names]
    for module in wanted:
        importlib.import_module(f"linkindex.cli.{module}")
    from linkindex.cli.common import app

    return app


def __getattr__(name: str) -> Any:
    if name == "app":
        return load_commands()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def only(app: Any, name: str) -> Any:
    """A copy of the application with the one command ``name``: typer builds every command
    of its module before it runs one (``search`` shares its module with three others)."""
    one = copy.copy(app)
    one.registered_commands = [c for c in app.registered_commands if c.name == name]
    return one


def named_command(args: Sequence[str]) -> str | None:
    """The command a command line runs (None: none of ours, or help for them all)."""
    rest = list(args)
    while rest and rest[0].startswith("-"):
        option = rest.pop(0)
        if option == "--home" and rest:  # the one option taking a value before a command
            rest.pop(0)
        elif option in ("--help", "-h"):
            return None
    return rest[0] if rest and rest[0] in COMMANDS else None


#: What the ``interrupted`` line of a command that changes nothing says is kept.
NOTHING_CHANGED = "nothing is changed"


def interrupted_line(kept: str) -> str:
    """The line every command stopped by Ctrl-C or SIGTERM ends with, on stderr
    (``running.interrupted``): what the library kept, and how to go on."""
    return f"interrupted: {kept}; run the same command again to go on"


class StoppedEarly(Exception):
    """A SIGTERM (or Ctrl-C) while the command was still loading."""


def _stop_early(signum: int, frame: object) -> None:
    raise StoppedEarly(signum)


#: The signal of each Ctrl-C or SIGTERM Python could not raise where it landed (``keep_stop``).
unraised: list[int] = []


def keep_stop(unraisable: Any) -> None:
    """``sys.unraisablehook`` of the command's process: a Ctrl-C or SIGTERM raised where
    Python cannot raise it (a weakref callback or a finalizer, such as the module locks'
    the import system drops while a command loads a module) was printed as "Exception
    ignored", lost, and the command went on as if never stopped. It is kept instead
    (``_keep``): the command stops at once if its work runs, else before it runs
    (``main``). Any other unraisable exception is printed as Python does."""
    stop = unraisable.exc_value
    if isinstance(stop, StoppedEarly):
        _keep(int(stop.args[0]))
    elif isinstance(stop, KeyboardInterrupt):
        running = sys.modules.get("linkindex.cli.running")
        terminated = running is not None and running.terminated()
        _keep(signal.SIGTERM if terminated else signal.SIGINT)
    else:
        sys.__unraisablehook__(unraisable)


def _keep(signum: int) -> None:
    """Keep a lost stop (``unraised``) and, while the command's work runs
    (``running.working``), send its signal again (``_send_again``), to be raised where
    the command's code runs: the command stops at once, as for any Ctrl-C or SIGTERM.
    A stop lost while the command loads ends it before it runs (``main``); one lost
    again and again, once its work returns (``running.guarded``)."""
    unraised.append(signum)
    running = sys.modules.get("linkindex.cli.running")
    if running is None or not running.working or len(unraised) > _SENT_AGAIN_AT_MOST:
        return
    try:
        _send_again(signum)
    except (KeyboardInterrupt, StoppedEarly):  # (the one sent, raised here all the same)
        _keep(signum)


#: Times a lost stop is sent again in one process (each can be lost again, in the rare
#: case it lands in another callback; the command still ends as stopped after its work).
_SENT_AGAIN_AT_MOST = 3
#: Seconds before a lost stop is sent again: time for this hook, and the callback that
#: lost it, to return (a signal handled inside them would be lost again).
_SENT_AGAIN_AFTER = 0.05


def _send_again(signum: int) -> None:
    """Send ``signum`` to the main thread again, shortly, from another thread."""
    import threading

    main = threading.main_thread()
    if threading.current_thread() is not main or main.ident is None:
        return  # (a stop is only ever raised in the main thread)
    again = threading.Timer(_SENT_AGAIN_AFTER, signal.pthread_kill, (main.ident, signum))
    again.daemon = True
    again.name = "linkindex-stop"
    again.start()


def carried(exc: BaseException, kind: type[BaseException]) -> BaseException | None:
    """The ``kind`` of exception ``exc`` is or carries, or None: a Ctrl-C or SIGTERM
    raised while Python created a class (a module loading) comes as a RuntimeError
    caused by it (Python 3.11's ``__set_name__`` wrapping)."""
    seen = 0
    cause: BaseException | None = exc
    while cause is not None and seen < 10:
        if isinstance(cause, kind):
            return cause
        cause, seen = cause.__cause__ or cause.__context__, seen + 1
    return None


def _quick_runner(args: Sequence[str]) -> Callable[[], int] | None:
    """``linkindex search`` without typer when its command line is plain (``quick``)."""
    from linkindex.cli import quick

    return quick.runner(args)


def _ignore_signals() -> None:
    """Ignore Ctrl-C and SIGTERM from now on; one that lands while this runs is dropped
    (the command has ended: its exit code stands)."""
    try:
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, signal.SIG_IGN)
    except (KeyboardInterrupt, StoppedEarly):
        _ignore_signals()


def main() -> None:
    """Entry point of the ``linkindex`` console script.

    A Ctrl-C or SIGTERM in the first tenths of a second, while the command's modules
    load, stops it as it stops a running command: one line, exit 130 or 143, no
    traceback (the command installs its own handling once it runs).
    """
    sys.unraisablehook = keep_stop
    signal.signal(signal.SIGTERM, _stop_early)
    ctrl_c = signal.getsignal(signal.SIGINT) is signal.default_int_handler
    if ctrl_c:  # an inherited "ignore" (a job started with &) stays as it is
        signal.signal(signal.SIGINT, _stop_early)
    # What loading creates (modules, classes, functions) lives as long as the process:
    # the cyclic garbage collector would walk it again and again for nothing (~10-25 ms
    # of a `linkindex search`). It is kept aside once loaded, and collecting resumes.
    gc.disable()
    try:
        from linkindex.cli import running

        running.own_process = True  # its signals end with the command (``guarded``)
        running.ctrl_c_at_work = ctrl_c
        name = named_command(sys.argv[1:])
        quick = _quick_runner(sys.argv[1:]) if name == "search" else None
        if quick is None:
            app = load_commands(None) if name is None else only(load_commands([name]), name)
        gc.freeze()
        gc.enable()
        if unraised:  # a stop while the command loaded, which Python could not raise
            raise StoppedEarly(unraised[0])
        if quick is not None:
            sys.exit(quick())
        app()
    except KeyboardInterrupt:
        # Ctrl-C or SIGTERM raised as one (``running._on_sigterm``) outside a command's
        # work, which handles its own (``running.guarded``)
        print(interrupted_line(NOTHING_CHANGED), file=sys.stderr)
        # (running is loaded: until then a Ctrl-C is a StoppedEarly)
        sys.exit(143 if running.terminated() else 130)
    except Exception as exc:
        stopped = carried(exc, StoppedEarly)
        if stopped is None:
            raise
        print(interrupted_line(NOTHING_CHANGED), file=sys.stderr)
        sys.exit(128 + int(stopped.args[0]))
    finally:
        # The command has ended: a signal now would only replace its exit code by the
        # signal's (Python restores the default actions while it shuts down).
        _ignore_signals()
