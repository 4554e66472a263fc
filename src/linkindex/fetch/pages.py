"""What the browser engine does with one of its pages (Playwright ``Page`` objects): read
its HTML, wait for its text to be there, leave it for about:blank once its load is over,
close the windows it opens by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

#: Longest wait, once a page has loaded, for its scripts' requests to go quiet
#: (Playwright's "networkidle": no request for 0.5 s); text fetched by script needs it.
SETTLE = 3.0
#: Characters a loaded page shows that make it readable without waiting for its scripts'
#: requests (a challenge page or an empty app shell shows fewer).
READABLE = 300
#: Longest wait for a page to be left for about:blank after its load; a tab that cannot
#: be left in this time is closed rather than loaded in again.
LEAVE_WAIT = 5.0
#: Moves to about:blank made after a load, at most: one is the rule (one interrupted
#: and then waited for is common); another is made only when one never lands.
LEAVE_TRIES = 3


async def close_if_popup(page: Any) -> None:
    """A window a page opened by itself is closed: only our tabs load anything."""
    try:
        if await page.opener() is not None:
            await page.close()
    except Exception:
        return


async def leave(page: Any) -> bool:
    """Leave the page for about:blank (its scripts and timers stop); whether it did.

    A load can end while a navigation of its own is still on the way: the error page
    Chromium commits after a navigation failed (Playwright's ``goto`` raised before it
    came), or the page's own reload. Landing during the move to about:blank, it
    interrupts it; the about:blank still commits after it, and if the tab went back at
    once, that would be in the middle of the next load, whose ``goto`` then fails
    "interrupted by another navigation to about:blank" (14 of 20 loads right after a
    refused one did). So the tab is at rest only once about:blank's own document has
    committed: nothing older commits after it, and no script of the page is left to
    start another navigation.
    """
    try:
        async with asyncio.timeout(LEAVE_WAIT):
            for _try in range(LEAVE_TRIES):
                with contextlib.suppress(Exception):
                    await page.goto("about:blank", wait_until="domcontentloaded", timeout=0)
                    return True
                # Interrupted: wait for the move to land rather than start another one,
                # which the first would interrupt in turn.
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(LEAVE_WAIT / LEAVE_TRIES):
                        await page.wait_for_url(
                            "about:blank", wait_until="domcontentloaded", timeout=0
                        )
                        return True
    except TimeoutError:  # a page that will not let go (a hung renderer)
        return False
    return False


async def content(page: Any) -> str | None:
    """The page's HTML now, or None while it is between two documents."""
    try:
        return str(await page.content())
    except Exception:
        return None


async def quiet(page: Any) -> None:
    """Wait (a little) for the load event, and for a page without text yet to go quiet.

    A page that already shows text when it has loaded is read as it is; one that shows
    almost none waits for its scripts' requests to stop (Playwright's "networkidle": no
    request for 0.5 s), since its text may still be on the way.
    """
    try:
        await page.wait_for_load_state("load", timeout=SETTLE * 1000)
        shown = await page.evaluate("document.body ? document.body.innerText.length : 0")
        if shown < READABLE:
            await page.wait_for_load_state("networkidle", timeout=SETTLE * 1000)
    except Exception:
        return
