"""Read a spreadsheet export as rows, streamed: UTF-8 (with or without BOM) or GB18030, comma or semicolon."""

import codecs
import csv
import io

SAMPLE = 64 * 1024


class FileProblem(Exception):
    """The file as a whole cannot be read (encoding, no header)."""


def detect_encoding(sample: bytes):
    """UTF-8 with BOM, UTF-8, or GB18030 (what Excel in China writes); refuse anything else."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(sample, final=False)  # a character cut at the sample's end is not an error
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        codecs.getincrementaldecoder("gb18030")().decode(sample, final=False)
    except UnicodeDecodeError:
        raise FileProblem("The file is neither UTF-8 nor GB18030 text; save it as CSV UTF-8.") from None
    return "gb18030"


def read_rows(binary):
    """Yield (row number, [cells]) from a binary stream; row 1 is the header."""
    buffered = binary if isinstance(binary, io.BufferedReader) else io.BufferedReader(_Raw(binary), SAMPLE)
    encoding = detect_encoding(buffered.peek(SAMPLE)[:SAMPLE])
    text = io.TextIOWrapper(buffered, encoding=encoding, newline="")
    try:
        yield from _rows(text, encoding)
    finally:
        text.detach()  # the caller owns the stream and closes it


def _rows(text, encoding):
    try:
        first = text.readline()
    except UnicodeDecodeError:
        raise FileProblem(f"The file is not valid {encoding} text.") from None
    if not first.strip():
        raise FileProblem("The file is empty: the first row must name the columns.")
    delimiter = ";" if first.count(";") > first.count(",") else ","
    yield 1, next(csv.reader([first], delimiter=delimiter))
    reader = csv.reader(text, delimiter=delimiter)
    number = 1
    try:
        for cells in reader:
            number += 1
            if any(c.strip() for c in cells):
                yield number, cells
    except UnicodeDecodeError:
        raise FileProblem(f"Row {number + 1} is not valid {encoding} text.") from None
    except csv.Error as exc:
        raise FileProblem(f"Row {number + 1} cannot be read as CSV: {exc}") from None


class _Raw(io.RawIOBase):
    """Adapt any object with read() (an upload stream) to what BufferedReader needs."""

    def __init__(self, stream):
        self.stream = stream

    def readable(self):
        return True

    def readinto(self, buffer):
        data = self.stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)
