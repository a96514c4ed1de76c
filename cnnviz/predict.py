"""Turn any drawn, typed or photographed digit into an MNIST-style 28x28 image and predict it.

MNIST digits are white ink on black, their bounding box scaled to 20 px and placed by centre of mass
in a 28x28 frame; a network trained on them only works on input made the same way. ``preprocess``
does exactly that and keeps every step for display. Real images need more care than MNIST did:
uneven light (a local background estimate), noise specks (small connected components are dropped)
and pens much thinner or thicker than MNIST's (strokes are brought to MNIST's width).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageFilter

from cnnviz.data import to_model_input
from cnnviz.images import ImageInputError
from cnnviz.models import LayeredCNN, device_of, evaluating
from cnnviz.weights import load_pretrained

FRAME = 28
BOX = 20
SUPERSAMPLE = 4
WORK_SIDE = 512
COARSE_SIDE = 128
BACKGROUND_SIDE = 64
BACKGROUND_GRID = 8
MIN_CONTRAST = 0.12
MIN_COMPONENT_FRACTION = 0.08
MNIST_STROKE = 10.0
THUMB_SIDE = 160
NO_DIGIT = "No digit found: the image is blank or has almost no contrast. Draw a digit (or upload one)."


@dataclass(frozen=True)
class Step:
    """One preprocessing stage as a small uint8 picture with a line saying what happened."""

    title: str
    caption: str
    image: np.ndarray


@dataclass(frozen=True)
class Preprocessed:
    """The 28x28 MNIST-style digit (white on black, uint8) and the steps that made it."""

    digit: np.ndarray
    steps: tuple[Step, ...]
    inverted: bool


def canvas_to_image(rgba: np.ndarray) -> Image.Image:
    """The drawing canvas's RGBA pixels as the user saw them: strokes on a white page, mode 'L'."""
    rgba = np.asarray(rgba)
    if rgba.ndim != 3 or rgba.shape[2] != 4 or min(rgba.shape[:2]) == 0:
        raise ImageInputError("The drawing canvas sent no picture. Draw a digit.")
    layer = Image.fromarray(rgba.astype(np.uint8), "RGBA")
    page = Image.new("RGBA", layer.size, (255, 255, 255, 255))
    return Image.alpha_composite(page, layer).convert("L")


def _to_uint8(values: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(values * 255.0), 0, 255).astype(np.uint8)


def _thumb(values: np.ndarray) -> np.ndarray:
    """A display-sized copy of a [0, 1] picture."""
    image = Image.fromarray(_to_uint8(values), "L")
    image.thumbnail((THUMB_SIDE, THUMB_SIDE), Image.Resampling.BOX)
    return np.asarray(image)


def _resize(values: np.ndarray, size: tuple[int, int], resample: Image.Resampling) -> np.ndarray:
    """Resize a float picture to (width, height)."""
    image = Image.fromarray(values.astype(np.float32), "F")
    return np.asarray(image.resize(size, resample), dtype=np.float32)


def _fit(values: np.ndarray, side: int) -> np.ndarray:
    """Shrink so the longer side is at most `side` (area averaging), never enlarge."""
    h, w = values.shape
    scale = side / max(h, w)
    if scale >= 1:
        return values
    return _resize(values, (max(1, round(w * scale)), max(1, round(h * scale))), Image.Resampling.BOX)


def _grey(image: Image.Image) -> np.ndarray:
    """Luminance in [0, 1], shrunk to the working size (photos are far larger than a digit needs)."""
    image = image.convert("L")
    if max(image.size) > WORK_SIDE:
        image = image.copy()
        image.thumbnail((WORK_SIDE, WORK_SIDE), Image.Resampling.BOX)
    return np.asarray(image, dtype=np.float32) / 255.0


def _ink_is_dark(grey: np.ndarray) -> bool:
    """Ink is the minority: it lies on the side of the median that reaches further."""
    small = _fit(grey, COARSE_SIDE)
    low, median, high = np.percentile(small, [0.2, 50, 99.8])
    if median - low == high - median:  # ink rarer than 0.2% of the picture: the extremes decide
        low, high = small.min(), small.max()
    return median - low > high - median


def _background(ink_bright: np.ndarray) -> np.ndarray:
    """A smooth estimate of the (dark) background per region, so uneven light is not taken for ink."""
    h, w = ink_bright.shape
    gh = max(1, round(BACKGROUND_GRID * h / max(h, w)))
    gw = max(1, round(BACKGROUND_GRID * w / max(h, w)))
    cell = BACKGROUND_SIDE // BACKGROUND_GRID
    small = _resize(ink_bright, (gw * cell, gh * cell), Image.Resampling.BOX)
    blocks = small.reshape(gh, cell, gw, cell).transpose(0, 2, 1, 3).reshape(gh, gw, -1)
    grid = np.percentile(blocks, 10, axis=2).astype(np.float32)
    padded = np.pad(grid, 1, mode="edge")
    darkest = np.min([padded[i : i + gh, j : j + gw] for i in range(3) for j in range(3)], axis=0)
    return _resize(darkest, (w, h), Image.Resampling.BILINEAR)


def _otsu(values: np.ndarray) -> float:
    """The threshold that best splits values into two classes (Otsu 1979)."""
    hist, edges = np.histogram(values, bins=64, range=(0.0, max(float(values.max()), 1e-6)))
    centres = (edges[:-1] + edges[1:]) / 2
    weight0 = np.cumsum(hist)
    weight1 = weight0[-1] - weight0
    sum0 = np.cumsum(hist * centres)
    mean0 = sum0 / np.maximum(weight0, 1)
    mean1 = (sum0[-1] - sum0) / np.maximum(weight1, 1)
    between = weight0 * weight1 * (mean0 - mean1) ** 2
    return float(edges[int(np.argmax(between)) + 1])


def _stretch(ink: np.ndarray) -> np.ndarray:
    """Ink contrast stretched to [0, 1]: faint pencil and bold marker end up alike."""
    threshold = _otsu(ink)
    strong = ink[ink > threshold]
    level = float(np.percentile(strong, 75)) if strong.size else 0.0
    if level < MIN_CONTRAST:
        raise ImageInputError(NO_DIGIT)
    floor = threshold / 2
    return np.clip((ink - floor) / max(level - floor, 1e-6), 0.0, 1.0)


def _label(mask: np.ndarray) -> np.ndarray:
    """8-connected component labels (0 = background) by max propagation with pointer jumping."""
    h, w = mask.shape
    labels = np.where(mask, np.arange(1, h * w + 1, dtype=np.int64).reshape(h, w), 0)
    while True:
        padded = np.pad(labels, 1)
        grown = np.max([padded[i : i + h, j : j + w] for i in range(3) for j in range(3)], axis=0)
        grown = np.where(mask, grown, 0)
        jumped = np.where(mask, grown.ravel()[np.maximum(grown, 1).ravel() - 1].reshape(h, w), 0)
        if np.array_equal(jumped, labels):
            return labels
        labels = jumped


def _drop_specks(ink: np.ndarray) -> np.ndarray:
    """Keep the strokes: components much smaller than the largest one are noise."""
    factor = max(1, -(-max(ink.shape) // COARSE_SIDE))
    h, w = ink.shape
    padded = np.pad(ink > 0.5, ((0, -h % factor), (0, -w % factor)))
    coarse = padded.reshape(padded.shape[0] // factor, factor, padded.shape[1] // factor, factor)
    coarse = coarse.any(axis=(1, 3))
    labels = _label(coarse)
    areas = np.bincount(labels.ravel())
    areas[0] = 0
    if areas.max(initial=0) == 0:
        raise ImageInputError(NO_DIGIT)
    keep = areas >= MIN_COMPONENT_FRACTION * areas.max()
    keep[0] = False
    kept = np.repeat(np.repeat(keep[labels], factor, axis=0), factor, axis=1)[:h, :w]
    return ink * kept


def _crop(ink: np.ndarray) -> np.ndarray:
    rows = np.flatnonzero(ink.max(axis=1) > 0.05)
    cols = np.flatnonzero(ink.max(axis=0) > 0.05)
    if rows.size == 0:
        raise ImageInputError(NO_DIGIT)
    return ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def _stroke_width(ink: np.ndarray) -> float:
    """Mean stroke width in pixels: twice the area over the perimeter of the inked shape."""
    mask = ink > 0.5
    padded = np.pad(mask, 1)
    interior = mask & padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:]
    boundary = int(mask.sum() - interior.sum())
    return 2.0 * mask.sum() / max(boundary, 1)


def _normalise_stroke(big: np.ndarray) -> np.ndarray:
    """Bring hairlines and markers to MNIST's stroke width (measured at 4x scale)."""
    width = _stroke_width(big)
    image = Image.fromarray(_to_uint8(big), "L")
    if width < MNIST_STROKE - 1:
        image = image.filter(ImageFilter.MaxFilter(2 * round((MNIST_STROKE - width) / 2) + 1))
    elif width > MNIST_STROKE + 2:
        image = image.filter(ImageFilter.MinFilter(2 * round((width - MNIST_STROKE) / 2) + 1))
    return np.asarray(image, dtype=np.float32) / 255.0


def _scale_to_box(crop: np.ndarray) -> np.ndarray:
    """Longer side to 20 px keeping the aspect ratio, strokes at MNIST width, anti-aliased."""
    h, w = crop.shape
    side = BOX * SUPERSAMPLE
    size = (max(1, round(w * side / max(h, w))), max(1, round(h * side / max(h, w))))
    big = np.clip(_resize(crop, size, Image.Resampling.LANCZOS), 0.0, 1.0)
    margin = 2 * SUPERSAMPLE
    big = _normalise_stroke(np.pad(big, margin))
    big = _crop(big)
    bh, bw = big.shape
    big = np.pad(big, ((0, -bh % SUPERSAMPLE), (0, -bw % SUPERSAMPLE)))
    return big.reshape(big.shape[0] // SUPERSAMPLE, SUPERSAMPLE, big.shape[1] // SUPERSAMPLE, SUPERSAMPLE).mean(
        axis=(1, 3)
    )


def _centre(box: np.ndarray) -> np.ndarray:
    """Paste into the 28x28 frame with the centre of mass at pixel (14, 14), where MNIST puts it."""
    h, w = box.shape
    total = box.sum()
    ys, xs = np.indices(box.shape)
    cy, cx = (ys * box).sum() / total, (xs * box).sum() / total
    top = int(np.clip(round(FRAME / 2 - cy), 0, max(FRAME - h, 0)))
    left = int(np.clip(round(FRAME / 2 - cx), 0, max(FRAME - w, 0)))
    frame = np.zeros((FRAME, FRAME), dtype=np.float32)
    frame[top : top + h, left : left + w] = box[: FRAME - top, : FRAME - left]
    return frame


def preprocess(image: Image.Image) -> Preprocessed:
    """Any image of one digit -> MNIST-style 28x28 uint8, with each step for display."""
    grey = _grey(image)
    inverted = _ink_is_dark(grey)
    ink_bright = 1.0 - grey if inverted else grey
    clean = _drop_specks(_stretch(np.clip(ink_bright - _background(ink_bright), 0.0, None)))
    crop = _crop(clean)
    box = _scale_to_box(crop)
    digit = _to_uint8(_centre(box))
    steps = (
        Step("1. Grayscale", f"{grey.shape[1]}x{grey.shape[0]} px, colour dropped", _thumb(grey)),
        Step(
            "2. Inverted" if inverted else "2. Not inverted",
            "light background: now white ink on black like MNIST"
            if inverted
            else "already light ink on a dark background",
            _thumb(ink_bright),
        ),
        Step("3. Cleaned", "background light evened out, contrast stretched, specks dropped", _thumb(clean)),
        Step("4. Cropped", f"to the ink's bounding box, {crop.shape[1]}x{crop.shape[0]} px", _thumb(crop)),
        Step(
            "5. Scaled",
            f"longer side to {BOX} px, aspect kept: {box.shape[1]}x{box.shape[0]} px",
            _to_uint8(np.clip(box, 0, 1)),
        ),
        Step("6. Centred", "in 28x28 by centre of mass (SimpleCNN input)", digit),
        Step("7. Padded", "to 32x32 with 2 px of black (LeNet-5 input)", np.pad(digit, 2)),
    )
    return Preprocessed(digit, steps, inverted)


def model_input(digit: np.ndarray, model: LayeredCNN) -> torch.Tensor:
    """A 28x28 uint8 digit as the (1, 1, S, S) float tensor the model was trained on."""
    images = torch.from_numpy(np.ascontiguousarray(digit, dtype=np.uint8))[None, None]
    return to_model_input(images.to(device_of(model)), model.input_size)


@torch.no_grad()
def predict_batch(model: LayeredCNN, images: np.ndarray) -> np.ndarray:
    """Softmax probabilities (N, classes) for a stack of uint8 images (N, H, W) or (N, C, H, W)."""
    batch = torch.from_numpy(np.ascontiguousarray(images, dtype=np.uint8))
    batch = batch.reshape(len(batch), -1, *batch.shape[-2:]).to(device_of(model))
    with evaluating(model):
        return F.softmax(model(to_model_input(batch, model.input_size)).float(), dim=1).cpu().numpy()


def predict_probs(digit: np.ndarray, model: LayeredCNN) -> np.ndarray:
    """The model's 10 class probabilities for a preprocessed 28x28 digit."""
    return predict_batch(model, np.asarray(digit)[None])[0]


def predict_image(image: Image.Image, model: LayeredCNN) -> np.ndarray:
    """Class probabilities for any image of a digit, with a model object (trained here or shipped)."""
    return predict_probs(preprocess(image).digit, model)


@functools.lru_cache(maxsize=4)
def _shipped(name: str) -> LayeredCNN:
    return load_pretrained(name)


def predict_digit(image: Image.Image, model: str = "lenet5") -> np.ndarray:
    """Class probabilities (10,) for any image of a digit, with a shipped model by name."""
    return predict_image(image, _shipped(model))
