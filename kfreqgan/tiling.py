"""Overlapping tiles and seamless blending, for running a fully convolutional
network on images larger than it should see at once.

`tile_starts` places tiles along one axis, `blend_window` gives each tile's
weight, and `apply_tiled` runs a function over an image tile by tile and
blends the results. Tiles start on multiples of `multiple` (a U-Net that
halves the resolution `d` times samples on a grid of `2 ** d` pixels; a tile
that starts off that grid would see a differently phased grid and compute
something else), and the weights of overlapping tiles form a partition of
unity: each output pixel is a convex combination of the tiles that cover it,
and pixels within `margin` of a tile's inner edge (where the network saw
zero padding instead of the real neighbours) get weight zero. With a margin
at least the network's receptive radius (`kfreqgan.dehazing.receptive_radius`)
every pixel that is used was computed with all the context it would have
had in one pass over the whole image. The blend is normalised by
the summed weights, so it stays a convex combination where more than two
tiles overlap (the last tile of a row is aligned to the image's edge and may
reach back over two of its predecessors).
"""

import math

import numpy as np

from kfreqgan._validation import check_positive_int


def tile_starts(length, tile, step, multiple=1):
    """Start offsets of tiles of size `tile` that cover `[0, length)`.

    Args:
        length: size of the axis (>= `tile`).
        tile: tile size.
        step: distance between consecutive starts (`tile - overlap`); a
            multiple of `multiple`.
        multiple: every start is a multiple of it; `length` and `tile` must
            be too.

    Returns:
        Sorted list of ints: `0, step, 2 step, ...` and `length - tile` last.
    """
    for name, value in (("length", length), ("tile", tile), ("step", step), ("multiple", multiple)):
        check_positive_int(value, name)  # a step of 0 never advanced (range() raised)
    if tile > length:
        raise ValueError(f"`tile` must be at most `length`. Received: tile={tile}, length={length}")
    for name, value in (("length", length), ("tile", tile), ("step", step)):
        if value % multiple:
            raise ValueError(f"`{name}` must be a multiple of {multiple}. Received: {name}={value}")
    starts = list(range(0, length - tile, step)) + [length - tile]
    return sorted(set(starts))


def _ramp(size, before, after, margin):
    """1-D weights: rising over the `before` pixels shared with the previous
    tile, falling over the `after` pixels shared with the next one.

    Each ramp is zero for its first `margin` pixels (where the network lacked
    context), linear over the next `overlap - 2 margin` and one after, so
    the ramps of two tiles that overlap by `o` pixels sum to one.
    """
    position = np.arange(size, dtype=np.float64) + 0.5
    weights = np.ones(size)
    if before:
        weights = np.minimum(weights, np.clip((position - margin) / (before - 2 * margin), 0.0, 1.0))
    if after:
        weights = np.minimum(weights, np.clip((size - position - margin) / (after - 2 * margin), 0.0, 1.0))
    return weights


def blend_window(shape, overlaps, margin):
    """2-D blending weights of one tile: `(height, width)` float64.

    Args:
        shape: `(height, width)` of the tile.
        overlaps: `((top, bottom), (left, right))`: how many pixels this tile
            shares with its neighbour on each side (0 at the image border).
        margin: pixels of zero weight at each shared side.
    """
    (top, bottom), (left, right) = overlaps
    return np.outer(_ramp(shape[0], top, bottom, margin), _ramp(shape[1], left, right, margin))


def _axis_tiles(length, tile, overlap, multiple):
    """[(start, overlap_before, overlap_after)] along one axis."""
    if length <= tile:
        return [(0, 0, 0)], length
    starts = tile_starts(length, tile, tile - overlap, multiple)
    tiles = []
    for index, start in enumerate(starts):
        before = starts[index - 1] + tile - start if index else 0
        after = start + tile - starts[index + 1] if index + 1 < len(starts) else 0
        tiles.append((start, before, after))
    return tiles, tile


def tile_grid(height, width, tile_size, overlap, multiple=1, margin=None):
    """The tiles that cover an image: a list of `(top, left, h, w, window)`.

    Args:
        height, width: image size, multiples of `multiple`.
        tile_size: largest tile side, a multiple of `multiple`, or a
            `(height, width)` pair of them (a fixed-size model whose input
            is not square); sides that fit in one tile are not split.
        overlap: pixels shared by neighbouring tiles, a multiple of
            `multiple`, less than each tile side.
        multiple: every tile starts on a multiple of it.
        margin: pixels at each inner tile edge that get no weight (default
            `overlap // 4`); `overlap` must exceed `2 * margin`.

    Returns:
        A list of `(top, left, tile_height, tile_width, window)` with
        `window` the tile's blending weights (normalise by their sum over
        the image, as `apply_tiled` does).
    """
    check_positive_int(multiple, "multiple")
    # An image of height 0 got tiles of height 0.
    check_positive_int(height, "height")
    check_positive_int(width, "width")
    pair = isinstance(tile_size, (tuple, list)) or (isinstance(tile_size, np.ndarray) and tile_size.ndim == 1)
    sides = tuple(tile_size) if pair and len(tile_size) == 2 else (tile_size, tile_size)
    for name, value in (("tile_size", sides[0]), ("tile_size", sides[1]), ("overlap", overlap)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0 or value % multiple:
            raise ValueError(
                f"`{name}` must be an integer >= 0 and a multiple of {multiple}"
                f"{' (or a pair of them)' if name == 'tile_size' else ''}. Received: {name}={tile_size if name == 'tile_size' else value!r}"
            )
    if min(sides) <= overlap or min(sides) - overlap < multiple:
        raise ValueError(f"`overlap` must be smaller than `tile_size`. Received: tile_size={tile_size}, overlap={overlap}")
    margin = overlap // 4 if margin is None else margin
    if isinstance(margin, bool) or not isinstance(margin, (int, np.integer)) or margin < 0 or (overlap and overlap <= 2 * margin):
        raise ValueError(
            f"`margin` must be an integer >= 0 with `overlap` > 2 * margin. Received: margin={margin!r}, overlap={overlap}"
        )
    rows, tile_height = _axis_tiles(height, sides[0], overlap, multiple)
    columns, tile_width = _axis_tiles(width, sides[1], overlap, multiple)
    grid = []
    for top, up, down in rows:
        for left, before, after in columns:
            window = blend_window((tile_height, tile_width), ((up, down), (before, after)), margin)
            grid.append((top, left, tile_height, tile_width, window))
    return grid


def check_progress(progress):
    """Raises `ValueError` unless `progress` is None or a callable
    `progress(done, total)` (True failed with TypeError after the first
    batch of tiles had run)."""
    if progress is not None and not callable(progress):
        raise ValueError(f"`progress` must be None or a callable progress(done, total). Received: progress={progress!r}")


def padded_size(size, multiple):
    """`size` rounded up to a multiple of `multiple`."""
    return int(math.ceil(size / multiple) * multiple)


def reflect_pad(image, height, width):
    """Pads an `(H, W, C)` array at the bottom and right to `(height, width)`
    by mirroring (repeatedly, if the pad is larger than the image)."""
    pad = ((0, height - image.shape[0]), (0, width - image.shape[1]), (0, 0))
    return np.pad(image, pad, mode="reflect") if any(p[1] for p in pad) else image


def apply_tiled(function, image, tile_size, overlap, multiple=1, out_channels=None, batch_size=1, progress=None, margin=None):
    """Runs `function` on overlapping tiles of `image` and blends the results.

    Args:
        function: maps a float32 batch `(n, h, w, C)` to `(n, h, w, C')`.
        image: float32 `(H, W, C)` with H and W multiples of `multiple`.
        tile_size, overlap, multiple, margin: see `tile_grid`.
        out_channels: `C'` (default: `C`).
        batch_size: tiles per call of `function`.
        progress: optional callable `progress(done, total)` after each batch.

    Returns:
        float32 `(H, W, C')`. Memory beyond the image and the result is one
        batch of tiles.
    """
    shape = getattr(image, "shape", None)
    if shape is None or len(shape) != 3:
        # A grey (H, W) array failed with "not enough values to unpack".
        raise ValueError(f"`image` must be an array of shape (height, width, channels). Received: shape={shape}")
    height, width, channels = shape
    out_channels = channels if out_channels is None else check_positive_int(out_channels, "out_channels")
    batch_size = check_positive_int(batch_size, "batch_size")  # 0 reached range()
    check_progress(progress)
    grid = tile_grid(height, width, tile_size, overlap, multiple, margin)
    total = np.zeros((height, width, out_channels), np.float32)
    weights = np.zeros((height, width, 1), np.float32)
    for first in range(0, len(grid), batch_size):
        chunk = grid[first : first + batch_size]
        tiles = np.stack([image[top : top + h, left : left + w] for top, left, h, w, _ in chunk])
        outputs = np.asarray(function(tiles), np.float32)
        if outputs.shape[:3] != tiles.shape[:3]:
            raise ValueError(
                f"The tiled function must keep the tile size. Expected: {tiles.shape[:3]}. Received: {outputs.shape}"
            )
        for (top, left, h, w, window), output in zip(chunk, outputs):
            total[top : top + h, left : left + w] += (window[..., None] * output).astype(np.float32)
            weights[top : top + h, left : left + w] += window[..., None].astype(np.float32)
        if progress is not None:
            progress(min(first + batch_size, len(grid)), len(grid))
    total /= weights
    return total
