"""The preprocessing undoes how a digit was drawn; the shipped models read what users draw."""

import functools

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from cnnviz import predict
from cnnviz.data import ASSETS, sample_digits, to_model_input
from cnnviz.images import ImageInputError
from cnnviz.weights import load_pretrained, pretrained_names

SHIPPED = ["lenet5", "simplecnn"]
FONT_ACCURACY_FLOOR = 0.95


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def samples():
    return sample_digits()


@pytest.fixture(scope="module")
def direct(samples):
    """Each sample digit run through the pipeline as it is (already in MNIST form)."""
    return np.stack([predict.preprocess(Image.fromarray(x)).digit for x in samples[0]])


@pytest.fixture(scope="module")
def font_digits():
    """Every 5th digit of the held-out font/stroke set, preprocessed once for both models."""
    with np.load(ASSETS / "font_digits.npz") as f:
        images, labels = f["images"][::5], f["labels"][::5]
    return np.stack([predict.preprocess(Image.fromarray(x)).digit for x in images]), labels


@pytest.fixture(scope="module", params=SHIPPED)
def model(request):
    if request.param not in pretrained_names():
        pytest.fail(f"assets/{request.param}.safetensors is missing")
    return load_pretrained(request.param)


def redraw(
    digit: np.ndarray, canvas: int, scale: float, corner: tuple[float, float], dark_on_light: bool
) -> Image.Image:
    """An MNIST digit drawn again somewhere else: bigger or smaller, off-centre, maybe inverted."""
    side = max(1, round(28 * scale))
    big = Image.fromarray(digit).resize((side, side), Image.Resampling.BILINEAR)
    page = Image.new("L", (canvas, canvas), 0)
    page.paste(big, (round(corner[0] * (canvas - side)), round(corner[1] * (canvas - side))))
    return Image.fromarray(255 - np.asarray(page)) if dark_on_light else page


def test_all_shipped_sample_digits_are_right(samples, model):
    images, labels = samples
    predicted = [int(predict.predict_image(Image.fromarray(x), model).argmax()) for x in images]
    assert predicted == labels.tolist()


def test_predict_digit_uses_the_shipped_model_by_name(samples):
    images, labels = samples
    probs = predict.predict_digit(Image.fromarray(images[0]).convert("RGB"), "simplecnn")
    assert probs.shape == (10,) and probs.dtype == np.float32
    assert probs.sum() == pytest.approx(1.0, abs=1e-5) and int(probs.argmax()) == labels[0]


@pytest.mark.parametrize(
    "canvas, scale, corner, dark",
    [
        (300, 8.0, (0.5, 0.5), True),  # drawn big on a light canvas
        (300, 2.5, (0.0, 0.0), True),  # small, top-left corner
        (300, 3.0, (1.0, 1.0), False),  # small, bottom-right corner, light on dark
        (120, 1.2, (1.0, 0.0), False),  # nearly MNIST size, pushed to a corner
        (600, 15.0, (0.3, 0.8), True),  # a photo-sized page
    ],
)
def test_redrawn_sample_digits_come_back_to_mnist_form(samples, direct, model, canvas, scale, corner, dark):
    images, labels = samples
    picks = range(0, 100, 4)
    digits = [predict.preprocess(redraw(images[i], canvas, scale, corner, dark)).digit for i in picks]
    similarity = [np.corrcoef(a.ravel(), direct[i].ravel())[0, 1] for a, i in zip(digits, picks)]
    assert np.median(similarity) > 0.85 and min(similarity) > 0.6
    predicted = [int(predict.predict_probs(d, model).argmax()) for d in digits]
    assert predicted == labels[list(picks)].tolist()


def test_uneven_light_and_specks_do_not_fool_it(samples, model):
    """A dark digit photographed under a light gradient with dust specks on the page."""
    images, labels = samples
    rng = np.random.default_rng(1)
    ys, xs = np.mgrid[0:240, 0:320]
    light = 0.95 - 0.45 * xs / 320 - 0.15 * ys / 240
    for i in range(5, 100, 10):
        ink = np.asarray(redraw(images[i], 200, 6.0, (0.5, 0.5), False), dtype=np.float32) / 255
        page = light.copy()
        page[20:220, 80:280] -= 0.35 * ink
        page[rng.random(page.shape) < 0.002] = 0.1
        photo = Image.fromarray(np.clip(page * 255, 0, 255).astype(np.uint8))
        assert int(predict.predict_image(photo, model).argmax()) == labels[i]


def polyline_seven(width: int, box: tuple[int, int, int, int]) -> Image.Image:
    left, top, right, bottom = box
    page = Image.new("L", (300, 300), 255)
    ImageDraw.Draw(page).line(
        [(left, top), (right, top), (left + (right - left) // 3, bottom)], fill=0, width=width, joint="curve"
    )
    return page


@pytest.mark.parametrize(
    "width, box",
    [
        (2, (100, 100, 200, 250)),  # hairline pen
        (45, (40, 30, 260, 280)),  # marker filling the canvas
        (12, (5, 5, 60, 80)),  # tiny, in the top-left corner
        (12, (230, 200, 295, 295)),  # tiny, in the bottom-right corner
    ],
)
def test_pen_width_size_and_place_do_not_matter(model, width, box):
    assert int(predict.predict_image(polyline_seven(width, box), model).argmax()) == 7


def strokes(lines: list[list[tuple[float, float]]], width: int) -> Image.Image:
    """Dark strokes on a light 320 px canvas; points in [0, 1] of a 200x240 box."""
    page = Image.new("L", (320, 320), 255)
    draw = ImageDraw.Draw(page)
    for line in lines:
        draw.line([(60 + x * 200, 40 + y * 240) for x, y in line], fill=0, width=width, joint="curve")
    return page


ONES = {
    "bare": [[(0.5, 0), (0.5, 1)]],
    "short flag": [[(0.3, 0.2), (0.5, 0), (0.5, 1)]],
    "long flag": [[(0.15, 0.3), (0.5, 0), (0.5, 1)]],
    "flag and foot": [[(0.25, 0.3), (0.5, 0), (0.5, 1)], [(0.25, 1), (0.75, 1)]],
    "slanted with flag": [[(0.3, 0.25), (0.6, 0), (0.4, 1)]],
}
SEVENS = {
    "plain": [[(0.1, 0), (0.9, 0), (0.4, 1)]],
    "crossed": [[(0.1, 0), (0.9, 0), (0.4, 1)], [(0.35, 0.5), (0.8, 0.5)]],
    "short bar": [[(0.35, 0), (0.9, 0), (0.5, 1)]],
}


@pytest.mark.parametrize("width", [12, 22, 34])
@pytest.mark.parametrize("digit, style", [(1, name) for name in ONES] + [(7, name) for name in SEVENS])
def test_ones_with_flags_and_sevens_are_told_apart(model, digit, style, width):
    """Many people start a 1 with a long flag: that must not turn it into a 7 (nor a 7 into a 1)."""
    picture = strokes((ONES if digit == 1 else SEVENS)[style], width)
    assert int(predict.predict_image(picture, model).argmax()) == digit


def test_font_and_stroke_digits_clear_the_accuracy_floor(font_digits, model):
    """The held-out set of digits from system fonts and mouse-like strokes (scripts/make_font_digits.py)."""
    digits, labels = font_digits
    with torch.no_grad():
        logits = model(to_model_input(torch.from_numpy(digits)[:, None], model.input_size))
    accuracy = float((logits.argmax(1).numpy() == labels).mean())
    assert accuracy >= FONT_ACCURACY_FLOOR, f"{accuracy:.3f}"


@pytest.mark.parametrize(
    "picture",
    [
        Image.new("L", (300, 300), 255),
        Image.new("RGB", (64, 48), (90, 90, 90)),
        Image.fromarray(np.random.default_rng(0).integers(120, 136, (200, 200), dtype=np.uint8)),
    ],
    ids=["white canvas", "grey photo", "faint noise"],
)
def test_blank_pictures_ask_for_a_digit(picture):
    with pytest.raises(ImageInputError, match="[Dd]raw a digit"):
        predict.preprocess(picture)


def test_blank_canvas_asks_for_a_digit():
    with pytest.raises(ImageInputError, match="[Dd]raw a digit"):
        predict.preprocess(predict.canvas_to_image(np.zeros((300, 300, 4), dtype=np.uint8)))


def test_canvas_strokes_become_dark_ink_on_white():
    rgba = np.zeros((300, 300, 4), dtype=np.uint8)
    rgba[100:200, 140:160] = (0, 0, 0, 255)
    rgba[10:20, 10:20] = (255, 0, 0, 128)  # a half-transparent coloured stroke
    page = np.asarray(predict.canvas_to_image(rgba))
    assert page[150, 150] == 0 and page[0, 0] == 255 and 100 < page[15, 15] < 255


@pytest.mark.parametrize("bad", [np.zeros((300, 300)), np.zeros((0, 10, 4)), np.zeros((5, 5, 3))])
def test_canvas_without_a_picture_is_refused(bad):
    with pytest.raises(ImageInputError):
        predict.canvas_to_image(bad)


def test_steps_show_the_mnist_recipe(samples):
    result = predict.preprocess(redraw(samples[0][0], 300, 8.0, (0.2, 0.3), True))
    titles = [s.title for s in result.steps]
    assert [t.split(". ")[1] for t in titles] == [
        "Grayscale",
        "Inverted",
        "Cleaned",
        "Cropped",
        "Scaled",
        "Centred",
        "Padded",
    ]
    assert result.inverted
    assert result.digit.shape == (28, 28) and result.digit.dtype == np.uint8
    assert max(result.steps[4].image.shape) in (19, 20, 21)  # 20 plus or minus the pen's anti-aliasing
    assert result.steps[6].image.shape == (32, 32)
    assert all(s.image.dtype == np.uint8 and max(s.image.shape) <= predict.THUMB_SIDE for s in result.steps)


def test_centre_of_mass_lands_on_pixel_14(samples):
    for x in samples[0][::7]:
        digit = predict.preprocess(redraw(x, 200, 4.0, (0.9, 0.1), False)).digit.astype(float)
        ys, xs = np.indices(digit.shape)
        assert abs((ys * digit).sum() / digit.sum() - 14) <= 0.5
        assert abs((xs * digit).sum() / digit.sum() - 14) <= 0.5


@pytest.mark.parametrize("dark", [False, True])
def test_a_speck_of_ink_on_a_big_page_still_gets_the_right_polarity(samples, dark):
    """A thin digit can be under 0.1% of the picture: fewer ink pixels than any percentile sees."""
    images, labels = samples
    for index in np.flatnonzero(labels == 1):
        page = np.zeros((400, 400), dtype=np.uint8)
        page[:28, :28] = images[index]
        picture = Image.fromarray(255 - page if dark else page)
        prepared = predict.preprocess(picture)
        assert prepared.inverted == dark
        assert int(predict.predict_probs(prepared.digit, shipped_lenet5()).argmax()) == 1


@settings(max_examples=200, deadline=None)
@given(index=st.integers(0, 99), dx=st.integers(0, 150), dy=st.integers(0, 150), dark=st.booleans())
def test_moving_a_digit_anywhere_keeps_its_prediction(samples, direct, index, dx, dy, dark):
    images, labels = samples
    page = np.zeros((180, 180), dtype=np.uint8)
    page[dy : dy + 28, dx : dx + 28] = images[index]
    if dark:
        page = 255 - page
    moved = predict.preprocess(Image.fromarray(page)).digit
    assert int(predict.predict_probs(moved, shipped_lenet5()).argmax()) == labels[index]


@functools.lru_cache(maxsize=1)
def shipped_lenet5():
    return load_pretrained("lenet5")
