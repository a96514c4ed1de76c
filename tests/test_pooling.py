"""The window-by-window pooling demo equals PyTorch's max_pool2d / avg_pool2d."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cnnviz.conv import pool_output_size
from cnnviz.pooling import classic_example, pool2d


def test_classic_example():
    assert pool2d(classic_example(), 2).output.tolist() == [[6, 8], [14, 16]]
    assert pool2d(classic_example(), 2, mode="avg").output.tolist() == [[3.5, 5.5], [11.5, 13.5]]


def test_classic_windows_and_picks():
    result = pool2d(classic_example(), 2)
    assert len(result.windows) == 4
    first = result.windows[0]
    assert first.cells() == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert first.picked == (1, 1) and first.explain("max") == "max(1, 2, 5, 6) = 6"
    assert pool2d(classic_example(), 2, mode="avg").windows[3].explain("avg") == "(11 + 12 + 15 + 16) / 4 = 13.5"


def test_padding_is_explained_and_never_picked():
    result = pool2d(-classic_example(), 2, stride=2, padding=1)
    corner = result.windows[0]
    assert corner.cells() == [(0, 0)] and corner.picked == (0, 0) and corner.value == -1
    avg = pool2d(classic_example(), 2, padding=1, mode="avg").windows[0]
    assert avg.explain("avg") == "(0 + 0 + 0 + 1) / 4 = 0.25"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(kernel=5), "never fits"),
        (dict(kernel=2, padding=2), "at most half the kernel"),
        (dict(kernel=0), "at least 1"),
        (dict(kernel=2, stride=0), "at least 1"),
        (dict(kernel=2, mode="median"), "mode must be"),
    ],
)
def test_invalid_settings_raise_readable_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        pool2d(classic_example(), **kwargs)


@settings(max_examples=250, deadline=None)
@given(
    h=st.integers(1, 12),
    w=st.integers(1, 12),
    kernel=st.integers(1, 5),
    stride=st.integers(1, 5),
    padding=st.integers(0, 2),
    mode=st.sampled_from(["max", "avg"]),
    seed=st.integers(0, 2**16),
    integers=st.booleans(),
)
def test_matches_pytorch(h, w, kernel, stride, padding, mode, seed, integers):
    try:
        out_h, out_w = pool_output_size(h, kernel, stride, padding), pool_output_size(w, kernel, stride, padding)
    except ValueError:
        assume(False)
    rng = np.random.default_rng(seed)
    # Small integers make ties common, which checks that the same maximum position is picked.
    image = rng.integers(-3, 4, (h, w)).astype(float) if integers else rng.normal(size=(h, w))
    result = pool2d(image, kernel, stride, padding, mode)
    x = torch.tensor(image)[None, None]
    if mode == "max":
        expected, indices = F.max_pool2d(x, kernel, stride, padding, return_indices=True)
        picked = [r * w + c for r, c in (win.picked for win in result.windows)]
        assert picked == indices.flatten().tolist()
    else:
        expected = F.avg_pool2d(x, kernel, stride, padding)
    assert result.output.shape == (out_h, out_w)
    np.testing.assert_allclose(result.output, expected[0, 0].numpy(), rtol=1e-12, atol=1e-12)
    for win in result.windows:
        cells = win.cells()
        assert all(0 <= r < h and 0 <= c < w for r, c in cells) and cells
        if mode == "max":
            assert win.picked in cells and win.value == max(image[r, c] for r, c in cells)
