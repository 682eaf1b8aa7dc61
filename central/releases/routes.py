"""GET /tuf/<path>: the published TUF repository as static files. Public on purpose, like any
static TUF host: every file is signed metadata or a target whose hash that metadata pins, so
reading it grants nothing and tampering is detected by the station."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

from central.models import TufFile

router = APIRouter()


@router.get("/tuf/{path:path}", include_in_schema=False)
def tuf_file(path: str, request: Request) -> Response:
    if len(path) > 400:
        raise HTTPException(404)
    with request.app.state.sessions() as s:
        row = s.get(TufFile, path)
        if row is None:
            raise HTTPException(404)
        data = bytes(row.data)
    kind = "application/json" if path.endswith(".json") else "application/octet-stream"
    # timestamp.json changes in place; everything else is immutable (consistent snapshots).
    cache = "no-cache" if path == "metadata/timestamp.json" else "public, max-age=31536000, immutable"
    return Response(data, media_type=kind, headers={"Cache-Control": cache})
