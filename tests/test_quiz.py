"""Quiz answers equal the formulas and PyTorch; common wrong answers are named misconceptions."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cnnviz import conv, models, pooling, quiz, state
from cnnviz.quiz import AnswerError

SETTINGS = settings(max_examples=150, deadline=None)


@st.composite
def conv_settings(draw):
    size = draw(st.integers(1, 40))
    kernel = draw(st.integers(1, 7))
    padding = draw(st.integers(0, 4))
    stride = draw(st.integers(1, 5))
    dilation = draw(st.integers(1, 3))
    assume(size + 2 * padding >= dilation * (kernel - 1) + 1)
    return size, kernel, padding, stride, dilation


@SETTINGS
@given(conv_settings())
def test_output_size_equals_the_formula_and_pytorch(numbers):
    size, kernel, padding, stride, dilation = numbers
    question = quiz.output_size(size, kernel, padding, stride, dilation)
    formula = math.floor((size + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1
    out = F.conv2d(torch.zeros(1, 1, size, size), torch.zeros(1, 1, kernel, kernel), None, stride, padding, dilation)
    assert question.answer == formula == out.shape[-1]
    assert question.check(str(formula)).right
    assert all(not question.check(str(t.value)).right for t in question.traps)


@SETTINGS
@given(st.integers(1, 64), st.integers(1, 64), st.integers(1, 7))
def test_parameters_and_shapes_equal_nn_conv2d(in_channels, out_channels, kernel):
    layer = torch.nn.Conv2d(in_channels, out_channels, kernel)
    count = quiz.conv_parameters(in_channels, out_channels, kernel)
    assert count.answer == sum(p.numel() for p in layer.parameters())
    assert quiz.weight_shape(in_channels, out_channels, kernel).answer == tuple(layer.weight.shape)
    assert quiz.bias_shape(in_channels, out_channels, kernel).answer == tuple(layer.bias.shape)
    assert quiz.weight_shape(in_channels, out_channels, kernel).check(str(tuple(layer.weight.shape))).right
    assert quiz.bias_shape(in_channels, out_channels, kernel).check(str(layer.bias.shape)).right  # torch.Size([n])
    for question in (count, quiz.weight_shape(in_channels, out_channels, kernel)):
        assert not any(question.check(t.value).right for t in question.traps)


@SETTINGS
@given(conv_settings(), st.integers(1, 3), st.floats(-5, 5), st.data())
def test_a_cell_value_equals_f_conv2d(numbers, channels, bias, data):
    size, kernel, padding, stride, dilation = numbers
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    image = rng.integers(-3, 4, (channels, size, size)).astype(float)
    weight = rng.integers(-2, 3, (2, channels, kernel, kernel)).astype(float)
    biases = np.array([bias, -bias])
    result = conv.convolve(image, weight, biases, stride=stride, padding=padding, dilation=dilation)
    position = data.draw(st.integers(0, result.positions - 1))
    filt = data.draw(st.integers(0, 1))
    question = quiz.cell_value(result, position, filt)
    expected = F.conv2d(
        torch.tensor(image)[None], torch.tensor(weight), torch.tensor(biases), stride, padding, dilation
    )[0, filt]
    row, col = divmod(position, expected.shape[1])
    assert question.answer == pytest.approx(float(expected[row, col]), abs=1e-9)
    assert question.check(f"{float(expected[row, col]):.3f}").right
    assert all(not question.check(t.value).right for t in question.traps)


@SETTINGS
@given(
    st.integers(1, 12),
    st.integers(1, 4),
    st.integers(1, 4),
    st.integers(0, 2),
    st.sampled_from(pooling.MODES),
    st.data(),
)
def test_a_pooled_value_equals_max_and_avg_pool2d(size, kernel, stride, padding, mode, data):
    assume(padding <= kernel // 2 and size + 2 * padding >= kernel)
    image = np.random.default_rng(data.draw(st.integers(0, 999))).integers(0, 10, (size, size)).astype(float)
    result = pooling.pool2d(image, kernel, stride, padding, mode)
    position = data.draw(st.integers(0, len(result.windows) - 1))
    pool = F.max_pool2d if mode == "max" else F.avg_pool2d
    expected = pool(torch.tensor(image)[None, None], kernel, stride, padding)[0, 0]
    row, col = divmod(position, expected.shape[1])
    question = quiz.pooled_value(result, position)
    assert question.answer == pytest.approx(float(expected[row, col]))
    assert all(not question.check(t.value).right for t in question.traps)


@pytest.mark.parametrize(
    "question, wrong, misconception",
    [
        (quiz.output_size(28, 3, 1, 2), "13", "forgot the padding"),
        (quiz.output_size(28, 3, 1, 1), "27", "padding on one side only"),
        (quiz.output_size(8, 3, 0, 2), "4", "ceil instead of floor"),
        (quiz.output_size(28, 3, 1, 2), "7", "stride applied twice"),
        (quiz.output_size(28, 3, 2, 1, 2), "30", "forgot the dilation"),
        (quiz.conv_parameters(3, 16, 5), "1200", "forgot the bias"),
        (quiz.conv_parameters(3, 16, 5), "416", "forgot the input channels"),
        (quiz.weight_shape(3, 16, 5), "3x16x5x5", "in and out swapped"),
        (quiz.weight_shape(3, 16, 5), "[5, 5, 3, 16]", "channels last (TensorFlow's order)"),
        (quiz.bias_shape(3, 16, 5), "(3,)", "one bias per input channel"),
        (quiz.pooled_value(pooling.pool2d(pooling.classic_example(), 2), 0), "3.5", "average instead of max"),
        (quiz.pooled_value(pooling.pool2d(pooling.classic_example(), 2, mode="avg"), 0), "14", "sum, not divided"),
        (
            quiz.pooled_value(pooling.pool2d(np.arange(1.0, 10).reshape(3, 3), 2, 2, 1, "avg"), 1),
            "2.5",
            "padding left out of the average",
        ),
    ],
)
def test_common_wrong_answers_are_named(question, wrong, misconception):
    feedback = question.check(wrong)
    assert not feedback.right and feedback.misconception == misconception
    assert feedback.explanation.startswith(f"Not quite: the answer is {question.answer_text()}.")


def test_a_cell_with_a_bias_names_the_forgotten_bias_and_a_flipped_kernel():
    result = conv.convolve(np.arange(9.0).reshape(3, 3), np.array([[1.0, 0], [0, -1]]), 2.0)
    question = quiz.cell_value(result, 0)
    assert question.answer == 0 * 1 - 4 + 2
    assert question.check("-4").misconception == "forgot the bias"
    assert question.check("6").misconception == "flipped the kernel"
    right = question.check("-2")
    assert right.right and right.misconception is None and "add the bias 2" in right.explanation


def test_answers_are_read_kindly_and_nonsense_is_not_scored():
    question = quiz.output_size(5, 3)
    assert question.check(" 3 ").right and question.check("3.0").right and question.check(3).right
    assert quiz.cell_value(conv.convolve(np.ones((3, 3)), np.full((3, 3), 1 / 27)), 0).check("1/3").right
    for nonsense in ("", "three", "1/0", "nan", "inf", "9" * 200):
        with pytest.raises(AnswerError):
            question.check(nonsense)
    shape = quiz.weight_shape(1, 6, 5)
    for typed in ("(6, 1, 5, 5)", "6x1x5x5", "6×1×5×5", "torch.Size([6, 1, 5, 5])", "6 1 5 5"):
        assert shape.check(typed).right, typed
    for nonsense in ("six", "(6, -1)", "()"):
        with pytest.raises(AnswerError):
            shape.check(nonsense)


def test_every_multiple_choice_question_has_one_answer_and_explains_every_wrong_one():
    assert {"conv-purpose", "pooling-type"} <= set(quiz.CHOICES)
    for question in quiz.CHOICES.values():
        assert sum(o.right for o in question.options) == 1
        for index, option in enumerate(question.options):
            feedback = question.check(index)
            assert feedback.right == option.right and option.why in feedback.explanation
            assert (feedback.misconception is None) == option.right
            assert question.check(option.text) == feedback
    with pytest.raises(AnswerError):
        quiz.CHOICES["conv-purpose"].check(9)


def test_questions_from_a_pages_settings():
    playground = state.decode("playground", {"pg_example": "RGB volume 5×5×3", "pg_padding": "1", "pg_stride": "2"})[0]
    size = quiz.make_question("output-size", "playground", playground)
    assert size.answer == 3 and size.prompt.startswith("Input 5×5, kernel 3×3, padding 1, stride 2")
    cell = quiz.make_question("cell-value", "playground", {**playground, "pg_step": 5, "pg_filter": 1})
    weight, bias = quiz.playground_filters(playground)
    full = F.conv2d(
        torch.tensor(quiz.playground_image(playground))[None], torch.tensor(weight), torch.tensor(bias), 2, 1
    )
    assert cell.answer == pytest.approx(float(full[0, 1, 1, 1]))
    assert quiz.make_question("output-size", "pooling", {}, {"size": 32, "kernel": 5}).answer == 28
    pool = quiz.make_question("pooled-value", "pooling", state.decode("pooling", {"pool_step": "4"})[0])
    assert pool.answer == 16
    arch = state.decode("architecture", {"arch_model": "lenet5", "arch_conv": "conv2"})[0]
    assert quiz.make_question("conv-parameters", "architecture", arch).answer == 16 * 6 * 25 + 16
    assert quiz.make_question("conv-purpose", "predict", {}) is quiz.CHOICES["conv-purpose"]


@pytest.mark.parametrize(
    "kind, page, args, message",
    [
        ("cell-value", "pooling", {}, "playground's settings"),
        ("conv-parameters", "playground", {}, "needs in_channels"),
        ("output-size", "playground", {"colour": 1}, "takes no 'colour'"),
        ("output-size", "playground", {"size": 2.5}, "whole number"),
        ("output-size", "playground", {"size": True}, "whole number"),
        ("conv-purpose", "playground", {"size": 3}, "takes no numbers"),
        ("guess", "playground", {}, "not a question kind"),
        ("output-size", "playground", {"size": 2, "kernel": 5}, "never fits"),
    ],
)
def test_questions_that_cannot_be_asked_say_why(kind, page, args, message):
    settings_ = state.defaults(page)
    with pytest.raises(ValueError, match=message):
        quiz.make_question(kind, page, settings_, args)


def test_an_upload_gives_no_numbers_in_advance():
    upload = {**state.defaults("playground"), "pg_source": "upload"}
    with pytest.raises(ValueError, match="uploaded picture"):
        quiz.make_question("output-size", "playground", upload)


@pytest.mark.parametrize("name", state.MODELS)
def test_the_conv_layer_table_matches_the_shipped_models(name):
    layers = dict(models.build_model(name).layers.named_children())
    for layer in state.CONV_LAYERS:
        expected = (layers[layer].in_channels, layers[layer].out_channels, layers[layer].kernel_size[0])
        assert quiz.CONV_LAYERS[name, layer] == expected
