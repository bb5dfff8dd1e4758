"""Image data for kfreqgan: bundled real photos, synthetic haze, carrier datasets,
paired dehazing folders, and image files (`kfreqgan.data.image_files`: the one
place that lists, reads and writes them).

Hazy/clean pairs are made in one place, `make_hazy_pairs` (in
`kfreqgan.data.haze`, with the scattering model, the depth priors and the
RESIDE haze ranges `ITS_*` / `OTS_*`); training, the demos, int8
calibration, the TFDS builder and the benchmarks all call it.

The `hazy_pairs` TFDS builder lives in `kfreqgan.data.hazy_pairs`; importing
that module registers it with TFDS (it is not imported here, so that
`kfreqgan.data` does not pull in TFDS).
"""

from kfreqgan._startup import export_names


def _public_names():
    from kfreqgan.data.folders import find_image_pairs
    from kfreqgan.data.folders import image_pair_dataset
    from kfreqgan.data.folders import load_image_pair
    from kfreqgan.data.haze import make_hazy_pairs
    from kfreqgan.data.image_files import IMAGE_EXTENSIONS
    from kfreqgan.data.image_files import ImageInfo
    from kfreqgan.data.image_files import list_image_files
    from kfreqgan.data.image_files import load_image
    from kfreqgan.data.image_files import read_image
    from kfreqgan.data.image_files import write_image
    from kfreqgan.data.photos import BENCHMARK_PHOTOS
    from kfreqgan.data.photos import HELDOUT_PHOTOS
    from kfreqgan.data.photos import PHOTO_NAMES
    from kfreqgan.data.photos import TRAIN_PHOTOS
    from kfreqgan.data.photos import center_crop
    from kfreqgan.data.photos import load_photo
    from kfreqgan.data.photos import load_photo_depth
    from kfreqgan.data.photos import photo_patches

    return locals()


export_names(globals(), _public_names)


__all__ = [
    "BENCHMARK_PHOTOS",
    "HELDOUT_PHOTOS",
    "IMAGE_EXTENSIONS",
    "ImageInfo",
    "PHOTO_NAMES",
    "TRAIN_PHOTOS",
    "center_crop",
    "find_image_pairs",
    "image_pair_dataset",
    "list_image_files",
    "load_image",
    "load_image_pair",
    "load_photo",
    "load_photo_depth",
    "make_hazy_pairs",
    "photo_patches",
    "read_image",
    "write_image",
]
