"""Writes Qt resource bundles (`.rcc`) for tests in the format Qt's `rcc`
writes (header, data entries, names, then the tree, each directory's
children contiguous), though children are sorted by name rather than by
Qt's name hash and the hashes are 0: the reader relies on neither."""

import struct
import zlib

DIRECTORY, ZLIB, ZSTD = 0x02, 0x01, 0x04


def bundle_bytes(files, version=3, zlib_members=(), zstd_members=()):
    """The bytes of a bundle holding `files` ({"a/b/c.png": bytes})."""
    root = {}
    for path, data in files.items():
        parts = path.split("/")
        folder = root
        for part in parts[:-1]:
            folder = folder.setdefault(part, {})
        folder[parts[-1]] = data
    names, offsets, payload = bytearray(), {}, bytearray()

    def name_offset(name):
        if name not in offsets:
            offsets[name] = len(names)
            names.extend(struct.pack(">HI", len(name), 0) + name.encode("utf-16-be"))
        return offsets[name]

    nodes = [None]
    queue = [(0, "", "", root)]
    while queue:
        index, name, prefix, folder = queue.pop(0)
        children = sorted(folder.items())
        first = len(nodes)
        nodes[index] = struct.pack(">IHII", name_offset(name) if index else 0, DIRECTORY, len(children), first)
        nodes.extend([None] * len(children))
        for offset, (child, content) in enumerate(children):
            path = f"{prefix}{child}"
            if isinstance(content, dict):
                queue.append((first + offset, child, f"{path}/", content))
                continue
            flags, blob = 0, content
            if path in zlib_members:
                flags, blob = ZLIB, struct.pack(">I", len(content)) + zlib.compress(content)
            elif path in zstd_members:
                flags = ZSTD
            nodes[first + offset] = struct.pack(">IHHHI", name_offset(child), flags, 0, 0, len(payload))
            payload.extend(struct.pack(">I", len(blob)) + blob)
    if version >= 2:
        nodes = [node + bytes(8) for node in nodes]
    header_size = 24 if version >= 3 else 20
    data_offset = header_size
    names_offset = data_offset + len(payload)
    tree_offset = names_offset + len(names)
    header = b"qres" + struct.pack(">IIII", version, tree_offset, data_offset, names_offset)
    if version >= 3:
        header += struct.pack(">I", 0)
    return bytes(header + payload + names + b"".join(nodes))


def write_bundle(path, files, **options):
    with open(path, "wb") as handle:
        handle.write(bundle_bytes(files, **options))
    return path
