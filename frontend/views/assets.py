"""plotly.js, served from the installed plotly package (never from a CDN), compressed and cached for a year."""

from __future__ import annotations

import gzip
import hashlib
from functools import cache

import plotly
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.views.decorators.http import require_GET
from plotly.offline import get_plotlyjs

PLOTLY_VERSION: str = plotly.__version__


@cache
def _bundle() -> tuple[bytes, bytes, str]:
    """The script, its gzip form and its ETag (computed once per process)."""
    body = get_plotlyjs().encode("utf-8")
    return (
        body,
        gzip.compress(body, compresslevel=6, mtime=0),
        '"' + hashlib.sha256(body).hexdigest()[:32] + '"',
    )


@require_GET
@login_not_required
def plotly_js(request: HttpRequest, version: str) -> HttpResponse:
    """plotly.min.js of the installed plotly package (public: it is a library, not data); `version` busts caches."""
    body, compressed, etag = _bundle()
    if request.headers.get("If-None-Match") == etag:
        return HttpResponseNotModified()
    use_gzip = "gzip" in request.headers.get("Accept-Encoding", "")
    response = HttpResponse(
        compressed if use_gzip else body, content_type="application/javascript; charset=utf-8"
    )
    if use_gzip:
        response["Content-Encoding"] = "gzip"
    response["Vary"] = "Accept-Encoding"
    response["ETag"] = etag
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
