"""A small RIFF/WAVE header reader: channels, rate and the duration the header declares.

The audit reads only the first few kilobytes of each file (locally or over FTPS), so the reader
works on a header *prefix* plus the real file size, and tells a truncated file (the header promises
more audio than the file holds) from a sound one.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from mirtalib.errors import ParseError

HEADER_BYTES = 4096
"""How many leading bytes are read to find the ``fmt `` and ``data`` chunks."""


@dataclass(frozen=True)
class WavInfo:
    """What a WAV header says.

    Attributes:
        channels: 1 mono, 2 stereo.
        sample_rate: frames per second.
        bits_per_sample: sample width in bits.
        data_bytes: size of the audio data the header declares.
        duration: seconds of audio the header declares (``data_bytes / byte_rate``).
        truncated: True when the file is shorter than the header declares.
    """

    channels: int
    sample_rate: int
    bits_per_sample: int
    data_bytes: int
    duration: float
    truncated: bool


def parse_wav_header(head: bytes, file_size: int | None = None) -> WavInfo:
    """Parse a WAV header from the first bytes of a file.

    Args:
        head: the leading bytes of the file (at least up to the ``data`` chunk header).
        file_size: the real size of the file, to detect truncation (None: use ``len(head)``).

    Raises:
        ParseError: when the bytes are not a PCM-like RIFF/WAVE header.
    """
    size = len(head) if file_size is None else file_size
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise ParseError("not a RIFF/WAVE file (missing RIFF....WAVE signature)")
    pos = 12
    fmt = None
    while pos + 8 <= len(head):
        chunk_id = head[pos : pos + 4]
        (chunk_size,) = struct.unpack("<I", head[pos + 4 : pos + 8])
        body = pos + 8
        if chunk_id == b"fmt ":
            if chunk_size < 16 or body + 16 > len(head):
                raise ParseError(f"WAV fmt chunk too short ({chunk_size} bytes)")
            _tag, channels, rate, byte_rate, _align, bits = struct.unpack(
                "<HHIIHH", head[body : body + 16]
            )
            if channels < 1 or rate < 1 or byte_rate < 1:
                raise ParseError(
                    f"WAV fmt chunk invalid: channels={channels} rate={rate} byte_rate={byte_rate}"
                )
            fmt = (channels, rate, byte_rate, bits)
        elif chunk_id == b"data":
            if fmt is None:
                raise ParseError("WAV data chunk before fmt chunk")
            channels, rate, byte_rate, bits = fmt
            available = max(0, size - body)
            return WavInfo(
                channels=channels,
                sample_rate=rate,
                bits_per_sample=bits,
                data_bytes=chunk_size,
                duration=chunk_size / byte_rate,
                truncated=available < chunk_size,
            )
        pos = body + chunk_size + (chunk_size & 1)
    raise ParseError(f"no WAV data chunk within the first {len(head)} bytes")


def read_wav_info(path: Path, head_bytes: int = HEADER_BYTES) -> WavInfo:
    """Read the header of a local WAV file (raises ParseError, or OSError when unreadable)."""
    path = Path(path)
    with path.open("rb") as fh:
        head = fh.read(head_bytes)
    return parse_wav_header(head, path.stat().st_size)


def wav_bytes(frames: bytes, channels: int, sample_rate: int, bits_per_sample: int = 8) -> bytes:
    """Wrap PCM ``frames`` into a canonical 44-byte-header WAV file."""
    block = channels * bits_per_sample // 8
    pad = b"\0" if len(frames) & 1 else b""
    header = struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        36 + len(frames) + len(pad),
        b"WAVE",
        b"fmt ",
        16,
        1,
        channels,
        sample_rate,
        sample_rate * block,
        block,
        bits_per_sample,
        b"data",
        len(frames),
    )
    return header + frames + pad
