"""The one safe entry for every image a user gives the app: bytes in, a plain 'L' or 'RGB' image out.

Uploads are untrusted: only a few decoders are allowed, the pixel count is checked from the header
before anything is decoded (decompression bombs), and every decoder failure becomes an
``ImageInputError`` whose message a student can act on. Odd modes (16-bit, palette, CMYK,
transparency, animation, EXIF rotation) are turned into what a viewer would show.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image, ImageOps

FORMATS = ("PNG", "JPEG", "GIF", "WEBP", "BMP")
MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 30_000_000
GREY_MODES = ("1", "L")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class ImageInputError(ValueError):
    """An image the app cannot use; the message says what is wrong and what to do."""


def load_image(data: bytes) -> Image.Image:
    """Decode untrusted image bytes into an 'L' or 'RGB' image, or raise ImageInputError."""
    if not data:
        raise ImageInputError("The file is empty. Upload a PNG, JPEG, GIF, WebP or BMP image.")
    if len(data) > MAX_BYTES:
        raise ImageInputError(
            f"The file is {len(data) / 2**20:.1f} MB; images up to "
            f"{MAX_BYTES // 2**20} MB are accepted. Save a smaller copy and try again."
        )
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        image = _open(data)
        _check_size(image.size)
        try:
            image.load()
            image = ImageOps.exif_transpose(image)
        except Exception as exc:  # decoders raise OSError, SyntaxError, ValueError, EOFError, ...
            raise ImageInputError(
                "The image is truncated or corrupt and could not be decoded. Export it again and re-upload it."
            ) from exc
    return _to_plain_mode(image)


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


def _to_plain_mode(image: Image.Image) -> Image.Image:
    """'L' for grey images, 'RGB' for colour; transparency composited on a contrasting background."""
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        return _high_depth_to_l(image)
    if image.mode in ("LA", "La", "PA", "RGBA", "RGBa"):
        return _composite(image)
    if image.mode in GREY_MODES:
        return image.convert("L")
    return image.convert("RGB")


def _high_depth_to_l(image: Image.Image) -> Image.Image:
    """16-bit or float grey to 8-bit by the range its values use (65535 -> 255 for 16-bit files)."""
    values = np.asarray(image, dtype=np.float64)
    top = values.max(initial=0.0)
    if image.mode == "F" and 0.0 <= values.min(initial=0.0) and top <= 1.0:
        scale = 255.0
    else:
        full = 255.0 if top <= 255 else 65535.0 if top <= 65535 else top
        scale = 255.0 / full
    return Image.fromarray(np.clip(np.rint(values * scale), 0, 255).astype(np.uint8), "L")


def _composite(image: Image.Image) -> Image.Image:
    """Flatten transparency onto white for dark ink, onto black for light ink, so ink stays visible."""
    grey = image.mode in ("LA", "La")
    rgba = image.convert("RGBA")
    alpha = np.asarray(rgba.getchannel("A"), dtype=np.float64)
    luma = np.asarray(rgba.convert("L"), dtype=np.float64)
    weight = alpha.sum()
    ink_brightness = (luma * alpha).sum() / weight if weight else 0.0
    background = (0, 0, 0, 255) if ink_brightness > 127.5 else (255, 255, 255, 255)
    flat = Image.alpha_composite(Image.new("RGBA", rgba.size, background), rgba).convert("RGB")
    return flat.convert("L") if grey else flat
