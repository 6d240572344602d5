"""Reading the text files users hand ncasr (hotwords, manifests): UTF-8 or a typed error
naming the file and the byte offset, never a UnicodeDecodeError. The C++ core checks the
files it reads itself (params, tokens, scale tables) the same way (cpp/common/utf8.h)."""

from __future__ import annotations

import os
from typing import Callable, Union

from .errors import ConfigError, NcasrError

PathLike = Union[str, "os.PathLike[str]"]


def decode_utf8(data: bytes, path: PathLike, error: Callable[[str], NcasrError] = ConfigError) -> str:
    """``data`` decoded as UTF-8; ``error(message)`` naming ``path``, the byte and its line
    when it is not.

    Example::

        with open("hotwords.txt", "rb") as f:
            text = decode_utf8(f.read(), "hotwords.txt")
    """
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        raise error(
            f"{os.fspath(path)}: not UTF-8 text: byte 0x{data[e.start]:02x} at offset {e.start} (line {line})"
        ) from None


def read_text(path: PathLike, error: Callable[[str], NcasrError] = ConfigError) -> str:
    """The file's text; ``error(message)`` when it is not UTF-8 or cannot be read.

    Example::

        hotwords = read_text("hotwords.txt")  # raises ConfigError if not UTF-8
    """
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise error(f"{os.fspath(path)}: cannot be read: {e.strerror}") from None
    return decode_utf8(data, path, error)
