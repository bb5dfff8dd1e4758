"""`SpectrumMonitor`: watch a GAN's spectrum while it trains."""

import time

import keras
import numpy as np
import tensorflow as tf

from kfreqgan import spectral
from kfreqgan._validation import as_image_batch
from kfreqgan._validation import check_frequency
from kfreqgan._validation import check_positive_int
from kfreqgan.analysis.plots import figure_to_png
from kfreqgan.analysis.plots import plot_spectral_evolution
from kfreqgan.paths import check_log_dir


class SpectrumMonitor(keras.callbacks.Callback):
    """Records how far a generator's spectrum is from the real one, per epoch.

    Every `every_n_epochs` epochs it runs the model (`model.predict`, which
    for `FreqGAN` returns generated images) on fixed inputs, compares the
    images with a fixed real set by `kfreqgan.spectral.spectral_distance`
    and keeps the per-ring gap (dB) in `history`; `plot_evolution()` turns
    that into the spectral evolution heatmap. With `log_dir` it also writes
    to TensorBoard: the scalars `spectrum/distance_db` and
    `spectrum/high_frequency_gap_db` (mean gap above `high_frequency`), a
    grid of samples, and the heatmap.

    The cost is one forward pass over `inputs` per period; keep `inputs`
    small (tens of images) so training slows by well under 10%. Each
    measurement's throughput, real and generated images per second
    (generation included), is kept in `history["images_per_second"]` and
    written to TensorBoard as `spectrum/images_per_second`.

    Args:
        real_images: `(N, H, W, C)` reference images in [0, 1].
        inputs: fixed model inputs: latent vectors (unconditional) or input
            images (paired); generated once per period.
        every_n_epochs: period.
        num_bins: radial bins (default `min(H, W) // 2`).
        high_frequency: lower edge of the "high" band for the scalar.
        log_dir: optional TensorBoard log directory.
        max_images: samples shown in TensorBoard.
    """

    def __init__(self, real_images, inputs, every_n_epochs=1, num_bins=None, high_frequency=0.25, log_dir=None, max_images=8):
        super().__init__()
        self.real_images = as_image_batch(real_images, name="real_images")
        self.inputs = inputs
        self.every_n_epochs = check_positive_int(every_n_epochs, "every_n_epochs")
        # Checked here, not when the first period's training is done.
        self.num_bins = spectral.check_num_bins(num_bins)
        spectral.radial_bin_frequencies(int(self.real_images.shape[1]), int(self.real_images.shape[2]), self.num_bins)
        self.high_frequency = check_frequency(high_frequency, "high_frequency")
        self.log_dir = check_log_dir(log_dir)
        self.max_images = check_positive_int(max_images, "max_images")
        self.epochs, self.gaps, self.distances, self.throughputs = [], [], [], []
        self.frequencies = None
        self._writer = None

    @property
    def history(self):
        """dict: `epochs` (T,), `frequencies` (B,), `gap_db` (T, B), `distance_db` (T,),
        `images_per_second` (T,)."""
        return {
            "epochs": np.array(self.epochs),
            "frequencies": self.frequencies,
            "gap_db": np.array(self.gaps),
            "distance_db": np.array(self.distances),
            "images_per_second": np.array(self.throughputs),
        }

    def measure(self):
        """Generates from the fixed inputs and returns (images, SpectralDistance)."""
        images = self.model.predict(self.inputs, verbose=0)
        return images, spectral.spectral_distance(self.real_images, images, self.num_bins)

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every_n_epochs:
            return
        start = time.perf_counter()
        images, gap = self.measure()
        per_bin = gap.per_bin.numpy()
        throughput = (len(self.real_images) + len(images)) / (time.perf_counter() - start)
        self.throughputs.append(throughput)
        self.frequencies = gap.frequencies.numpy()
        self.epochs.append(epoch + 1)
        self.gaps.append(per_bin)
        self.distances.append(float(gap.distance))
        high = per_bin[self.frequencies >= self.high_frequency]
        if logs is not None:
            logs["spectral_distance_db"] = float(gap.distance)
        if self.log_dir:
            if self._writer is None:
                self._writer = tf.summary.create_file_writer(self.log_dir)
            with self._writer.as_default(step=epoch + 1):
                tf.summary.scalar("spectrum/distance_db", float(gap.distance))
                tf.summary.scalar("spectrum/high_frequency_gap_db", float(high.mean()) if high.size else 0.0)
                tf.summary.scalar("spectrum/images_per_second", throughput)
                tf.summary.image("spectrum/samples", np.clip(images[: self.max_images], 0, 1), max_outputs=self.max_images)
                heatmap = tf.image.decode_png(figure_to_png(self.plot_evolution()), channels=3)
                tf.summary.image("spectrum/evolution", heatmap[tf.newaxis])
            self._writer.flush()

    def plot_evolution(self, title="Spectral gap of generated images during training"):
        """The spectral evolution heatmap (`plot_spectral_evolution`)."""
        if not self.epochs:
            raise ValueError("SpectrumMonitor has no measurement yet (train for at least `every_n_epochs` epochs).")
        return plot_spectral_evolution(self.epochs, self.frequencies, np.array(self.gaps), title=title)
