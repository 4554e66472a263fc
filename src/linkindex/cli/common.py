"""What every command shares: the typer application, --home, errors, output."""

from __future__ import annotations

import functools
import logging
import os
import re
import signal
import sys
import traceback
from collections.abc import Callable, Mapping
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer
from typer.core import TyperGroup

from linkindex.cli import interrupted_line
from linkindex.errors import LinkindexError, UserError
from linkindex.printable import terminal_text

if TYPE_CHECKING:
    from linkindex.config import Settings
    from linkindex.store import Store

#: The order `linkindex --help` lists the commands in: the flow from notes to reading.
COMMAND_ORDER = (
    "import", "topics", "stats", "crawl", "show", "search", "related", "index", "doctor",
    "update", "due", "schedule", "report", "export", "serve",
)  # fmt: skip


# click's exception classes as typer ships them (recent typer vendors its own click, so the
# `click` package's classes are not the ones raised); found through the public BadParameter.
UsageError: Any = typer.BadParameter.__mro__[1]
ClickException: Any = UsageError.__mro__[1]


class UsageProblem(ClickException):
    """A bad command line: one ``error:`` line with where to look, exit 1 (DESIGN.md)."""

    exit_code = 1

    def __init__(self, problem: Any) -> None:
        super().__init__(problem.format_message())
        self.command_path = problem.ctx.command_path if problem.ctx else "linkindex"

    def show(self, file: Any = None) -> None:
        """Print the one line on stderr."""
        say(f"error: {self.message.rstrip('.')}; see `{self.command_path} --help`", err=True)


class CommandGroup(TyperGroup):
    """The top-level group: commands in flow order, usage errors as one line, exit 1."""

    def list_commands(self, ctx: Any) -> list[str]:
        names = super().list_commands(ctx)
        rank = {name: i for i, name in enumerate(COMMAND_ORDER)}
        return sorted(names, key=lambda name: (rank.get(name, len(rank)), name))

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: Any = None,
        **extra: Any,
    ) -> Any:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except UsageError as problem:
            raise _one_line(problem) from problem

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except UsageError as problem:
            raise _one_line(problem) from problem


def _one_line(problem: Any) -> Any:
    # "linkindex" alone prints the help (click raises it as a usage error): keep that.
    if type(problem).__name__ == "NoArgsIsHelpError":
        return problem
    return UsageProblem(problem)


app = typer.Typer(
    name="linkindex",
    cls=CommandGroup,
    help="Turn Markdown notes full of links into a searchable, living library.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

#: ``linkindex --home DIR COMMAND``: the home given before the command, for this run.
_global_home: Path | None = None


@app.callback()
def _main_options(
    home: Annotated[
        Path | None,
        typer.Option(
            "--home",
            help="Library folder for the command (also accepted after the command).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Turn Markdown notes full of links into a searchable, living library."""
    global _global_home
    _global_home = home


HomeOption = Annotated[
    Path | None,
    typer.Option(
        "--home",
        help="Library folder (default: $LINKINDEX_HOME, else the user data dir).",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]

F = TypeVar("F", bound=Callable[..., Any])

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
    raise typer.Exit(code)


def links_kept(done: int, total: int) -> str:
    """What a stopped crawl keeps, for ``interrupted``."""
    return f"{done} of {total} links crawled are kept"


def notes_kept(imported: Mapping[str, Any]) -> str:
    """What a stopped import keeps, for ``interrupted``, from its summary's ``to_dict()``:
    the notes it read and those it found unchanged, of all it found."""
    done = imported.get("notes_read", 0) + imported.get("notes_unchanged", 0)
    return f"{done} of {imported.get('notes_found', 0)} notes imported are kept"


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


def threading_is_main() -> bool:
    """Whether this is the main thread (signal handlers can only be set there)."""
    import threading

    return threading.current_thread() is threading.main_thread()


def command(
    name: str | None = None, *, kept: str = "nothing is changed", **kwargs: Any
) -> Callable[[F], F]:
    """Register a command whose LinkindexErrors become one-line messages and exit codes.

    A UserError exits 1, any other failure 2 (``LINKINDEX_DEBUG=1`` shows the traceback).
    Ctrl-C exits 130 and SIGTERM 143, after the command's own cleanup has run, with the
    one ``interrupted`` line and no traceback; ``kept`` is what that line says the
    library keeps when the command itself did not say more.
    """

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kw: Any) -> Any:
            _prepare_process()
            try:
                return func(*args, **kw)
            except typer.Exit:
                raise
            except BrokenPipeError:
                # `linkindex ... | head`: the reader left; stop quietly like other tools do.
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
                raise typer.Exit(0) from None
            except KeyboardInterrupt:
                interrupted(kept)
            except UserError as exc:
                fail(str(exc), code=EXIT_USER)
            except LinkindexError as exc:
                fail(str(exc), code=EXIT_INTERNAL)
            except Exception as exc:
                if _stopped_inside(exc):
                    interrupted(kept)
                if os.environ.get("LINKINDEX_DEBUG"):
                    traceback.print_exc()
                fail(
                    f"internal error: {type(exc).__name__}: {exc} "
                    "(set LINKINDEX_DEBUG=1 for the traceback and report it)",
                    code=EXIT_INTERNAL,
                )

        app.command(name, **kwargs)(wrapper)
        return func

    return decorate


def _stopped_inside(exc: BaseException) -> bool:
    """Whether Ctrl-C (or SIGTERM) is what an exception carries: one raised while Python
    created a class (a module loading as the command runs) comes as a RuntimeError whose
    cause is the KeyboardInterrupt (Python 3.11's ``__set_name__`` wrapping)."""
    seen = 0
    cause: BaseException | None = exc
    while cause is not None and seen < 10:
        if isinstance(cause, KeyboardInterrupt):
            return True
        cause, seen = cause.__cause__ or cause.__context__, seen + 1
    return False


def fail(message: str, *, code: int = EXIT_USER) -> None:
    """Print ``error: message`` on stderr and exit with ``code``."""
    say(f"error: {message}", err=True)
    raise typer.Exit(code)


def is_tty() -> bool:
    """Whether stdout is a terminal (progress bars and colour only then)."""
    return sys.stdout.isatty() and os.environ.get("TERM") != "dumb"


def say(text: str = "", *, err: bool = False, nl: bool = True) -> None:
    """Print text for people, made ``printable`` first (``terminal_text``: with the
    bidirectional controls escaped, which would reorder what follows them).

    Every line a command prints goes through here: titles, headings, URLs, note paths
    and the errors servers sent come from outside, and a library imported before that
    text was cleaned still holds control characters and terminal escapes.
    """
    typer.echo(terminal_text(text), err=err, nl=nl)


#: Characters JSON may carry raw that a terminal acts on (DEL and the C1 controls, U+009B
#: being CSI; the bidirectional controls, which reorder what follows) or that are no text
#: (lone surrogates, noncharacters): written as ``\\u`` escapes, which is the same JSON.
#: Compiled by the ``--json`` output that needs it (``re`` caches it).
_UNSAFE_IN_JSON = "[\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]"


def echo_json(value: Any) -> None:
    """Print a value as pretty, UTF-8 JSON (terminal controls escaped, never raw)."""
    import json

    text = json.dumps(value, ensure_ascii=False, indent=2)
    typer.echo(re.sub(_UNSAFE_IN_JSON, lambda found: f"\\u{ord(found.group()):04x}", text))


def human_size(count: int) -> str:
    """A byte count as people read it: ``950 B``, ``412 KB``, ``3.4 MB``, ``1.2 GB``."""
    if count < 1000:
        return f"{count} B"
    for unit, scale in (("KB", 1e3), ("MB", 1e6), ("GB", 1e9)):
        if count < scale * 1000 or unit == "GB":
            value = count / scale
            return f"{value:.0f} {unit}" if value >= 100 or unit == "KB" else f"{value:.1f} {unit}"
    raise AssertionError("unreachable")


def resolve_home(home: Path | None) -> Path:
    """The library home for a command."""
    from linkindex.home import resolve_home as resolve

    return resolve(home if home is not None else _global_home)


def open_store(home: Path | None, *, create: bool = False) -> Store:
    """Open the library's store; with ``create=False`` an absent library is a UserError."""
    from linkindex.store import Store

    return Store(resolve_home(home), create=create)


def load_settings(home: Path | None) -> Settings:
    """The settings of the library at ``home``."""
    from linkindex.config import load_settings as load

    return load(resolve_home(home))
