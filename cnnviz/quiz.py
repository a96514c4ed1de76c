"""Quiz questions: predict a number from the current settings, or pick an answer, then see why.

A question checks an answer and says whether it is right, how to get there, and, for a common wrong
answer, which misconception it comes from (forgot the bias, forgot the padding, ceil instead of
floor, ...). The numbers come from cnnviz's own formulas and maths (``conv``, ``pooling``), which the
tests hold against PyTorch. Streamlit-free.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from cnnviz import conv, data, examples, kernels, pooling, state

TOLERANCE = 0.01  # typed answers are rounded; cell values are shown to 4 significant digits
MAX_ANSWER_CHARS = 100


class AnswerError(ValueError):
    """An answer that cannot be read as one (it neither counts as right nor as wrong)."""


@dataclass(frozen=True)
class Feedback:
    """The verdict on one answer: right or not, the worked explanation, and the misconception if known."""

    right: bool
    explanation: str
    misconception: str | None = None


@dataclass(frozen=True)
class Trap:
    """A common wrong answer and the misconception that leads to it."""

    value: Any  # a number or a shape (tuple of whole numbers)
    name: str
    why: str


@dataclass(frozen=True)
class NumberQuestion:
    """Predict a number (or a tensor shape) from the settings; the answer is checked, not just shown."""

    prompt: str
    answer: float | tuple[int, ...]
    working: str  # how the answer comes out, with the numbers filled in
    traps: tuple[Trap, ...] = ()

    @property
    def is_shape(self) -> bool:
        return isinstance(self.answer, tuple)

    def answer_text(self) -> str:
        """The answer as it is written: 3, 1.5 or (16, 3, 5, 5)."""
        return _shape_text(self.answer) if self.is_shape else conv.format_number(self.answer)

    def check(self, answer: str | float | Sequence[int]) -> Feedback:
        """Whether a typed answer is right; AnswerError when it is not a number (or a shape)."""
        value = read_shape(answer) if self.is_shape else read_number(answer)
        if _same(value, self.answer):
            return Feedback(True, f"Right: {self.answer_text()}. {self.working}")
        trap = next((t for t in self.traps if _same(value, t.value)), None)
        if trap is None:
            return Feedback(False, f"Not quite: the answer is {self.answer_text()}. {self.working}")
        return Feedback(False, f"Not quite: the answer is {self.answer_text()}. {trap.why} {self.working}", trap.name)


@dataclass(frozen=True)
class Option:
    """One answer of a multiple-choice question; a wrong one names its misconception and explains it."""

    text: str
    right: bool
    why: str
    misconception: str | None = None


@dataclass(frozen=True)
class ChoiceQuestion:
    """Pick one option; every option, right or wrong, comes with its explanation."""

    prompt: str
    options: tuple[Option, ...]

    def check(self, answer: int | str) -> Feedback:
        """The verdict on an option, given by its index or its text."""
        texts = [o.text for o in self.options]
        if isinstance(answer, str):
            if answer not in texts:
                raise AnswerError("Pick one of the options.")
            answer = texts.index(answer)
        if not 0 <= answer < len(self.options):
            raise AnswerError("Pick one of the options.")
        option = self.options[answer]
        right = next(o for o in self.options if o.right)
        if option.right:
            return Feedback(True, f"Right. {option.why}")
        return Feedback(
            False, f"Not quite. {option.why} The answer is: {right.text}. {right.why}", option.misconception
        )


Question = NumberQuestion | ChoiceQuestion


# --- reading answers ------------------------------------------------------------------------------
def read_number(answer: str | float) -> float:
    """A typed number (5, -2.5, 1/3); AnswerError in words otherwise."""
    if isinstance(answer, (int, float)) and not isinstance(answer, bool):
        value = float(answer)
    else:
        text = str(answer).strip().replace("−", "-").replace(",", ".")
        if len(text) > MAX_ANSWER_CHARS:
            raise AnswerError("That answer is too long; type one number.")
        value = _number(text)
    if not math.isfinite(value):
        raise AnswerError("Type one number, such as 5 or -2.5.")
    return value


def _number(text: str) -> float:
    """A decimal number or a fraction such as 1/3."""
    top, _, bottom = text.partition("/")
    try:
        return float(top) / float(bottom) if bottom else float(top)
    except (ValueError, ZeroDivisionError):
        raise AnswerError(f"{text[:20]!r} is not a number; type one number such as 5, -2.5 or 1/3.") from None


_SHAPE_SEPARATORS = re.compile(r"[\s,x×*]+")
_SHAPE_WRAPPING = re.compile(r"^\s*(torch\.Size)?\s*[(\[]*|[)\]]*\s*$")


def read_shape(answer: str | Sequence[int]) -> tuple[int, ...]:
    """A typed tensor shape: '(16, 3, 5, 5)', '16x3x5x5', '[16]' or '16'; AnswerError otherwise."""
    if not isinstance(answer, str):
        return tuple(int(v) for v in answer)
    if len(answer) > MAX_ANSWER_CHARS:
        raise AnswerError("That answer is too long; type a shape such as (16, 3, 5, 5).")
    parts = [p for p in _SHAPE_SEPARATORS.split(_SHAPE_WRAPPING.sub("", answer)) if p]
    if not parts or not all(p.isdigit() for p in parts):
        raise AnswerError("Type a shape as whole numbers, such as (16, 3, 5, 5) or 16x3x5x5.")
    return tuple(int(p) for p in parts)


def _same(value: Any, expected: Any) -> bool:
    if isinstance(expected, tuple) or isinstance(value, tuple):
        return tuple(value) == tuple(expected)
    return abs(float(value) - float(expected)) <= TOLERANCE + 1e-9 * abs(float(expected))


def _shape_text(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def _traps(answer: Any, *candidates: tuple[Any, str, str]) -> tuple[Trap, ...]:
    """The traps that differ from the answer and from each other (the first misconception wins)."""
    kept: list[Trap] = []
    for value, name, why in candidates:
        if value is None or _same(value, answer) or any(_same(value, t.value) for t in kept):
            continue
        kept.append(Trap(value, name, why))
    return tuple(kept)


# --- predict-then-reveal numbers ------------------------------------------------------------------
def output_size(size: int, kernel: int, padding: int = 0, stride: int = 1, dilation: int = 1) -> NumberQuestion:
    """The output side of a convolution; ValueError (in words) when no window fits."""
    answer = conv.conv_output_size(size, kernel, stride, padding, dilation)
    span = dilation * (kernel - 1)

    def formula(w: int, p2: int, d: int, s: int, rounding=math.floor, plus: int = 1) -> int:
        return rounding((w + p2 - d * (kernel - 1) - 1) / s) + plus

    working = (
        f"⌊(W + 2P − D·(K−1) − 1) / S⌋ + 1 = ⌊({size} + 2·{padding} − {dilation}·{kernel - 1} − 1) / {stride}⌋ + 1"
        f" = {answer}."
    )
    traps = _traps(
        answer,
        (
            formula(size, 0, dilation, stride) if padding else None,
            "forgot the padding",
            f"Padding adds {padding} on both sides: 2P = {2 * padding} extra pixels.",
        ),
        (
            formula(size, padding, dilation, stride) if padding else None,
            "padding on one side only",
            "Padding goes on both sides, so it counts twice: 2P.",
        ),
        (
            formula(size, 2 * padding, dilation, stride, math.ceil),
            "ceil instead of floor",
            "A window that would stick out past the edge is not used: round down.",
        ),
        (
            formula(size, 2 * padding, 1, stride) if dilation > 1 else None,
            "forgot the dilation",
            f"Dilation {dilation} spreads the kernel's taps: it spans D·(K−1)+1 = {span + 1} pixels, not {kernel}.",
        ),
        (
            formula(size, 2 * padding, dilation, stride * stride) if stride > 1 else None,
            "stride applied twice",
            f"Divide by the stride once: the window moves {stride} pixels per step.",
        ),
        (
            formula(size, 2 * padding, dilation, 1) if stride > 1 else None,
            "forgot the stride",
            f"With stride {stride} the window skips {stride - 1} position(s) each time.",
        ),
        (
            formula(size, 2 * padding, dilation, stride, plus=0),
            "forgot the +1",
            "The +1 counts the window's first position.",
        ),
    )
    return NumberQuestion(
        f"Input {size}×{size}, kernel {kernel}×{kernel}, padding {padding}, stride {stride}, dilation {dilation}: "
        "how wide is the output?",
        answer,
        working,
        traps,
    )


def conv_parameters(in_channels: int, out_channels: int, kernel: int) -> NumberQuestion:
    """How many numbers nn.Conv2d(in, out, k) learns, bias included."""
    weights = out_channels * in_channels * kernel * kernel
    answer = weights + out_channels
    working = (
        f"Each of the {out_channels} filters has {in_channels}×{kernel}×{kernel} = {in_channels * kernel * kernel} "
        f"weights and one bias: {out_channels}·{in_channels * kernel * kernel} + {out_channels} = {answer}."
    )
    traps = _traps(
        answer,
        (weights, "forgot the bias", f"Every filter also learns one bias: add {out_channels}."),
        (
            out_channels * kernel * kernel + out_channels,
            "forgot the input channels",
            f"A filter has one {kernel}×{kernel} slice per input channel ({in_channels}).",
        ),
        (2 * weights, "one bias per weight", "There is one bias per filter, not one per weight."),
        (weights + in_channels, "one bias per input channel", "There is one bias per filter (output channel)."),
        (
            out_channels * in_channels * kernel + out_channels,
            "kernel counted as K, not K×K",
            f"A {kernel}×{kernel} kernel has {kernel * kernel} weights.",
        ),
    )
    return NumberQuestion(
        f"How many parameters does nn.Conv2d({in_channels}, {out_channels}, {kernel}) learn, bias included?",
        answer,
        working,
        traps,
    )


def weight_shape(in_channels: int, out_channels: int, kernel: int) -> NumberQuestion:
    """The shape of nn.Conv2d(in, out, k).weight: (out, in, k, k)."""
    answer = (out_channels, in_channels, kernel, kernel)
    working = "PyTorch stores conv weights as (out_channels, in_channels, kernel height, kernel width)."
    traps = _traps(
        answer,
        (
            (in_channels, out_channels, kernel, kernel),
            "in and out swapped",
            "The filters (output channels) come first, then the input channels each filter reads.",
        ),
        (
            (out_channels, kernel, kernel),
            "forgot the input channels",
            f"Each filter has a {kernel}×{kernel} slice for every input channel.",
        ),
        (
            (kernel, kernel, in_channels, out_channels),
            "channels last (TensorFlow's order)",
            "That is TensorFlow/Keras's order; PyTorch puts the channels first.",
        ),
        ((kernel, kernel), "one kernel for the whole layer", "Every filter has its own kernels."),
    )
    return NumberQuestion(
        f"What is the shape of nn.Conv2d({in_channels}, {out_channels}, {kernel}).weight?", answer, working, traps
    )


def bias_shape(in_channels: int, out_channels: int, kernel: int) -> NumberQuestion:
    """The shape of nn.Conv2d(in, out, k).bias: one number per filter."""
    answer = (out_channels,)
    traps = _traps(
        answer,
        ((in_channels,), "one bias per input channel", "The bias belongs to a filter, whose sum covers all channels."),
        (
            (out_channels, in_channels),
            "one bias per kernel slice",
            "The slices' sums are added first; the filter then adds one bias.",
        ),
        ((out_channels, in_channels, kernel, kernel), "one bias per weight", "There is one bias per filter."),
        ((1,), "a single bias for the layer", "Each filter learns its own bias."),
    )
    return NumberQuestion(
        f"What is the shape of nn.Conv2d({in_channels}, {out_channels}, {kernel}).bias?",
        answer,
        f"One bias per filter: {out_channels} filters.",
        traps,
    )


def cell_value(result: conv.Convolution, position: int, filter: int = 0) -> NumberQuestion:
    """One output cell of a convolution: the sum of products over every channel, plus the bias."""
    win = conv.window(result, position, filter)
    channels = win.patch.shape[0]
    flipped = float((win.patch * win.kernel[:, ::-1, ::-1]).sum() + win.bias)
    sums = " + ".join(conv.format_number(v) for v in win.channel_sums)
    working = (
        "Multiply each input value under the window by its kernel weight and add them up"
        + (f" over all {channels} channels ({sums})" if channels > 1 else f" ({sums})")
        + f", then add the bias {conv.format_number(win.bias)}: {conv.format_number(win.value)}."
    )
    traps = _traps(
        win.value,
        (
            win.value - win.bias if win.bias else None,
            "forgot the bias",
            f"After the sum, the filter adds its bias ({conv.format_number(win.bias)}).",
        ),
        (
            float(win.channel_sums[0] + win.bias) if channels > 1 else None,
            "summed one channel only",
            f"A filter reads all {channels} channels and adds their sums into one cell.",
        ),
        (
            win.value + (channels - 1) * win.bias if channels > 1 and win.bias else None,
            "a bias per channel",
            "The bias is added once per filter, not once per channel.",
        ),
        (
            flipped,
            "flipped the kernel",
            "CNNs (and PyTorch) slide the kernel as it is written (cross-correlation), without flipping it.",
        ),
    )
    return NumberQuestion(
        f"What number goes into output cell (row {win.row}, column {win.col})"
        + (f" of filter {filter}" if result.weight.shape[0] > 1 else "")
        + "?",
        win.value,
        working,
        traps,
    )


def pooled_value(result: pooling.PoolResult, position: int) -> NumberQuestion:
    """One output cell of max or average pooling."""
    win = result.windows[position]
    real = win.values[~np.isnan(win.values)]
    zeros = np.nan_to_num(win.values, nan=0.0)
    is_max = result.mode == "max"
    traps = _traps(
        win.value,
        (float(real.mean()) if is_max else None, "average instead of max", "Max pooling keeps the largest value."),
        (
            float(real.max()) if not is_max else None,
            "max instead of average",
            "Average pooling keeps the mean of the window.",
        ),
        (float(zeros.sum()) if not is_max else None, "sum, not divided", f"Divide the sum by {win.values.size}."),
        (
            float(real.mean()) if not is_max else None,
            "padding left out of the average",
            f"PyTorch counts padding as zeros and divides by the full window ({win.values.size} cells).",
        ),
        (
            float(real.min()),
            "minimum instead of maximum" if is_max else "minimum instead of mean",
            "Pooling keeps the largest value (max) or the mean (average), never the smallest.",
        ),
        (float(zeros[0, 0]), "took the first value", "Pooling looks at every value in the window."),
    )
    return NumberQuestion(
        f"{'Max' if is_max else 'Average'} pooling, {result.kernel}×{result.kernel} window, stride {result.stride}: "
        f"what is output cell (row {win.out_row}, column {win.out_col})?",
        win.value,
        f"{win.explain(result.mode)}.",
        traps,
    )


# --- questions from a page's settings -------------------------------------------------------------
# (in_channels, out_channels, kernel) of the shipped models' conv layers; tests hold them to the models.
CONV_LAYERS = {
    ("simplecnn", "conv1"): (1, 32, 3),
    ("simplecnn", "conv2"): (32, 64, 3),
    ("lenet5", "conv1"): (1, 6, 5),
    ("lenet5", "conv2"): (6, 16, 5),
}
POOLING_DIGIT = 70  # the pooling page's handwritten 7
LIMITS = {"size": (1, 512), "kernel": (1, 15), "padding": (0, 20), "stride": (1, 10), "dilation": (1, 8)}
LIMITS.update({"in_channels": (1, 2048), "out_channels": (1, 2048)})


def playground_image(settings: Mapping[str, Any]) -> np.ndarray:
    """The playground's input for its settings ((H, W) or (3, H, W)); ValueError for an upload."""
    if settings["pg_source"] == "example":
        return examples.SEEDS[settings["pg_example"]].image
    if settings["pg_source"] == "digit":
        return data.sample_digits()[0][settings["pg_digit"]].astype(np.float64)
    raise ValueError("an uploaded picture is not known in advance; pick an example or a sample digit")


def playground_filters(settings: Mapping[str, Any]) -> tuple[np.ndarray, Any]:
    """The playground's weights and bias: its kernel for grey inputs, its default filters for colour ones."""
    if playground_image(settings).ndim == 3:
        return examples.rgb_bank(examples.DEFAULT_RGB_FILTERS)
    name = settings["pg_kernel"]
    weight = (
        kernels.parse_kernel(settings["pg_weights"]) if name == state.CUSTOM_KERNEL else kernels.PRESETS[name].values
    )
    return weight, settings["pg_bias"]


def playground_convolution(settings: Mapping[str, Any]) -> conv.Convolution:
    """The convolution the playground shows for these settings."""
    weight, bias = playground_filters(settings)
    return conv.convolve(
        playground_image(settings),
        weight,
        bias,
        stride=settings["pg_stride"],
        padding=settings["pg_padding"],
        dilation=settings["pg_dilation"],
        padding_mode=settings["pg_mode"],
    )


def _pooling_result(settings: Mapping[str, Any]) -> pooling.PoolResult:
    source = settings["pool_source"]
    if source == "random":
        image = pooling.random_map(settings["pool_size"], settings["pool_seed"])
    elif source == "digit":
        image = data.sample_digits()[0][POOLING_DIGIT].astype(float)
    else:
        image = pooling.classic_example()
    return pooling.pool2d(
        image, settings["pool_kernel"], settings["pool_stride"], settings["pool_padding"], settings["pool_mode"]
    )


def _conv_numbers(page: str, settings: Mapping[str, Any], args: Mapping[str, int]) -> dict[str, int]:
    """Size, kernel, padding, stride, dilation: from the playground's settings, then the given args."""
    numbers: dict[str, int] = {}
    if page == "playground":
        numbers = {
            "size": playground_image(settings).shape[-1] if "size" not in args else None,
            "kernel": playground_filters(settings)[0].shape[-1] if "kernel" not in args else None,
            "padding": settings["pg_padding"],
            "stride": settings["pg_stride"],
            "dilation": settings["pg_dilation"],
        }
    numbers.update(args)
    missing = [name for name in ("size", "kernel") if numbers.get(name) is None]
    if missing:
        raise ValueError(f"it needs {' and '.join(missing)} (give them, or put it on a playground step)")
    return {"padding": 0, "stride": 1, "dilation": 1, **numbers}


def _layer_numbers(page: str, settings: Mapping[str, Any], args: Mapping[str, int]) -> tuple[int, int, int]:
    """(in, out, kernel) from the architecture page's model and conv layer, then the given args."""
    numbers: dict[str, int] = {}
    if page == "architecture":
        numbers = dict(
            zip(("in_channels", "out_channels", "kernel"), CONV_LAYERS[settings["arch_model"], settings["arch_conv"]])
        )
    numbers.update(args)
    missing = [n for n in ("in_channels", "out_channels", "kernel") if n not in numbers]
    if missing:
        raise ValueError(f"it needs {', '.join(missing)} (give them, or put it on an architecture step)")
    return numbers["in_channels"], numbers["out_channels"], numbers["kernel"]


def _from_playground(page: str, settings: Mapping[str, Any]) -> conv.Convolution:
    if page != "playground":
        raise ValueError("it reads the playground's settings; put it on a playground step")
    return playground_convolution(settings)


NUMBER_KINDS = {
    "output-size": lambda page, s, a: output_size(**_conv_numbers(page, s, a)),
    "conv-parameters": lambda page, s, a: conv_parameters(*_layer_numbers(page, s, a)),
    "weight-shape": lambda page, s, a: weight_shape(*_layer_numbers(page, s, a)),
    "bias-shape": lambda page, s, a: bias_shape(*_layer_numbers(page, s, a)),
    "cell-value": lambda page, s, a: _cell_from(page, s),
    "pooled-value": lambda page, s, a: _pooled_from(page, s),
}
ARGS = {
    "output-size": ("size", "kernel", "padding", "stride", "dilation"),
    "conv-parameters": ("in_channels", "out_channels", "kernel"),
    "weight-shape": ("in_channels", "out_channels", "kernel"),
    "bias-shape": ("in_channels", "out_channels", "kernel"),
    "cell-value": (),
    "pooled-value": (),
}


def _cell_from(page: str, settings: Mapping[str, Any]) -> NumberQuestion:
    result = _from_playground(page, settings)
    position = min(settings["pg_step"], result.positions) - 1
    question = cell_value(result, position, min(settings["pg_filter"], result.weight.shape[0] - 1))
    return replace(question, prompt=f"{_playground_setup(settings)}: {question.prompt[0].lower()}{question.prompt[1:]}")


def _playground_setup(settings: Mapping[str, Any]) -> str:
    """The playground's settings in words, so a question makes sense away from the page."""
    if settings["pg_source"] == "digit":
        source = f"MNIST digit #{settings['pg_digit']}"
    else:
        source = settings["pg_example"]
    colour = playground_image(settings).ndim == 3
    kernel = "the playground's three colour filters" if colour else f"kernel {settings['pg_kernel']}"
    bias = "" if colour else f", bias {conv.format_number(settings['pg_bias'])}"
    return (
        f"{source}, {kernel}, padding {settings['pg_padding']}, stride {settings['pg_stride']}, "
        f"dilation {settings['pg_dilation']}{bias}"
    )


def _pooled_from(page: str, settings: Mapping[str, Any]) -> NumberQuestion:
    if page != "pooling":
        raise ValueError("it reads the pooling page's settings; put it on a pooling step")
    result = _pooling_result(settings)
    question = pooled_value(result, min(settings["pool_step"], len(result.windows)) - 1)
    source = {"classic": "The classic 4×4 map 1…16", "random": "The random map", "digit": "The handwritten 7"}
    return replace(question, prompt=f"{source[settings['pool_source']]}, padding {result.padding}. {question.prompt}")


def make_question(kind: str, page: str, settings: Mapping[str, Any], args: Mapping[str, Any] | None = None) -> Question:
    """A question of a kind (a number kind, or a multiple-choice id) for a step's page and settings.

    ValueError says why it cannot be made: an unknown kind or argument, a number out of range, or
    settings that give no answer (a window that never fits).
    """
    args = dict(args or {})
    if kind in CHOICES:
        if args:
            raise ValueError(f"the multiple-choice question {kind!r} takes no numbers")
        return CHOICES[kind]
    if kind not in NUMBER_KINDS:
        raise ValueError(f"{kind!r} is not a question kind; kinds are {', '.join([*NUMBER_KINDS, *CHOICES])}")
    for name, value in args.items():
        if name not in ARGS[kind]:
            allowed = ", ".join(ARGS[kind]) or "none"
            raise ValueError(f"{kind!r} takes no {name!r} (it takes: {allowed})")
        low, high = LIMITS[name]
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"{name} must be a whole number from {low} to {high} (got {value!r})")
    return NUMBER_KINDS[kind](page, settings, args)


# --- multiple choice --------------------------------------------------------------------------------
def _choice(prompt: str, *options: Option) -> ChoiceQuestion:
    return ChoiceQuestion(prompt, options)


CHOICES: dict[str, ChoiceQuestion] = {
    "conv-purpose": _choice(
        "What is the primary function of a convolutional layer in a CNN?",
        Option(
            "To reduce the size of the feature maps",
            False,
            "That is what pooling (or a stride) does; a convolution with padding can keep the size.",
            "confuses convolution with pooling",
        ),
        Option(
            "To detect local features such as edges and textures, by sliding learned filters over the input",
            True,
            "Each filter is a small pattern detector used at every position, so a feature is found wherever it is.",
        ),
        Option(
            "To decide which class the image belongs to",
            False,
            "The fully connected layers at the end combine the features into class scores.",
            "confuses convolution with the classifier",
        ),
        Option(
            "To make the network non-linear",
            False,
            "That is the activation (ReLU) after the convolution; a convolution alone is linear.",
            "confuses convolution with the activation",
        ),
    ),
    "pooling-type": _choice(
        "Which of these is a common type of pooling operation?",
        Option(
            "Dropout", False, "Dropout switches neurons off at random while training.", "a regulariser, not pooling"
        ),
        Option("Softmax", False, "Softmax turns the final scores into probabilities.", "an output function"),
        Option(
            "Max pooling",
            True,
            "It keeps the largest value in each window; average pooling, the mean, is the other common one.",
        ),
        Option(
            "Batch normalisation",
            False,
            "Batch normalisation rescales activations; it keeps the size of the map.",
            "a normalisation, not pooling",
        ),
    ),
    "padding-purpose": _choice(
        "Why do we add zero padding around the input?",
        Option(
            "To keep the output as large as the input and let border pixels be seen as often as others",
            True,
            "Without padding every 3×3 convolution shrinks the map by 2, and edge pixels fall under fewer windows.",
        ),
        Option(
            "To give the layer more weights to learn",
            False,
            "Padding adds input values (zeros), never weights: the parameter count stays the same.",
            "padding adds weights",
        ),
        Option(
            "To make the output smaller",
            False,
            "Padding makes the output larger (or keeps it the same); stride and pooling make it smaller.",
            "forgot what padding does to the size",
        ),
    ),
    "dilation-effect": _choice(
        "What does dilation 2 do to a 3×3 kernel?",
        Option(
            "It moves the kernel 2 pixels at a time",
            False,
            "That is stride 2: how far the window moves, not how its taps are spaced.",
            "confuses dilation with stride",
        ),
        Option(
            "It spreads the 9 taps one pixel apart, so the kernel covers 5×5 with the same 9 weights",
            True,
            "A dilated kernel sees a wider area at no extra cost: its span is D·(K−1)+1 = 5.",
        ),
        Option(
            "It becomes a 5×5 kernel with 25 weights",
            False,
            "The number of weights stays 9; only the gaps between them grow.",
            "dilation adds weights",
        ),
        Option(
            "It adds a ring of zeros around the input",
            False,
            "That is padding.",
            "confuses dilation with padding",
        ),
    ),
    "rgb-cell": _choice(
        "An RGB image goes through one 3×3 filter. How is one output cell made?",
        Option(
            "Each channel makes its own output cell",
            False,
            "One filter gives one output map: its three channel sums are added together.",
            "one output per channel",
        ),
        Option(
            "Multiply-and-sum over the 3×3 window of all three channels, then add one bias",
            True,
            "The filter is 3×3×3: 27 products added up, plus the filter's single bias.",
        ),
        Option(
            "Multiply-and-sum each channel and add a bias to each, then average",
            False,
            "The channel sums are added, not averaged, and the bias is added once.",
            "a bias per channel",
        ),
    ),
    "conv-vs-dense": _choice(
        "Why does a convolutional layer need far fewer weights than a fully connected layer on the same image?",
        Option(
            "Because it has no bias",
            False,
            "A convolutional layer has a bias per filter; that is a handful of numbers either way.",
            "forgot the bias",
        ),
        Option(
            "Because each filter is small and the same weights are reused at every position",
            True,
            "Weight sharing: a 5×5 filter has 25 weights whatever the image size; a dense layer needs one per pixel "
            "per neuron.",
        ),
        Option(
            "Because pooling removes most of the weights",
            False,
            "Pooling has no weights at all; it shrinks the maps the next layers see.",
            "pooling removes weights",
        ),
    ),
    "training-loss": _choice(
        "While a CNN trains, what should the training loss do?",
        Option(
            "Fall, with some noise from batch to batch",
            True,
            "Each step nudges the weights downhill on the loss; different batches make the curve wobble.",
        ),
        Option(
            "Rise, because the network learns more and more",
            False,
            "The loss measures the mistakes; learning makes it smaller.",
            "loss as a score",
        ),
        Option(
            "Fall smoothly to exactly zero",
            False,
            "Batches make it noisy, and a training loss of zero usually means the network memorised the data.",
            "expects a perfect curve",
        ),
    ),
    "transposed-purpose": _choice(
        "What does a transposed convolution with stride 2 usually do?",
        Option(
            "It undoes a convolution exactly",
            False,
            "It reverses the shape change, not the values: its own weights are learned.",
            "transposed means inverse",
        ),
        Option(
            "It upsamples: the height and width roughly double",
            True,
            "Each input cell paints a copy of the kernel into the output, stride cells apart; overlaps add up.",
        ),
        Option(
            "It halves the height and width",
            False,
            "That is an ordinary convolution with stride 2; the transposed one goes the other way.",
            "confuses it with a strided convolution",
        ),
    ),
}
