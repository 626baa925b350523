"""Reading text files line by line, gzip-compressed or not, with every line checked.

:func:`iter_lines` tells gzip from plain text by the magic bytes (not the name); a truncated or
corrupt gzip stream and bytes that are not UTF-8 raise :class:`InputDataError` naming the file and
the line. :func:`sniff` reads just enough of a file to tell what kind of table it is.
"""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Optional

from toolkit import progress
from toolkit.errors import InputDataError

GZIP_MAGIC = b"\x1f\x8b"
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
PROGRESS_EVERY = 4096  # lines between reports of the read position to the progress bar


def one_line(text: object) -> str:
    """``text`` as a single line (error messages and report lines must not span lines)."""
    return " ".join(str(text).split())


def file_magic(path: Path, size: int = 8) -> bytes:
    """The first ``size`` bytes of ``path`` (raises InputDataError if it cannot be opened)."""
    try:
        with Path(path).open("rb") as fh:
            return fh.read(size)
    except OSError as exc:
        raise InputDataError(path, "file", f"cannot be opened ({one_line(exc.strerror or exc)})",
                             "check the path and its permissions") from None


def iter_lines(
    path: Path,
    *,
    fallback_encoding: Optional[str] = None,
    on_fallback: Optional[Callable[[int], None]] = None,
    on_unterminated: Optional[Callable[[int], None]] = None,
) -> Iterator[tuple[int, str]]:
    """Yield ``(line number, text without the line break)`` for each line of ``path``.

    UTF-8 is required unless ``fallback_encoding`` is given: then a line that is not UTF-8 is
    decoded with it and ``on_fallback(line_no)`` is called. ``on_unterminated(line_no)`` is called
    (before that line is yielded) when the file's last line has text but no line break: a file
    cut mid-line, for formats whose writers end every line (see :data:`CUT_LINE`).
    """
    path = Path(path)
    gz = file_magic(path, 2) == GZIP_MAGIC
    line_no = 0
    try:
        with (gzip.open(path, "rb") if gz else path.open("rb")) as fh:
            raw_file = fh.fileobj if gz else fh  # bytes of the file itself (compressed for gzip)
            for raw in fh:
                line_no += 1
                if not line_no % PROGRESS_EVERY:
                    progress.file_position(path, raw_file.tell())
                try:
                    text = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    if fallback_encoding is None:
                        raise InputDataError(
                            path,
                            f"line {line_no}",
                            f"byte 0x{raw[exc.start]:02x} at column {exc.start + 1} is not valid UTF-8",
                            "save the file as UTF-8 (for example `iconv -f latin1 -t utf-8 FILE > NEW`)",
                        ) from None
                    text = raw.decode(fallback_encoding, errors="replace")
                    if on_fallback is not None:
                        on_fallback(line_no)
                if line_no == 1 and text.startswith("\ufeff"):
                    text = text[1:]
                if on_unterminated is not None and not raw.endswith(b"\n") and text.strip():
                    on_unterminated(line_no)
                yield line_no, text.rstrip("\r\n")
            progress.file_position(path, raw_file.tell())
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise InputDataError(
            path,
            f"line {line_no + 1}",
            f"the gzip data is truncated or corrupt ({one_line(exc)})",
            "download or compress the file again (`gzip -t FILE` checks it)",
        ) from None
    except OSError as exc:
        raise InputDataError(path, f"line {line_no + 1}", f"cannot be read ({one_line(exc)})",
                             "check the file and the disk") from None


CUT_LINE = "the file ends in the middle of this line (no final line break): it is cut"
CUT_LINE_FIX = ("download or copy the file again (if it is complete, end its last line with a line break)")


class TextLines:
    """A line-checked text stream (with line breaks) for parsers that take an open file."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def __enter__(self) -> TextLines:
        return self

    def __exit__(self, *exc_info: object) -> bool:
        return False

    def __iter__(self) -> Iterator[str]:
        for _, text in iter_lines(self.path):
            yield text + "\n"


@dataclass(frozen=True)
class Head:
    """The start of a text file: its first line and its header fields (``!`` lines skipped)."""

    first_line: str
    fields: tuple[str, ...]

    def has(self, *names: str) -> bool:
        return all(n in self.fields for n in names)

    def has_any(self, *names: str) -> bool:
        return any(n in self.fields for n in names)


def split_header(text: str) -> tuple[str, ...]:
    """The fields of a header line (tab- or whitespace-separated, a leading ``#`` dropped)."""
    parts = text.split("\t") if "\t" in text else text.split()
    fields = [p.strip() for p in parts]
    if fields:
        fields[0] = fields[0].lstrip("#").strip()
    return tuple(fields)


def sniff(path: Path, skip_prefixes: tuple[str, ...] = ("!",)) -> Head:
    """Read just enough of ``path`` to tell what kind of table it is."""
    first: Optional[str] = None
    for _, text in iter_lines(path, fallback_encoding="latin-1"):
        if first is None:
            first = text
        if text.strip() and not text.startswith(skip_prefixes):
            return Head(first, split_header(text))
    return Head(first or "", ())
