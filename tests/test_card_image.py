"""The card PNG: its QR scans (also as a phone photo would see it), it stays small, it shows
what the member has, and it draws the same way every time."""

from __future__ import annotations

import io
import logging
import random
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
import qrcode
import zxingcpp
from PIL import Image, ImageFilter
from qrcode import util as qr_util

from bot.services import card_image
from bot.services.card_image import (
    ELLIPSIS,
    CardLabels,
    CardRenderer,
    CardView,
    FastQRCode,
    FontKind,
    find_font,
    format_points,
    format_short_code,
    mask_penalty,
    truncate_to_width,
)

PAYLOAD = "https://t.me/loyalty_test_bot?start=c" + "q3Xk9_Tz-Lm2PvR8sYw4HbN6cJ0fGa1EuD7iOx5W"
assert len(PAYLOAD) - len("https://t.me/loyalty_test_bot?start=c") == 40

LABELS = CardLabels(
    points="баллов",
    stamps="Штампы 3 из 5",
    code_hint="Код для кассира",
    footer="Действителен до 12:30",
)
VIEW = CardView(
    program_name="Кофейня «Зерно»",
    member_name="Анна Петрова",
    tier_name="Серебро",
    tier_color="#C0C0C0",
    points=1250,
    stamps=3,
    stamps_needed=5,
    qr_payload=PAYLOAD,
    short_code="ACDE7FGH",
    labels=LABELS,
)


@pytest.fixture(scope="module")
def renderer() -> CardRenderer:
    return CardRenderer()


@pytest.fixture(scope="module")
def card(renderer: CardRenderer) -> Image.Image:
    return Image.open(io.BytesIO(renderer.render(VIEW))).convert("RGB")


def decoded(image: Image.Image) -> list[str]:
    found = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    return [code.text for code in found]


def test_the_qr_gives_back_the_deep_link_exactly(card: Image.Image):
    assert decoded(card) == [PAYLOAD]


def _scaled(image: Image.Image, share: float) -> Image.Image:
    size = (round(image.width * share), round(image.height * share))
    return image.resize(size, Image.Resampling.LANCZOS)


def _downscaled(image: Image.Image) -> Image.Image:
    return _scaled(image, 0.4)


def _rotated(image: Image.Image) -> Image.Image:
    return image.rotate(12, resample=Image.Resampling.BICUBIC, expand=True, fillcolor="white")


def _blurred(image: Image.Image) -> Image.Image:
    return image.filter(ImageFilter.GaussianBlur(1.5))


def _noisy(image: Image.Image, seed: int = 20240317) -> Image.Image:
    grey = image.convert("L")
    static = random.Random(seed).randbytes(grey.width * grey.height)
    return Image.blend(grey, Image.frombytes("L", grey.size, static), 0.3)


def _in_a_photo(image: Image.Image, share: float = 0.35) -> Image.Image:
    photo = Image.new("RGB", (1600, 1200), (128, 128, 128))
    photo.paste(_scaled(image, share), (611, 287))
    return photo


def _everything(image: Image.Image) -> Image.Image:
    shaken = _rotated(_scaled(image, 0.5)).filter(ImageFilter.GaussianBlur(1.0))
    return _in_a_photo(_noisy(shaken, seed=7).convert("RGB"), share=0.8)


@pytest.mark.parametrize(
    "transform",
    [_downscaled, _rotated, _blurred, _noisy, _in_a_photo, _everything],
    ids=["downscaled-40%", "rotated-12deg", "blurred-1.5", "noisy", "in-a-photo", "all-at-once"],
)
def test_the_qr_still_scans_as_a_phone_photo_sees_it(
    card: Image.Image, transform: Callable[[Image.Image], Image.Image]
):
    assert decoded(transform(card)) == [PAYLOAD]


def test_the_png_is_small_and_fits_telegram(renderer: CardRenderer):
    png = renderer.render(replace(VIEW, labels=replace(LABELS, coupon="Купон: −15% до 20.03")))
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert len(png) < 60 * 1024
    assert image.width == 800
    assert 900 <= image.height <= 1400
    assert image.width + image.height <= 10_000
    assert max(image.size) / min(image.size) <= 20


def _stamp_row(image: Image.Image, stamps_needed: int) -> list[str]:
    """Each stamp circle's state, read above its centre (clear of the tick): filled or empty."""
    layout = card_image._layout(stamps_needed > 0, False, True)
    slots = stamps_needed + 1
    diameter = min(card_image.STAMP_MAX_D, int(card_image.INNER / (slots + (slots - 1) / 4)))
    gap = max(2, diameter // 4)
    y = layout.stamps_top + (card_image.STAMP_MAX_D - diameter) // 2 + diameter // 4
    states = []
    for index in range(stamps_needed):
        x = card_image.LEFT + index * (diameter + gap) + diameter // 2
        red, green, blue = image.getpixel((x, y))
        states.append("filled" if red + green + blue < 3 * 100 else "empty")
    return states


@pytest.mark.parametrize(
    ("stamps", "needed", "row"),
    [
        (0, 5, ["empty"] * 5),
        (3, 5, ["filled"] * 3 + ["empty"] * 2),
        (5, 5, ["filled"] * 5),
        (9, 5, ["filled"] * 5),
        (2, 10, ["filled"] * 2 + ["empty"] * 8),
        (7, 20, ["filled"] * 7 + ["empty"] * 13),
    ],
)
def test_the_stamp_row_shows_the_visits(renderer: CardRenderer, stamps: int, needed: int, row):
    view = replace(VIEW, stamps=stamps, stamps_needed=needed)
    image = Image.open(io.BytesIO(renderer.render(view))).convert("RGB")
    assert _stamp_row(image, needed) == row
    assert decoded(image) == [PAYLOAD]


def test_a_programme_without_stamps_leaves_the_row_out(renderer: CardRenderer, card: Image.Image):
    png = renderer.render(replace(VIEW, stamps=0, stamps_needed=0))
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert image.height < card.height
    assert decoded(image) == [PAYLOAD]


def test_an_endless_name_is_cut_short_not_spilled(renderer: CardRenderer):
    view = replace(
        VIEW,
        member_name="Анна-Мария Константиновна Петрова-Водкина " * 20,
        program_name="Сеть кофеен «Зерно» на Большой Покровской " * 10,
        tier_name="Платиновый уровень для самых верных гостей",
        labels=replace(LABELS, coupon="Купон: " + "скидка 15% на всё " * 10),
    )
    image = Image.open(io.BytesIO(renderer.render(view))).convert("RGB")
    assert decoded(image) == [PAYLOAD]


def test_truncation_fits_the_width_and_ends_with_an_ellipsis(renderer: CardRenderer):
    font = renderer.font(FontKind.BOLD, 46)
    name = "Анна-Мария Константиновна Петрова-Водкина"
    shortened = truncate_to_width(name, font, 300)
    assert shortened.endswith(ELLIPSIS)
    assert font.getlength(shortened) <= 300
    assert name.startswith(shortened.removesuffix(ELLIPSIS))
    assert len(shortened) > 5
    assert truncate_to_width("Анна", font, 300) == "Анна"
    assert truncate_to_width("Анна\n  Петрова", font, 600) == "Анна Петрова"
    assert truncate_to_width(name, font, 2) == ""


def test_the_same_view_gives_the_same_bytes(renderer: CardRenderer):
    first = renderer.render(VIEW)
    assert renderer.render(VIEW) == first
    assert CardRenderer().render(VIEW) == first


def test_threads_can_share_a_renderer(renderer: CardRenderer):
    views = [replace(VIEW, points=points, stamps=points % 6) for points in range(8)]
    alone = [renderer.render(view) for view in views]
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(renderer.render, views)) == alone


def test_emoji_the_font_lacks_are_left_out(renderer: CardRenderer):
    assert renderer.render(replace(VIEW, member_name="Анна 🌸")) == renderer.render(
        replace(VIEW, member_name="Анна")
    )


def test_the_fonts_found_draw_cyrillic(renderer: CardRenderer):
    if find_font(FontKind.REGULAR) is None:
        pytest.skip("no TrueType font on this machine")
    for kind in FontKind:
        font = renderer.font(kind, 40)
        assert isinstance(font, card_image.ImageFont.FreeTypeFont)
        assert card_image._glyph_pixels(font, "Ж") != card_image._glyph_pixels(font, "\uffff")


def test_a_bad_font_path_falls_back_with_a_warning(caplog: pytest.LogCaptureFixture):
    with caplog.at_level(logging.WARNING, logger=card_image.__name__):
        renderer = CardRenderer(font_path="/nonexistent/font.ttf")
    assert "/nonexistent/font.ttf" in caplog.text
    assert renderer.font_paths[FontKind.REGULAR] == find_font(FontKind.REGULAR)


def test_without_any_font_the_card_still_renders(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    monkeypatch.setattr(card_image, "find_font", lambda kind=FontKind.REGULAR: None)
    card_image._warn_default_font.cache_clear()
    with caplog.at_level(logging.WARNING, logger=card_image.__name__):
        renderer = CardRenderer()
        CardRenderer()
    assert caplog.text.count("built-in font") == 1
    assert set(renderer.font_paths.values()) == {None}
    image = Image.open(io.BytesIO(renderer.render(VIEW))).convert("RGB")
    assert decoded(image) == [PAYLOAD]
    card_image._warn_default_font.cache_clear()


def test_a_tier_colour_that_is_not_a_colour_does_not_break_the_card(renderer: CardRenderer):
    image = Image.open(io.BytesIO(renderer.render(replace(VIEW, tier_color="gold-ish"))))
    assert decoded(image.convert("RGB")) == [PAYLOAD]


def test_numbers_and_codes_read_well():
    assert format_short_code("acde7fgh") == "ACDE-7FGH"
    assert format_short_code("ABC") == "ABC"
    assert format_points(1234567) == "1\u202f234\u202f567"
    assert format_points(-50) == "-50"


@pytest.mark.parametrize(
    "payload",
    [PAYLOAD, "x", "https://t.me/b?start=c" + "A" * 35, "Z" * 700, "12345678901234567890"],
)
def test_the_quick_qr_encoder_draws_what_qrcode_draws(payload: str):
    ours = FastQRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    stock = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    for code in (ours, stock):
        code.add_data(payload)
        code.make(fit=True)
    assert ours.get_matrix() == stock.get_matrix()
    rows = [int("".join("1" if dark else "0" for dark in row), 2) for row in stock.modules]
    assert mask_penalty(rows, len(rows)) == qr_util.lost_point(stock.modules)
