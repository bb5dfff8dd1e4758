"""`GANMetricsMonitor`: fidelity and diversity of a GAN's samples while it trains."""

import time

import keras
import numpy as np
import tensorflow as tf

from kfreqgan import fidelity_diversity
from kfreqgan import metrics
from kfreqgan._validation import as_image_batch
from kfreqgan._validation import check_bool
from kfreqgan._validation import check_image_sets
from kfreqgan._validation import check_positive_int
from kfreqgan.analysis.plots import figure_to_png
from kfreqgan.analysis.plots import plot_precision_recall_curve
from kfreqgan.paths import check_log_dir


class GANMetricsMonitor(keras.callbacks.Callback):
    """Logs precision, recall, density, coverage, diversity (and optionally
    FID, PRD and Inception Score) of generated samples every N epochs.

    Every `every_n_epochs` epochs it generates from fixed `inputs` (the
    model called in inference mode, in batches, inside a `tf.function`; for
    `FreqGAN` that returns images in [0, 1]), embeds
    the images with `extractor` and compares them with the features of
    `real_images` (embedded once, at the first measurement):

    - `precision`, `recall`, `density`, `coverage`
      (`kfreqgan.fidelity_diversity.prdc`);
    - `diversity`: `diversity_ratio(real, generated)` of the features. For
      a paired (image-to-image) model pass the *targets* of `inputs` as
      `real_images`: the value is then the spread of the outputs across
      different inputs relative to that of their targets, 0 when the model
      returns one image whatever the input;
    - `fid` (`metrics.frechet_distance` of the same features) if `fid`;
    - `prd_f8`, `prd_f1_8` if `prd` (Sajjadi et al.'s curve, also drawn to
      TensorBoard), which needs as many `inputs` as `real_images`;
    - `inception_score` if a `classifier` (logits) is given.

    The values go into the epoch's `logs` as `gan_<name>` (so `History`,
    `CSVLogger` and `EarlyStopping` see them), into `history`, and with
    `log_dir` to TensorBoard as scalars `gan_metrics/<name>`. The cost is one
    forward pass of the generator and the extractor over `inputs` per period
    and k-NN distances among a few hundred vectors: on 128 samples it took 5%
    of a 48-step `dcgan-32` epoch, on 256 samples 11%, with PRD curves
    almost half (BENCHMARKS.md). Keep `inputs` to one or two hundred, the
    extractor small, PRD for long periods, or raise `every_n_epochs`; the
    seconds spent per call are kept in `seconds`.

    Args:
        real_images: `(N, H, W, C)` real images in [0, 1] (held-out ones if
            you have them), of the shape of the model's outputs (a
            measurement of outputs of another shape raises `ValueError`).
        inputs: fixed model inputs: latent vectors (unconditional) or input
            images (paired).
        extractor: a `kfreqgan.metrics.FeatureExtractor` or a Keras model
            (wrapped in one), as for `metrics.fid`.
        every_n_epochs: period (positive int).
        nearest_k: `k` of the k-NN manifolds (smaller than both set sizes).
        fid: also log the Frechet distance of the features.
        prd: also log the PRD summaries and draw the curve.
        classifier: optional classifier (extractor or Keras model returning
            logits) for the Inception Score.
        log_dir: optional TensorBoard log directory.
        batch_size: inputs per forward pass of the model.
    """

    def __init__(
        self,
        real_images,
        inputs,
        extractor,
        every_n_epochs=1,
        nearest_k=5,
        fid=True,
        prd=False,
        classifier=None,
        log_dir=None,
        batch_size=128,
    ):
        super().__init__()
        self.real_images = as_image_batch(real_images, name="real_images")
        if not hasattr(inputs, "__len__") or not hasattr(inputs, "__getitem__") or isinstance(inputs, (str, bytes)) or not len(inputs):
            raise ValueError(
                "`inputs` must be a non-empty array or tensor of model inputs, batch first. "
                f"Received: inputs={inputs!r}"
            )
        self.inputs = inputs
        self.extractor = metrics.as_feature_extractor(extractor)
        self.classifier = None if classifier is None else metrics.as_feature_extractor(classifier)
        self.every_n_epochs = check_positive_int(every_n_epochs, "every_n_epochs")
        count = int(self.real_images.shape[0])
        self.nearest_k = check_positive_int(nearest_k, "nearest_k")
        if self.nearest_k >= min(count, len(inputs)):
            raise ValueError(
                f"`nearest_k` must be smaller than the number of real images ({count}) and of inputs "
                f"({len(inputs)}). Received: nearest_k={nearest_k}"
            )
        if prd and len(inputs) != count:
            raise ValueError(
                f"`prd=True` needs as many inputs as real images. Received: {len(inputs)} inputs, {count} real images"
            )
        self.fid = check_bool(fid, "fid")
        self.prd = check_bool(prd, "prd")
        self.log_dir = check_log_dir(log_dir)
        self.batch_size = check_positive_int(batch_size, "batch_size")
        self._generate = None
        self.epochs, self.seconds = [], []
        self.values = {}
        self._real = None
        self._writer = None

    @property
    def history(self):
        """dict: `epochs` (T,) and one `(T,)` array per logged value."""
        return {"epochs": np.array(self.epochs), **{name: np.array(v) for name, v in self.values.items()}}

    def measure(self):
        """Generates from the fixed inputs and returns `(images, values, curve)`:
        the images, a dict of the metrics and the PRD curve (or None)."""
        if self._real is None:
            self._real = self.extractor(self.real_images)
        if self._generate is None:
            model = self.model
            self._generate = tf.function(lambda batch: model(batch, training=False), reduce_retracing=True)
        batches = [
            self._generate(tf.convert_to_tensor(self.inputs[start : start + self.batch_size])).numpy()
            for start in range(0, len(self.inputs), self.batch_size)
        ]
        images = np.clip(np.concatenate(batches, axis=0).astype(np.float32), 0.0, 1.0)
        # The extractor would resize samples of another size to its input.
        check_image_sets(self.real_images, images, ("real_images", "generated"))
        fake = self.extractor(images)
        result = fidelity_diversity.prdc(self._real, fake, self.nearest_k)
        values = dict(result._asdict())
        values["diversity"] = fidelity_diversity.diversity_ratio(self._real, fake)
        if self.fid:
            values["fid"] = metrics.frechet_distance(
                *metrics.feature_statistics(self._real), *metrics.feature_statistics(fake)
            )
        curve = None
        if self.prd:
            curve = fidelity_diversity.prd_curve(self._real, fake, num_runs=3)
            values["prd_f8"], values["prd_f1_8"] = curve.f_beta, curve.f_beta_inv
        if self.classifier is not None:
            values["inception_score"] = fidelity_diversity.classifier_inception_score(
                images, self.classifier, splits=min(10, len(images))
            ).mean
        return images, values, curve

    def set_model(self, model):
        super().set_model(model)
        self._generate = None

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every_n_epochs:
            return
        started = time.perf_counter()
        _, values, curve = self.measure()
        self.epochs.append(epoch + 1)
        for name, value in values.items():
            self.values.setdefault(name, []).append(value)
            if logs is not None:
                logs[f"gan_{name}"] = value
        if self.log_dir:
            if self._writer is None:
                self._writer = tf.summary.create_file_writer(self.log_dir)
            with self._writer.as_default(step=epoch + 1):
                for name, value in values.items():
                    tf.summary.scalar(f"gan_metrics/{name}", value)
                if curve is not None:
                    figure = plot_precision_recall_curve({f"epoch {epoch + 1}": curve})
                    png = tf.image.decode_png(figure_to_png(figure), channels=3)
                    tf.summary.image("gan_metrics/prd_curve", png[tf.newaxis])
            self._writer.flush()
        self.seconds.append(time.perf_counter() - started)
