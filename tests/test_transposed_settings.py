"""The transposed page's inputs and kernels (its link fields are tested with every page's, in test_state.py)."""

import numpy as np

from cnnviz import conv
from cnnviz import transposed_settings as ts


def test_inputs_and_kernels():
    assert ts.input_grid("Worked 2×2").tolist() == [[0, 1], [2, 3]]
    assert ts.input_grid("Random grid", size=5, seed=3).shape == (5, 5)
    digit = ts.input_grid("Digit 7×7", digit=0)
    assert digit.shape == (7, 7) and 0 <= digit.min() and digit.max() <= 1 and digit.max() > 0.5
    for name in ts.KERNEL_NAMES[:-1]:
        values, what = ts.kernel_for(name)
        assert values.ndim == 2 and what
    np.testing.assert_array_equal(ts.kernel_for("Bilinear 4×4")[0][1], [0.1875, 0.5625, 0.5625, 0.1875])


def test_bilinear_kernels_double_the_size_and_interpolate():
    ramp = np.tile(np.arange(4.0), (4, 1))  # 0 1 2 3 in every row
    three = conv.conv_transpose(ramp, ts.BILINEAR3, stride=2, padding=1, output_padding=1).output[0]
    four = conv.conv_transpose(ramp, ts.BILINEAR4, stride=2, padding=1).output[0]
    assert three.shape == four.shape == (8, 8)
    np.testing.assert_allclose(three[2, :7], [0, 0.5, 1, 1.5, 2, 2.5, 3])  # the input, and halfway between
    np.testing.assert_allclose(four[3, 1:7], [0.25, 0.75, 1.25, 1.75, 2.25, 2.75])  # quarter steps
