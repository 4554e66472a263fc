"""``/image/SHA256``: a figure's picture, served from the library itself.

The reader never points at the host a picture came from (that would tell it what you
read, and WeChat's host answers a foreign page with a placeholder): every picture comes
from this address, with the type linkindex read from its bytes (never SVG), ``nosniff``
(the Guard sends it with every answer) and a year's cache lifetime, since the address
names the content and the content can never change.
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from linkindex.errors import NotFoundError
from linkindex.snapshots import Images
from linkindex.web.rendering import library

#: A picture's address names its bytes: it may be cached for good.
CACHE_FOREVER = "public, max-age=31536000, immutable"

_SHA256 = re.compile(r"[0-9a-f]{64}")


def image_file(request: Request) -> Response:
    """One picture a figure of the library shows (404 for anything else)."""
    digest: str = request.path_params["sha256"]
    if not _SHA256.fullmatch(digest):
        raise NotFoundError(f"no image {digest!r}: an image's address is its sha256")
    with library(request) as store:
        image = store.image(digest)
    if image is None:
        raise NotFoundError(f"no figure of the library shows the image {digest}")
    path = Images(request.app.state.home).path(digest)
    if not path.is_file():
        raise NotFoundError(f"the file of image {digest} is missing; run `linkindex doctor`")
    return FileResponse(
        path, media_type=image.content_type, headers={"cache-control": CACHE_FOREVER}
    )
