"""Pixel size, format and animation of PNG, GIF and JPEG files, read from their headers.

The linter measures the images a template references without decoding them: a few hundred bytes
of header give the size, and a GIF's block structure tells whether it is animated. Pillow can do
this too, but it is in the `browser` extra and the linter runs in a pre-commit hook without it, and
the common size-only readers do not count GIF frames; these three formats' headers are small and
fixed by their specifications.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

_MAX_READ = 64 * 1024 * 1024  # never read more of a file than this to count GIF frames


@dataclass(frozen=True)
class ImageInfo:
    """What the header of an image file says."""

    format: str  # "png", "gif" or "jpeg"
    width: int
    height: int
    bytes: int  # the file's size
    frames: int = 1  # more than one: animated

    @property
    def animated(self) -> bool:
        """Whether the image has more than one frame."""
        return self.frames > 1


def read_image_info(path: Path) -> ImageInfo | None:
    """The image's format, pixel size and frame count; None when it is not a PNG, GIF or JPEG it can read."""
    size = path.stat().st_size
    with path.open("rb") as f:
        return image_info(f.read(min(size, _MAX_READ)), size)


def image_info(data: bytes, size: int | None = None) -> ImageInfo | None:
    """ImageInfo from the start of an image file (the whole file for a GIF's or PNG's frame count)."""
    size = len(data) if size is None else size
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        # An animated PNG has an acTL chunk before its image data: its first field is the frame count.
        at = data.find(b"acTL", 0, data.find(b"IDAT"))
        frames = struct.unpack(">I", data[at + 4 : at + 8])[0] if at > 0 and len(data) >= at + 8 else 1
        return ImageInfo("png", width, height, size, max(frames, 1))
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return ImageInfo("gif", width, height, size, _gif_frames(data))
    if data[:2] == b"\xff\xd8":
        return _jpeg(data, size)
    return None


def _gif_frames(data: bytes) -> int:
    """The number of image descriptors of a GIF, walking its blocks (stops at a truncated block)."""
    pos = 13
    flags = data[10] if len(data) > 10 else 0
    if flags & 0x80:
        pos += 3 * (2 ** ((flags & 0x07) + 1))
    frames = 0
    while pos < len(data):
        block = data[pos]
        if block == 0x3B:  # trailer
            break
        if block == 0x21:  # extension: label, then sub-blocks
            pos += 2
        elif block == 0x2C:  # image descriptor, optional local colour table, LZW code size, sub-blocks
            frames += 1
            if pos + 10 > len(data):
                break
            local = data[pos + 9]
            pos += 10 + (3 * (2 ** ((local & 0x07) + 1)) if local & 0x80 else 0) + 1
        else:
            break
        while pos < len(data) and data[pos]:
            pos += data[pos] + 1
        pos += 1
    return max(frames, 1)


def _jpeg(data: bytes, size: int) -> ImageInfo | None:
    """A JPEG's size from its first start-of-frame marker."""
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC) and pos + 9 <= len(data):
            height, width = struct.unpack(">HH", data[pos + 5 : pos + 9])
            return ImageInfo("jpeg", width, height, size)
        pos += 2 + length
    return None
