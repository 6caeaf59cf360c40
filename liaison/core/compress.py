"""Gzip for pages that carry a large constant part: the stylesheet written into every public page.

Compressing a 41 KB page costs about 2 ms of CPU, four fifths of it for the 31 KB stylesheet that
is the same in every page. That part is compressed once per process (at the best level) and each
page is compressed around it: deflate blocks of the head ending with a full flush, the stylesheet's
blocks, then the rest of the page. A deflate stream may be cut into blocks anywhere, and a full
flush leaves nothing that the next blocks refer back to, so the joined stream is one valid gzip
member that any browser inflates. The gzip header carries Django's BREACH padding (a random-length
file name), as Django's own GZipMiddleware does.
"""

import secrets
import struct
import zlib

_RAW = -zlib.MAX_WBITS  # deflate blocks without zlib's header; gzip's is written here
_constants: dict[bytes, bytes] = {}


def precompress(constant: bytes) -> None:
    """Compress ``constant`` once; a page containing it is compressed around it from then on."""
    if constant not in _constants:
        if len(_constants) >= 4:  # a stylesheet rebuilt while the server runs replaces the oldest
            del _constants[next(iter(_constants))]
        deflate = zlib.compressobj(9, zlib.DEFLATED, _RAW)
        _constants[constant] = deflate.compress(constant) + deflate.flush(zlib.Z_FULL_FLUSH)


def _deflate(data: bytes, mode: int) -> bytes:
    deflate = zlib.compressobj(6, zlib.DEFLATED, _RAW)  # Django's level
    return deflate.compress(data) + deflate.flush(mode)


def gzip_around_constant(content: bytes, max_random_bytes: int) -> bytes | None:
    """``content`` gzipped with a precompressed constant it contains, or None if it has none."""
    found = [
        (at, constant, deflated)
        for constant, deflated in list(_constants.items())
        if (at := content.find(constant)) >= 0
    ]
    if not found:
        return None
    at, constant, deflated = found[0]
    header = b"\x1f\x8b\x08\x08\x00\x00\x00\x00\x00\xff"  # deflate, a file name follows, no time
    padding = b"a" * secrets.randbelow(max_random_bytes) + b"\x00"
    body = _deflate(content[:at], zlib.Z_FULL_FLUSH) + deflated + _deflate(content[at + len(constant) :], zlib.Z_FINISH)
    return header + padding + body + struct.pack("<II", zlib.crc32(content), len(content) & 0xFFFFFFFF)
