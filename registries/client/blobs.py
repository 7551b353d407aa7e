"""A blob's body read as a stream: never whole in memory, never past its limits.

https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pulling-blobs
"""

from __future__ import annotations

import hashlib
import time

import requests
import urllib3

from . import errors
from .errormap import error_for_exception

CHUNK_SIZE = 64 * 1024


class BlobReader:
    """A file-like ``read()`` over an open blob response.

    It stops at ``max_bytes`` (TooLarge) and at ``deadline`` (time.monotonic(), Timeout);
    each read waits at most the transport's read timeout. The bytes are hashed as they pass,
    so reaching the end verifies the digest: DigestMismatch there, never a silent success.
    """

    def __init__(
        self, response: requests.Response, *, digest: str, max_bytes: int, deadline: float
    ) -> None:
        algorithm, _, self._expected = digest.partition(":")
        self._hash = hashlib.new(algorithm)
        self._response = response
        self._max_bytes = max_bytes
        self._deadline = deadline
        self.bytes_read = 0
        self._ended = False

    def read(self, size: int = -1) -> bytes:
        if self._ended:
            return b""
        if time.monotonic() > self._deadline:
            raise errors.Timeout("Reading the blob took longer than allowed.")
        wanted = size if size > 0 else CHUNK_SIZE
        try:
            chunk = self._response.raw.read1(wanted, decode_content=True)
        except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
            raise error_for_exception(exc) from exc
        if not chunk:
            self._ended = True
            if self._hash.hexdigest() != self._expected:
                raise errors.DigestMismatch("The blob does not match its digest.")
            return b""
        self.bytes_read += len(chunk)
        if self.bytes_read > self._max_bytes:
            raise errors.TooLarge("The blob is larger than regfront reads.")
        self._hash.update(chunk)
        return chunk

    def close(self) -> None:
        self._response.close()

    def __enter__(self) -> BlobReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
