"""Image data for kfreqgan: real photos that ship with installed packages."""

from kfreqgan.data.photos import PHOTO_NAMES
from kfreqgan.data.photos import center_crop
from kfreqgan.data.photos import load_photo

__all__ = ["PHOTO_NAMES", "center_crop", "load_photo"]
