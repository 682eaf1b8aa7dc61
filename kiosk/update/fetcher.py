"""A TUF fetcher reading the repository from a directory (a USB stick) instead of HTTP.
ngclient verifies what it returns exactly as over the network: only the transport differs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlparse

from tuf.api import exceptions
from tuf.ngclient import FetcherInterface

BASE = "usb://repo/"


class DirectoryFetcher(FetcherInterface):
    def __init__(self, directory: Path) -> None:
        self.directory = directory.resolve()

    def _fetch(self, url: str) -> Iterator[bytes]:
        if not url.startswith(BASE):
            raise exceptions.DownloadError(f"not a stick URL: {url}")
        relative = unquote(urlparse(url).path).lstrip("/")
        path = (self.directory / relative).resolve()
        if self.directory not in path.parents or not path.is_file():
            raise exceptions.DownloadHTTPError(f"{relative}: not on the stick", 404)
        return self._chunks(path)

    @staticmethod
    def _chunks(path: Path) -> Iterator[bytes]:
        with path.open("rb") as f:
            while chunk := f.read(1 << 16):
                yield chunk
