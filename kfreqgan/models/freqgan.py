"""`FreqGAN`: a GAN trained with plain `model.fit`, on one device or many."""

import keras
import tensorflow as tf

from kfreqgan import losses
from kfreqgan.models.spectral_discriminator import SpectralDiscriminator

MODES = ("paired", "unconditional")
FREQUENCY_LOSSES = (None, "focal", "radial")


def _is_multi_worker(strategy):
    return isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)


@keras.saving.register_keras_serializable(package="kfreqgan")
class FreqGAN(keras.Model):
    """A generator and a discriminator trained together by `fit`.

    Two modes:

    - `"paired"` (image-to-image, e.g. dehazing): the data are `(x, y)`
      pairs; the generator maps `x` to `y`, the discriminator judges `x` and
      a candidate concatenated along channels, and the generator's loss is
      `adversarial_weight * adv + l1_weight * L1(y, G(x))
      + frequency_weight * freq(y, G(x))` (pix2pix plus a frequency loss);
      `evaluate` reports PSNR, SSIM and L1.
    - `"unconditional"`: the data are real images; the generator maps
      latent vectors to images (DCGAN / SSD-GAN setting).

    The discriminator may return one logit tensor or a list of them (e.g.
    spatial and frequency branches); the adversarial losses are summed over
    the list. A `SpectralDiscriminator` is told when it is the generator's
    step, so that it can stop the generator's gradient through its spectral
    branch as SSD-GAN does.

    Distribution: losses are per example and reduced over the *global* batch
    (`losses.reduce_loss`), both optimizers are built inside the strategy's
    scope in `compile` (Keras needs that under `MirroredStrategy` with two
    optimizers), and under `MultiWorkerMirroredStrategy` the logs are rank-1
    (Keras's cross-worker reduction fails on scalars). Under the
    `mixed_float16` policy both optimizers are wrapped in
    `keras.optimizers.LossScaleOptimizer`.

    `call` (and so `predict`) returns generated images clipped to [0, 1].

    Args:
        generator: `keras.Model`; `(N, H, W, C) -> (N, H, W, C)` in paired
            mode, `(N, latent_dim) -> images` in unconditional mode.
        discriminator: `keras.Model` (or `SpectralDiscriminator`).
        mode: `"paired"` or `"unconditional"`.
        adversarial_loss: `"non_saturating"`, `"hinge"` or `"least_squares"`.
        adversarial_weight: weight of the generator's adversarial loss.
        l1_weight: weight of the L1 reconstruction loss (paired mode).
        frequency_loss: None, `"focal"` (focal frequency loss) or `"radial"`
            (L1 between log radial power profiles); paired mode.
        frequency_weight: weight of the frequency loss.
        **kwargs: base `keras.Model` arguments.
    """

    def __init__(
        self,
        generator,
        discriminator,
        mode="paired",
        adversarial_loss="non_saturating",
        adversarial_weight=1.0,
        l1_weight=100.0,
        frequency_loss="focal",
        frequency_weight=10.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if isinstance(generator, dict):
            generator = keras.saving.deserialize_keras_object(generator)
        if isinstance(discriminator, dict):
            discriminator = keras.saving.deserialize_keras_object(discriminator)
        for name, value in (("generator", generator), ("discriminator", discriminator)):
            if not isinstance(value, keras.Model):
                raise ValueError(f"`{name}` must be a keras.Model. Received: {type(value).__name__}")
        if mode not in MODES:
            raise ValueError(f"`mode` must be one of {MODES}. Received: mode={mode!r}")
        if adversarial_loss not in losses.ADVERSARIAL_LOSSES:
            raise ValueError(
                f"`adversarial_loss` must be one of {losses.ADVERSARIAL_LOSSES}. Received: adversarial_loss={adversarial_loss!r}"
            )
        if frequency_loss not in FREQUENCY_LOSSES:
            raise ValueError(f"`frequency_loss` must be one of {FREQUENCY_LOSSES}. Received: frequency_loss={frequency_loss!r}")
        for name, value in (("adversarial_weight", adversarial_weight), ("l1_weight", l1_weight), ("frequency_weight", frequency_weight)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"`{name}` must be a number >= 0. Received: {name}={value!r}")
        self.generator = generator
        self.discriminator = discriminator
        self.mode = mode
        self.adversarial_loss = adversarial_loss
        self.adversarial_weight = float(adversarial_weight)
        self.l1_weight = float(l1_weight)
        self.frequency_loss = frequency_loss
        self.frequency_weight = float(frequency_weight)
        if mode == "unconditional":
            self.latent_dim = int(generator.inputs[0].shape[-1])
        self.seed_generator = keras.random.SeedGenerator(1337)
        names = ["g_loss", "d_loss", "g_adversarial", "d_real", "d_fake"]
        if mode == "paired":
            names += ["g_l1"] + (["g_frequency"] if frequency_loss else [])
        self._trackers = {name: keras.metrics.Mean(name=name) for name in names}
        self._eval_trackers = {name: keras.metrics.Mean(name=name) for name in ("psnr", "ssim", "l1")}

    # -- Keras plumbing -----------------------------------------------------

    def compile(self, generator_optimizer=None, discriminator_optimizer=None, **kwargs):
        """Sets both optimizers (Adam(2e-4, 0.5) by default) and builds them.

        Call it inside `strategy.scope()` when training distributed. Other
        keyword arguments (`jit_compile`, `steps_per_execution`, ...) go to
        `keras.Model.compile`.
        """
        # No Keras `optimizer`: Keras would default to an RMSprop that
        # BackupAndRestore builds over all variables and then warns about.
        super().compile(optimizer=None, **kwargs)
        self.generator_optimizer = generator_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5)
        self.discriminator_optimizer = discriminator_optimizer or keras.optimizers.Adam(2e-4, beta_1=0.5)
        if keras.mixed_precision.global_policy().name == "mixed_float16":
            self.generator_optimizer = self._loss_scaled(self.generator_optimizer)
            self.discriminator_optimizer = self._loss_scaled(self.discriminator_optimizer)
        self._build_networks()
        # Built here, in the strategy's scope, so that fit under
        # MirroredStrategy (and BackupAndRestore) find their variables.
        self.generator_optimizer.build(self.generator.trainable_variables)
        self.discriminator_optimizer.build(self.discriminator.trainable_variables)

    @staticmethod
    def _loss_scaled(optimizer):
        if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
            return optimizer
        return keras.optimizers.LossScaleOptimizer(optimizer)

    def _build_networks(self):
        if not self.discriminator.built:
            shape = self.generator.outputs[0].shape[1:]
            if self.mode == "paired":
                shape = tuple(shape[:-1]) + (shape[-1] + self.generator.inputs[0].shape[-1],)
            self.discriminator.build((None,) + tuple(shape))
        # Both networks exist with their weights: the GAN is built (fit calls
        # train_step, never `call`, which would otherwise mark it).
        self.built = True

    def _maybe_symbolic_build(self, iterator=None, data_batch=None):
        # Keras 3.15 runs a "symbolic build" at the start of fit/evaluate; with
        # a distribution strategy it first reduces a data batch across
        # replicas, which fails under MultiWorkerMirroredStrategy ("Attempt to
        # convert a value (PerReplica...)"). FreqGAN builds both networks and
        # both optimizers in `compile`, so there is nothing left to build.
        if self.built and all(layer.built for layer in self._flatten_layers()):
            return
        super()._maybe_symbolic_build(iterator=iterator, data_batch=data_batch)

    def get_compile_config(self):
        # The two optimizers are not Keras's single `optimizer`; recompile
        # a loaded model to resume training.
        return None

    @property
    def metrics(self):
        return list(self._trackers.values()) + list(self._eval_trackers.values())

    def call(self, inputs, training=False):
        return tf.clip_by_value(tf.cast(self.generator(inputs, training=training), tf.float32), 0.0, 1.0)

    def get_config(self):
        return {
            **super().get_config(),
            "generator": keras.saving.serialize_keras_object(self.generator),
            "discriminator": keras.saving.serialize_keras_object(self.discriminator),
            "mode": self.mode,
            "adversarial_loss": self.adversarial_loss,
            "adversarial_weight": self.adversarial_weight,
            "l1_weight": self.l1_weight,
            "frequency_loss": self.frequency_loss,
            "frequency_weight": self.frequency_weight,
        }

    # -- training -----------------------------------------------------------

    def _unpack(self, data):
        if self.mode == "paired":
            if not isinstance(data, (tuple, list)) or len(data) < 2:
                raise ValueError("FreqGAN(mode='paired') trains on (input, target) pairs; the dataset yields one tensor.")
            return data[0], data[1]
        if isinstance(data, (tuple, list)):
            data = data[0]
        return None, data

    def _generator_input(self, condition, real):
        if self.mode == "paired":
            return condition
        batch = tf.shape(real)[0]
        return keras.random.normal((batch, self.latent_dim), seed=self.seed_generator)

    def _discriminate(self, condition, images, training, generator_step=False):
        images = tf.cast(images, tf.float32)
        if self.mode == "paired":
            images = tf.concat([tf.cast(condition, tf.float32), images], axis=-1)
        if isinstance(self.discriminator, SpectralDiscriminator):
            logits = self.discriminator(images, training=training, generator_step=generator_step)
        else:
            logits = self.discriminator(images, training=training)
        return tf.nest.flatten(logits)

    def _frequency_term(self, target, prediction):
        if self.frequency_loss == "focal":
            return losses.focal_frequency_loss(target, prediction)
        return losses.radial_profile_loss(target, prediction)

    def _apply(self, optimizer, scaled_loss, variables, tape):
        optimizer.apply(tape.gradient(scaled_loss, variables), variables)

    def train_step(self, data):
        condition, real = self._unpack(data)
        real = tf.cast(real, tf.float32)

        # Discriminator step.
        fake = self.generator(self._generator_input(condition, real), training=True)
        with tf.GradientTape() as tape:
            real_logits = self._discriminate(condition, real, training=True)
            fake_logits = self._discriminate(condition, tf.stop_gradient(fake), training=True)
            d_per_example = tf.add_n(
                [losses.discriminator_adversarial_loss(r, f, self.adversarial_loss) for r, f in zip(real_logits, fake_logits)]
            )
            d_loss = losses.reduce_loss(d_per_example)
            # Loss scaling (mixed_float16) must happen on the tape.
            scaled = self.discriminator_optimizer.scale_loss(d_loss)
        self._apply(self.discriminator_optimizer, scaled, self.discriminator.trainable_variables, tape)

        # Generator step.
        with tf.GradientTape() as tape:
            fake = tf.cast(self.generator(self._generator_input(condition, real), training=True), tf.float32)
            logits = self._discriminate(condition, fake, training=True, generator_step=True)
            adversarial = tf.add_n([losses.generator_adversarial_loss(f, self.adversarial_loss) for f in logits])
            g_per_example = self.adversarial_weight * adversarial
            terms = {}
            if self.mode == "paired":
                terms["g_l1"] = losses.l1_loss(real, fake)
                g_per_example += self.l1_weight * terms["g_l1"]
                if self.frequency_loss:
                    terms["g_frequency"] = self._frequency_term(real, fake)
                    g_per_example += self.frequency_weight * terms["g_frequency"]
            g_loss = losses.reduce_loss(g_per_example)
            scaled = self.generator_optimizer.scale_loss(g_loss)
        self._apply(self.generator_optimizer, scaled, self.generator.trainable_variables, tape)

        values = {
            "g_loss": g_loss,
            "d_loss": d_loss,
            "g_adversarial": losses.reduce_loss(adversarial),
            "d_real": losses.reduce_loss(tf.add_n([losses.per_example_mean(r) for r in real_logits])),
            "d_fake": losses.reduce_loss(tf.add_n([losses.per_example_mean(f) for f in fake_logits])),
            **{name: losses.reduce_loss(value) for name, value in terms.items()},
        }
        # reduce_loss gives this replica's share of the global mean; the
        # trackers see the replica's own mean so their cross-replica mean is
        # the global one.
        replicas = tf.distribute.get_replica_context()
        count = float(replicas.num_replicas_in_sync) if replicas is not None else 1.0
        for name, value in values.items():
            self._trackers[name].update_state(value * count)
        return self._logs(self._trackers)

    def _logs(self, trackers):
        multi_worker = _is_multi_worker(self.distribute_strategy)
        return {name: tf.reshape(t.result(), [1]) if multi_worker else t.result() for name, t in trackers.items()}

    def test_step(self, data):
        condition, real = self._unpack(data)
        if self.mode != "paired":
            fake = self.generator(self._generator_input(None, real), training=False)
            real_logits = self._discriminate(None, real, training=False)
            fake_logits = self._discriminate(None, fake, training=False)
            d_loss = tf.add_n(
                [losses.discriminator_adversarial_loss(r, f, self.adversarial_loss) for r, f in zip(real_logits, fake_logits)]
            )
            self._trackers["d_loss"].update_state(tf.reduce_mean(d_loss))
            return self._logs({"d_loss": self._trackers["d_loss"]})
        fake = self(condition, training=False)
        real = tf.cast(real, tf.float32)
        self._eval_trackers["psnr"].update_state(tf.image.psnr(real, fake, max_val=1.0))
        self._eval_trackers["ssim"].update_state(tf.image.ssim(real, fake, max_val=1.0))
        self._eval_trackers["l1"].update_state(losses.l1_loss(real, fake))
        return self._logs(self._eval_trackers)
