"""TransmissionBound against NumPy references, what it means for the dehazed
image, Keras plumbing, and coherent_dehazer's dark_channel_bound."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from scipy import ndimage
from test_guided_filter import reference_guided_filter

from kfreqgan.layers import InvertScattering
from kfreqgan.layers import TransmissionBound
from kfreqgan.models import coherent_dehazer
from kfreqgan.models.coherent_dehazer import transmission_model
from kfreqgan.spectral import GRAY_WEIGHTS


def _inputs(seed, shape=(2, 12, 15, 3)):
    rng = np.random.default_rng(seed)
    hazy = rng.uniform(0.0, 1.0, shape).astype(np.float32)
    transmission = rng.uniform(0.0, 1.0, (*shape[:3], 1)).astype(np.float32)
    airlight = rng.uniform(0.5, 1.0, (shape[0], 1, 1, shape[3])).astype(np.float32)
    return transmission, hazy, airlight


def test_pixel_bound_is_the_least_transmission_that_keeps_every_channel_non_negative():
    transmission, hazy, airlight = _inputs(0)
    bounded = TransmissionBound()([transmission, hazy, airlight]).numpy()
    floor = 1.0 - np.min(hazy / airlight, axis=-1, keepdims=True)
    np.testing.assert_allclose(bounded, np.maximum(transmission, floor), atol=1e-6)
    # The meaning: inverting the haze model with the bounded t leaves no
    # channel below 0 (before, many were), and where t was already above
    # the floor nothing changed.
    clean = InvertScattering(min_transmission=1e-3)([hazy, bounded, airlight]).numpy()
    before = InvertScattering(min_transmission=1e-3)([hazy, transmission, airlight]).numpy()
    assert before.min() < -0.5 and clean.min() >= -1e-5
    assert np.isclose(clean.min(axis=-1), 0.0, atol=1e-5)[(transmission < floor)[..., 0]].all()
    kept = transmission >= floor
    assert kept.mean() > 0.2
    np.testing.assert_array_equal(bounded[kept], transmission[kept])


@pytest.mark.parametrize("radius,omega", [(1, 0.95), (2, 1.0), (3, 0.8)])
def test_window_bound_matches_the_dark_channel_transmission_guided_filtered(radius, omega):
    transmission, hazy, airlight = _inputs(1, (1, 14, 11, 3))
    layer = TransmissionBound(radius, omega, guide_radius=2, epsilon=1e-2)
    bounded = layer([transmission, hazy, airlight, hazy]).numpy()[0, ..., 0]
    # He et al.'s transmission: minimum over channels and the window of I / A.
    dark = ndimage.minimum_filter(np.min(hazy[0] / airlight[0], axis=-1), size=2 * radius + 1, mode="nearest")
    grey = hazy[0] @ np.asarray(GRAY_WEIGHTS, np.float32)
    window = reference_guided_filter(grey, 1.0 - omega * dark, 2, 1e-2)
    pixel = 1.0 - np.min(hazy[0] / airlight[0], axis=-1)
    np.testing.assert_allclose(bounded, np.maximum(transmission[0, ..., 0], np.maximum(np.minimum(window, 1.0), pixel)), atol=1e-5)


def test_bright_pixel_bound_is_the_least_transmission_that_keeps_every_channel_at_most_one():
    transmission, hazy, airlight = _inputs(10)
    bounded = TransmissionBound(bright=True)([transmission, hazy, airlight]).numpy()
    dark = 1.0 - np.min(hazy / airlight, axis=-1, keepdims=True)
    bright = 1.0 - np.min((1.0 - hazy) / (1.0 - airlight), axis=-1, keepdims=True)
    np.testing.assert_allclose(bounded, np.maximum(transmission, np.maximum(dark, bright)), atol=1e-5)
    # The meaning: the inverted image lies in [0, 1] (before, channels went
    # far above 1), and where only the bright bound raised t, the brightest
    # channel lands exactly on 1.
    invert = InvertScattering(min_transmission=1e-3)
    clean = invert([hazy, bounded, airlight]).numpy()
    before = invert([hazy, TransmissionBound()([transmission, hazy, airlight]), airlight]).numpy()
    assert before.max() > 1.5 and clean.max() <= 1.0 + 1e-4 and clean.min() >= -1e-4
    raised = ((bright > dark) & (transmission < bright))[..., 0]
    assert raised.mean() > 0.05
    np.testing.assert_allclose(clean.max(axis=-1)[raised], 1.0, atol=1e-4)


@pytest.mark.parametrize("radius,omega", [(1, 0.95), (3, 0.8)])
def test_bright_window_bound_is_the_dark_one_of_the_complements(radius, omega):
    transmission, hazy, airlight = _inputs(11, (1, 14, 11, 3))
    bounded = TransmissionBound(radius, omega, guide_radius=2, epsilon=1e-2, bright=True)([transmission, hazy, airlight, hazy]).numpy()[0, ..., 0]
    grey = hazy[0] @ np.asarray(GRAY_WEIGHTS, np.float32)

    def he(image, light, guide):
        dark = ndimage.minimum_filter(np.min(image / light, axis=-1), size=2 * radius + 1, mode="nearest")
        window = reference_guided_filter(guide, 1.0 - omega * dark, 2, 1e-2)
        return np.maximum(np.minimum(window, 1.0), 1.0 - np.min(image / light, axis=-1))

    expected = np.maximum.reduce([transmission[0, ..., 0], he(hazy[0], airlight[0], grey), he(1.0 - hazy[0], 1.0 - airlight[0], 1.0 - grey)])
    np.testing.assert_allclose(bounded, expected, atol=1e-5)


@pytest.mark.parametrize(
    "bright,levels,light,t,extreme,spread",
    [
        # A grey textured cloud darker than the haze, under a transmission
        # that takes it for distant sky: without the bound it goes below 0.
        (False, (0.12, 0.3), 0.85, 0.1, 0.0, 0.02),
        # A textured sky brighter than an airlight estimated too dark, under
        # a low transmission: without the bright bound it is blown out.
        (True, (0.85, 0.97), 0.75, 0.2, 1.0, 0.01),
    ],
)
def test_window_bound_keeps_the_texture_of_a_region_past_the_airlight(bright, levels, light, t, extreme, spread):
    # The pixel bound alone sends every pixel of the region to the same
    # black (white); the window bound keeps a share of each pixel's distance
    # to it, and the texture between them.
    rng = np.random.default_rng(2)
    region = np.repeat(rng.uniform(*levels, (1, 24, 24, 1)), 3, axis=-1).astype(np.float32)
    airlight = np.full((1, 1, 1, 3), light, np.float32)
    transmission = np.full((1, 24, 24, 1), t, np.float32)
    invert = InvertScattering(min_transmission=0.05)
    free = invert([region, transmission, airlight]).numpy()
    pixel_only = invert([region, TransmissionBound(bright=bright)([transmission, region, airlight]), airlight]).numpy()
    window = TransmissionBound(3, 0.95, guide_radius=4, bright=bright)([transmission, region, airlight, region])
    textured = invert([region, window, airlight]).numpy()
    assert (free.max() > 1.3) if bright else (free.min() < -0.3)
    assert np.abs(pixel_only - extreme).max() < 1e-4
    assert -1e-5 <= textured.min() and textured.max() <= 1.0 + 1e-4 and textured.std() > spread
    assert np.corrcoef(textured[0, ..., 0].ravel(), region[0, ..., 0].ravel())[0, 1] > 0.8


def test_window_bound_on_a_small_view_applies_at_the_photo_size():
    # `small` is the photo at a fixed size; the bound comes back at the
    # photo's size, any size, and is the same function of the scene.
    rng = np.random.default_rng(3)
    scene = tf.clip_by_value(tf.image.resize(rng.random((1, 6, 8, 3)).astype(np.float32), (60, 80), method="bicubic"), 0, 1)
    airlight = np.full((1, 1, 1, 3), 0.9, np.float32)
    layer = TransmissionBound(2, 0.95, guide_radius=4)
    small = tf.image.resize(scene, (32, 32), method="area")
    for size in ((60, 80), (120, 160), (45, 61)):
        photo = tf.image.resize(scene, size, method="bilinear")
        zero = tf.zeros((1, *size, 1))
        bound = layer([zero, photo, airlight, small]).numpy()
        assert bound.shape == (1, *size, 1) and np.all(np.isfinite(bound)) and bound.max() <= 1.0 + 1e-6
    reference = layer([tf.zeros((1, 60, 80, 1)), scene, airlight, small]).numpy()
    larger = layer([tf.zeros((1, 120, 160, 1)), tf.image.resize(scene, (120, 160)), airlight, small]).numpy()
    assert np.abs(tf.image.resize(larger, (60, 80), method="area").numpy() - reference).mean() < 0.01


def test_zero_airlight_and_black_pixels_stay_finite():
    hazy = np.zeros((1, 5, 5, 3), np.float32)
    out = TransmissionBound(1)([np.full((1, 5, 5, 1), 0.3, np.float32), hazy, np.zeros((1, 1, 1, 3), np.float32), hazy])
    np.testing.assert_allclose(out.numpy(), 1.0, atol=1e-5)  # a black pixel holds no haze: t = 1


def test_config_round_trip_and_save_load(tmp_path):
    layer = TransmissionBound(3, 0.9, guide_radius=5, epsilon=1e-2, bright=True)
    again = TransmissionBound.from_config(layer.get_config())
    assert (again.radius, again.omega, again.guide_radius, again.epsilon, again.bright) == (3, 0.9, 5, 1e-2, True)
    t_in, hazy_in, a_in = keras.Input((None, None, 1)), keras.Input((None, None, 3)), keras.Input((1, 1, 3))
    small_in = keras.Input((16, 16, 3))
    model = keras.Model([t_in, hazy_in, a_in, small_in], layer([t_in, hazy_in, a_in, small_in]))
    path = str(tmp_path / "bound.keras")
    model.save(path)
    transmission, hazy, airlight = _inputs(4, (1, 20, 24, 3))
    small = tf.image.resize(hazy, (16, 16), method="area").numpy()
    np.testing.assert_allclose(
        keras.models.load_model(path)([transmission, hazy, airlight, small]).numpy(),
        model([transmission, hazy, airlight, small]).numpy(),
        atol=1e-6,
    )


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"radius": -1}, r"`radius` must be an integer from 0.*Received: radius=-1"),
        ({"radius": 1.5}, r"Received: radius=1\.5"),
        ({"radius": True}, r"Received: radius=True"),
        ({"omega": 0.0}, r"`omega` must lie in \(0, 1\]. Received: omega=0\.0"),
        ({"omega": 1.01}, r"Received: omega=1\.01"),
        ({"omega": float("nan")}, r"Received: omega=nan"),
        ({"omega": "0.9"}, r"Received: omega='0\.9'"),
        ({"guide_radius": 0}, r"guide_radius"),
        ({"epsilon": 0.0}, r"epsilon"),
        ({"bright": 1}, r"bright.*Received: bright=1"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TransmissionBound(**kwargs)


def test_bad_inputs_name_what_was_expected():
    transmission, hazy, airlight = _inputs(5, (1, 8, 8, 3))
    with pytest.raises(ValueError, match=r"expects \[transmission, hazy, airlight, small\]. Received: 3 inputs"):
        TransmissionBound(1)([transmission, hazy, airlight])
    with pytest.raises(ValueError, match=r"expects \[transmission, hazy, airlight\]. Received: 4 inputs"):
        TransmissionBound()([transmission, hazy, airlight, hazy])
    with pytest.raises(ValueError, match=r"one-channel transmission. Received: transmission.shape=\(1, 8, 8, 3\)"):
        TransmissionBound()([hazy, hazy, airlight])
    with pytest.raises(ValueError, match="floating images"):
        TransmissionBound()([transmission, tf.constant((hazy * 255).astype(np.uint8)), airlight])
    # Another rank broadcast into a bound of the right shape, with no error;
    # a dict failed on its own message (AttributeError).
    for inputs, name in (
        ([transmission, hazy[0], airlight], r"`hazy` must have rank 4 .*Received: hazy.shape=\(8, 8, 3\)"),
        ([transmission[0], hazy, airlight], r"`transmission` must have rank 4 .*Received: transmission.shape=\(8, 8, 1\)"),
        ([transmission, hazy, airlight[:, 0, 0]], r"`airlight` must have rank 4 .*Received: airlight.shape=\(1, 3\)"),
    ):
        with pytest.raises(ValueError, match=name):
            TransmissionBound()(inputs)
    with pytest.raises(ValueError, match=r"`small` must have rank 4 .*Received: small.shape=\(8, 8, 3\)"):
        TransmissionBound(1)([transmission, hazy, airlight, hazy[0]])
    with pytest.raises(ValueError, match=r"expects \[transmission, hazy, airlight\]. Received: a dict"):
        TransmissionBound()({"transmission": transmission, "hazy": hazy, "airlight": airlight})
    # Static shapes that do not fit are refused when the model is built: it
    # declared the transmission's shape and failed on its first call with
    # TensorFlow's "Incompatible shapes", and a grey image under a colour
    # airlight gave a colour bound.
    t_in, hazy_in, a_in = keras.Input((8, 8, 1)), keras.Input((16, 16, 3)), keras.Input((1, 1, 3))
    for inputs, match in (
        ([t_in, hazy_in, a_in], r"`transmission` must broadcast to the size of `hazy`.*Received: hazy.shape=\(None, 16, 16, 3\), transmission.shape=\(None, 8, 8, 1\)"),
        ([keras.Input((16, 16, 1)), hazy_in, keras.Input((1, 1, 2))], r"`airlight` must broadcast to the shape of `hazy`.*airlight.shape=\(None, 1, 1, 2\)"),
        ([transmission, hazy[..., :1], airlight], r"Received: hazy.shape=\(1, 8, 8, 1\), airlight.shape=\(1, 1, 1, 3\)"),
    ):
        with pytest.raises(ValueError, match=match):
            TransmissionBound()(inputs)
    with pytest.raises(ValueError, match=r"`small` must have the channels of `hazy`.*small.shape=\(None, 16, 16, 2\)"):
        TransmissionBound(1)([keras.Input((16, 16, 1)), hazy_in, a_in, keras.Input((16, 16, 2))])
    # A transmission that broadcasts (one value per image) is bounded at the
    # photo's size, and declared so.
    assert TransmissionBound()([keras.Input((1, 1, 1)), hazy_in, a_in]).shape == (None, 16, 16, 1)
    assert TransmissionBound()([transmission[:, :1, :1], hazy, airlight]).shape == (1, 8, 8, 1)


@pytest.fixture(scope="module")
def pair():
    keras.utils.set_random_seed(0)
    plain = coherent_dehazer(coarse_size=32, filters=4, grey_airlight=True)
    bounded = coherent_dehazer(coarse_size=32, filters=4, grey_airlight=True, dark_channel_bound=0.95)
    bounded.set_weights(plain.get_weights())
    return plain, bounded


def test_dark_channel_bound_keeps_the_order_of_the_weights(pair):
    # Backups restore an optimizer's state, and init_generator a generator's
    # weights, by position: a bound that moved them would load a trained
    # model's weights into the wrong layers.
    plain, bounded = pair
    assert [v.path for v in plain.weights] == [v.path for v in bounded.weights]
    assert "haze_bound" in [layer.name for layer in bounded.layers] and "haze_bound" not in [layer.name for layer in plain.layers]


def test_dark_channel_bound_raises_the_transmission_and_keeps_the_output_in_range(pair):
    plain, bounded = pair
    rng = np.random.default_rng(6)
    images = rng.uniform(0.0, 1.0, (2, 40, 56, 3)).astype(np.float32)
    images[:, :16] *= 0.2  # a dark band, as dark clouds
    t_plain, a_plain = (x.numpy() for x in transmission_model(plain)(images))
    t_bound, a_bound = (x.numpy() for x in transmission_model(bounded)(images))
    np.testing.assert_allclose(a_bound, a_plain, atol=1e-6)
    floor = 1.0 - np.min(images / a_bound, axis=-1, keepdims=True)
    assert np.all(t_bound >= t_plain - 1e-6) and np.all(t_bound >= floor - 1e-5)
    assert (t_bound > t_plain + 1e-3).mean() > 0.05
    # The output is the haze model inverted with the bounded t: no channel is
    # clipped at 0 (the clip is a no-op there), where the plain model's was.
    out = bounded(images).numpy()
    raw = (images - a_bound * (1.0 - np.maximum(t_bound, 0.05))) / np.maximum(t_bound, 0.05)
    assert raw.min() >= -1e-4
    np.testing.assert_allclose(out, np.clip(raw, 0.0, 1.0), atol=1e-5)


def test_dark_channel_bound_converts_to_tflite_builtins(pair):
    # As kfreqgan-export converts it: builtins only, and the same outputs.
    from kfreqgan.export.tflite import convert_to_tflite
    from kfreqgan.export.tflite import run_tflite
    from kfreqgan.export.tflite import tflite_op_names

    _, bounded = pair
    fixed = keras.Input((48, 64, 3), batch_size=1)
    wrapper = keras.Model(fixed, bounded(fixed))
    flatbuffer = convert_to_tflite(wrapper, "float32")
    assert not any(op.startswith("Flex") for op in tflite_op_names(flatbuffer))
    images = np.random.default_rng(7).random((1, 48, 64, 3)).astype(np.float32)
    np.testing.assert_allclose(run_tflite(flatbuffer, images), wrapper(images).numpy(), atol=1e-4)


@pytest.mark.parametrize("value", [-0.1, 1.5, float("nan")])
def test_bad_dark_channel_bound(value):
    with pytest.raises(ValueError, match=r"`dark_channel_bound` must lie in \[0, 1\]"):
        coherent_dehazer(coarse_size=32, filters=4, dark_channel_bound=value)


def test_bright_bound_keeps_the_output_below_white_and_converts_to_tflite_builtins(pair):
    from kfreqgan.export.tflite import convert_to_tflite
    from kfreqgan.export.tflite import run_tflite
    from kfreqgan.export.tflite import tflite_op_names

    plain, dark_only = pair
    bright = coherent_dehazer(coarse_size=32, filters=4, grey_airlight=True, dark_channel_bound=0.95, bright_bound=True)
    bright.set_weights(plain.get_weights())
    assert [v.path for v in bright.weights] == [v.path for v in plain.weights]
    rng = np.random.default_rng(8)
    images = rng.uniform(0.0, 1.0, (2, 40, 56, 3)).astype(np.float32)
    images[:, :16] = 0.9 + 0.1 * images[:, :16]  # a bright band, as a sky
    t_dark, _ = (x.numpy() for x in transmission_model(dark_only)(images))
    t_bright, a_bright = (x.numpy() for x in transmission_model(bright)(images))
    ceiling = 1.0 - np.min((1.0 - images) / (1.0 - a_bright), axis=-1, keepdims=True)
    assert np.all(t_bright >= t_dark - 1e-6) and np.all(t_bright >= ceiling - 1e-5)
    raw = (images - a_bright * (1.0 - np.maximum(t_bright, 0.05))) / np.maximum(t_bright, 0.05)
    assert raw.max() <= 1.0 + 1e-4 and raw.min() >= -1e-4
    fixed = keras.Input((48, 64, 3), batch_size=1)
    wrapper = keras.Model(fixed, bright(fixed))
    flatbuffer = convert_to_tflite(wrapper, "float32")
    assert not any(op.startswith("Flex") for op in tflite_op_names(flatbuffer))
    sample = rng.random((1, 48, 64, 3)).astype(np.float32)
    np.testing.assert_allclose(run_tflite(flatbuffer, sample), wrapper(sample).numpy(), atol=1e-4)


def test_bright_bound_needs_the_dark_channel_bound():
    with pytest.raises(ValueError, match=r"`bright_bound`.*`dark_channel_bound` is off. Received: bright_bound=True, dark_channel_bound=0"):
        coherent_dehazer(coarse_size=32, filters=4, bright_bound=True)
    with pytest.raises(ValueError, match="bright_bound"):
        coherent_dehazer(coarse_size=32, filters=4, dark_channel_bound=0.95, bright_bound="yes")
