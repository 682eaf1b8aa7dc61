"""`serve --access-log`: uvicorn's access log lines, for a fraction of their cost.

uvicorn writes each line through `logging` (a LogRecord, the caller's frame looked up, a
formatter copying the record, a flush: one write(2) per request). With the fleet's requests
down to a few tenths of a millisecond of CPU that was a sixth of a config poll (bench_scale,
central/README.md). This pure ASGI wrapper, outermost, writes the same line as uvicorn
(`INFO:     client - "METHOD path?query HTTP/1.1" status phrase`) with one f-string, and
writes the lines out at most once a second, in writes of whole lines under PIPE_BUF, so the
lines of several worker processes sharing one stdout never interleave. A line may therefore
appear up to a second late, and the last second's lines are lost if the process is killed
with SIGKILL (a normal stop writes them: at the ASGI lifespan's shutdown, or at exit).
"""

from __future__ import annotations

import asyncio
import atexit
import os
import sys
import threading
from http import HTTPStatus
from typing import IO
from urllib.parse import quote

from central.limits import ASGIApp, Message, Receive, Scope, Send

FLUSH_S = 1.0
_CHUNK = 4000  # below PIPE_BUF (4096): one write(2) of whole lines is never split
_PHRASES = {s.value: s.phrase for s in HTTPStatus}


class AccessLog:
    def __init__(self, app: ASGIApp, stream: IO[str] | None = None, flush_s: float = FLUSH_S) -> None:
        self.app = app
        self._stream = stream or sys.stdout
        self._flush_s = flush_s
        self._lines: list[str] = []
        self._size = 0
        self._scheduled = False
        self._lock = threading.Lock()  # flush also runs from atexit (another thread, maybe)
        atexit.register(self.flush)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":  # a normal stop: write what is left (uvicorn then
            # re-raises SIGTERM, so atexit handlers do not run)
            async def stopping(message: Message) -> None:
                if message["type"].startswith("lifespan.shutdown."):
                    self.flush()
                await send(message)

            await self.app(scope, receive, stopping)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":  # as uvicorn: when the response starts
                self._line(scope, message["status"])
            await send(message)

        await self.app(scope, receive, sending)

    def _line(self, scope: Scope, status: int) -> None:
        client = scope.get("client")
        who = f"{client[0]}:{client[1]}" if client else ""
        # As uvicorn.protocols.utils.get_path_with_query_string builds it.
        path = quote(scope.get("root_path", "") + scope["path"])
        if scope["query_string"]:
            path = f"{path}?{scope['query_string'].decode('ascii', 'replace')}"
        line = (f'INFO:     {who} - "{scope["method"]} {path} HTTP/{scope["http_version"]}" '
                f'{status} {_PHRASES.get(status, "")}\n')
        self._lines.append(line)
        self._size += len(line)
        if self._size >= _CHUNK:
            self.flush()
        elif not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_later(self._flush_s, self._timed_flush)

    def _timed_flush(self) -> None:
        self._scheduled = False
        self.flush()

    def flush(self) -> None:
        with self._lock:
            lines, self._lines, self._size = self._lines, [], 0
        if not lines:
            return
        try:
            self._stream.flush()  # anything printed before goes first
            fd = self._stream.fileno()
            chunk: list[str] = []
            size = 0
            for line in lines:
                if chunk and size + len(line) > _CHUNK:
                    os.write(fd, "".join(chunk).encode("utf-8", "replace"))
                    chunk, size = [], 0
                chunk.append(line)
                size += len(line)
            os.write(fd, "".join(chunk).encode("utf-8", "replace"))
        except (OSError, ValueError):  # stdout closed or gone: as logging, never fail a request
            pass
