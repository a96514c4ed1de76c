"""One image through a model: activations equal PyTorch's own pass, helpers move images honestly."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnviz import activations, data, models, predict, weights


@pytest.fixture(scope="module", params=["lenet5", "simplecnn"])
def shipped(request) -> models.LayeredCNN:
    return weights.load_pretrained(request.param)


def test_run_model_matches_a_plain_forward_pass(shipped):
    image = activations.sample_image(7, 0)
    acts = activations.run_model(shipped, image)
    x = data.to_model_input(torch.from_numpy(image)[None, None], shipped.input_size)
    with torch.no_grad():
        logits = shipped(x)[0].numpy()
    np.testing.assert_allclose(acts.logits, logits, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(acts.probs, F.softmax(torch.from_numpy(logits), 0).numpy(), rtol=1e-5)
    assert acts.input.shape == (1, shipped.input_size, shipped.input_size)
    assert list(acts.layers) == [name for name, _ in shipped.layers.named_children()]
    assert acts.prediction == 7  # the shipped weights read a clear 7


def test_shipped_models_get_sample_digits_right(shipped):
    images, labels = data.sample_digits()
    probs = predict.predict_batch(shipped, images)
    assert (probs.argmax(1) == labels).mean() >= 0.95
    np.testing.assert_allclose(probs.sum(1), 1, rtol=1e-5)


def test_run_model_keeps_training_mode_and_batchnorm_statistics():
    model = models.LeNet5().train()
    before = model.layers.bn1.running_mean.clone()
    activations.run_model(model, activations.sample_image(3))
    assert model.training and torch.equal(before, model.layers.bn1.running_mean)


def test_layer_helpers_follow_the_model():
    model = models.LeNet5()
    acts = activations.run_model(model, activations.sample_image(1))
    assert activations.spatial_layers(acts) == ["conv1", "bn1", "relu1", "pool1", "conv2", "bn2", "relu2", "pool2"]
    assert activations.producing_conv(model, "conv1") == "conv1"
    assert activations.producing_conv(model, "pool2") == "conv2"
    assert activations.producing_conv(model, "relu1") == "conv1"
    assert activations.conv_layers(model) == ["conv1", "conv2"]
    assert activations.pool_layers(model) == ["pool1", "pool2"]
    assert activations.layer_input(model, acts, "conv1") is acts.input
    assert activations.layer_input(model, acts, "conv2") is acts.layers["pool1"]
    np.testing.assert_array_equal(activations.conv_filters(model, "conv2"), model.layers.conv2.weight.detach())
    with pytest.raises(ValueError):
        activations.conv_filters(model, "fc1")
    with pytest.raises(ValueError):
        activations.producing_conv(model, "nope")


@pytest.mark.parametrize("layer", ["pool1", "pool2"])
def test_pool_replay_equals_the_network(shipped, layer):
    acts = activations.run_model(shipped, activations.sample_image(4, 2))
    result, matches = activations.pool_replay(shipped, acts, layer, 1)
    assert matches
    np.testing.assert_allclose(result.output, acts.layers[layer][1], atol=1e-6)


def test_sample_images_by_class():
    images, labels = data.sample_digits()
    for digit in range(10):
        count = activations.samples_per_class(digit)
        assert count == (labels == digit).sum() > 0
        np.testing.assert_array_equal(activations.sample_image(digit, count - 1), images[labels == digit][-1])


@settings(max_examples=200, deadline=None)
@given(dx=st.integers(-30, 30), dy=st.integers(-30, 30), h=st.integers(1, 9), w=st.integers(1, 9))
def test_shift_moves_pixels_without_wrapping(dx, dy, h, w):
    image = np.arange(1, h * w + 1, dtype=np.uint8).reshape(h, w)
    moved = activations.shift_image(image, dx, dy)
    expected = np.zeros_like(image)
    for r in range(h):
        for c in range(w):
            if 0 <= r + dy < h and 0 <= c + dx < w:
                expected[r + dy, c + dx] = image[r, c]
    np.testing.assert_array_equal(moved, expected)


def test_rotation():
    image = activations.sample_image(1, 0)
    np.testing.assert_array_equal(activations.rotate_image(image, 0), image)
    turned = activations.rotate_image(image, 90)
    assert turned.shape == image.shape and turned.dtype == np.uint8
    # A quarter turn of a nearly vertical 1 spreads its ink across rows instead of columns.
    assert (turned > 128).any(axis=1).sum() < (image > 128).any(axis=1).sum()
    colour = np.stack([image, image, image])
    np.testing.assert_array_equal(activations.rotate_image(colour, 90)[2], turned)
    np.testing.assert_array_equal(activations.transform_image(image, 2, -1, 90), activations.shift_image(turned, 2, -1))


def test_shift_sweep_is_one_batched_prediction(shipped):
    image = activations.sample_image(2, 1)
    sweep = activations.shift_sweep(shipped, image, range(-3, 4), "y")
    assert sweep.shape == (7, 10)
    np.testing.assert_allclose(sweep[3], activations.run_model(shipped, image).probs, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(
        sweep[0], activations.run_model(shipped, activations.shift_image(image, 0, -3)).probs, rtol=1e-4, atol=1e-6
    )
