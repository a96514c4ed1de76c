"""The one safe entry for every image a user gives the app: bytes in, a plain 'L' or 'RGB' image out.

Uploads are untrusted: only a few decoders are allowed, and before anything is decoded the memory the
decode will take is worked out from the header (pixels times the bytes each pixel of its mode needs
on the way to a small picture) and capped, so neither decompression bombs nor tiny 16-bit files of
30 million pixels can take the server's memory. Large pictures are shrunk to at most MAX_SIDE pixels
right after decoding (JPEGs are decoded shrunk), before any conversion or array copy, and at most two
large decodes run at once. Every decoder failure becomes an ``ImageInputError`` whose message a
student can act on. Odd modes (16-bit, palette, CMYK, transparency, animation, EXIF rotation) are
turned into what a viewer would show.
"""

from __future__ import annotations

import contextlib
import io
import math
import re
import threading
import warnings
from collections.abc import Iterator

import numpy as np
from PIL import Image

FORMATS = ("PNG", "JPEG", "GIF", "WEBP", "BMP")
MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 30_000_000
MAX_SIDE = 1024  # no page needs more: predict works at 512 px, the playground at 64
MAX_DECODE_BYTES = 40 * 2**20  # with the shrink's own buffers, an upload adds at most 64 MB
LARGE_DECODE_BYTES = 8 * 2**20  # decodes above this take one of two slots
DECODE_SLOTS = threading.BoundedSemaphore(2)
DECODE_WAIT_S = 30.0
GREY_MODES = ("1", "L")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Peak bytes per pixel from decoding to the shrunk picture: the decoded image (Pillow keeps RGB in 4
# bytes) plus any full-size copy the shrink needs: palette and 1-bit pictures are converted first,
# and transparent ones are premultiplied by Pillow's resize (RGBA -> RGBa). Other modes count 8.
BYTES_PER_PIXEL = {
    "1": 2,
    "L": 1,
    "P": 8,
    "I;16": 2,
    "I;16B": 2,
    "I;16L": 2,
    "I;16N": 2,
    "I": 4,
    "F": 4,
    "RGB": 4,
    "RGBX": 4,
    "CMYK": 4,
    "YCbCr": 4,
}
WEBP_EXTRA_BYTES_PER_PIXEL = 8  # libwebp's canvas and the decoded frame handed to Pillow
MODE_NAMES = {"I;16": "16-bit", "I;16B": "16-bit", "I;16L": "16-bit", "I;16N": "16-bit", "I": "32-bit", "F": "float"}
ORIENTATION = 0x0112
TRANSPOSES = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
# What turns plain text into markup in st.markdown: links and images ([]), autolinks and HTML (<>),
# emphasis, code, maths, tables, headings, Streamlit's :colour[...] and :emoji:, entities (&); plus
# list markers at the start. Bare URLs and e-mail addresses are linked after escapes are resolved
# (GFM autolink literals, checked in Chromium), so an invisible word joiner breaks their 'https:',
# 'www.' and '@' instead.
MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>$~|#:@&])")
AUTOLINK_ANCHOR = re.compile(r"(?=[:@])|(?<=www)(?=\.)", re.IGNORECASE)
WORD_JOINER = "\u2060"
LIST_MARKER = re.compile(r"^(\s*(?:\d+)?)([-+.)])")


class ImageInputError(ValueError):
    """An image the app cannot use; the message says what is wrong and what to do."""


def escape_markdown(text: object) -> str:
    """User text (a file name, a label, a message quoting it) shown literally by st.markdown, on one line."""
    line = AUTOLINK_ANCHOR.sub(WORD_JOINER, " ".join(str(text).splitlines()))
    return LIST_MARKER.sub(r"\1\\\2", MARKDOWN_SPECIAL.sub(r"\\\1", line))


def load_image(data: bytes) -> Image.Image:
    """Decode untrusted image bytes into an 'L' or 'RGB' image at most MAX_SIDE px, or raise ImageInputError."""
    if not data:
        raise ImageInputError("The file is empty. Upload a PNG, JPEG, GIF, WebP or BMP image.")
    if len(data) > MAX_BYTES:
        raise ImageInputError(
            f"The file is {len(data) / 2**20:.1f} MB; images up to "
            f"{MAX_BYTES // 2**20} MB are accepted. Save a smaller copy and try again."
        )
    _check_webp_header(data)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        image = _open(data)
        _check_size(image.size)
        cost = _decode_cost(image)
        try:
            with _decode_slot(cost):
                image.load()
                orientation = image.getexif().get(ORIENTATION)
                small = _shrink(image)
        except ImageInputError:
            raise
        except Exception as exc:  # decoders raise OSError, SyntaxError, ValueError, EOFError, ...
            raise ImageInputError(
                "The image is truncated or corrupt and could not be decoded. Export it again and re-upload it."
            ) from exc
    if orientation in TRANSPOSES:
        small = small.transpose(TRANSPOSES[orientation])
    return _to_plain_mode(small)


def _open(data: bytes) -> Image.Image:
    """Identify the format from the header only; bombs above Pillow's hard limit fail here."""
    try:
        return Image.open(io.BytesIO(data), formats=list(FORMATS))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageInputError(_too_many_pixels_message()) from exc
    except Exception as exc:  # UnidentifiedImageError and header parse errors of every kind
        if _png_declares_no_area(data):
            raise ImageInputError("The image has a width or height of 0 pixels: there is nothing to look at.") from exc
        raise ImageInputError(
            "This file is not an image the app can read. Upload a PNG, JPEG, GIF, WebP or BMP file."
        ) from exc


def _png_declares_no_area(data: bytes) -> bool:
    """Pillow refuses 0-pixel PNGs as 'unidentified'; read the header to say what is really wrong."""
    if not data.startswith(PNG_SIGNATURE) or data[12:16] != b"IHDR" or len(data) < 24:
        return False
    return int.from_bytes(data[16:20], "big") == 0 or int.from_bytes(data[20:24], "big") == 0


def _webp_size(data: bytes) -> tuple[int, int] | None:
    """The canvas size a WebP header declares (lossy, lossless or extended), or None if it is not one."""
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP" or len(data) < 30:
        return None
    chunk = data[12:16]
    if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":
        return int.from_bytes(data[26:28], "little") & 0x3FFF, int.from_bytes(data[28:30], "little") & 0x3FFF
    if chunk == b"VP8X":
        return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    if chunk == b"VP8L" and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def _check_webp_header(data: bytes) -> None:
    """libwebp allocates its whole canvas when the file is opened: check the size before that."""
    size = _webp_size(data)
    if size is not None:
        _check_size(size)
        _check_cost(size, "WebP", (4 + WEBP_EXTRA_BYTES_PER_PIXEL) * size[0] * size[1])


def _too_many_pixels_message() -> str:
    return (
        f"The image has too many pixels (more than {MAX_PIXELS / 1e6:.0f} million). "
        "A digit needs far fewer: shrink it and upload it again."
    )


def _check_size(size: tuple[int, int]) -> None:
    width, height = size
    if width <= 0 or height <= 0:
        raise ImageInputError(f"The image is {width}x{height} pixels: there is nothing to look at.")
    if width * height > MAX_PIXELS:
        raise ImageInputError(_too_many_pixels_message())


def _decode_cost(image: Image.Image) -> int:
    """Peak bytes from decoding to the shrunk picture, from the header; JPEGs are set to decode shrunk."""
    full_width, full_height = image.size
    if image.format == "JPEG" and max(image.size) > MAX_SIDE:
        scale = MAX_SIDE / 2 / max(image.size)  # libjpeg scales by 1/2, 1/4 or 1/8: keep at least half of MAX_SIDE
        image.draft(None, (math.ceil(full_width * scale), math.ceil(full_height * scale)))
    width, height = image.size
    cost = width * height * BYTES_PER_PIXEL.get(image.mode, 8)
    if image.format == "WEBP":
        cost += width * height * WEBP_EXTRA_BYTES_PER_PIXEL
    if image.format == "JPEG" and image.info.get("progressive"):
        cost += _progressive_jpeg_bytes(image, full_width * full_height)
    kind = f"{MODE_NAMES[image.mode]} {image.format}" if image.mode in MODE_NAMES else str(image.format)
    _check_cost((full_width, full_height), kind, cost)
    return cost


def _progressive_jpeg_bytes(image: Image.Image, pixels: int) -> int:
    """libjpeg keeps every DCT coefficient (2 bytes) of a progressive JPEG, at full size, chroma subsampled."""
    sampling = [(h, v) for _id, h, v, _table in getattr(image, "layer", [])] or [(1, 1)] * len(image.getbands())
    h_max, v_max = max(h for h, _ in sampling), max(v for _, v in sampling)
    return math.ceil(2 * pixels * sum(h * v for h, v in sampling) / (h_max * v_max))


def _check_cost(size: tuple[int, int], kind: str, cost: int) -> None:
    if cost > MAX_DECODE_BYTES:
        raise ImageInputError(
            f"This {size[0]}x{size[1]} {kind} image would need {math.ceil(cost / 2**20)} MB of memory to decode; "
            f"the limit is {MAX_DECODE_BYTES // 2**20} MB. Save it smaller (a digit needs a few hundred "
            "pixels), or as an 8-bit PNG or a JPEG, and upload it again."
        )


@contextlib.contextmanager
def _decode_slot(cost: int) -> Iterator[None]:
    """Large decodes take one of two slots, so six large uploads at once cannot stack up in memory."""
    if cost <= LARGE_DECODE_BYTES:
        yield
        return
    if not DECODE_SLOTS.acquire(timeout=DECODE_WAIT_S):
        raise ImageInputError("The server is busy decoding other large pictures. Try again in a moment.")
    try:
        yield
    finally:
        DECODE_SLOTS.release()


def _shrink(image: Image.Image) -> Image.Image:
    """The picture with its longer side at most MAX_SIDE, by area averaging; a full-size original is freed."""
    work = image
    if work.mode == "P":
        work = work.convert("RGBA" if "transparency" in work.info else "RGB")
    elif work.mode == "PA":
        work = work.convert("RGBA")
    elif work.mode == "1":
        work = work.convert("L")
    if max(work.size) > MAX_SIDE:
        scale = MAX_SIDE / max(work.size)
        size = (max(1, round(work.width * scale)), max(1, round(work.height * scale)))
        work = work.resize(size, Image.Resampling.BOX)
    if work is not image:
        image.close()
    return work


def _to_plain_mode(image: Image.Image) -> Image.Image:
    """'L' for grey images, 'RGB' for colour; transparency composited on a contrasting background."""
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        return _high_depth_to_l(image)
    if image.mode in ("LA", "La", "RGBA", "RGBa"):
        return _composite(image)
    if image.mode in GREY_MODES:
        return image.convert("L")
    return image.convert("RGB")


def _high_depth_to_l(image: Image.Image) -> Image.Image:
    """16-bit or float grey to 8-bit by the range its values use (65535 -> 255 for 16-bit files)."""
    values = np.asarray(image, dtype=np.float32)
    top = float(values.max(initial=0.0))
    if image.mode == "F" and 0.0 <= values.min(initial=0.0) and top <= 1.0:
        scale = 255.0
    else:
        full = 255.0 if top <= 255 else 65535.0 if top <= 65535 else top
        scale = 255.0 / full
    values *= np.float32(scale)
    np.clip(np.rint(values, out=values), 0, 255, out=values)
    return Image.fromarray(values.astype(np.uint8), "L")


def _composite(image: Image.Image) -> Image.Image:
    """Flatten transparency onto white for dark ink, onto black for light ink, so ink stays visible."""
    grey = image.mode in ("LA", "La")
    rgba = image.convert("RGBA")
    alpha = np.asarray(rgba.getchannel("A"), dtype=np.float32)
    luma = np.asarray(rgba.convert("L"), dtype=np.float32)
    weight = alpha.sum(dtype=np.float64)
    ink_brightness = (luma * alpha).sum(dtype=np.float64) / weight if weight else 0.0
    background = (0, 0, 0, 255) if ink_brightness > 127.5 else (255, 255, 255, 255)
    flat = Image.alpha_composite(Image.new("RGBA", rgba.size, background), rgba).convert("RGB")
    return flat.convert("L") if grey else flat
