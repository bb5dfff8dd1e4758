"""`FreqGAN`: a GAN trained with plain `model.fit`, on one device or many."""

import weakref

import keras
import tensorflow as tf

from kfreqgan import losses
from kfreqgan._validation import check_at_least
from kfreqgan._validation import check_nonempty_batch
from kfreqgan._validation import check_positive_int
from kfreqgan._validation import is_real_number
from kfreqgan.instance_noise import add_instance_noise
from kfreqgan.models.scattering import scattering_view
from kfreqgan.models.spectral_discriminator import SpectralDiscriminator

MODES = ("paired", "unconditional")
FREQUENCY_LOSSES = (None, "focal", "focal_log", "radial", "band_log")
GRADIENT_PENALTIES = (None, "r1", "wgan_gp")
REHAZING_WEIGHTINGS = ("uniform", "haze")
REHAZING_TARGETS = ("both", "airlight")
NETWORKS = ("generator", "discriminator")


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

    Each network's own losses (`network.losses`: kernel and activity
    regularisers, `add_loss` calls such as
    `kfreqgan.layers.EdgeAwareSmoothness`) are added to its loss, as Keras's
    `fit` adds a model's, and are part of the logged `g_loss` / `d_loss`.

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
    Both refuse an empty batch (`ValueError`), as tf.keras did: Keras 3's
    `predict` failed on it with an `UnboundLocalError`, and the networks
    inside TensorFlow.

    Stabilizers (all off by default; see the README for when to use which):

    - `gradient_penalty="r1"`: `gradient_penalty_weight / 2 * ||grad D(x)||^2`
      on real data (Mescheder et al. 2018), for any adversarial loss;
      `"wgan_gp"`: `gradient_penalty_weight * (||grad D(x_hat)|| - 1)^2` at
      random interpolates of real and generated data (Gulrajani et al.
      2017), meant for `adversarial_loss="wasserstein"`. Both are per example
      (`losses.r1_penalty`, `losses.wasserstein_gradient_penalty`) and reduced
      over the global batch like the other losses; the input gradients are
      taken of float32 logits and, under mixed float16, of the loss-scaled
      sum (then unscaled), so they are right under `tf.distribute` and mixed
      precision. In paired mode the gradient is taken with respect to the
      candidate image, the condition held fixed. `gradient_penalty_interval=k`
      is StyleGAN2's lazy regularisation: the penalty is computed on one
      discriminator step in `k` (counted by the discriminator optimizer's
      `iterations`) with its weight multiplied by `k`.
    - `feature_matching_weight > 0` adds feature matching to the generator's
      loss: Salimans et al. (2016) in unconditional mode
      (`losses.feature_matching_loss`, batch means of an intermediate
      discriminator feature), pix2pixHD's per-pair L1 in paired mode
      (`losses.paired_feature_matching_loss`). The features are the outputs
      of the layers named in `feature_matching_layers` of the (spatial, for a
      `SpectralDiscriminator`) Functional discriminator; by default, the
      inputs of its output layers (the last hidden features of each branch).
    - `instance_noise`: Gaussian noise added to the real and generated images
      the discriminator sees, in both steps (`kfreqgan.instance_noise`); a
      number (constant sigma) or a schedule called with the discriminator
      optimizer's `iterations`, e.g. `InstanceNoiseSchedule(0.1, 2000)`, which
      decays it to zero.
    - `spectrum_matching_weight > 0` adds a spectral regulariser to the
      generator's loss (`losses.spectrum_matching_loss`, after Durall et al.
      2020): the L1 gap between the batch-mean log radial power spectra of
      the real and the generated images (in paired mode: of the targets and
      the outputs). Unlike a spectral discriminator branch it gives the
      generator a direct gradient toward the real spectrum.
    - `rehazing_weight > 0` (paired mode, a generator that inverts the haze
      model: `coherent_dehazer` or `unet_generator(head="scattering")`)
      adds `losses.rehazing_loss`: the target hazed again with the
      generator's own transmission and airlight must give back the input.
      The L1 on the output lets a too-high transmission and a too-bright
      airlight cancel (in dense haze especially); this term holds each to
      the haze in the pair. The generator is run once, through
      `kfreqgan.models.scattering.scattering_view`. Two options shape it:
      `rehazing_weighting="haze"` multiplies each example's term by its
      haze's strength, `losses.haze_strength` (`mean |hazy - clear|`), so
      thin haze, where the pair says little about the airlight, counts
      less; `rehazing_target="airlight"` trains the airlight only (the
      transmission is held fixed in this term, so it cannot bend to make
      up for a wrong airlight).
    - `airlight_supervision_weight > 0` / `transmission_supervision_weight
      > 0` (paired mode, a generator that inverts the haze model, synthetic
      haze whose parameters are known) add `losses.haze_parameter_loss`
      between the generator's airlight / transmission and the true ones.
      The dataset then yields `(hazy, clear, parameters)` with
      `parameters` a dict of `"airlight"` `(N, 1, 1, C)` and
      `"transmission"` `(N, H, W, 1)` (`whole_photos.whole_photo_pairs(...,
      return_parameters=True)`). Unlike the re-hazing loss, nothing can
      make up for a wrong airlight in this term.
    - minibatch standard deviation is a discriminator layer
      (`kfreqgan.layers.MinibatchStdDev`, `minibatch_std=True` in the bundled
      discriminators), not a `FreqGAN` option.

    When on, their values are logged as `d_penalty` (unweighted, averaged
    over the steps that computed it), `g_feature_matching`,
    `g_spectrum_matching`, `g_rehazing`, `g_airlight`, `g_transmission`
    and `d_noise_sigma`.

    A network may be replaced after construction (`gan.generator = other`,
    then `compile` again, which builds the optimizers over its weights):
    the old network leaves the GAN's weights (`weights`, `save`,
    `save_weights`), Keras's cached train/test/predict functions are
    dropped, the re-hazing view, the feature matching model and the latent
    size are taken from the new network, and `compile` checks it as the
    constructor would. `fit` without that `compile` raises a `ValueError`:
    the optimizers hold the old network's variables.

    Args:
        generator: `keras.Model`; `(N, H, W, C) -> (N, H, W, C)` in paired
            mode, `(N, latent_dim) -> images` in unconditional mode.
        discriminator: `keras.Model` (or `SpectralDiscriminator`).
        mode: `"paired"` or `"unconditional"`.
        adversarial_loss: `"non_saturating"`, `"hinge"` or `"least_squares"`.
        adversarial_weight: weight of the generator's adversarial loss.
        l1_weight: weight of the L1 reconstruction loss (paired mode).
        frequency_loss: None, `"focal"` (focal frequency loss), `"focal_log"`
            (the same with its log weight matrix), `"radial"` (L1 between log
            radial power profiles) or `"band_log"`
            (`losses.band_log_spectral_loss`: L1 between log power spectra,
            each band counted alike); paired mode.
        frequency_weight: weight of the frequency loss.
        gradient_penalty: None, `"r1"` or `"wgan_gp"`.
        gradient_penalty_weight: R1's gamma or WGAN-GP's lambda (>= 0).
        gradient_penalty_interval: compute the penalty every this many
            discriminator steps (positive int; lazy regularisation).
        feature_matching_weight: weight of the generator's feature matching
            loss (0 turns it off).
        feature_matching_layers: None (the inputs of the discriminator's
            output layers) or a list of layer names of the discriminator.
        instance_noise: None, a number >= 0 (constant sigma) or a schedule
            `step -> sigma` (`InstanceNoiseSchedule`).
        spectrum_matching_weight: weight of the generator's spectrum
            matching loss (0 turns it off).
        spectrum_matching_max_frequency: outer radius of its rings in
            cycles/pixel, in (0, 2 ** -0.5]: 0.5 leaves out the corners of
            the spectrum, 2 ** -0.5 takes them in.
        rehazing_weight: weight of the generator's re-hazing loss (0
            turns it off; paired mode only).
        rehazing_weighting: `"uniform"` (every example alike) or
            `"haze"` (each example times its `losses.haze_strength`).
        rehazing_target: `"both"` (the loss trains transmission and
            airlight) or `"airlight"` (the airlight only).
        airlight_supervision_weight: weight of the generator's airlight's
            mean absolute error against the haze's true airlight (0 turns
            it off; paired mode, parameters in the data).
        transmission_supervision_weight: the same for the transmission.
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
        gradient_penalty=None,
        gradient_penalty_weight=10.0,
        gradient_penalty_interval=1,
        feature_matching_weight=0.0,
        feature_matching_layers=None,
        instance_noise=None,
        spectrum_matching_weight=0.0,
        spectrum_matching_max_frequency=0.5,
        rehazing_weight=0.0,
        rehazing_weighting="uniform",
        rehazing_target="both",
        airlight_supervision_weight=0.0,
        transmission_supervision_weight=0.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if isinstance(generator, dict):
            generator = keras.saving.deserialize_keras_object(generator)
        if isinstance(discriminator, dict):
            discriminator = keras.saving.deserialize_keras_object(discriminator)
        for name, value in (("generator", generator), ("discriminator", discriminator)):
            if not isinstance(value, keras.Model):
                raise ValueError(f"`{name}` must be a keras.Model. Received: {name}={type(value).__name__}")
        if mode not in MODES:
            raise ValueError(f"`mode` must be one of {MODES}. Received: mode={mode!r}")
        if adversarial_loss not in losses.ADVERSARIAL_LOSSES:
            raise ValueError(
                f"`adversarial_loss` must be one of {losses.ADVERSARIAL_LOSSES}. Received: adversarial_loss={adversarial_loss!r}"
            )
        if frequency_loss not in FREQUENCY_LOSSES:
            raise ValueError(f"`frequency_loss` must be one of {FREQUENCY_LOSSES}. Received: frequency_loss={frequency_loss!r}")
        for name, value in (
            ("adversarial_weight", adversarial_weight),
            ("l1_weight", l1_weight),
            ("frequency_weight", frequency_weight),
            ("gradient_penalty_weight", gradient_penalty_weight),
            ("feature_matching_weight", feature_matching_weight),
            ("spectrum_matching_weight", spectrum_matching_weight),
            ("rehazing_weight", rehazing_weight),
            ("airlight_supervision_weight", airlight_supervision_weight),
            ("transmission_supervision_weight", transmission_supervision_weight),
        ):
            check_at_least(value, name)
        if (
            not is_real_number(spectrum_matching_max_frequency)
            or not 0 < spectrum_matching_max_frequency <= 2**-0.5 + 1e-9
        ):
            raise ValueError(
                "`spectrum_matching_max_frequency` must lie in (0, 2 ** -0.5] cycles/pixel. "
                f"Received: spectrum_matching_max_frequency={spectrum_matching_max_frequency!r}"
            )
        if rehazing_weighting not in REHAZING_WEIGHTINGS:
            raise ValueError(
                f"`rehazing_weighting` must be one of {REHAZING_WEIGHTINGS}. Received: rehazing_weighting={rehazing_weighting!r}"
            )
        if rehazing_target not in REHAZING_TARGETS:
            raise ValueError(f"`rehazing_target` must be one of {REHAZING_TARGETS}. Received: rehazing_target={rehazing_target!r}")
        if gradient_penalty not in GRADIENT_PENALTIES:
            raise ValueError(
                f"`gradient_penalty` must be one of {GRADIENT_PENALTIES}. Received: gradient_penalty={gradient_penalty!r}"
            )
        gradient_penalty_interval = check_positive_int(gradient_penalty_interval, "gradient_penalty_interval")
        if feature_matching_layers is not None:
            if isinstance(feature_matching_layers, str):
                feature_matching_layers = [feature_matching_layers]
            if not feature_matching_layers or not all(isinstance(name, str) for name in feature_matching_layers):
                raise ValueError(
                    "`feature_matching_layers` must be None or a non-empty list of layer names. "
                    f"Received: feature_matching_layers={feature_matching_layers!r}"
                )
            feature_matching_layers = list(feature_matching_layers)
        if isinstance(instance_noise, dict):
            instance_noise = keras.saving.deserialize_keras_object(instance_noise)
        if instance_noise is not None and not callable(instance_noise):
            if not is_real_number(instance_noise) or not 0 <= instance_noise < float("inf"):
                raise ValueError(
                    "`instance_noise` must be None, a number >= 0 or a schedule (step -> sigma). "
                    f"Received: instance_noise={instance_noise!r}"
                )
            instance_noise = float(instance_noise)
        self.generator = generator
        self.discriminator = discriminator
        self.mode = mode
        self.adversarial_loss = adversarial_loss
        self.adversarial_weight = float(adversarial_weight)
        self.l1_weight = float(l1_weight)
        self.frequency_loss = frequency_loss
        self.frequency_weight = float(frequency_weight)
        self.gradient_penalty = gradient_penalty
        self.gradient_penalty_weight = float(gradient_penalty_weight)
        self.gradient_penalty_interval = int(gradient_penalty_interval)
        self.feature_matching_weight = float(feature_matching_weight)
        self.feature_matching_layers = feature_matching_layers
        self.instance_noise = instance_noise
        self.spectrum_matching_weight = float(spectrum_matching_weight)
        self.spectrum_matching_max_frequency = float(spectrum_matching_max_frequency)
        self.rehazing_weight = float(rehazing_weight)
        self.rehazing_weighting = rehazing_weighting
        self.rehazing_target = rehazing_target
        self.airlight_supervision_weight = float(airlight_supervision_weight)
        self.transmission_supervision_weight = float(transmission_supervision_weight)
        # Not tracked as sub-models: they share the networks' layers. Each
        # is rebuilt when its network is replaced (`_view`).
        self.__dict__["_feature_model"] = None
        self.__dict__["_scattering_view"] = None
        self.__dict__["_view_sources"] = weakref.WeakValueDictionary()
        for name in ("rehazing_weight", "airlight_supervision_weight", "transmission_supervision_weight"):
            if getattr(self, name) > 0 and mode != "paired":
                raise ValueError(
                    f"`{name}` holds a dehazer's haze model to the training pairs: paired mode only. "
                    f"Received: mode={mode!r}, {name}={getattr(self, name)!r}"
                )
        self._haze_view()
        if feature_matching_weight > 0:
            self._check_feature_source()
        if mode == "unconditional":
            self.latent_dim  # raises here, not in fit, for a generator without a latent input
        self.seed_generator = keras.random.SeedGenerator(1337)
        names = ["g_loss", "d_loss", "g_adversarial", "d_real", "d_fake"]
        if mode == "paired":
            names += ["g_l1"] + (["g_frequency"] if frequency_loss else [])
        if gradient_penalty:
            names.append("d_penalty")
        if feature_matching_weight > 0:
            names.append("g_feature_matching")
        if spectrum_matching_weight > 0:
            names.append("g_spectrum_matching")
        if self.rehazing_weight > 0:
            names.append("g_rehazing")
        if self.airlight_supervision_weight > 0:
            names.append("g_airlight")
        if self.transmission_supervision_weight > 0:
            names.append("g_transmission")
        if instance_noise is not None:
            names.append("d_noise_sigma")
        self._trackers = {name: keras.metrics.Mean(name=name) for name in names}
        self._eval_trackers = {name: keras.metrics.Mean(name=name) for name in ("psnr", "ssim", "l1")}

    # -- Keras plumbing -----------------------------------------------------

    def __setattr__(self, name, value):
        # `gan.generator = other`: Keras's tracker would keep the old network
        # among the GAN's layers (so in `weights` and in saved files) and
        # Keras's cached functions would go on calling it.
        if name in NETWORKS and "_tracker" in self.__dict__:
            old = self.__dict__.get(name)
            if old is not None and old is not value:
                self._forget(old, name)
        super().__setattr__(name, value)

    def _forget(self, network, name):
        """Untracks `network`, replaced as `self.<name>`, unless the GAN
        still holds it under its other name, and drops the functions traced
        over it."""
        if not any(self.__dict__.get(other) is network for other in NETWORKS if other != name):
            locked = self._tracker.locked
            self._tracker.unlock()
            self._tracker.untrack(network)
            if locked:
                self._tracker.lock()
        self.train_function = self.test_function = self.predict_function = None

    @property
    def latent_dim(self):
        """The generator's latent size (unconditional mode; None in paired
        mode), read from the generator so that a replaced one gets its own."""
        if self.mode != "unconditional":
            return None
        return int(self.generator.inputs[0].shape[-1])

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
        # A network replaced since construction (`gan.generator = other`) is
        # checked here rather than in the first step.
        self._haze_view()
        if self.feature_matching_weight > 0:
            self._check_feature_source()
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

    def make_train_function(self, force=False):
        # `fit` and `train_on_batch` come here first: a network replaced (or
        # a layer made trainable) since `compile` has variables its optimizer
        # was not built for, which `optimizer.apply` would meet as a KeyError.
        for name in NETWORKS:
            optimizer = getattr(self, f"{name}_optimizer", None)
            if optimizer is None:
                continue
            inner = getattr(optimizer, "inner_optimizer", optimizer)
            network = getattr(self, name)
            unknown = [v for v in network.trainable_variables if inner._var_key(v) not in inner._trainable_variables_indices]
            if unknown:
                raise ValueError(
                    f"The {name} has trainable variables its optimizer was not built for: it was replaced "
                    f"(`gan.{name} = other`) or a layer of it made trainable after `compile`. Call `compile` "
                    f"again to build the optimizers over the current networks ({len(unknown)} of its "
                    f"{len(network.trainable_variables)} trainable variables are unknown to {name}_optimizer, "
                    f"e.g. {unknown[0].path!r}). Received: {name}={network.name!r}"
                )
        return super().make_train_function(force=force)

    def get_compile_config(self):
        # The two optimizers are not Keras's single `optimizer`; recompile
        # a loaded model to resume training.
        return None

    @property
    def metrics(self):
        return list(self._trackers.values()) + list(self._eval_trackers.values())

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        check_nonempty_batch(x, "x", "sample")
        return super().predict(x, batch_size=batch_size, verbose=verbose, steps=steps, callbacks=callbacks)

    def call(self, inputs, training=False):
        check_nonempty_batch(inputs, "inputs", "sample")
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
            "gradient_penalty": self.gradient_penalty,
            "gradient_penalty_weight": self.gradient_penalty_weight,
            "gradient_penalty_interval": self.gradient_penalty_interval,
            "feature_matching_weight": self.feature_matching_weight,
            "feature_matching_layers": self.feature_matching_layers,
            "instance_noise": (
                keras.saving.serialize_keras_object(self.instance_noise)
                if callable(self.instance_noise)
                else self.instance_noise
            ),
            "spectrum_matching_weight": self.spectrum_matching_weight,
            "spectrum_matching_max_frequency": self.spectrum_matching_max_frequency,
            "rehazing_weight": self.rehazing_weight,
            "rehazing_weighting": self.rehazing_weighting,
            "rehazing_target": self.rehazing_target,
            "airlight_supervision_weight": self.airlight_supervision_weight,
            "transmission_supervision_weight": self.transmission_supervision_weight,
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

    def _supervised(self):
        return self.airlight_supervision_weight > 0 or self.transmission_supervision_weight > 0

    def _haze_truth(self, data):
        """The `(transmission, airlight)` the data's third element gives,
        when a supervision weight is on (None otherwise)."""
        if not self._supervised():
            return None
        parameters = data[2] if isinstance(data, (tuple, list)) and len(data) >= 3 else None
        if not isinstance(parameters, dict) or not {"transmission", "airlight"} <= set(parameters):
            raise ValueError(
                "`airlight_supervision_weight` / `transmission_supervision_weight` need the haze's true parameters: "
                "the dataset must yield (hazy, clear, {'transmission': (N, H, W, 1), 'airlight': (N, 1, 1, C)}), "
                "e.g. whole_photos.whole_photo_pairs(..., return_parameters=True). Received: "
                f"{'a third element of type ' + type(parameters).__name__ if parameters is not None else 'no third element'}"
                + (f" with keys {sorted(parameters)}" if isinstance(parameters, dict) else "")
            )
        return parameters["transmission"], parameters["airlight"]

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

    # -- stabilizers -------------------------------------------------------

    def _feature_source(self):
        """The Functional network whose layers give the matched features."""
        return self.discriminator.spatial if isinstance(self.discriminator, SpectralDiscriminator) else self.discriminator

    def _check_feature_source(self):
        source = self._feature_source()
        try:
            functional = isinstance(source.inputs, list) and isinstance(source.outputs, list)
        except (AttributeError, ValueError):
            functional = False
        if not functional:
            raise ValueError(
                "Feature matching needs a Functional discriminator (keras.Model(inputs, outputs)) "
                "to take intermediate features from. Received: "
                f"discriminator={type(self.discriminator).__name__}"
            )
        if self.feature_matching_layers:
            names = {layer.name for layer in source.layers}
            missing = [name for name in self.feature_matching_layers if name not in names]
            if missing:
                raise ValueError(
                    f"`feature_matching_layers` names layers the discriminator does not have: {missing}. "
                    f"Its layers: {sorted(names)}. Received: feature_matching_layers={self.feature_matching_layers!r}"
                )

    def _view(self, name, network, build):
        """`self.<name>`: the model `build()` makes over `network`'s layers,
        rebuilt when `network` is not the one it was built from, so that a
        network replaced after construction (`gan.generator = other`) gets
        its own and no loss trains the old one. (The networks are held
        weakly, out of sight of Keras's saving, which walks the attributes.)"""
        if self.__dict__[name] is None or self._view_sources.get(name) is not network:
            self.__dict__[name] = build()
            self._view_sources[name] = network
        return self.__dict__[name]

    def _haze_view(self):
        """`scattering_view(self.generator)`; None without a loss on the haze model."""
        if self.rehazing_weight <= 0 and not self._supervised():
            return None
        return self._view("_scattering_view", self.generator, lambda: scattering_view(self.generator))

    def _build_feature_model(self):
        self._check_feature_source()
        source = self._feature_source()
        if self.feature_matching_layers:
            tensors = [source.get_layer(name).output for name in self.feature_matching_layers]
        else:
            # The inputs of each output's layer: the last hidden features.
            tensors = []
            for output in source.outputs:
                operation, node_index, _ = output._keras_history
                tensors.extend(tf.nest.flatten(operation._inbound_nodes[node_index].input_tensors))
        return keras.Model(source.inputs, tensors, name="discriminator_features")

    def _features(self, inputs):
        """Intermediate discriminator features of `inputs` (a list of tensors)."""
        # Inference mode: the real and generated features come from the same
        # weights (a spectrally normalised layer in training mode would run a
        # power iteration, and change its kernel, between the two calls).
        model = self._view("_feature_model", self._feature_source(), self._build_feature_model)
        return tf.nest.flatten(model(inputs, training=False))

    def _noise_sigma(self):
        if self.instance_noise is None:
            return None
        if callable(self.instance_noise):
            return tf.cast(self.instance_noise(self.discriminator_optimizer.iterations), tf.float32)
        return tf.constant(self.instance_noise, tf.float32)

    def _noisy(self, images, sigma):
        images = tf.cast(images, tf.float32)
        if sigma is None:
            return images
        return add_instance_noise(images, sigma, seed=self.seed_generator)

    def _penalty(self, condition, real, fake):
        """The unweighted gradient penalty per example, `(N,)`."""

        def discriminate(images):
            return self._discriminate(condition, images, training=True)

        optimizer = self.discriminator_optimizer
        scale = optimizer.dynamic_scale if isinstance(optimizer, keras.optimizers.LossScaleOptimizer) else None
        if self.gradient_penalty == "r1":
            return losses.r1_penalty(discriminate, real, loss_scale=scale)
        return losses.wasserstein_gradient_penalty(discriminate, real, fake, seed=self.seed_generator, loss_scale=scale)

    def _matching_term(self, condition, real, fake):
        if self.mode == "paired":
            condition = tf.cast(condition, tf.float32)
            real = tf.concat([condition, real], axis=-1)
            fake = tf.concat([condition, fake], axis=-1)
        pairs = zip(self._features(real), self._features(fake))
        if self.mode == "paired":
            return tf.add_n([losses.paired_feature_matching_loss(tf.stop_gradient(r), f) for r, f in pairs])
        return tf.add_n([losses.feature_matching_loss(tf.stop_gradient(r), f) for r, f in pairs])

    def _frequency_term(self, target, prediction):
        if self.frequency_loss == "focal":
            return losses.focal_frequency_loss(target, prediction)
        if self.frequency_loss == "focal_log":
            return losses.focal_frequency_loss(target, prediction, log_matrix=True)
        if self.frequency_loss == "band_log":
            return losses.band_log_spectral_loss(target, prediction)
        return losses.radial_profile_loss(target, prediction)

    def _apply(self, optimizer, scaled_loss, variables, tape):
        optimizer.apply(tape.gradient(scaled_loss, variables), variables)

    @staticmethod
    def _own_losses(network):
        """The losses `network` added in its last call (kernel and activity
        regularisers, `add_loss`), as Keras's own `fit` counts them: summed,
        and divided by the replicas in sync so that the cross-replica sum of
        gradients sees them once. The discriminator's last call in its step
        is on the generated batch, so an activity regulariser of it counts
        that batch (kernel regularisers are the same in every call)."""
        if not network.losses:
            return 0.0
        return tf.nn.scale_regularization_loss(tf.add_n([tf.cast(loss, tf.float32) for loss in network.losses]))

    def train_step(self, data):
        condition, real = self._unpack(data)
        truth = self._haze_truth(data)
        real = tf.cast(real, tf.float32)

        # Discriminator step.
        sigma = self._noise_sigma()
        fake = self.generator(self._generator_input(condition, real), training=True)
        real_seen = self._noisy(real, sigma)
        fake_seen = self._noisy(tf.stop_gradient(fake), sigma)
        terms = {}
        with tf.GradientTape() as tape:
            real_logits = self._discriminate(condition, real_seen, training=True)
            fake_logits = self._discriminate(condition, fake_seen, training=True)
            d_per_example = tf.add_n(
                [losses.discriminator_adversarial_loss(r, f, self.adversarial_loss) for r, f in zip(real_logits, fake_logits)]
            )
            if self.gradient_penalty:
                interval = self.gradient_penalty_interval
                if interval == 1:
                    penalty, applied = self._penalty(condition, real_seen, fake_seen), 1.0
                else:
                    due = tf.equal(self.discriminator_optimizer.iterations % interval, 0)
                    penalty = tf.cond(
                        due,
                        lambda: self._penalty(condition, real_seen, fake_seen),
                        lambda: tf.zeros_like(d_per_example),
                    )
                    applied = tf.cast(due, tf.float32)
                terms["d_penalty"] = penalty
                d_per_example += (self.gradient_penalty_weight * interval) * penalty
            d_loss = losses.reduce_loss(d_per_example) + self._own_losses(self.discriminator)
            # Loss scaling (mixed_float16) must happen on the tape.
            scaled = self.discriminator_optimizer.scale_loss(d_loss)
        self._apply(self.discriminator_optimizer, scaled, self.discriminator.trainable_variables, tape)

        # Generator step.
        with tf.GradientTape() as tape:
            view = self._haze_view()
            if view is not None:
                fake, transmission, airlight = view(condition, training=True)
                if truth is not None:
                    if self.airlight_supervision_weight > 0:
                        terms["g_airlight"] = losses.haze_parameter_loss(airlight, truth[1], "airlight")
                    if self.transmission_supervision_weight > 0:
                        terms["g_transmission"] = losses.haze_parameter_loss(transmission, truth[0], "transmission")
                if self.rehazing_weight > 0:
                    if self.rehazing_target == "airlight":
                        transmission = tf.stop_gradient(transmission)
                    terms["g_rehazing"] = losses.rehazing_loss(condition, real, transmission, airlight)
            else:
                fake = self.generator(self._generator_input(condition, real), training=True)
            fake = tf.cast(fake, tf.float32)
            fake_seen = self._noisy(fake, sigma)
            logits = self._discriminate(condition, fake_seen, training=True, generator_step=True)
            adversarial = tf.add_n([losses.generator_adversarial_loss(f, self.adversarial_loss) for f in logits])
            g_per_example = self.adversarial_weight * adversarial
            if self.feature_matching_weight > 0:
                terms["g_feature_matching"] = self._matching_term(condition, self._noisy(real, sigma), fake_seen)
                g_per_example += self.feature_matching_weight * terms["g_feature_matching"]
            if self.spectrum_matching_weight > 0:
                terms["g_spectrum_matching"] = losses.spectrum_matching_loss(
                    real, fake, max_frequency=self.spectrum_matching_max_frequency
                )
                g_per_example += self.spectrum_matching_weight * terms["g_spectrum_matching"]
            if self.mode == "paired":
                terms["g_l1"] = losses.l1_loss(real, fake)
                g_per_example += self.l1_weight * terms["g_l1"]
                if self.frequency_loss:
                    terms["g_frequency"] = self._frequency_term(real, fake)
                    g_per_example += self.frequency_weight * terms["g_frequency"]
            if "g_rehazing" in terms:
                rehazing = terms["g_rehazing"]
                if self.rehazing_weighting == "haze":
                    rehazing = rehazing * losses.haze_strength(condition, real)
                g_per_example += self.rehazing_weight * rehazing
            if "g_airlight" in terms:
                g_per_example += self.airlight_supervision_weight * terms["g_airlight"]
            if "g_transmission" in terms:
                g_per_example += self.transmission_supervision_weight * terms["g_transmission"]
            g_loss = losses.reduce_loss(g_per_example) + self._own_losses(self.generator)
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
        weights = {}
        if self.gradient_penalty:
            weights["d_penalty"] = applied  # lazy: only the steps that computed it
        if sigma is not None:
            values["d_noise_sigma"] = sigma / count
        for name, value in values.items():
            self._trackers[name].update_state(value * count, sample_weight=weights.get(name))
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
