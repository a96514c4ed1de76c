"""An accepted upload adds at most 64 MB to the server's peak memory; refused ones say why in a sentence.

Each crafted file is decoded by load_image in a fresh Python process, which reports how far its peak
resident memory rose above its resident memory just before the call (Linux /proc). Nothing here
depends on how fast the machine is.
"""

import io
import json
import math
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from cnnviz import images
from cnnviz.images import ImageInputError, load_image

ROOT = Path(__file__).resolve().parents[1]
BUDGET_MB = 64
# ru_maxrss carries over from the parent (pytest, after the fork) into the child, so the child
# resets its own peak (VmHWM, via clear_refs) right before the call and reads that peak after it.
MEASURE = """
import json, sys
from cnnviz.images import ImageInputError, load_image

def status_kb(field):
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ":"))

load_image(open(sys.argv[2], "rb").read())  # the same format's decoder, loaded and warmed up
data = open(sys.argv[1], "rb").read()
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # the peak resident size starts again from the present one
before = status_kb("VmRSS")
try:
    image = load_image(data)
    outcome = f"accepted {image.size[0]}x{image.size[1]} {image.mode}"
except ImageInputError as exc:
    outcome = f"refused: {exc}"
print(json.dumps({"added_mb": (status_kb("VmHWM") - before) / 1024, "outcome": outcome}))
"""


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def streamed_png(width: int, height: int, bit_depth: int, colour_type: int, channels: int) -> bytes:
    """A PNG of mostly black rows with a bright bar, written row by row: small file, big picture."""
    row_bytes = width * channels * bit_depth // 8
    blank = b"\0" * (row_bytes + 1)
    bar = b"\0" + b"\xff" * row_bytes
    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(bar if height // 3 < y < height // 2 else blank) for y in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", body + packer.flush())
        + png_chunk(b"IEND", b"")
    )


def pixels_header_png(width: int, height: int) -> bytes:
    """A PNG whose header claims a size its few bytes of pixel data do not have: a decompression bomb's shape."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(b"\0" * 64))


def encoded(image: Image.Image, fmt: str, **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()


def big_picture(mode: str, size: tuple[int, int]) -> Image.Image:
    image = Image.new(mode, size, "white")
    ImageDraw.Draw(image).line([(size[0] // 4, size[1] // 4), (size[0] * 3 // 4, size[1] * 3 // 4)], "black", 40)
    return image


def many_frames_gif(side: int, count: int) -> bytes:
    frames = [Image.new("P", (side, side), 0) for _ in range(count)]
    for i, frame in enumerate(frames):
        ImageDraw.Draw(frame).rectangle([i * 40, 100, i * 40 + 300, 400], fill=1 + i)
    return encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=40)


def edge(bytes_per_pixel: int) -> int:
    """The side of the largest square picture the decode cap lets through at this many bytes per pixel."""
    return min(math.isqrt(images.MAX_DECODE_BYTES // bytes_per_pixel), math.isqrt(images.MAX_PIXELS))


S16, S8, SRGB, SRGBA, SWEBP = edge(2), edge(1), edge(4), edge(8), edge(4 + images.WEBP_EXTRA_BYTES_PER_PIXEL)
CASES = {
    # name: (file bytes, the format of a tiny file to warm the decoder with, what must happen)
    "16-bit PNG, 5470x5470 (the 84 KB file of the issue)": (
        lambda: streamed_png(5470, 5470, 16, 0, 1),
        "png",
        "refused",
    ),
    "16-bit PNG at the cap": (lambda: streamed_png(S16, S16, 16, 0, 1), "png", "accepted"),
    "8-bit PNG at the cap": (lambda: streamed_png(S8, S8, 8, 0, 1), "png", "accepted"),
    "RGB PNG at the cap": (lambda: streamed_png(SRGB, SRGB, 8, 2, 3), "png", "accepted"),
    "RGBA PNG at the cap": (lambda: streamed_png(SRGBA, SRGBA, 8, 6, 4), "png", "accepted"),
    "RGB PNG just over the cap": (lambda: streamed_png(SRGB + 1, SRGB + 1, 8, 2, 3), "png", "refused"),
    "16-bit RGBA PNG bomb, 5470x5470": (lambda: streamed_png(5470, 5470, 16, 6, 4), "png", "refused"),
    "PNG header of 20000x20000": (lambda: pixels_header_png(20000, 20000), "png", "refused"),
    "JPEG, 6000x5000": (lambda: encoded(big_picture("RGB", (6000, 5000)), "JPEG", quality=90), "jpeg", "accepted"),
    "progressive JPEG, 6000x5000": (
        lambda: encoded(big_picture("RGB", (6000, 5000)), "JPEG", quality=90, progressive=True),
        "jpeg",
        "refused",
    ),
    "progressive 12 MP JPEG, 4:2:0": (
        lambda: encoded(big_picture("RGB", (4000, 3000)), "JPEG", quality=90, progressive=True, subsampling=2),
        "jpeg",
        "accepted",
    ),
    "progressive 12 MP JPEG, 4:4:4": (
        lambda: encoded(big_picture("RGB", (4000, 3000)), "JPEG", quality=90, progressive=True, subsampling=0),
        "jpeg",
        "refused",
    ),
    "progressive grey JPEG, 4000x4000": (
        lambda: encoded(big_picture("L", (4000, 4000)), "JPEG", quality=90, progressive=True),
        "jpeg",
        "accepted",
    ),
    "GIF, 30 frames of 1600x1600": (lambda: many_frames_gif(1600, 30), "gif", "accepted"),
    "GIF, 8 frames at the cap": (lambda: many_frames_gif(SRGBA, 8), "gif", "accepted"),
    "WebP at the cap": (lambda: encoded(big_picture("RGB", (SWEBP, SWEBP)), "WEBP", quality=80), "webp", "accepted"),
    "WebP, 4000x4000": (lambda: encoded(big_picture("RGB", (4000, 4000)), "WEBP", quality=50), "webp", "refused"),
}
TINY = {
    "png": lambda: encoded(Image.new("L", (8, 8)), "PNG"),
    "jpeg": lambda: encoded(Image.new("RGB", (8, 8)), "JPEG"),
    "gif": lambda: encoded(Image.new("P", (8, 8)), "GIF"),
    "webp": lambda: encoded(Image.new("RGB", (8, 8)), "WEBP"),
}


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc to read peak memory")
@pytest.mark.parametrize("name", list(CASES))
def test_an_upload_adds_at_most_64_mb(name, tmp_path):
    make, fmt, expected = CASES[name]
    big, tiny = tmp_path / "big", tmp_path / "tiny"
    big.write_bytes(make())
    tiny.write_bytes(TINY[fmt]())
    assert big.stat().st_size <= images.MAX_BYTES
    run = subprocess.run(
        [sys.executable, "-c", MEASURE, str(big), str(tiny)], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert report["outcome"].startswith(expected), report["outcome"]
    assert report["added_mb"] <= BUDGET_MB, f"{name}: +{report['added_mb']:.0f} MB ({report['outcome']})"
    if expected == "refused":
        message = report["outcome"].removeprefix("refused: ")
        assert message[0].isupper() and message.endswith(".") and "Traceback" not in message


def test_the_refusal_names_the_size_and_what_to_do():
    with pytest.raises(ImageInputError) as refused:
        load_image(streamed_png(5470, 5470, 16, 0, 1))
    message = str(refused.value)
    assert "5470x5470 16-bit PNG" in message and "MB of memory" in message and "8-bit PNG" in message


def test_large_decodes_wait_for_one_of_two_slots(monkeypatch):
    """With both slots taken a large decode is refused after the wait (here: none); small ones go on."""
    large = streamed_png(3000, 3000, 8, 0, 1)  # 9 MB decoded: above LARGE_DECODE_BYTES
    monkeypatch.setattr(images, "DECODE_WAIT_S", 0)
    assert images.DECODE_SLOTS.acquire(timeout=0) and images.DECODE_SLOTS.acquire(timeout=0)
    try:
        with pytest.raises(ImageInputError, match="busy decoding other large pictures"):
            load_image(large)
        assert load_image(streamed_png(300, 300, 8, 0, 1)).size == (300, 300)
    finally:
        images.DECODE_SLOTS.release()
        images.DECODE_SLOTS.release()
    assert load_image(large).size == (images.MAX_SIDE, images.MAX_SIDE)
    assert images.DECODE_SLOTS.acquire(timeout=0) and images.DECODE_SLOTS.acquire(timeout=0)  # both came back
    images.DECODE_SLOTS.release()
    images.DECODE_SLOTS.release()


def test_a_shrunk_picture_keeps_its_content():
    """A big 16-bit PNG with a bright bar in rows 1/3..1/2 comes back as 8 bits, the bar in place."""
    loaded = np.asarray(load_image(streamed_png(4400, 4400, 16, 0, 1)))
    assert loaded.shape == (images.MAX_SIDE, images.MAX_SIDE)
    rows = np.flatnonzero(loaded.mean(axis=1) > 128)
    assert abs(rows[0] - images.MAX_SIDE / 3) <= 2 and abs(rows[-1] - images.MAX_SIDE / 2) <= 2
    assert loaded.max() == 255 and loaded.min() == 0
