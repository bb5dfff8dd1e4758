"""Slow, obvious NumPy references that the TensorFlow code is checked against."""

import numpy as np


def gray(images):
    images = np.asarray(images, np.float64)
    if images.shape[-1] == 1:
        return images[..., 0]
    return images @ np.array([0.299, 0.587, 0.114])


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
    """SSD-GAN's spectral feature, one image at a time, written from the paper's
    algorithm: grey (601) -> |FFT| -> log -> centre -> mean over integer pixel
    radius -> drop ring 0 and the last two -> min-max per image."""
    out = []
    for image in gray(images):
        height, width = image.shape
        log_mag = np.log(np.abs(centred_fft(image)) + 1e-10)
        profile = bincount_profile(log_mag, pixel_radius(height, width))[1:-2]
        out.append((profile - profile.min()) / (profile.max() - profile.min()))
    return np.stack(out)


def band_filter(images, mask_centred):
    """real(ifft2(mask * fft2(x))) per image and channel."""
    mask = np.fft.ifftshift(mask_centred)[None, :, :, None]
    return np.real(np.fft.ifft2(mask * np.fft.fft2(images, axes=(1, 2)), axes=(1, 2)))
