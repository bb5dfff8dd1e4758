"""The haze-model parts of a dehazing generator.

A generator that ends in `kfreqgan.layers.InvertScattering` (the
`coherent_dehazer`, and the `unet_generator` with its `"scattering"` head)
makes a claim about the photo's physics: a transmission `t` and an
airlight `A` with `hazy = clear t + A (1 - t)`. `scattering_view` exposes
them next to the output, from the same layers, so that training can hold
that claim against the truth (`FreqGAN(rehazing_weight=...)`) in one
forward pass. `haze_model_parts` finds those parts, for the view and for
`kfreqgan.dehazing.Dehazer`, which tiles the transmission alone.
"""

import keras

from kfreqgan.layers import InvertScattering


def haze_model_parts(generator):
    """The haze model a generator inverts: `(layer, transmission, airlight)`.

    `layer` is the generator's `InvertScattering` layer, and `transmission`
    and `airlight` are the symbolic tensors (in `generator`'s graph) it
    inverts the generator's input with: the `t` after any refinement and
    bound, and the airlight. The one lookup of these parts, for the
    re-hazing loss (`scattering_view`), `transmission_model` and the
    `kfreqgan.dehazing.Dehazer`, which tiles the transmission alone.

    Args:
        generator: as for `scattering_view`.

    Returns:
        `(InvertScattering, KerasTensor, KerasTensor)`.

    Raises:
        ValueError: if `generator` is not such a model.
    """
    if not isinstance(generator, keras.Model):
        raise ValueError(f"`generator` must be a keras.Model. Received: generator={type(generator).__name__}")
    try:
        inputs, outputs = generator.inputs, generator.outputs
        # A Sequential model has inputs and outputs but no graph of its own
        # (and cannot call a layer of three inputs): it has no haze model.
        nodes_by_depth = generator._nodes_by_depth
    except (AttributeError, ValueError):
        inputs = outputs = None
    if not isinstance(inputs, list) or not isinstance(outputs, list) or len(inputs) != 1 or len(outputs) != 1:
        raise ValueError(
            "The haze-model view needs a Functional generator with one input and one output. "
            f"Received: generator={generator.name!r} ({type(generator).__name__})"
        )
    # The calls in this generator's own graph: a layer it shares with
    # another model (a `clone_model` that keeps the layers, a fixed-size
    # copy) has that model's call among its nodes too.
    own = {id(node) for nodes in nodes_by_depth.values() for node in nodes}
    calls = [
        (layer, node)
        for layer in generator.layers
        if isinstance(layer, InvertScattering)
        for node in layer._inbound_nodes
        if id(node) in own
    ]
    if len(calls) != 1:
        raise ValueError(
            "The haze-model view needs a generator that inverts the haze model once: one call of an "
            "InvertScattering layer (the coherent_dehazer, or unet_generator(head='scattering')). "
            f"Received: generator={generator.name!r}, which calls InvertScattering {len(calls)} times"
        )
    layer, node = calls[0]
    hazy, transmission, airlight = node.input_tensors
    if hazy is not inputs[0]:
        # The re-hazing loss hazes the target to the generator's input: the
        # t and A of another image (a rescaled or filtered input) would be
        # held to the wrong haze.
        raise ValueError(
            "The haze-model view needs a generator whose InvertScattering inverts the generator's own input "
            "image, the one its transmission and airlight describe. Received: "
            f"generator={generator.name!r}, which inverts the output of layer {hazy._keras_history.operation.name!r}"
        )
    return layer, transmission, airlight


def scattering_view(generator):
    """A model `hazy -> (output, transmission, airlight)` sharing `generator`'s layers.

    `transmission` and `airlight` are the inputs of the generator's
    `InvertScattering` layer: the `t` it inverts (after any refinement and
    bound) and the `(N, 1, 1, C)` airlight (`haze_model_parts`).

    Args:
        generator: a Functional `keras.Model` with one image input, one
            output and exactly one call of an `InvertScattering` layer (the
            layer may be shared with other models), which inverts that
            input.

    Returns:
        A Functional `keras.Model` with three outputs. Training it trains
        `generator`'s weights; it is not saved with them.

    Raises:
        ValueError: if `generator` is not such a model.
    """
    _, transmission, airlight = haze_model_parts(generator)
    return keras.Model(generator.inputs[0], [generator.outputs[0], transmission, airlight], name=f"{generator.name}_scattering")
