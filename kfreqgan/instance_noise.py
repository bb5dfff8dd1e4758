"""Instance noise for the discriminator's inputs, and its decay schedule.

Instance noise (Sonderby et al., "Amortised MAP Inference for Image
Super-resolution", ICLR 2017; Arjovsky & Bottou, ICLR 2017) adds Gaussian
noise to *both* real and generated images before the discriminator sees
them. Early in training, when the two distributions barely overlap, a
perfect discriminator gives the generator no useful gradient; blurring both
distributions with the same noise makes them overlap, and the noise is then
decayed to zero so that the GAN ends up fitting the clean data.
"""

import keras
import tensorflow as tf

from kfreqgan._validation import check_at_least
from kfreqgan._validation import check_positive_int

SCHEDULE_KINDS = ("linear", "exponential")


@keras.saving.register_keras_serializable(package="kfreqgan")
class InstanceNoiseSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """The standard deviation of instance noise as a function of the step.

    A Keras schedule (`keras.optimizers.schedules.LearningRateSchedule`, so it
    serialises like one): called with an optimizer's `iterations`, it returns
    the noise's standard deviation `sigma` (in image units: images lie in
    [0, 1]) for that step. With `t = min(step / decay_steps, 1)`:

    - `"linear"`: `sigma = initial_sigma * (1 - t)`;
    - `"exponential"`: `sigma = initial_sigma * final_fraction ** t` for
      `t < 1`, falling from `initial_sigma` to `final_fraction * initial_sigma`
      over `decay_steps`, and 0 from then on.

    Either way the noise is exactly zero from `decay_steps` on.

    Example:

    >>> schedule = InstanceNoiseSchedule(0.1, decay_steps=1000)
    >>> [round(float(schedule(step)), 3) for step in (0, 500, 1000, 2000)]
    [0.1, 0.05, 0.0, 0.0]

    Args:
        initial_sigma: standard deviation at step 0 (>= 0).
        decay_steps: steps until the noise is off (positive int).
        kind: `"linear"` or `"exponential"`.
        final_fraction: for `"exponential"`, `sigma / initial_sigma` just
            before `decay_steps` (in (0, 1)).
        name: optional name.
    """

    def __init__(self, initial_sigma, decay_steps, kind="linear", final_fraction=0.01, name=None):
        self.initial_sigma = check_at_least(initial_sigma, "initial_sigma")
        self.decay_steps = check_positive_int(decay_steps, "decay_steps")
        if kind not in SCHEDULE_KINDS:
            raise ValueError(f"`kind` must be one of {SCHEDULE_KINDS}. Received: kind={kind!r}")
        self.kind = kind
        self.final_fraction = check_at_least(final_fraction, "final_fraction", strict=True, high=1.0)
        self.name = name

    def __call__(self, step):
        t = tf.minimum(tf.cast(step, tf.float32) / float(self.decay_steps), 1.0)
        if self.kind == "linear":
            return self.initial_sigma * (1.0 - t)
        decayed = self.initial_sigma * tf.pow(self.final_fraction, t)
        return tf.where(t < 1.0, decayed, 0.0)

    def get_config(self):
        return {
            "initial_sigma": self.initial_sigma,
            "decay_steps": self.decay_steps,
            "kind": self.kind,
            "final_fraction": self.final_fraction,
            "name": self.name,
        }


def add_instance_noise(images, sigma, seed=None):
    """`images + sigma * N(0, 1)`, in float32 (nothing is clipped).

    Args:
        images: float tensor.
        sigma: scalar standard deviation (a number or a scalar tensor).
        seed: an int, a `keras.random.SeedGenerator` or None.

    Returns:
        float32 tensor shaped like `images`.
    """
    if not tf.is_tensor(sigma):  # a tensor (a schedule's value in a graph) is the caller's
        sigma = check_at_least(sigma, "sigma")
    images = tf.cast(images, tf.float32)
    return images + tf.cast(sigma, tf.float32) * keras.random.normal(tf.shape(images), seed=seed)
