"""Model shapes, activations from one pass, the registry, and the shipped weights' real accuracy."""

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnviz import data, models, train, weights

SHAPES = {
    "simplecnn": {
        "conv1": (32, 28, 28),
        "relu1": (32, 28, 28),
        "pool1": (32, 14, 14),
        "conv2": (64, 14, 14),
        "relu2": (64, 14, 14),
        "pool2": (64, 7, 7),
        "flatten": (3136,),
        "fc1": (128,),
        "relu3": (128,),
        "fc2": (10,),
    },
    "lenet5": {
        "conv1": (6, 28, 28),
        "bn1": (6, 28, 28),
        "relu1": (6, 28, 28),
        "pool1": (6, 14, 14),
        "conv2": (16, 10, 10),
        "bn2": (16, 10, 10),
        "relu2": (16, 10, 10),
        "pool2": (16, 5, 5),
        "flatten": (400,),
        "fc1": (120,),
        "relu3": (120,),
        "fc2": (84,),
        "relu4": (84,),
        "fc3": (10,),
    },
    "cifarcnn": {
        "conv1": (6, 28, 28),
        "relu1": (6, 28, 28),
        "pool1": (6, 14, 14),
        "conv2": (16, 10, 10),
        "relu2": (16, 10, 10),
        "pool2": (16, 5, 5),
        "flatten": (400,),
        "fc1": (120,),
        "relu3": (120,),
        "fc2": (84,),
        "relu4": (84,),
        "fc3": (10,),
    },
}
MODELS = {name: models.build_model(name).eval() for name in SHAPES}


@pytest.mark.parametrize("name", list(SHAPES))
def test_every_layer_has_the_tutorial_shape(name):
    model = MODELS[name]
    x = torch.rand(3, model.in_channels, model.input_size, model.input_size)
    logits, acts = model.forward_with_activations(x)
    assert list(acts) == list(SHAPES[name])
    assert {k: tuple(v.shape[1:]) for k, v in acts.items()} == SHAPES[name]
    assert logits.shape == (3, 10) and len(model.classes) == 10


@settings(max_examples=200, deadline=None)
@given(name=st.sampled_from(list(SHAPES)), batch=st.integers(1, 3), seed=st.integers(0, 2**31 - 1))
def test_activations_equal_a_plain_forward_pass(name, batch, seed):
    model = MODELS[name]
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(batch, model.in_channels, model.input_size, model.input_size, generator=g)
    logits, acts = model.forward_with_activations(x)
    assert torch.equal(logits, model(x))
    h = (x - model.mean) / model.std
    for (layer_name, layer), act in zip(model.layers.named_children(), acts.values()):
        h = layer(h)
        assert torch.equal(h, acts[layer_name]) and act is acts[layer_name]


def test_parameter_counts_match_the_architectures():
    count = {n: sum(p.numel() for p in m.parameters()) for n, m in MODELS.items()}
    assert count["simplecnn"] == 320 + 18496 + 401536 + 1290
    assert count["lenet5"] == 156 + 12 + 2416 + 32 + 48120 + 10164 + 850
    assert count["cifarcnn"] == 456 + 2416 + 48120 + 10164 + 850


def test_build_model_errors_are_readable():
    with pytest.raises(ValueError, match="choose one of"):
        models.build_model("resnet")
    with pytest.raises(ValueError, match="3-channel"):
        models.build_model("cifarcnn", "mnist")
    assert models.build_model("lenet5", "fashion").classes[0] == "T-shirt/top"


@pytest.mark.parametrize("name", ["lenet5", "simplecnn"])
def test_shipped_weights_reach_99_percent_on_the_full_mnist_test_set(name, mnist_test):
    model = weights.load_pretrained(name)
    assert not model.training and name in weights.pretrained_names()
    _loss, accuracy = train.evaluate(model, mnist_test)
    assert accuracy >= 0.99, f"{name}: {accuracy:.2%}"


def test_shipped_models_read_the_sample_digits():
    images, labels = data.sample_digits()
    for name in weights.pretrained_names():
        model = weights.load_pretrained(name)
        x = data.to_model_input(torch.from_numpy(images)[:, None], model.input_size)
        with torch.no_grad():
            assert (model(x).argmax(1).numpy() == labels).mean() >= 0.98


def test_models_are_offered_only_with_a_matching_dataset():
    assert models.trainable_models(["mnist"]) == ["simplecnn", "lenet5"]
    assert models.trainable_models(["mnist", "cifar10"]) == ["simplecnn", "lenet5", "cifarcnn"]
    assert models.readable_datasets("lenet5", ["mnist", "fashion", "cifar10"]) == ["mnist", "fashion"]


@pytest.mark.parametrize("name", list(models.MODELS))
def test_each_registry_record_describes_the_model_it_builds(name):
    spec = models.MODELS[name]
    model = models.build_model(name).eval()
    assert isinstance(model, spec.builder) and model.dataset == spec.default_dataset
    assert (model.in_channels, model.input_size) == (spec.channels, spec.input_size)
    with torch.no_grad():
        assert model(torch.rand(2, spec.channels, spec.input_size, spec.input_size)).shape == (2, 10)
