"""What every kfreqgan layer must survive, in the spirit of Keras's own
`run_layer_test` (which is private API, so not imported): a config round
trip, serialisation by registered name, save/load as `.keras` in a Functional
model with identical outputs, eager == graph == XLA, finite non-zero
gradients, mixed precision, and a training step under MirroredStrategy."""

import os

import keras
import numpy as np
import tensorflow as tf


def check_layer(make_layer, inputs, tmp_path, strategy, jit_compile=True):
    """Runs the common checks on `make_layer()` applied to `inputs` (NHWC);
    `strategy` is a MirroredStrategy over two devices."""
    inputs = tf.constant(inputs, tf.float32)
    layer = make_layer()
    expected = layer(inputs).numpy()
    assert np.all(np.isfinite(expected))

    # Config round trip and serialisation by the registered name.
    config = layer.get_config()
    rebuilt = type(layer).from_config(config)
    np.testing.assert_array_equal(rebuilt(inputs).numpy(), expected)
    serialized = keras.saving.serialize_keras_object(layer)
    assert serialized["registered_name"] == f"kfreqgan>{type(layer).__name__}"
    restored = keras.saving.deserialize_keras_object(serialized)
    np.testing.assert_array_equal(restored(inputs).numpy(), expected)

    # Symbolic call in a Functional model, saved and loaded as .keras.
    symbolic = keras.Input(inputs.shape[1:])
    outputs = make_layer()(symbolic)
    assert tuple(outputs.shape[1:]) == expected.shape[1:]
    model = keras.Model(symbolic, outputs)
    path = os.path.join(tmp_path, f"{type(layer).__name__}.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_array_equal(loaded(inputs).numpy(), model(inputs).numpy())
    np.testing.assert_allclose(model(inputs).numpy(), expected, atol=1e-6)

    # Graph and XLA agree with eager.
    np.testing.assert_allclose(tf.function(layer)(inputs).numpy(), expected, atol=1e-5)
    if jit_compile:
        np.testing.assert_allclose(tf.function(layer, jit_compile=True)(inputs).numpy(), expected, atol=1e-4)

    # Gradients with respect to the input exist, are finite and not all zero.
    weights = tf.random.stateless_normal(expected.shape, seed=(3, 4))
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        loss = tf.reduce_sum(layer(inputs) * weights)
    gradient = tape.gradient(loss, inputs).numpy()
    assert np.all(np.isfinite(gradient)) and np.abs(gradient).max() > 0

    # Mixed precision: the layer returns its compute dtype, close to float32.
    mixed = type(layer).from_config({**config, "dtype": "mixed_float16"})
    half = mixed(tf.cast(inputs, tf.float16))
    assert half.dtype == tf.float16
    scale = max(1.0, float(np.abs(expected).max()))
    np.testing.assert_allclose(half.numpy().astype(np.float32), expected, atol=2e-2 * scale)

    # A training step of a tiny model around the layer, mirrored over two
    # logical CPUs, gives the same loss as on one device.
    losses = []
    for scope in (tf.distribute.get_strategy(), strategy):
        with scope.scope():
            keras.utils.set_random_seed(7)
            x = keras.Input(inputs.shape[1:])
            y = keras.layers.Conv2D(inputs.shape[-1], 3, padding="same")(x)
            y = make_layer()(y)
            y = keras.layers.Flatten()(y)
            y = keras.layers.Dense(1)(y)
            net = keras.Model(x, y)
            net.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
        batch = inputs.shape[0] - inputs.shape[0] % 2
        history = net.fit(inputs[:batch], tf.ones((batch, 1)), batch_size=batch, epochs=1, verbose=0, shuffle=False)
        losses.append(history.history["loss"][0])
    assert np.all(np.isfinite(losses))
    np.testing.assert_allclose(losses[1], losses[0], rtol=1e-4)
