"""Reading a request body as HTTP/1.1 sends it: with a Content-Length, or chunked
(``Transfer-Encoding: chunked``, how the reference's worker streams its tiles)."""

from __future__ import annotations

from email.message import Message
from io import BufferedIOBase

_MAX_LINE = 65536


def request_body(headers: Message, stream: BufferedIOBase) -> bytes:
    """The whole body of the request whose ``headers`` were read from ``stream``.

    Raises:
        ValueError: a chunk size line is not hexadecimal.
    """
    if "chunked" not in headers.get("Transfer-Encoding", "").lower():
        return stream.read(int(headers.get("Content-Length") or 0))
    chunks: list[bytes] = []
    while True:
        size = int(stream.readline(_MAX_LINE).split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            while stream.readline(_MAX_LINE) not in (b"\r\n", b"\n", b""):
                pass  # trailer fields, unused
            return b"".join(chunks)
        chunks.append(stream.read(size))
        stream.readline(_MAX_LINE)  # the CRLF after the chunk
