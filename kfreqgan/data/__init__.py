"""Image data for kfreqgan: bundled real photos, synthetic haze, carrier datasets."""

from kfreqgan.data.photos import HELDOUT_PHOTOS
from kfreqgan.data.photos import PHOTO_NAMES
from kfreqgan.data.photos import TRAIN_PHOTOS
from kfreqgan.data.photos import center_crop
from kfreqgan.data.photos import load_photo
from kfreqgan.data.photos import load_photo_depth
from kfreqgan.data.photos import photo_patches

__all__ = [
    "HELDOUT_PHOTOS",
    "PHOTO_NAMES",
    "TRAIN_PHOTOS",
    "center_crop",
    "load_photo",
    "load_photo_depth",
    "photo_patches",
]
