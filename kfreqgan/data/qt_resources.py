"""Files inside a Qt resource bundle (`.rcc`), read without Qt.

Some registry packages ship their images inside compiled Qt resource files
rather than as loose files: Debian's `gcompris-qt-data`, for example, keeps
every activity's photographs in `/usr/share/gcompris-qt/rcc/<activity>.rcc`.
The photo catalogue (`kfreqgan.data.photo_sources`) reads them from there,
in place: nothing is unpacked or written.

The format is the one `rcc` (Qt's resource compiler) writes, versions 1-3:
a header (`qres`, version, offsets of the tree, the data and the names, and
in version 3 a flags word), a tree of fixed-size nodes (directories point at
a run of child nodes; files at a data entry), names as UTF-16BE with a hash,
and data entries as a big-endian length and the bytes, zlib-compressed with
a 4-byte length prefix (`qCompress`) where the node says so. Zstandard
compressed entries (Qt 6's default for text) are refused by name; images are
stored uncompressed by `rcc` (they do not compress).

    from kfreqgan.data import qt_resources
    names = qt_resources.list_members("/usr/share/gcompris-qt/rcc/erase.rcc")
    data = qt_resources.read_member("/usr/share/gcompris-qt/rcc/erase.rcc", names[0])
"""

import struct
import zlib

_MAGIC = b"qres"
_DIRECTORY = 0x02
_ZLIB = 0x01
_ZSTD = 0x04


class _Bundle:
    """The parsed header of one `.rcc` file's bytes."""

    def __init__(self, path, data):
        self.path, self.data = path, data
        if len(data) < 20 or data[:4] != _MAGIC:
            raise ValueError(f"{path!r} is not a Qt resource bundle (no 'qres' header).")
        self.version, self.tree, self.payload, self.names = struct.unpack(">IIII", data[4:20])
        if self.version not in (1, 2, 3):
            raise ValueError(f"{path!r} is a Qt resource bundle of format version {self.version}; kfreqgan reads versions 1-3.")
        self.node_size = 14 if self.version == 1 else 22
        for name, offset in (("tree", self.tree), ("data", self.payload), ("names", self.names)):
            if offset >= len(data):
                raise ValueError(f"{path!r} is a truncated or corrupt Qt resource bundle: its {name} offset {offset} lies past its end.")

    def _unpack(self, fmt, offset):
        end = offset + struct.calcsize(fmt)
        if end > len(self.data):
            raise ValueError(f"{self.path!r} is a truncated or corrupt Qt resource bundle (a record runs past its end).")
        return struct.unpack(fmt, self.data[offset:end])

    def name(self, offset):
        (length,) = self._unpack(">H", self.names + offset)
        start = self.names + offset + 6
        raw = self.data[start : start + 2 * length]
        if len(raw) != 2 * length:
            raise ValueError(f"{self.path!r} is a truncated or corrupt Qt resource bundle (a name runs past its end).")
        return raw.decode("utf-16-be")

    def walk(self):
        """Yields `(member path, flags, data offset)` for every file node."""
        nodes = (len(self.data) - self.tree) // self.node_size
        seen = set()

        def visit(index, prefix):
            if index in seen or index >= nodes:
                raise ValueError(f"{self.path!r} is a corrupt Qt resource bundle (its tree loops or points outside itself).")
            seen.add(index)
            base = self.tree + index * self.node_size
            name_offset, flags = self._unpack(">IH", base)
            name = self.name(name_offset) if index else ""
            path = f"{prefix}{name}"
            if flags & _DIRECTORY:
                count, first = self._unpack(">II", base + 6)
                for child in range(first, first + count):
                    yield from visit(child, f"{path}/" if index else "")
            else:
                (offset,) = self._unpack(">I", base + 10)
                yield path, flags, offset

        yield from visit(0, "")

    def content(self, member, flags, offset):
        (length,) = self._unpack(">I", self.payload + offset)
        start = self.payload + offset + 4
        blob = self.data[start : start + length]
        if len(blob) != length:
            raise ValueError(f"{self.path!r} is a truncated Qt resource bundle: {member!r} runs past its end.")
        if flags & _ZSTD:
            raise ValueError(f"{member!r} in {self.path!r} is Zstandard-compressed, which kfreqgan does not read.")
        if flags & _ZLIB:
            try:
                return zlib.decompress(blob[4:])
            except zlib.error as error:
                raise ValueError(f"{member!r} in {self.path!r} is corrupt: {error}") from None
        return blob


def _open(path):
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise FileNotFoundError(f"No such Qt resource bundle: {path!r}") from None
    except OSError as error:
        raise ValueError(f"Could not read the Qt resource bundle {path!r}: {error.strerror or error}") from None
    return _Bundle(path, data)


def list_members(path):
    """The paths of the files in the bundle, in its tree order (e.g.
    `"gcompris/src/activities/erase/resource/alpaca.webp"`).

    Raises:
        FileNotFoundError: if `path` does not exist.
        ValueError: if it is not a readable Qt resource bundle of version 1-3.
    """
    return [member for member, _, _ in _open(path).walk()]


def read_member(path, member):
    """The bytes of one file in the bundle (decompressed).

    Raises:
        FileNotFoundError: if `path` does not exist.
        FileNotFoundError: if the bundle holds no file `member` (naming a few
            it holds).
        ValueError: for a corrupt bundle or a Zstandard-compressed member.
    """
    bundle = _open(path)
    members = []
    for name, flags, offset in bundle.walk():
        if name == member:
            return bundle.content(name, flags, offset)
        members.append(name)
    shown = ", ".join(members[:5]) + (", ..." if len(members) > 5 else "")
    raise FileNotFoundError(f"The Qt resource bundle {path!r} holds no file {member!r}. It holds {len(members)} files: {shown}")
