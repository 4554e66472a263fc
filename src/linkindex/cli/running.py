"""How a command runs, without typer: what it prints, how it ends, the home it works on.

Every command's work runs inside ``guarded``: a LinkindexError becomes one ``error:``
line and exit 1 or 2, Ctrl-C and SIGTERM one ``interrupted:`` line and exit 130 or 143,
a closed pipe a quiet exit 0. A command ends early by raising ``Exit``. The typer
application (``common.command``) runs commands this way and turns ``Exit`` into typer's;
the quick path of ``linkindex search`` (``quick``) runs its one command without loading
typer at all (~40 ms of a search process), which is why nothing here imports it.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import sys
import traceback
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from linkindex.cli import StoppedEarly, carried, interrupted_line, unraised
from linkindex.errors import LinkindexError, UserError
from linkindex.printable import terminal_text

if TYPE_CHECKING:
    from linkindex.store import Store


class Exit(Exception):
    """End the command now with ``code`` (what it had to say is said)."""

    def __init__(self, code: int = 0) -> None:
        super().__init__(code)
        self.exit_code = code


EXIT_USER = 1
EXIT_INTERNAL = 2
#: Exit codes after Ctrl-C (128 + SIGINT) and after SIGTERM (128 + SIGTERM), as shells report.
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143

#: Set when SIGTERM asked this process to stop (it then stops the way Ctrl-C does).
_terminated = False


def _on_sigterm(signum: int, frame: Any) -> None:
    """Stop like Ctrl-C: hand the signal to whatever handles SIGINT right now.

    That is Python's KeyboardInterrupt, or asyncio's handler while a crawl runs (it
    cancels the crawl's tasks first). A SIGINT that the shell told us to ignore (a job
    started with ``&``) must not make SIGTERM ignored too.
    """
    global _terminated
    _terminated = True
    handler = signal.getsignal(signal.SIGINT)
    if callable(handler) and handler is not signal.default_int_handler:
        handler(signal.SIGINT, frame)
        return
    asyncio = sys.modules.get("asyncio")
    loop = asyncio._get_running_loop() if asyncio is not None else None
    if loop is not None:
        # An event loop without asyncio's own Ctrl-C handling (SIGINT was ignored when
        # it started): an exception raised here would land in the middle of whatever
        # the loop runs. Its tasks are cancelled from within the loop instead, which
        # the crawl takes as being stopped.
        loop.call_soon_threadsafe(_cancel_tasks, loop)
        return
    raise KeyboardInterrupt


def terminated() -> bool:
    """Whether SIGTERM (rather than Ctrl-C) asked this process to stop."""
    return _terminated


def _cancel_tasks(loop: Any) -> None:
    """Cancel every task of ``loop`` (called in the loop, after SIGTERM)."""
    import asyncio

    for task in asyncio.all_tasks(loop):
        task.cancel()


def interrupted_code() -> int:
    """The exit code of a command stopped by Ctrl-C (130) or SIGTERM (143).

    The command is stopping from now on: a second Ctrl-C or SIGTERM changes nothing
    (no traceback from the middle of the cleanup).
    """
    if threading_is_main():
        _stop_listening()
    return EXIT_TERMINATED if _terminated else EXIT_INTERRUPTED


def interrupted(kept: str) -> NoReturn:
    """End a command that Ctrl-C or SIGTERM stopped: one line on stderr, exit 130 or 143.

    Every stopped command ends with the same line, after whatever it printed on stdout
    about the work it did: ``interrupted: KEPT; run the same command again to go on``.
    ``kept`` says what of that work the library keeps, in the user's words
    (``120 of 400 links crawled are kept``).
    """
    code = interrupted_code()
    say(interrupted_line(kept), err=True)
    raise Exit(code)


def _stop_listening() -> None:
    """After the first Ctrl-C/SIGTERM the command is stopping: further ones change nothing."""
    for number in (signal.SIGINT, signal.SIGTERM):
        with suppress(ValueError, OSError):  # not the main thread (tests calling commands)
            signal.signal(number, signal.SIG_IGN)


class _WarningLine(logging.Handler):
    """The library's warnings (``logging.getLogger("linkindex")``) as ``warning:`` lines."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            say(f"warning: {record.getMessage()}", err=True)
        except Exception:  # a closed stderr must not fail the command
            self.handleError(record)


def _prepare_process() -> None:
    """What every command needs before it runs: SIGTERM handling and warning lines."""
    library = logging.getLogger("linkindex")
    if not any(isinstance(h, _WarningLine) for h in library.handlers):
        library.addHandler(_WarningLine(logging.WARNING))
        library.propagate = False
    if threading_is_main():
        signal.signal(signal.SIGTERM, _on_sigterm)
        if ctrl_c_at_work:
            signal.signal(signal.SIGINT, signal.default_int_handler)


def threading_is_main() -> bool:
    """Whether this is the main thread (signal handlers can only be set there)."""
    import threading

    return threading.current_thread() is threading.main_thread()


#: Whether a command's work runs (``guarded``): a stop Python lost in a callback is then
#: sent again (``cli.keep_stop``).
working = False

#: Set by the console script (``cli.main``): this process is the command's own, and its
#: signals end with the command. Commands run in another program (tests) leave them be.
own_process = False

#: Set by the console script (``cli.main``) where Ctrl-C raises KeyboardInterrupt (not
#: ignored): its own handling comes back as the work begins (``_prepare_process``); until
#: then a Ctrl-C stops the command as one while it loads, with its line (typer's parsing
#: answered one with a bare exit 130).
ctrl_c_at_work = False


def _command_ended() -> None:
    """The command has ended: Ctrl-C and SIGTERM are ignored from now on, in the
    command's own process, so that one landing as the process exits cannot turn a
    finished command into a traceback (or, inside typer, "Aborted!")."""
    if own_process and threading_is_main():
        _stop_listening()


def guarded(
    func: Callable[..., Any],
    kept: str,
    /,
    *args: Any,
    passing: tuple[type[BaseException], ...] = (),
    **kwargs: Any,
) -> Any:
    """Run a command's work: its errors become one-line messages and exit codes.

    A UserError exits 1, any other failure 2 (``LINKINDEX_DEBUG=1`` shows the traceback).
    Ctrl-C exits 130 and SIGTERM 143, after the command's own cleanup has run, with the
    one ``interrupted`` line and no traceback; ``kept`` is what that line says the
    library keeps when the command itself did not say more. ``Exit`` and the exceptions
    ``passing`` names go through as they are. Once the work has ended, however it
    ended, a signal changes nothing (``_command_ended``); one that lands in the instant
    before is a stop like any other.
    """
    global working
    before = working
    try:
        try:
            # (a stop landing as the handling is set up is raised here, and handled below)
            _prepare_process()
            working = True
            done = func(*args, **kwargs)
        finally:
            working = before
            # A Ctrl-C landing before this call is raised here, and handled below.
            _command_ended()
        _lost_stop(kept)
        return done
    except Exit:
        raise
    except passing:
        raise
    except BrokenPipeError:
        # `linkindex ... | head`: the reader left; stop quietly like other tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        raise Exit(0) from None
    except KeyboardInterrupt:
        interrupted(kept)
    except UserError as exc:
        _lost_stop(kept)
        fail(str(exc), code=EXIT_USER)
    except LinkindexError as exc:
        _lost_stop(kept)
        fail(str(exc), code=EXIT_INTERNAL)
    except Exception as exc:
        if carried(exc, StoppedEarly):
            raise  # (before the work began: it ends as a command stopped while it loads)
        if carried(exc, KeyboardInterrupt):
            interrupted(kept)
        _lost_stop(kept)
        if os.environ.get("LINKINDEX_DEBUG"):
            traceback.print_exc()
        fail(
            f"internal error: {type(exc).__name__}: {exc} "
            "(set LINKINDEX_DEBUG=1 for the traceback and report it)",
            code=EXIT_INTERNAL,
        )


def _lost_stop(kept: str) -> None:
    """End the command as stopped if a Ctrl-C or SIGTERM came that Python could not raise
    where it landed (``cli.keep_stop``): the work went on to its end, and what it did is
    kept, but the command was asked to stop."""
    global _terminated
    if unraised:
        _terminated = _terminated or unraised[0] == signal.SIGTERM
        interrupted(kept)


def fail(message: str, *, code: int = EXIT_USER) -> None:
    """Print ``error: message`` on stderr and exit with ``code``."""
    say(f"error: {message}", err=True)
    raise Exit(code)


def is_tty() -> bool:
    """Whether stdout is a terminal (progress bars and colour only then)."""
    stdout = sys.stdout  # None when the shell closed it (`linkindex search x >&-`)
    return stdout is not None and stdout.isatty() and os.environ.get("TERM") != "dumb"


def say(text: str = "", *, err: bool = False, nl: bool = True) -> None:
    """Print text for people, made ``printable`` first (``terminal_text``: with the
    bidirectional controls escaped, which would reorder what follows them).

    Every line a command prints goes through here: titles, headings, URLs, note paths
    and the errors servers sent come from outside, and a library imported before that
    text was cleaned still holds control characters and terminal escapes.
    """
    echo(terminal_text(text), err=err, nl=nl)


#: Characters JSON may carry raw that a terminal acts on (DEL and the C1 controls, U+009B
#: being CSI; the bidirectional controls, which reorder what follows) or that are no text
#: (lone surrogates, noncharacters): written as ``\\u`` escapes, which is the same JSON.
#: Compiled by the ``--json`` output that needs it (``re`` caches it).
_UNSAFE_IN_JSON = "[\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]"


def echo_json(value: Any) -> None:
    """Print a value as pretty, UTF-8 JSON (terminal controls escaped, never raw)."""
    import json

    text = json.dumps(value, ensure_ascii=False, indent=2)
    echo(re.sub(_UNSAFE_IN_JSON, lambda found: f"\\u{ord(found.group()):04x}", text))


#: Whether ``echo`` writes through typer (click's ``echo``), as it does unless the quick
#: path runs the command (``quick`` checks first that the streams need none of its care).
_through_typer = True
#: What click takes out of text written to a stream that is not a terminal.
_ANSI = re.compile(r"\033\[[;?0-9]*[a-zA-Z]")


def echo(text: str = "", *, err: bool = False, nl: bool = True) -> None:
    """Write text (already fit to print) to stdout or stderr and flush, as click does."""
    if _through_typer:
        import typer

        typer.echo(text, err=err, nl=nl)
        return
    stream = sys.stderr if err else sys.stdout
    if stream is None:
        return
    out = f"{text}\n" if nl else text
    if "\x1b" in out and not _isatty(stream):
        out = _ANSI.sub("", out)
    if out:
        stream.write(out)
    stream.flush()


def write_plainly() -> None:
    """Let ``echo`` write to the streams itself (the quick path: typer is not loaded)."""
    global _through_typer
    _through_typer = False


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except Exception:
        return False


#: ``linkindex --home DIR COMMAND``: the home given before the command, for this run.
_home_before_command: Path | None = None


def home_before_command(home: Path | None) -> None:
    """Remember the ``--home`` given before the command (``resolve_home`` falls back to it)."""
    global _home_before_command
    _home_before_command = home


def resolve_home(home: Path | None) -> Path:
    """The library home for a command."""
    from linkindex.home import resolve_home as resolve

    return resolve(home if home is not None else _home_before_command)


def open_store(home: Path | None, *, create: bool = False) -> Store:
    """Open the library's store; with ``create=False`` an absent library is a UserError."""
    from linkindex.store import Store

    return Store(resolve_home(home), create=create)
