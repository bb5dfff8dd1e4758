"""Slow, obvious NumPy references that the TensorFlow code is checked against."""

import numpy as np


ITU_601_GRAY = (0.299, 0.587, 0.114)
SSD_GAN_GRAY = (0.2989, 0.5870, 0.1140)  # SSD-GAN's RGB2gray


def gray(images, weights=ITU_601_GRAY):
    images = np.asarray(images, np.float64)
    if images.shape[-1] == 1:
        return images[..., 0]
    return images @ np.array(weights)


def centred_fft(image2d):
    return np.fft.fftshift(np.fft.fft2(image2d))


def bincount_profile(values2d, radius_index):
    """Mean of `values2d` for each integer in `radius_index` (same shape)."""
    flat = radius_index.ravel()
    return np.bincount(flat, values2d.ravel()) / np.bincount(flat)


def pixel_radius(height, width):
    y, x = np.indices((height, width))
    return np.hypot(y - height // 2, x - width // 2).astype(int)


def normalized_radius(height, width):
    fy = np.fft.fftshift(np.fft.fftfreq(height))[:, None]
    fx = np.fft.fftshift(np.fft.fftfreq(width))[None, :]
    return np.hypot(fy, fx)


def ssd_gan_feature(images):
    """SSD-GAN's spectral feature, one image at a time in float64.

    Re-implemented from reading `get_fft_feature` in the authors' code
    (Chen et al., AAAI 2021), step by step:
    grey with 0.2989/0.5870/0.1140 -> full 2D DFT -> 1e-8 added to the real
    and the imaginary part -> `log(sqrt(re^2 + im^2 + 1e-10) + 1e-10)` ->
    quadrant swap (fftshift, even sizes) -> sums over rings of integer radius
    `int(sqrt((x - H/2)^2 + (y - W/2)^2))` divided by `count + 1e-10` ->
    drop ring 0 and the last two -> min-max per image.
    """
    out = []
    for image in gray(images, SSD_GAN_GRAY):
        height, width = image.shape
        spectrum = np.fft.fft2(image) + (1e-8 + 1e-8j)
        magnitude = np.log(np.sqrt(spectrum.real**2 + spectrum.imag**2 + 1e-10) + 1e-10)
        magnitude = np.fft.fftshift(magnitude)
        y, x = np.indices((height, width))
        radius = np.sqrt((x - height / 2) ** 2 + (y - width / 2) ** 2).astype(int).ravel()
        rings = np.bincount(radius, magnitude.ravel()) / (np.bincount(radius) + 1e-10)
        profile = rings[1:-2]
        out.append((profile - profile.min()) / (profile.max() - profile.min()))
    return np.stack(out)


def band_filter(images, mask_centred):
    """real(ifft2(mask * fft2(x))) per image and channel."""
    mask = np.fft.ifftshift(mask_centred)[None, :, :, None]
    return np.real(np.fft.ifft2(mask * np.fft.fft2(images, axes=(1, 2)), axes=(1, 2)))
