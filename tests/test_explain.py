"""Every explanation the predict page offers passes the deletion test on the shipped samples and models."""

import copy

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from cnnviz import explain, predict
from cnnviz.data import sample_digits
from cnnviz.weights import load_pretrained, pretrained_names

SHIPPED = ["lenet5", "simplecnn"]


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def digits():
    """The 100 shipped samples as the page sees them: through the same preprocessing."""
    return np.stack([predict.preprocess(Image.fromarray(x)).digit for x in sample_digits()[0]])


@pytest.fixture(scope="module", params=SHIPPED)
def model(request):
    if request.param not in pretrained_names():
        pytest.fail(f"assets/{request.param}.safetensors is missing")
    return load_pretrained(request.param)


@pytest.mark.parametrize("method", sorted(explain.EXPLANATIONS))
def test_every_offered_map_is_faithful(digits, model, method):
    result = explain.faithfulness(model, digits, explain.EXPLANATIONS[method].explain)
    summary = (
        f"{method}: top-ranked ink removed drops p by {result.top_drop.mean():.3f} on average, "
        f"random ink by {result.random_drop.mean():.3f}; beats random on {result.win_rate:.0%} of samples"
    )
    assert result.passed, summary
    assert len(result.wins) == len(digits)


def test_the_measure_rejects_a_map_that_points_away_from_the_evidence(digits):
    model = load_pretrained("lenet5")

    def reversed_occlusion(digit, model, target):
        heat = explain.occlusion(digit, model, target)
        return heat.max() - heat

    result = explain.faithfulness(model, digits[:30], reversed_occlusion)
    assert not result.passed and result.top_drop.mean() < result.random_drop.mean()


def reference_occlusion(digit, model, target, patch, stride):
    """One forward pass per patch position, every position, no shortcuts."""
    size, pad = digit.shape[0], patch - stride
    base = predict.predict_probs(digit, model)[target]
    total = np.zeros(digit.shape)
    for top in range(-pad, size, stride):
        for left in range(-pad, size, stride):
            covered = digit.copy()
            covered[max(top, 0) : top + patch, max(left, 0) : left + patch] = 0
            drop = max(base - predict.predict_probs(covered, model)[target], 0.0)
            total[max(top, 0) : top + patch, max(left, 0) : left + patch] += drop
    return total / (patch // stride) ** 2


@pytest.mark.parametrize(("patch", "stride"), [(4, 2), (3, 1), (6, 3)])
def test_occlusion_matches_sliding_one_patch_at_a_time(digits, model, patch, stride):
    digit = digits[7]
    target = int(predict.predict_probs(digit, model).argmax())
    heat = explain.occlusion(digit, model, target, patch=patch, stride=stride)
    margin = (model.input_size - 28) // 2
    assert np.allclose(
        heat[margin : margin + 28, margin : margin + 28],
        reference_occlusion(digit, model, target, patch, stride),
        atol=1e-5,
    )
    assert heat.shape == (model.input_size, model.input_size)


def test_occlusion_is_one_batched_forward_pass(digits, model):
    calls = []
    fast = explain._channels_last_copy(model)  # the copy occlusion runs, made once per model
    handle = fast.register_forward_hook(lambda module, args, out: calls.append(len(args[0])))
    try:
        explain.occlusion(digits[0], model, 0)
    finally:
        handle.remove()
    assert len(calls) == 1 and calls[0] > 1


def test_the_fast_copy_is_made_once_and_follows_changed_weights(digits, model):
    first = explain._channels_last_copy(model)
    assert explain._channels_last_copy(model) is first and not first.training
    changed = copy.deepcopy(model)
    before = explain.occlusion(digits[0], changed, 0)
    with torch.no_grad():
        next(changed.parameters()).mul_(-1.0)  # in place, as an optimizer step changes weights
    assert explain._channels_last_copy(changed) is not explain._channels_last_copy(model)
    assert not np.allclose(explain.occlusion(digits[0], changed, 0), before)


def test_occlusion_refuses_a_patch_that_is_not_whole_strides(digits, model):
    with pytest.raises(ValueError, match="whole number of strides"):
        explain.occlusion(digits[0], model, 0, patch=5, stride=2)


def test_gradient_times_input_matches_autograd(digits, model):
    digit = digits[3]
    x = predict.model_input(digit, model).requires_grad_(True)
    model(x)[0, 5].backward()
    expected = (x.grad * x)[0, 0].clamp(min=0).detach()
    assert np.allclose(explain.gradient_times_input(digit, model, 5), (expected / expected.max()).numpy(), atol=1e-6)


@pytest.mark.parametrize("method", sorted(explain.EXPLANATIONS))
def test_maps_light_only_what_is_near_ink_and_depend_on_the_class(digits, model, method):
    """The bug this replaced: Grad-CAM lit empty corners and borders, where nothing can be evidence."""
    explain_map = explain.EXPLANATIONS[method].explain
    margin = (model.input_size - 28) // 2
    reach = explain.PATCH - 1 if method == "occlusion" else 0
    for digit in digits[::11]:
        target = int(predict.predict_probs(digit, model).argmax())
        heat = explain_map(digit, model, target)
        assert heat.shape == (model.input_size, model.input_size) and heat.min() >= 0 and heat.max() > 0
        ink = torch.from_numpy(np.pad(digit > 0, margin)).float()[None, None]
        near_ink = F.max_pool2d(ink, 2 * reach + 1, stride=1, padding=reach)[0, 0].numpy() > 0
        assert not heat[~near_ink].any()
        assert np.array_equal(heat, explain_map(digit, model, target))
        assert not np.allclose(heat, explain_map(digit, model, (target + 1) % 10))


def test_every_map_says_what_it_means():
    for explanation in explain.EXPLANATIONS.values():
        assert explanation.title and explanation.unit
        assert explanation.caption.endswith(".") and len(explanation.caption) < 300
