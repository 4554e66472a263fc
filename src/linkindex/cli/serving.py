"""Command: ``serve``, the local web UI."""

from __future__ import annotations

from typing import Annotated

import typer

from linkindex.cli.common import HomeOption, command
from linkindex.cli.running import fail, open_store, resolve_home, say


@command("serve")
def serve(
    host: Annotated[
        str, typer.Option("--host", help="Address to bind; anything but loopback needs --token.")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", help="Port to listen on.", min=1, max=65535)
    ] = 8765,
    open_browser: Annotated[
        bool, typer.Option("--open", help="Open the UI in the default web browser.")
    ] = False,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            envvar="LINKINDEX_TOKEN",
            help="Secret every request must carry (Authorization: Bearer T, or ?token=T once).",
            show_default=False,
        ),
    ] = None,
    home: HomeOption = None,
) -> None:
    """Serve a read-only web UI to search and browse the library.

    Example: linkindex serve --open

    Binds 127.0.0.1:8765 by default. To reach it from other machines bind another
    address and give a token, e.g. linkindex serve --host 0.0.0.0 --token "$(openssl rand -hex 16)";
    then open http://HOST:8765/?token=TOKEN once (it sets a cookie), or send
    "Authorization: Bearer TOKEN" from scripts. Stop with Ctrl-C.
    """
    from linkindex.web import is_loopback

    if not is_loopback(host) and not token:
        fail(
            f"binding to {host} would show your library to the network; "
            "add --token SECRET (every request must then carry it), or keep --host 127.0.0.1"
        )
    if token is not None and len(token) < 8:
        fail("--token is too short; use at least 8 characters, e.g. `openssl rand -hex 16`")
    library = resolve_home(home)
    open_store(library).close()  # an absent library is a clear error now, not on every page
    _check_address(host, port)  # uvicorn would log a bind error and exit 3

    import uvicorn

    from linkindex.web import create_app

    shown = f"[{host}]" if ":" in host else host
    if host in ("0.0.0.0", "::"):
        shown = "127.0.0.1"
    address = f"http://{shown}:{port}/"
    first_visit = f"{address}?token={token}" if token else address
    say(f"linkindex: serving {library} at {address} (Ctrl-C to stop)")
    if token:
        say(f"open {first_visit} once, or send 'Authorization: Bearer <token>'")
    if open_browser:
        import threading
        import webbrowser

        threading.Timer(1.0, webbrowser.open, args=(first_visit,)).start()
    uvicorn.run(
        create_app(library, token=token),
        host=host,
        port=port,
        log_level="warning",
        server_header=False,
        proxy_headers=False,
    )


def _check_address(host: str, port: int) -> None:
    """Fail in one line now if ``host:port`` cannot be listened on (in use, unknown name)."""
    import socket

    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
            probe.bind(address)
    except socket.gaierror as exc:
        fail(f"cannot find the address {host} ({exc.strerror}); use --host 127.0.0.1 or an IP")
    except OSError as exc:
        fail(
            f"cannot listen on {host}:{port} ({exc.strerror or exc}); "
            "choose another --port, or stop the program that uses it"
        )
