"""load_image on real encoded files, including hostile ones built byte by byte."""

import io
import struct
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

from cnnviz.images import MAX_BYTES, MAX_PIXELS, MAX_SIDE, ImageInputError, escape_markdown, load_image


def encode(image: Image.Image, fmt: str, **params) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **params)
    return buf.getvalue()


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims a size; its pixel data is a few bytes (a decompression bomb's shape)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + png_chunk(b"IEND", b"")
    )


def digit_picture(mode: str = "L") -> Image.Image:
    """A dark bar on a light page, so orientation and polarity can be checked."""
    pixels = np.full((20, 40), 230, dtype=np.uint8)
    pixels[2:6, 5:35] = 20
    return Image.fromarray(pixels, "L").convert(mode)


@pytest.mark.parametrize(
    "data, words",
    [
        (b"", "empty"),
        (b"just some text, not an image at all", "not an image"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 40, "not an image"),
        (png_header_only(1, 0), "0 pixels"),
        (png_header_only(0, 7), "0 pixels"),
        (png_header_only(20000, 20000), "too many pixels"),
        (png_header_only(6000, 6000), "too many pixels"),
        (b"\0" * (MAX_BYTES + 1), "MB"),
    ],
    ids=["empty", "text", "png-garbage", "1x0", "0x7", "bomb-20000x20000", "over-pixel-cap", "too-many-bytes"],
)
def test_bad_bytes_get_a_plain_message(data, words):
    with pytest.raises(ImageInputError, match=words):
        load_image(data)


def test_the_pixel_cap_is_checked_before_decoding():
    """The 6000x6000 header above carries 64 bytes of pixels: it fails on size, not as truncated."""
    assert 6000 * 6000 > MAX_PIXELS > 3000 * 3000
    assert load_image(encode(Image.new("L", (3000, 3000)), "PNG")).size == (MAX_SIDE, MAX_SIDE)


def test_truncated_png_is_reported_as_corrupt():
    noise = np.random.default_rng(0).integers(0, 255, (64, 64), dtype=np.uint8)
    data = encode(Image.fromarray(noise), "PNG")
    with pytest.raises(ImageInputError, match="truncated or corrupt"):
        load_image(data[: len(data) // 2])


def test_formats_outside_the_allow_list_are_refused():
    with pytest.raises(ImageInputError, match="not an image"):
        load_image(encode(digit_picture(), "TIFF"))


@pytest.mark.parametrize(
    "fmt, params",
    [
        ("PNG", {}),
        ("BMP", {}),
        ("GIF", {}),
        ("WEBP", {"lossless": True}),
        ("JPEG", {"quality": 95}),
    ],
)
def test_every_accepted_format_round_trips(fmt, params):
    original = np.asarray(digit_picture())
    loaded = load_image(encode(digit_picture(), fmt, **params))
    assert loaded.mode in ("L", "RGB") and loaded.size == (40, 20)
    assert np.abs(np.asarray(loaded.convert("L"), dtype=int) - original).max() <= (12 if fmt == "JPEG" else 0)


def test_colour_images_stay_rgb():
    red = Image.new("RGB", (8, 8), (200, 10, 10))
    loaded = load_image(encode(red, "PNG"))
    assert loaded.mode == "RGB" and loaded.getpixel((3, 3)) == (200, 10, 10)


def test_animated_gif_gives_its_first_frame():
    frames = [Image.new("L", (16, 16), 40), Image.new("L", (16, 16), 220)]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert Image.open(io.BytesIO(data)).n_frames == 2
    loaded = load_image(data)
    assert np.asarray(loaded).mean() == pytest.approx(40, abs=1)


def test_16_bit_png_is_scaled_by_its_full_range():
    values = np.array([[0, 257 * 128, 65535, 257 * 7]], dtype=np.uint16)
    data = encode(Image.fromarray(values), "PNG")
    assert Image.open(io.BytesIO(data)).mode.startswith("I")
    loaded = load_image(data)
    assert loaded.mode == "L"
    assert np.asarray(loaded).tolist() == [[0, 128, 255, 7]]


def test_cmyk_jpeg_becomes_rgb():
    cmyk = Image.new("CMYK", (16, 16), (0, 0, 0, 0))
    cmyk.paste((0, 0, 0, 255), (4, 4, 12, 12))
    loaded = load_image(encode(cmyk, "JPEG", quality=95))
    pixels = np.asarray(loaded.convert("L"), dtype=int)
    assert loaded.mode == "RGB" and pixels[8, 8] < 40 and pixels[0, 0] > 215


def test_palette_png_with_transparency():
    base = digit_picture().convert("P")
    loaded = load_image(encode(base, "PNG", transparency=0))
    assert loaded.mode in ("L", "RGB")


@pytest.mark.parametrize("ink, page", [(0, 255), (255, 0)])
def test_transparent_png_keeps_its_ink_visible(ink, page):
    """Ink on a transparent sheet: black ink lands on white, white ink on black."""
    rgba = np.zeros((20, 20, 4), dtype=np.uint8)
    rgba[..., :3] = 255 - ink  # what is under transparent pixels must not matter
    rgba[5:15, 8:12] = (ink, ink, ink, 255)
    loaded = np.asarray(load_image(encode(Image.fromarray(rgba, "RGBA"), "PNG")).convert("L"))
    assert loaded[10, 10] == ink and loaded[0, 0] == page


def test_grey_with_alpha_stays_grey():
    la = Image.merge("LA", [Image.new("L", (10, 10), 0), Image.new("L", (10, 10), 128)])
    loaded = load_image(encode(la, "PNG"))
    assert loaded.mode == "L" and loaded.getpixel((5, 5)) == 127


def test_exif_rotation_is_applied():
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways: viewers rotate 90 degrees clockwise
    data = encode(digit_picture(), "JPEG", quality=95, exif=exif)
    loaded = np.asarray(load_image(data))
    assert loaded.shape == (40, 20)
    dark_cols = np.flatnonzero((loaded < 100).mean(axis=0) > 0.5)
    assert dark_cols.min() >= 14  # the bar along the top edge is now along the right edge


@settings(max_examples=150, deadline=None)
@given(
    pixels=arrays(np.uint8, st.tuples(st.integers(1, 24), st.integers(1, 24))),
    fmt=st.sampled_from(["PNG", "BMP", "WEBP"]),
)
def test_lossless_grey_images_round_trip_exactly(pixels, fmt):
    params = {"lossless": True} if fmt == "WEBP" else {}
    loaded = load_image(encode(Image.fromarray(pixels, "L"), fmt, **params))
    assert loaded.mode in ("L", "RGB")
    assert np.array_equal(np.asarray(loaded.convert("L")), pixels)


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=256))
def test_arbitrary_bytes_never_escape_as_other_errors(data):
    try:
        image = load_image(data)
    except ImageInputError as exc:
        assert str(exc)
    else:
        assert image.mode in ("L", "RGB")


def test_a_big_rotated_photo_is_shrunk_then_turned():
    """EXIF rotation is applied to the shrunk copy, never to a full-size one."""
    exif = Image.Exif()
    exif[0x0112] = 6
    wide = Image.new("L", (3000, 1500), 230)
    wide.paste(20, (0, 0, 3000, 200))  # a dark band along the top edge
    loaded = np.asarray(load_image(encode(wide, "JPEG", quality=90, exif=exif)))
    assert max(loaded.shape) <= MAX_SIDE and loaded.shape[0] > loaded.shape[1]
    assert loaded[:, -5:].mean() < 60 and loaded[:, :5].mean() > 200  # the band is now along the right edge


WJ = "\u2060"  # an invisible word joiner: GFM links bare URLs and e-mails even when ':' and '@' are escaped


@pytest.mark.parametrize(
    "text, shown",
    [
        ("[click me](https://example.org)", rf"\[click me\](https{WJ}\://example.org)"),
        ("LeNet-5, 98.0% (from my model.safetensors)", "LeNet-5, 98.0% (from my model.safetensors)"),
        (
            "**bold** _it_ `code` $x$ ~s~ a|b #h <b> &amp; :red[x]",
            rf"\*\*bold\*\* \_it\_ \`code\` \$x\$ \~s\~ a\|b \#h \<b\> \&amp; {WJ}\:red\[x\]",
        ),
        ("www.example.org and me@example.org", rf"www{WJ}.example.org and me{WJ}\@example.org"),
        ("- a list item", r"\- a list item"),
        ("12. numbered", r"12\. numbered"),
        ("two\nlines", "two lines"),
        ("back\\slash", r"back\\slash"),
    ],
)
def test_escape_markdown_keeps_user_text_literal(text, shown):
    """Checked in Chromium too: each renders as the text itself, with no link, emphasis or list."""
    assert escape_markdown(text) == shown
