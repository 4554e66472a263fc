"""What every command shares: the typer application, its options, how a command registers.

How a command runs (errors, exit codes, Ctrl-C, output, the home) is ``running``'s.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from typer.core import TyperGroup

from linkindex.cli import NOTHING_CHANGED
from linkindex.cli.running import Exit, guarded, home_before_command, resolve_home, say

if TYPE_CHECKING:
    from linkindex.config import Settings

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

    def __init__(self, problem: Any, command_path: str = "linkindex") -> None:
        """``command_path`` is where to look when click did not say (an option's
        missing value is found before the command's context is)."""
        super().__init__(_suggested_once(problem))
        self.command_path = problem.ctx.command_path if problem.ctx else command_path

        option = str(getattr(problem, "option_name", "") or "")
        # "-显存", "-tensorflow": a query word to leave out, read by click as a short
        # option ("-显", "-t"); search has no short options but -h.
        searching = problem.ctx is not None and problem.ctx.info_name == "search"
        self.word_not_option = searching and option[:1] == "-" and option[:2] != "--"

    def show(self, file: Any = None) -> None:
        """Print the one line on stderr."""
        if self.word_not_option:
            say(
                f"error: {self.message.rstrip('.')}; a query with a -word to leave out goes "
                f"after the options and `--`: {self.command_path} [OPTIONS] -- WORDS -word",
                err=True,
            )
            return
        say(f"error: {self.message.rstrip('.')}; see `{self.command_path} --help`", err=True)


#: How typer appends its suggestion of a command to a usage error's message.
_TYPER_SUGGESTION = ". Did you mean "


def _suggested_once(problem: Any) -> str:
    """The problem's message with one suggestion of a command: click 8.4 and later
    suggest close commands themselves (``possibilities``), and typer appends its own."""
    message = str(problem.format_message())
    if not getattr(problem, "possibilities", None) or _TYPER_SUGGESTION not in problem.message:
        return message
    own = str(problem.message)
    return own.split(_TYPER_SUGGESTION, 1)[0] + "." + message[len(own) :]


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
            command = ctx.invoked_subcommand  # resolved before its options are read
            path = f"{ctx.command_path} {command}" if command else ctx.command_path
            raise _one_line(problem, path) from problem


def _one_line(problem: Any, command_path: str = "linkindex") -> Any:
    # "linkindex" alone prints the help (click raises it as a usage error): keep that.
    if type(problem).__name__ == "NoArgsIsHelpError":
        return problem
    return UsageProblem(problem, command_path)


app = typer.Typer(
    name="linkindex",
    cls=CommandGroup,
    help="Turn Markdown notes full of links into a searchable, living library.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_version(asked: bool) -> None:
    """``--version``: the installed distribution's version, then exit 0."""
    if asked:
        from importlib.metadata import version

        say(f"linkindex {version('linkindex')}")
        raise typer.Exit()


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
    show_version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print linkindex's version and exit.",
            callback=_show_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """Turn Markdown notes full of links into a searchable, living library."""
    home_before_command(home)


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


def links_kept(done: int, total: int) -> str:
    """What a stopped crawl keeps, for ``interrupted``."""
    return f"{done} of {total} links crawled are kept"


def notes_kept(imported: Mapping[str, Any]) -> str:
    """What a stopped import keeps, for ``interrupted``, from its summary's ``to_dict()``:
    the notes it read and those it found unchanged, of all it found."""
    done = imported.get("notes_read", 0) + imported.get("notes_unchanged", 0)
    return f"{done} of {imported.get('notes_found', 0)} notes imported are kept"


def command(
    name: str | None = None, *, kept: str = NOTHING_CHANGED, **kwargs: Any
) -> Callable[[F], F]:
    """Register a command whose LinkindexErrors become one-line messages and exit codes
    (``running.guarded``; ``kept`` is what a stopped command's line says is kept)."""

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kw: Any) -> Any:
            try:
                return guarded(func, kept, *args, passing=(typer.Exit,), **kw)
            except Exit as end:
                raise typer.Exit(end.exit_code) from None

        app.command(name, **kwargs)(wrapper)
        return func

    return decorate


def human_size(count: int) -> str:
    """A byte count as people read it: ``950 B``, ``412 KB``, ``3.4 MB``, ``1.2 GB``."""
    if count < 1000:
        return f"{count} B"
    for unit, scale in (("KB", 1e3), ("MB", 1e6), ("GB", 1e9)):
        if count < scale * 1000 or unit == "GB":
            value = count / scale
            return f"{value:.0f} {unit}" if value >= 100 or unit == "KB" else f"{value:.1f} {unit}"
    raise AssertionError("unreachable")


def load_settings(home: Path | None) -> Settings:
    """The settings of the library at ``home``."""
    from linkindex.config import load_settings as load

    return load(resolve_home(home))
