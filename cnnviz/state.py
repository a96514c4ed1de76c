"""Page settings <-> URL query parameters: the public link format, validated, with defaults.

Every setting a page shows is a field here, named like its widget key (page-prefixed), so a view
can be written into a link and read back. ``decode`` never raises: a bad value falls back to its
default and is named in the problems, and the rest of the link still applies. Streamlit-free.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from cnnviz import conv, examples, kernels, pooling
from cnnviz import transposed_settings as tc

MAX_VALUE_CHARS = 200  # longer than any valid setting (a 7×7 typed kernel included)
# Parameters every page shares (lessons, projector mode, class links): never "unknown".
GLOBAL_PARAMS = ("show", "present", "lesson", "step")


@dataclass(frozen=True)
class Field:
    """One setting: its URL name, default, and what values it may take.

    ``kind`` is int, float, str or bool. Numbers have an inclusive ``low``..``high`` range;
    strings either a fixed tuple of ``choices`` or a ``check`` that raises ValueError with the reason.
    """

    name: str
    kind: type
    default: Any
    low: float | None = None
    high: float | None = None
    choices: tuple | None = None
    check: Callable[[str], object] | None = None

    def parse(self, text: str, choices: Sequence | None = None) -> Any:
        """The value a URL string stands for; ValueError says why it cannot be used."""
        if len(text) > MAX_VALUE_CHARS:
            raise ValueError(f"{len(text)} characters is too long")
        value = _PARSERS[self.kind](text.strip())
        return self.validate(value, choices)

    def validate(self, value: Any, choices: Sequence | None = None, check: bool = True) -> Any:
        """The value itself when allowed here (choices may be narrowed at run time).

        ``check=False`` skips the content rule (a typed kernel that does not parse), which a page
        explains in place instead of throwing the user's typing away.
        """
        if self.kind in (int, float):
            if self.low is not None and value < self.low or self.high is not None and value > self.high:
                raise ValueError(f"{value} is outside {_number(self.low)}..{_number(self.high)}")
        allowed = self.choices if choices is None else tuple(choices)
        if allowed is not None and value not in allowed:
            raise ValueError(f"{_quote(str(value))} is not one of {', '.join(map(str, allowed[:8]))}")
        if check and self.check is not None:
            self.check(value)
        return value

    def format(self, value: Any) -> str:
        """The URL string for a value."""
        if self.kind is bool:
            return "1" if value else "0"
        if self.kind is float:
            return _number(value)
        return str(value)


def _number(value: float | None) -> str:
    """Shortest exact text of a number: 2 for 2.0, 0.1 for 0.1."""
    if value is None:
        return "any"
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def _parse_int(text: str) -> int:
    value = _parse_float(text)
    if not value.is_integer():
        raise ValueError(f"{_quote(text)} is not a whole number")
    return int(value)


def _parse_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{_quote(text)} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{_quote(text)} is not a finite number")
    return value


def _parse_bool(text: str) -> bool:
    if text.lower() in ("1", "true", "yes", "on"):
        return True
    if text.lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{_quote(text)} is not 1 or 0")


_PARSERS: dict[type, Callable[[str], Any]] = {int: _parse_int, float: _parse_float, str: str, bool: _parse_bool}


def _kernel_text(text: str) -> None:
    """A typed kernel must parse: the playground's own rules."""
    try:
        kernels.parse_kernel(text)
    except kernels.KernelError as exc:
        raise ValueError(str(exc).rstrip(".")) from exc


CUSTOM_KERNEL = "custom"
SAMPLE_DIGITS = 100  # shipped sample digits (assets/sample_digits.npz)
SAMPLES_PER_CLASS = 10
MODELS = ("simplecnn", "lenet5")  # shipped; a session's own models are added at run time
SPATIAL_LAYERS = ("conv1", "bn1", "relu1", "pool1", "conv2", "bn2", "relu2", "pool2")
CONV_LAYERS = ("conv1", "conv2")
POOL_LAYERS = ("pool1", "pool2")
PLAYGROUND_SOURCES = ("example", "digit", "upload")
FM_SOURCES = ("sample", "test", "upload")
FM_VIEWS = ("layers", "channel", "filters", "pooling", "position", "scores")
PREDICT_SOURCES = ("draw", "upload", "sample")
EXPLANATIONS = ("occlusion", "gradient_input")  # cnnviz.explain.EXPLANATIONS, in its order (tested)
PLAY_SPEEDS = (2.0, 1.0, 0.7, 0.4, 0.2, 0.1)  # playground's Play: seconds per window step
TRAIN_SIZES = (500, 1000, 2000, 5000, 10000, 20000, 60000)
BATCH_SIZES = (16, 32, 64, 128, 256, 512)


def _int(name: str, default: int, low: int, high: int) -> Field:
    return Field(name, int, default, low, high)


def _choice(name: str, choices: Sequence, default: Any = None) -> Field:
    choices = tuple(choices)
    return Field(name, type(choices[0]), choices[0] if default is None else default, choices=choices)


PAGES: dict[str, tuple[Field, ...]] = {
    "home": (),
    "playground": (
        _choice("pg_source", PLAYGROUND_SOURCES),
        _choice("pg_example", examples.SEEDS),
        _int("pg_digit", 0, 0, SAMPLE_DIGITS - 1),
        _int("pg_side", 28, 8, examples.MAX_GRID_SIDE),
        Field("pg_colour", bool, False),
        _choice("pg_kernel", (*kernels.PRESETS, CUSTOM_KERNEL)),
        Field("pg_weights", str, "1 0 -1\n2 0 -2\n1 0 -1", check=_kernel_text),
        _int("pg_padding", 0, 0, 10),
        _choice("pg_mode", conv.PADDING_MODES),
        _int("pg_stride", 1, 1, 6),
        _int("pg_dilation", 1, 1, 4),
        Field("pg_bias", float, 0.0, -1000.0, 1000.0),
        _int("pg_filter", 0, 0, 15),
        _choice("pg_speed", PLAY_SPEEDS, 0.7),
        Field("pg_guess", bool, False),
        _int("pg_step", 1, 1, 100_000),
    ),
    "pooling": (
        _choice("pool_source", ("classic", "random", "digit")),
        _int("pool_size", 6, 2, 12),
        _int("pool_seed", 0, 0, 9999),
        _choice("pool_mode", pooling.MODES),
        _int("pool_kernel", 2, 1, 8),
        _int("pool_stride", 2, 1, 8),
        _int("pool_padding", 0, 0, 4),
        _int("pool_step", 1, 1, 10_000),
    ),
    "transposed": (
        _choice("tc_input", tc.INPUTS),
        _int("tc_size", 4, 2, 6),
        _int("tc_seed", 0, 0, 99),
        _int("tc_digit", 0, 0, SAMPLE_DIGITS - 1),
        _choice("tc_kernel", tc.KERNEL_NAMES),
        Field("tc_kernel_text", str, "1 2\n3 4", check=_kernel_text),
        _int("tc_stride", 1, 1, 4),
        _int("tc_padding", 0, 0, 4),
        _int("tc_output_padding", 0, 0, 3),
        _int("tc_dilation", 1, 1, 3),
        _choice("tc_view", tc.VIEWS),
        _int("tc_scatter_step", 1, 1, 100_000),
        _int("tc_conv_step", 1, 1, 100_000),
        Field("tc_chain_fix", bool, False),
    ),
    "architecture": (
        _choice("arch_model", MODELS),
        _choice("arch_conv", CONV_LAYERS),
    ),
    "feature-maps": (
        _choice("fm_model", MODELS),
        _choice("fm_source", FM_SOURCES),
        _int("fm_digit", 0, 0, 9),
        _int("fm_sample", 1, 1, SAMPLES_PER_CLASS),
        _int("fm_index", 0, 0, 9999),
        _int("fm_dx", 0, -8, 8),
        _int("fm_dy", 0, -8, 8),
        Field("fm_rot", int, 0, -60, 60, check=lambda v: _multiple_of(v, 5)),
        _choice("fm_view", FM_VIEWS),
        _choice("fm_layer", SPATIAL_LAYERS),
        _int("fm_channel", 0, 0, 511),
        _choice("fm_filter_layer", CONV_LAYERS),
        _choice("fm_pool_layer", POOL_LAYERS),
        _int("fm_pool_channel", 0, 0, 511),
    ),
    "train": (
        _choice("train_model", ("lenet5", "simplecnn", "cifarcnn")),
        _choice("train_dataset", ("mnist", "fashion", "cifar10")),
        _choice("train_optimizer", ("adam", "sgd")),
        Field("train_lr", float, 0.003, 0.0, 10.0),
        _choice("train_batch", BATCH_SIZES, 64),
        _int("train_epochs", 2, 1, 20),
        _choice("train_size", TRAIN_SIZES, 5000),
        _int("train_seed", 0, 0, 2**31 - 1),
        _choice("train_device", ("auto", "cuda", "mps", "cpu")),
        Field("train_slow", bool, False),
    ),
    "predict": (
        _choice("pred_source", PREDICT_SOURCES),
        _int("pred_pen", 22, 5, 50),
        _int("pred_sample", 0, 0, SAMPLE_DIGITS - 1),
        _choice("pred_method", EXPLANATIONS),
    ),
}


def _multiple_of(value: int, step: int) -> None:
    if value % step:
        raise ValueError(f"{value} is not a multiple of {step}")


def fields(page: str) -> tuple[Field, ...]:
    """Every setting of a page (the page file's stem), in the order its controls appear."""
    if page not in PAGES:
        raise KeyError(f"No page {page!r}; pages are {', '.join(PAGES)}.")
    return PAGES[page]


def defaults(page: str) -> dict[str, Any]:
    """The settings a page opens with when a link says nothing."""
    return {f.name: f.default for f in fields(page)}


def encode(page: str, settings: Mapping[str, Any]) -> dict[str, str]:
    """URL parameters for the settings that differ from the defaults (short, readable links)."""
    return {f.name: f.format(settings[f.name]) for f in fields(page) if settings.get(f.name, f.default) != f.default}


def decode(
    page: str, params: Mapping[str, str | Sequence[str]], choices: Mapping[str, Sequence] | None = None
) -> tuple[dict[str, Any], list[str]]:
    """Settings from URL parameters: each bad or unknown one is named and left at its default.

    ``choices`` narrows or widens a field's allowed values at run time (the models of this
    session, the layers of the chosen model). Repeated parameters use the last value.
    """
    choices = choices or {}
    settings, problems = defaults(page), []
    for name, allowed in choices.items():  # a default this run does not offer: its first option
        if allowed and settings.get(name) not in allowed:
            settings[name] = allowed[0]
    known = {f.name: f for f in fields(page)}
    for name, raw in params.items():
        text = raw if isinstance(raw, str) else (raw[-1] if raw else "")
        if name in GLOBAL_PARAMS:
            continue
        if name not in known:
            problems.append(f"The link's setting {_quote(name)} is not one of this page's; it was ignored.")
            continue
        try:
            settings[name] = known[name].parse(text, choices.get(name))
        except (ValueError, OverflowError) as exc:
            default = known[name].format(settings[name])
            problems.append(f"The link's {name}={_quote(text)} cannot be used ({exc}); it is {default} instead.")
    return settings, problems


def link(base: str, page: str, settings: Mapping[str, Any], show: Sequence[str] | None = None) -> str:
    """The full link to a view; with ``show``, a class link that shows only those controls."""
    params = encode(page, settings)
    if show is not None:
        params["show"] = ",".join(show)
    return f"{base}?{urlencode(params)}" if params else base


def title(name: str) -> str:
    """A field's name for people: 'pg_padding' -> 'padding'."""
    return name.split("_", 1)[-1].replace("_", " ")


def _quote(text: str, limit: int = 40) -> str:
    """User text shortened for a message (links can carry anything)."""
    text = text if len(text) <= limit else text[:limit] + "…"
    return repr(text)
