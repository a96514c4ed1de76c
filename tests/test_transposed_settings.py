"""The transposed page's choices: every default is a value its field accepts, bad links are named."""

import numpy as np
import pytest

from cnnviz import conv
from cnnviz import transposed_settings as ts


def test_every_default_is_accepted_by_its_field():
    for key, field in ts.TRANSPOSED_FIELDS.items():
        text = str(field.default).lower() if isinstance(field.default, bool) else str(field.default)
        assert field.accepts(text), key


@pytest.mark.parametrize("text, ok", [("3", True), ("03", False), ("3.0", False), ("inf", False), ("", False)])
def test_whole_numbers_must_name_an_option_exactly(text, ok):
    assert ts.TRANSPOSED_FIELDS["tc_stride"].accepts(text) == ok


@pytest.mark.parametrize(
    "key, text",
    [
        ("tc_stride", "9"),
        ("tc_stride", "abc"),
        ("tc_stride", "2.5"),
        ("tc_padding", "-1"),
        ("tc_stride", "nan"),
        ("tc_view", "conv"),
        ("tc_chain_fix", "yes"),
    ],
)
def test_bad_link_values_are_named_with_what_is_allowed(key, text):
    (notice,) = ts.link_notices({key: text, "tc_dilation": "2", "unrelated": "x"})
    field = ts.TRANSPOSED_FIELDS[key]
    assert field.what in notice and field.allowed() in notice and notice.endswith("instead.")
    assert notice[0].isupper()


def test_good_links_give_no_notice():
    assert ts.link_notices({"tc_stride": "3", "tc_view": "As a convolution", "tc_input": "Digit 7×7"}) == []


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
