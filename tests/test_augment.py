"""Augmentation: exact pieces against PyTorch, seeded, digits stay readable, 1s get flags."""

import dataclasses

import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from cnnviz import augment, data, weights

IDENTITY = augment.AugmentSettings(
    shift=0, scale=(1, 1), rotate=0, shear=0, aspect=0, elastic=0, stroke=(0, 0), gain=(1, 1), flag=0
)


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), size=st.sampled_from([28, 32]))
def test_sampling_grid_equals_affine_grid_without_elastic(seed, size):
    g = torch.Generator().manual_seed(seed)
    theta = augment.random_affine(4, augment.DEFAULT, g, torch.device("cpu"))
    expected = F.affine_grid(theta, [4, 1, size, size], align_corners=False)
    grid = augment.sampling_grid(theta, (size, size), IDENTITY, g)
    assert torch.allclose(grid, expected, atol=1e-6)


@settings(max_examples=200, deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
def test_stroke_width_extremes_are_dilation_and_erosion(seed):
    x = torch.rand(3, 1, 12, 12, generator=torch.Generator().manual_seed(seed))
    ones = torch.ones(3)
    assert torch.equal(augment.stroke_width(x, ones), F.max_pool2d(x, 3, 1, 1))
    eroded = -F.max_pool2d(-F.pad(x, (1, 1, 1, 1), value=0.0), 3, 1, 0)
    assert torch.equal(augment.stroke_width(x, -ones), eroded)
    assert torch.equal(augment.stroke_width(x, 0 * ones), x)


def test_identity_settings_leave_images_unchanged(mnist_test):
    x = data.to_model_input(mnist_test.images[:16], 32)
    out = augment.augment(x, torch.Generator().manual_seed(0), IDENTITY)
    assert torch.allclose(out, x, atol=1e-5)


def test_augment_is_seeded_in_range_and_changes_images(mnist_test):
    x = data.to_model_input(mnist_test.images[:64], 32)
    a = augment.augment(x, torch.Generator().manual_seed(1))
    b = augment.augment(x, torch.Generator().manual_seed(1))
    assert torch.equal(a, b) and a.shape == x.shape
    assert float(a.min()) >= 0 and float(a.max()) <= 1
    assert (a - x).abs().mean() > 0.05


def test_augmented_digits_stay_readable(mnist_test):
    model = weights.load_pretrained("lenet5")
    split = mnist_test.subset(1000, seed=2)
    x = augment.augment(data.to_model_input(split.images, 32), torch.Generator().manual_seed(3))
    with torch.no_grad():
        accuracy = (model(x).argmax(1) == split.labels).float().mean().item()
    assert accuracy > 0.95


def test_flags_leave_the_top_of_a_one_down_to_the_left(mnist_test):
    x = data.to_model_input(mnist_test.images[mnist_test.labels == 1][:32], 32)
    chosen = torch.arange(32) % 2 == 0
    out = augment.add_flags(x, chosen, augment.DEFAULT, torch.Generator().manual_seed(0))
    assert torch.equal(out[~chosen], x[~chosen]) and bool((out >= x).all())
    for before, after in zip(x[chosen, 0], out[chosen, 0]):
        ink = before > 0.5
        top = int(ink.any(1).nonzero()[0])
        top_x = float(ink[top].nonzero().float().mean())
        added = after - before
        rows, cols = (added > 0.1).nonzero(as_tuple=True)
        assert float(added.sum()) > 2
        assert bool((rows >= top - 1).all()) and bool((cols <= top_x + 1.5).all())
        ys, xs = torch.meshgrid(torch.arange(32.0), torch.arange(32.0), indexing="ij")
        assert float((added * xs).sum() / added.sum()) < top_x
        assert float((added * ys).sum() / added.sum()) > top


def test_flags_need_ink_and_a_one():
    blank = torch.zeros(2, 1, 32, 32)
    g = torch.Generator().manual_seed(0)
    assert torch.equal(augment.add_flags(blank, torch.ones(2, dtype=torch.bool), augment.DEFAULT, g), blank)
    bar = blank.clone()
    bar[:, :, 8:24, 15:17] = 1.0
    always = dataclasses.replace(IDENTITY, flag=1.0)
    flagged = augment.augment(bar, torch.Generator().manual_seed(5), always, ones=torch.tensor([True, False]))
    assert flagged[0].sum() > bar[0].sum() + 2 and torch.equal(flagged[1], bar[1])
    assert torch.equal(augment.augment(bar, torch.Generator().manual_seed(5), always), bar)  # no labels, no flags
