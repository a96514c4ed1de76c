"""Why a model voted as it did: explanation maps over its input, and a test of whether a map is true.

A map is only worth showing if it points at the ink the model really uses. ``faithfulness`` checks
that by deletion: set the map's top-ranked ink pixels to background and the probability of the
predicted class must fall further than when as many random ink pixels are removed. |gradient|
saliency (SmoothGrad) and Grad-CAM failed this on the shipped models (Grad-CAM did worse than
random, lighting empty corners and borders), so the page offers the two maps below, which pass.
"""

from __future__ import annotations

import copy
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from cnnviz.data import to_model_input
from cnnviz.models import LayeredCNN, device_of, evaluating
from cnnviz.predict import model_input

PATCH = 4
STRIDE = 2
FRACTION = 0.1
RANDOM_DRAWS = 16
MIN_WIN_RATE = 0.8

Explainer = Callable[[np.ndarray, LayeredCNN, int], np.ndarray]


def _windows(shape: tuple[int, int], patch: int, stride: int) -> torch.Tensor:
    """Boolean masks (P, H, W) of every patch position, padded so each pixel is under (patch/stride)^2 of them."""
    h, w = shape
    pad = patch - stride
    tops = torch.arange(-pad, h, stride)
    lefts = torch.arange(-pad, w, stride)
    rows = (torch.arange(h) >= tops[:, None]) & (torch.arange(h) < tops[:, None] + patch)
    cols = (torch.arange(w) >= lefts[:, None]) & (torch.arange(w) < lefts[:, None] + patch)
    return (rows[:, None, :, None] & cols[None, :, None, :]).reshape(-1, h, w)


@torch.no_grad()
def occlusion(
    digit: np.ndarray, model: LayeredCNN, target: int, patch: int = PATCH, stride: int = STRIDE
) -> np.ndarray:
    """How far the target's probability falls when a black patch covers each spot (0..1, at input size).

    The patch slides like a convolution window; positions that cover no ink change nothing and are
    skipped, the others run as one batch. Each pixel gets the mean drop of the patches covering it.
    """
    if patch % stride:
        raise ValueError(f"The patch ({patch}) must be a whole number of strides ({stride}).")
    image = torch.from_numpy(np.ascontiguousarray(digit, dtype=np.uint8))
    windows = _windows(tuple(image.shape), patch, stride)
    windows = windows[(windows & (image > 0)).flatten(1).any(1)]
    batch = torch.cat([image[None], image.masked_fill(windows, 0)])[:, None].to(device_of(model))
    with evaluating(_channels_last_copy(model)) as fast:
        probs = F.softmax(fast(to_model_input(batch, model.input_size)).double(), dim=1)[:, target].cpu()
    drop = (probs[0] - probs[1:]).clamp(min=0)
    per_pixel = (drop[:, None, None] * windows).sum(0) / (patch // stride) ** 2
    return _at_input_size(per_pixel.float().numpy(), model.input_size)


_FAST_COPIES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model -> (its weights' versions, copy)
_FAST_LOCK = threading.Lock()


def _channels_last_copy(model: LayeredCNN) -> LayeredCNN:
    """The model with channels-last conv weights: a batch of patches runs about twice as fast on CPU.

    Measured for 120 images through SimpleCNN on one thread: 17-29 ms instead of 37-60 ms. A copy,
    because the model itself may be shared by every session. Made once per model and kept while the
    model lives (each stroke re-copying it cost a fifth of the page's server time); any in-place
    change of a weight bumps its version, and a changed model gets a fresh copy. The copy stays in
    eval mode, so sessions using it at once never switch its mode under each other.
    """
    versions = tuple(t._version for t in model.state_dict(keep_vars=True).values())
    with _FAST_LOCK:
        kept = _FAST_COPIES.get(model)
        if kept is None or kept[0] != versions:
            kept = versions, copy.deepcopy(model).to(memory_format=torch.channels_last).eval()
            _FAST_COPIES[model] = kept
    return kept[1]


def gradient_times_input(digit: np.ndarray, model: LayeredCNN, target: int) -> np.ndarray:
    """Each pixel's ink times the target score's gradient: its first-order share of the score (top = 1)."""
    x = model_input(digit, model).requires_grad_(True)
    with evaluating(model):
        (grad,) = torch.autograd.grad(model(x)[0, target], x)
    share = (grad * x)[0, 0].clamp(min=0).detach().float().cpu()
    top = float(share.max())
    return (share / top if top > 0 else share).numpy()


def _at_input_size(heat: np.ndarray, size: int) -> np.ndarray:
    """A map over the 28x28 digit placed where to_model_input puts the digit (LeNet-5 reads 32x32)."""
    pad = size - heat.shape[-1]
    return np.pad(heat, ((pad // 2, pad - pad // 2), (pad // 2, pad - pad // 2)))


def _on_digit(heat: np.ndarray, side: int) -> np.ndarray:
    """The part of an input-size map that lies over the 28x28 digit."""
    start = (heat.shape[-1] - side) // 2
    return heat[start : start + side, start : start + side]


@dataclass(frozen=True)
class Explanation:
    """One way to explain a vote: the map maker and what its name, caption and colour bar say."""

    title: str
    caption: str
    unit: str
    explain: Explainer


EXPLANATIONS = {
    "occlusion": Explanation(
        "Occlusion",
        f"A black {PATCH}×{PATCH} patch slides over the digit with stride {STRIDE}; the colour is how much the "
        "probability of the predicted digit falls when the patch covers that spot. Bright = the model needs this ink.",
        "probability drop",
        occlusion,
    ),
    "gradient_input": Explanation(
        "Gradient × input",
        "Each pixel's ink times how fast the score of the predicted digit grows with it: the pixel's share of the "
        "score, to first order (brightest pixel = 1). Dark = no ink, or ink that counts against the digit.",
        "share of the top pixel",
        gradient_times_input,
    ),
}


@dataclass(frozen=True)
class Faithfulness:
    """Per sample: the probability drop from deleting the map's top ink pixels, and from random ones."""

    top_drop: np.ndarray
    random_drop: np.ndarray
    wins: np.ndarray

    @property
    def win_rate(self) -> float:
        return float(self.wins.mean())

    @property
    def passed(self) -> bool:
        """Deleting what the map ranks first hurts more than chance, on average and for most samples."""
        return bool(self.top_drop.mean() > self.random_drop.mean() and self.win_rate >= MIN_WIN_RATE)


@torch.no_grad()
def _log_probs(model: LayeredCNN, images: np.ndarray) -> np.ndarray:
    batch = torch.from_numpy(np.ascontiguousarray(images, dtype=np.uint8))[:, None].to(device_of(model))
    with evaluating(model):
        return F.log_softmax(model(to_model_input(batch, model.input_size)).double(), dim=1).cpu().numpy()


def faithfulness(
    model: LayeredCNN,
    digits: np.ndarray,
    explain: Explainer,
    fraction: float = FRACTION,
    draws: int = RANDOM_DRAWS,
    seed: int = 0,
) -> Faithfulness:
    """Deletion test of a map over 28x28 uint8 digits (N, 28, 28), explaining each predicted class.

    For each digit the `fraction` of its ink pixels (value > 0) that the map ranks highest are set to
    background, and so are `draws` random sets of as many ink pixels. A sample is a win when the
    predicted class's probability ends lower than the random deletions' mean (compared in log space,
    so confident votes whose probability rounds to 1 still compare).
    """
    rng = np.random.default_rng(seed)
    top_drop, random_drop, wins = [], [], []
    for digit in np.asarray(digits, dtype=np.uint8):
        before = _log_probs(model, digit[None])[0]
        target = int(before.argmax())
        ink = np.flatnonzero(digit > 0)
        count = max(1, int(np.ceil(fraction * len(ink))))
        rank = _on_digit(explain(digit, model, target), digit.shape[-1]).ravel()[ink]
        chosen = [ink[np.argsort(-rank, kind="stable")[:count]]]
        chosen += [rng.choice(ink, count, replace=False) for _ in range(draws)]
        deleted = np.repeat(digit[None], len(chosen), axis=0).reshape(len(chosen), -1)
        for row, pixels in zip(deleted, chosen):
            row[pixels] = 0
        after = _log_probs(model, deleted.reshape(-1, *digit.shape))[:, target]
        p_before = np.exp(before[target])
        top_drop.append(p_before - np.exp(after[0]))
        random_drop.append(p_before - np.exp(after[1:]).mean())
        wins.append(after[0] < np.logaddexp.reduce(after[1:]) - np.log(draws))
    return Faithfulness(np.array(top_drop), np.array(random_drop), np.array(wins))
