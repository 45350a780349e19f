"""The worker's wire format: one JSON header line, then `.npy` arrays (never pickles).

A message is `{"body": {...}, "arrays": [[name, nbytes], ...]}\\n` followed by each array's
`.npy` bytes in order. Readers cap the header and array sizes and load arrays with
`allow_pickle=False`, so a hostile worker can send wrong data but never code.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

MAX_HEADER = 4 * 2**20
MAX_ARRAY_BYTES = 512 * 2**20
MAX_FRAMES = 64  # frames a worker keeps; both sides forget the oldest first


class ProtocolError(Exception):
    """A message broke the wire format (size, JSON, array encoding)."""


def encode(body: Mapping[str, Any], arrays: Mapping[str, np.ndarray] | None = None) -> bytes:
    """One message: the JSON header line, then the arrays as `.npy` bytes."""
    blobs = []
    for name, array in (arrays or {}).items():
        buffer = io.BytesIO()
        np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
        blobs.append((name, buffer.getvalue()))
    header = {"body": body, "arrays": [[name, len(blob)] for name, blob in blobs]}
    line = json.dumps(header, allow_nan=False, separators=(",", ":")).encode() + b"\n"
    return line + b"".join(blob for _, blob in blobs)


def decode(
    read_line: Callable[[int], bytes], read_exact: Callable[[int], bytes]
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read one message with the given readers; ProtocolError on anything malformed."""
    line = read_line(MAX_HEADER)
    if not line.endswith(b"\n"):
        raise ProtocolError("message header too long or cut off")
    try:
        header = json.loads(line)
        body, listing = header["body"], header["arrays"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ProtocolError(f"bad message header ({type(exc).__name__})") from None
    if not isinstance(body, dict) or not isinstance(listing, list):
        raise ProtocolError("bad message header (not an object)")
    arrays: dict[str, np.ndarray] = {}
    total = 0
    for item in listing:
        if not (
            isinstance(item, list)
            and len(item) == 2
            and isinstance(item[0], str)
            and isinstance(item[1], int)
            and 0 < item[1] <= MAX_ARRAY_BYTES - total
        ):
            raise ProtocolError("bad array listing in message header")
        total += item[1]
        try:
            arrays[item[0]] = np.load(io.BytesIO(read_exact(item[1])), allow_pickle=False)
        except ValueError as exc:
            raise ProtocolError(f"array {item[0][:40]!r} is not a plain .npy array") from exc
    return body, arrays
