"""Reading a member's QR from a photo a cashier took of the customer's phone."""

from __future__ import annotations

import io

import zxingcpp
from PIL import Image, ImageFilter, ImageOps, UnidentifiedImageError

MAX_SIDE = 2000


def read_qr(data: bytes) -> list[str]:
    """Every QR text found in the image, trying a few clean-ups for poor photos."""
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        return []
    image = ImageOps.exif_transpose(image).convert("L")
    if max(image.size) > MAX_SIDE:
        image.thumbnail((MAX_SIDE, MAX_SIDE))
    attempts = (
        lambda img: img,
        ImageOps.autocontrast,
        lambda img: img.filter(ImageFilter.SHARPEN),
        lambda img: img.resize((img.width * 2, img.height * 2), Image.Resampling.LANCZOS),
        lambda img: img.point(lambda value: 255 if value > 128 else 0),
    )
    for attempt in attempts:
        found = zxingcpp.read_barcodes(
            attempt(image),
            formats=zxingcpp.BarcodeFormat.QRCode,
            try_rotate=True,
            try_downscale=True,
        )
        texts = [barcode.text for barcode in found if barcode.valid and barcode.text]
        if texts:
            return texts
    return []
