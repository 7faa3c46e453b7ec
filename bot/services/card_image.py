"""The member's loyalty card drawn as a PNG that reads like a wallet pass.

A dark header holds the programme, the member's name and the tier badge; the white body holds the
points balance, the stamp row, an optional coupon, the QR code with its quiet zone and the short
member code for manual entry. Every string arrives already translated.

Speed comes from doing the expensive parts once per renderer: fonts load once per size, the card
background once per layout, the stamp row and badge shapes once per combination, and the PNG
palette once. A render copies the background, pastes the QR, draws a handful of strings and
maps the result onto the palette, which keeps the PNG small and quick to compress.
"""

from __future__ import annotations

import importlib.util
import io
import logging
import re
import threading
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache, lru_cache
from pathlib import Path
from typing import TypeAlias

import qrcode
from PIL import Image, ImageColor, ImageDraw, ImageFont
from qrcode import util as qr_util
from qrcode.constants import ERROR_CORRECT_M

log = logging.getLogger(__name__)

Font: TypeAlias = ImageFont.FreeTypeFont | ImageFont.ImageFont
RGB: TypeAlias = tuple[int, int, int]

ELLIPSIS = "…"

# Geometry in pixels. Portrait, so the QR stays big in a phone's chat bubble and photo viewer.
WIDTH = 800
MARGIN = 20  # page around the card
PAD = 48  # card edge to content
RADIUS = 36
LEFT = MARGIN + PAD
RIGHT = WIDTH - LEFT
INNER = RIGHT - LEFT
HEADER_H = 200
HEADER_MIDDLE = MARGIN + 62  # programme name and tier badge
NAME_BASELINE = MARGIN + 152
QR_SLOT = 470  # the largest QR, quiet zone included
QR_QUIET = 4  # modules of white around the code, as the standard asks
STAMP_MAX_D = 54
MAX_CIRCLES = 30
COUPON_H = 60
BADGE_H = 44
SUPERSAMPLE = 3  # shapes are drawn this much larger and scaled down for smooth edges

PAGE = (232, 236, 241)
CARD = (255, 255, 255)
HEADER = (27, 38, 59)
HEADER_GLOW = (
    36,
    50,
    76,
)  # a large disc in the header's corner, flat: gradients band in a palette
WHITE = (255, 255, 255)
INK = (17, 24, 39)
QR_DARK = (0, 0, 0)
MUTED = (107, 114, 128)
ON_HEADER = (203, 213, 225)
STAMP_EMPTY = (209, 213, 219)
STAMP_FILLED = (30, 41, 59)
REWARD = (245, 158, 11)
COUPON_BG = (254, 243, 199)
COUPON_INK = (146, 64, 14)
RULE = (229, 231, 235)
DEFAULT_TIER = (156, 163, 175)

# The PNG is paletted: colours taken from a reference card once, plus ramps for the tier colour,
# the only colour that changes between cards.
STATIC_COLOURS = 224
RAMP_STEPS = 16

# A noncharacter: no font maps it, so every font draws its "missing glyph" box for it.
_MISSING_PROBE = "\uffff"
_MISSING_CACHE_LIMIT = 20_000
# Line breaks and runs of spaces collapse to one space; no-break spaces (in numbers) stay.
_BLANKS = re.compile(r"[^\S\u00a0\u202f]+")
_LABEL_CACHE_LIMIT = 512


class FontKind(StrEnum):
    REGULAR = "regular"
    BOLD = "bold"
    MONO = "mono"


_MATPLOTLIB_FILES = {
    FontKind.REGULAR: "DejaVuSans.ttf",
    FontKind.BOLD: "DejaVuSans-Bold.ttf",
    FontKind.MONO: "DejaVuSansMono.ttf",
}

# Fonts with Cyrillic where Debian/Ubuntu, Fedora, Arch, Alpine, macOS and Windows keep them.
_SYSTEM_FILES = {
    FontKind.REGULAR: (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
        "/usr/share/fonts/TTF/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
        "/usr/share/fonts/liberation-sans/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
        "/usr/share/fonts/noto/NotoSans-Regular.ttf",
        "/System/Library/Fonts/Supplemental/Arial.ttf",
        "C:/Windows/Fonts/arial.ttf",
    ),
    FontKind.BOLD: (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
        "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf",
        "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans-Bold.ttf",
        "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
        "/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf",
        "/usr/share/fonts/liberation-sans/LiberationSans-Bold.ttf",
        "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf",
        "/usr/share/fonts/noto/NotoSans-Bold.ttf",
        "/System/Library/Fonts/Supplemental/Arial Bold.ttf",
        "C:/Windows/Fonts/arialbd.ttf",
    ),
    FontKind.MONO: (
        "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
        "/usr/share/fonts/dejavu/DejaVuSansMono.ttf",
        "/usr/share/fonts/dejavu-sans-mono-fonts/DejaVuSansMono.ttf",
        "/usr/share/fonts/TTF/DejaVuSansMono.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf",
        "/usr/share/fonts/truetype/liberation2/LiberationMono-Regular.ttf",
        "/usr/share/fonts/liberation-mono/LiberationMono-Regular.ttf",
        "/usr/share/fonts/truetype/noto/NotoSansMono-Regular.ttf",
        "/usr/share/fonts/noto/NotoSansMono-Regular.ttf",
        "/System/Library/Fonts/Supplemental/Courier New.ttf",
        "C:/Windows/Fonts/consola.ttf",
    ),
}


@dataclass(frozen=True, slots=True)
class CardLabels:
    """Strings on the card, already translated (and pluralised) by the caller."""

    points: str
    stamps: str
    code_hint: str
    footer: str = ""
    coupon: str = ""


@dataclass(frozen=True, slots=True)
class CardView:
    program_name: str
    member_name: str
    tier_name: str
    tier_color: str
    points: int
    stamps: int
    stamps_needed: int  # 0: the programme has no stamps and the row is left out
    qr_payload: str
    short_code: str
    labels: CardLabels


# Fonts


def _matplotlib_fonts_dir() -> Path | None:
    """Where matplotlib keeps its DejaVu fonts, found without importing matplotlib."""
    try:
        spec = importlib.util.find_spec("matplotlib")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "mpl-data" / "fonts" / "ttf"


def font_candidates(kind: FontKind) -> Iterator[Path]:
    """Font files worth trying for this kind, best first; they may not exist."""
    fonts_dir = _matplotlib_fonts_dir()
    if fonts_dir is not None:
        yield fonts_dir / _MATPLOTLIB_FILES[kind]
    for name in _SYSTEM_FILES[kind]:
        yield Path(name)


@cache
def find_font(kind: FontKind = FontKind.REGULAR) -> str | None:
    """The first usable font file of this kind on this machine, or None when there is none."""
    for path in font_candidates(FontKind(kind)):
        if path.is_file() and _loadable(str(path)):
            return str(path)
    return None


def _loadable(path: str) -> bool:
    try:
        ImageFont.truetype(path, 12)
    except OSError:
        return False
    return True


def _resolve_font(explicit: str | None, kind: FontKind) -> str | None:
    if explicit:
        if _loadable(explicit):
            return explicit
        log.warning("Can't load the %s font %s, looking for another one", kind.value, explicit)
    return find_font(kind)


@lru_cache(maxsize=1)
def _warn_default_font() -> None:
    log.warning(
        "No TrueType font found: cards use Pillow's built-in font, which has no Cyrillic. "
        "Install fonts-dejavu-core (or matplotlib), or pass font paths to CardRenderer."
    )


# Text


def format_short_code(code: str) -> str:
    """`ABCDEFGH` → `ABCD-EFGH`, easier to read out and type; other lengths stay as they are."""
    code = code.strip().upper()
    return f"{code[:4]}-{code[4:]}" if len(code) == 8 else code


def format_points(points: int, group_separator: str = "\u202f") -> str:
    """12345 → `12 345`, digits grouped by a narrow no-break space, readable in any language."""
    return f"{points:,}".replace(",", group_separator)


def truncate_to_width(text: str, font: Font, max_width: float) -> str:
    """The text when it fits in max_width pixels, else its longest prefix that fits with `…`."""
    text = _BLANKS.sub(" ", text).strip()
    if font.getlength(text) <= max_width:
        return text
    low, high = 0, len(text)  # binary search for the longest prefix that fits with the ellipsis
    while low < high:
        middle = (low + high + 1) // 2
        if font.getlength(text[:middle].rstrip() + ELLIPSIS) <= max_width:
            low = middle
        else:
            high = middle - 1
    shortened = text[:low].rstrip() + ELLIPSIS
    return shortened if font.getlength(shortened) <= max_width else ""


def parse_colour(value: str, default: RGB = DEFAULT_TIER) -> RGB:
    """`#C0C0C0` (or any colour Pillow knows) as RGB; the default when it can't be read."""
    try:
        red, green, blue = ImageColor.getrgb(value.strip())[:3]
    except (ValueError, AttributeError):
        return default
    return red, green, blue


def _is_light(colour: RGB) -> bool:
    red, green, blue = (channel / 255 for channel in colour)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue > 0.55


def _mix(first: RGB, second: RGB, share: float) -> RGB:
    red, green, blue = (round(a + (b - a) * share) for a, b in zip(first, second, strict=True))
    return red, green, blue


def _ramp(first: RGB, second: RGB, steps: int) -> list[RGB]:
    return [_mix(first, second, index / (steps - 1)) for index in range(steps)]


def _glyph_pixels(font: ImageFont.FreeTypeFont, char: str) -> bytes:
    left, top, right, bottom = font.getbbox(char)
    image = Image.new("L", (max(1, int(right - left)), max(1, int(bottom - top))), 0)
    ImageDraw.Draw(image).text((-left, -top), char, font=font, fill=255)
    return image.tobytes()


# QR code

_AS_DIGITS = bytes.maketrans(b"\x00\x01", b"01")
_AS_MASK = bytes.maketrans(b"\x00\x01", b"\x00\xff")
_DATA_CELLS: dict[int, tuple[tuple[int, int], ...]] = {}
_MASK_ROWS: dict[tuple[int, int], tuple[int, ...]] = {}
_MASK_BITS: dict[tuple[int, int], int] = {}


def _data_cells(blank: Sequence[Sequence[bool | None]]) -> tuple[tuple[int, int], ...]:
    """The free cells of a blank symbol in the order data fills them (ISO 18004, 7.7.3)."""
    size = len(blank)
    cells = _DATA_CELLS.get(size)
    if cells is None:
        found: list[tuple[int, int]] = []
        row, step = size - 1, -1
        for right in range(size - 1, 0, -2):
            column = right - 1 if right <= 6 else right  # column 6 is the timing pattern
            while 0 <= row < size:
                found.extend((row, col) for col in (column, column - 1) if blank[row][col] is None)
                row += step
            row -= step
            step = -step
        cells = _DATA_CELLS[size] = tuple(found)
    return cells


def _mask_rows(size: int, pattern: int) -> tuple[int, ...]:
    """Per row, the data cells a mask pattern flips, as bits (leftmost column = highest bit)."""
    rows = _MASK_ROWS.get((size, pattern))
    if rows is None:
        flips = [0] * size
        flipped = qr_util.mask_func(pattern)
        for row, col in _DATA_CELLS[size]:
            if flipped(row, col):
                flips[row] |= 1 << (size - 1 - col)
        rows = _MASK_ROWS[size, pattern] = tuple(flips)
    return rows


def mask_penalty(rows: Sequence[int], size: int) -> int:
    """ISO 18004's mask penalty of a symbol given as row bits; equals qrcode.util.lost_point."""
    lines = [format(row, f"0{size}b") for row in rows]
    columns = ["".join(column) for column in zip(*lines, strict=True)]
    # neither pattern can overlap itself, so counting non-overlapping matches counts them all
    text = "\n".join(lines + columns)
    score = 40 * (text.count("10111010000") + text.count("00001011101"))
    pairs = (1 << (size - 1)) - 1  # bit k: modules k and k + 1 of a line
    for line in (*rows, *(int(column, 2) for column in columns)):
        same = ~(line ^ (line >> 1)) & pairs
        # a run of n >= 5 like modules scores n - 2: n - 4 places where 5 in a row start, plus 2
        five = same & (same >> 1) & (same >> 2) & (same >> 3)
        score += five.bit_count() + 2 * (five & ~(five >> 1)).bit_count()
    for upper, lower in zip(rows, rows[1:], strict=False):
        same = ~(upper ^ lower)
        score += 3 * (same & (same >> 1) & ~(upper ^ (upper >> 1)) & pairs).bit_count()
    percent = sum(row.bit_count() for row in rows) / size**2
    return score + 10 * int(abs(percent * 100 - 50) / 5)


class FastQRCode(qrcode.QRCode):
    """qrcode's encoder with its two slow loops done on whole rows; the symbol is the same.

    Choosing the mask fills and scores the symbol eight times, module by module, which took the
    stock encoder most of a card's time budget. This overrides two of qrcode's internal methods
    (unchanged from 6.x to 8.x); a test checks the symbols against the stock encoder's.
    """

    def map_data(self, data: Sequence[int], mask_pattern: int) -> None:
        cells = _data_cells(self.modules)
        count = len(cells)
        bits = "".join(f"{byte:08b}" for byte in data)[:count].ljust(count, "0")
        masked = int(bits, 2) ^ _mask_bits(self.modules_count, mask_pattern)
        modules = self.modules
        for (row, col), bit in zip(cells, f"{masked:0{count}b}", strict=True):
            modules[row][col] = bit == "1"

    def best_mask_pattern(self) -> int:
        self.makeImpl(True, 0)
        size = self.modules_count
        base = [int(bytes(row).translate(_AS_DIGITS), 2) for row in self.modules]
        unmask = _mask_rows(size, 0)
        scores = []
        for pattern in range(8):
            flips = _mask_rows(size, pattern)
            rows = [row ^ a ^ b for row, a, b in zip(base, unmask, flips, strict=True)]
            scores.append(mask_penalty(rows, size))
        return scores.index(min(scores))


def _mask_bits(size: int, pattern: int) -> int:
    """A mask pattern over the data cells in fill order, as one integer."""
    bits = _MASK_BITS.get((size, pattern))
    if bits is None:
        flipped = qr_util.mask_func(pattern)
        digits = "".join("1" if flipped(row, col) else "0" for row, col in _DATA_CELLS[size])
        bits = _MASK_BITS[size, pattern] = int(digits, 2)
    return bits


def qr_matrix(payload: str) -> list[list[bool]]:
    code = FastQRCode(error_correction=ERROR_CORRECT_M, border=0)
    code.add_data(payload)
    code.make(fit=True)
    matrix: list[list[bool]] = code.get_matrix()
    return matrix


def qr_mask(payload: str, max_size: int = QR_SLOT) -> Image.Image:
    """The QR as a mask (255 = dark module) with its quiet zone, whole pixels per module."""
    matrix = qr_matrix(payload)
    modules = len(matrix)
    side = modules + 2 * QR_QUIET
    box = max(1, max_size // side)
    pixels = b"".join(bytes(row).translate(_AS_MASK) for row in matrix)
    tile = Image.new("L", (side, side), 0)
    tile.paste(Image.frombytes("L", (modules, modules), pixels), (QR_QUIET, QR_QUIET))
    return tile.resize((side * box, side * box), Image.Resampling.NEAREST)


# Shapes: drawn large and scaled down for smooth edges, and cached, as they depend on few inputs.


@lru_cache(maxsize=8)
def _corner(radius: int) -> Image.Image:
    """The top-left corner of a rounded rectangle's mask, antialiased."""
    side = radius * SUPERSAMPLE
    big = Image.new("L", (side, side), 0)
    ImageDraw.Draw(big).ellipse((0, 0, 2 * side - 1, 2 * side - 1), fill=255)
    return big.reduce(SUPERSAMPLE)


@lru_cache(maxsize=32)
def _rounded_mask(width: int, height: int, radius: int) -> Image.Image:
    radius = min(radius, width // 2, height // 2)
    mask = Image.new("L", (width, height), 255)
    corner = _corner(radius)
    mask.paste(corner, (0, 0))
    mask.paste(corner.transpose(Image.Transpose.FLIP_LEFT_RIGHT), (width - radius, 0))
    mask.paste(corner.transpose(Image.Transpose.FLIP_TOP_BOTTOM), (0, height - radius))
    mask.paste(corner.transpose(Image.Transpose.ROTATE_180), (width - radius, height - radius))
    return mask


def _paste_pill(card: Image.Image, box: tuple[int, int, int, int], colour: RGB) -> None:
    left, top, right, bottom = box
    mask = _rounded_mask(right - left, bottom - top, (bottom - top) // 2)
    card.paste(colour, box, mask)


def _draw_tick(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int]) -> None:
    left, top, right, _ = box
    size = right - left
    points = [
        (left + size * 0.28, top + size * 0.52),
        (left + size * 0.44, top + size * 0.68),
        (left + size * 0.73, top + size * 0.36),
    ]
    draw.line(points, fill=(*WHITE, 255), width=max(2, round(size * 0.09)), joint="curve")


def _draw_gift(
    draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], ink: RGB, under: RGB
) -> None:
    left, top, right, _ = box
    size = right - left
    centre = left + size / 2
    lid_top, lid_bottom, bottom = top + size * 0.42, top + size * 0.52, top + size * 0.76
    draw.rectangle(
        (left + size * 0.26, lid_top, right - size * 0.26, lid_bottom), fill=(*ink, 255)
    )
    draw.rectangle(
        (left + size * 0.30, lid_bottom + size * 0.03, right - size * 0.30, bottom),
        fill=(*ink, 255),
    )
    ribbon = size * 0.035
    draw.rectangle((centre - ribbon, lid_top, centre + ribbon, bottom), fill=(*under, 255))
    bow = size * 0.1
    for side in (-1, 1):
        draw.ellipse(
            (centre + (side - 1) * bow, lid_top - bow * 1.7, centre + (side + 1) * bow, lid_top),
            outline=(*ink, 255),
            width=max(2, round(size * 0.05)),
        )


@lru_cache(maxsize=64)
def _stamp_row(filled: int, needed: int, diameter: int, gap: int) -> Image.Image:
    """`needed` circles with `filled` of them stamped, then the reward as a gift circle."""
    d, step = diameter * SUPERSAMPLE, (diameter + gap) * SUPERSAMPLE
    width = (needed + 1) * diameter + needed * gap
    big = Image.new("RGBA", (width * SUPERSAMPLE, d), (*CARD, 0))
    draw = ImageDraw.Draw(big)
    ring = max(3, round(d * 0.06))
    for index in range(needed + 1):
        box = (index * step, 0, index * step + d - 1, d - 1)
        if index == needed and filled >= needed:
            draw.ellipse(box, fill=(*REWARD, 255))
            _draw_gift(draw, box, WHITE, REWARD)
        elif index == needed:
            draw.ellipse(box, fill=(*CARD, 255), outline=(*REWARD, 255), width=ring)
            _draw_gift(draw, box, REWARD, CARD)
        elif index < filled:
            draw.ellipse(box, fill=(*STAMP_FILLED, 255))
            _draw_tick(draw, box)
        else:
            draw.ellipse(box, outline=(*STAMP_EMPTY, 255), width=ring)
    return big.resize((width, diameter), Image.Resampling.LANCZOS)


# Layout and background


@dataclass(frozen=True, slots=True)
class _Layout:
    """Where the body's parts go; only the optional rows move things."""

    height: int
    points_baseline: int
    stamps_label_baseline: int
    stamps_top: int
    coupon_top: int
    qr_top: int
    hint_baseline: int
    code_baseline: int
    footer_rule: int
    footer_baseline: int


def _layout(has_stamps: bool, has_coupon: bool, has_footer: bool) -> _Layout:
    y = MARGIN + HEADER_H + 30
    points_baseline = y + 80
    y = points_baseline + 34
    stamps_label_baseline = stamps_top = coupon_top = footer_rule = footer_baseline = 0
    if has_stamps:
        stamps_label_baseline = y + 26
        stamps_top = stamps_label_baseline + 16
        y = stamps_top + STAMP_MAX_D + 16
    if has_coupon:
        coupon_top = y + 8
        y = coupon_top + COUPON_H
    qr_top = y
    y += QR_SLOT
    hint_baseline = y + 10
    code_baseline = hint_baseline + 62
    y = code_baseline + 16
    if has_footer:
        footer_rule = y + 10
        footer_baseline = footer_rule + 42
        y = footer_baseline
    return _Layout(
        height=y + 30 + MARGIN,
        points_baseline=points_baseline,
        stamps_label_baseline=stamps_label_baseline,
        stamps_top=stamps_top,
        coupon_top=coupon_top,
        qr_top=qr_top,
        hint_baseline=hint_baseline,
        code_baseline=code_baseline,
        footer_rule=footer_rule,
        footer_baseline=footer_baseline,
    )


@lru_cache(maxsize=1)
def _header(width: int) -> Image.Image:
    """The header's flat colour with a big soft-edged disc behind the badge."""
    scale = SUPERSAMPLE
    big = Image.new("RGB", (width * scale, HEADER_H * scale), HEADER)
    centre_x, centre_y, radius = (width - 70) * scale, -30 * scale, 230 * scale
    ImageDraw.Draw(big).ellipse(
        (centre_x - radius, centre_y - radius, centre_x + radius, centre_y + radius),
        fill=HEADER_GLOW,
    )
    return big.reduce(scale)


def _background(layout: _Layout) -> Image.Image:
    """The page, the card's shadow and shape, the header and the footer rule."""
    card_w, card_h = WIDTH - 2 * MARGIN, layout.height - 2 * MARGIN
    mask = _rounded_mask(card_w, card_h, RADIUS)
    image = Image.new("RGB", (WIDTH, layout.height), PAGE)
    shadow = _mix(PAGE, INK, 0.08)
    image.paste(shadow, (MARGIN, MARGIN + 3, MARGIN + card_w, MARGIN + 3 + card_h), mask)
    image.paste(CARD, (MARGIN, MARGIN, MARGIN + card_w, MARGIN + card_h), mask)
    image.paste(_header(card_w), (MARGIN, MARGIN), mask.crop((0, 0, card_w, HEADER_H)))
    if layout.footer_rule:
        draw = ImageDraw.Draw(image)
        for x in range(LEFT, RIGHT, 24):
            draw.rectangle(
                (x, layout.footer_rule, min(x + 11, RIGHT), layout.footer_rule + 1), fill=RULE
            )
    return image


# The renderer

_REFERENCE = CardView(
    program_name="Кофейня Coffee House",
    member_name="Анна Петрова Anna Petrova",
    tier_name="Серебро Silver",
    tier_color="#9CA3AF",
    points=1234567890,
    stamps=2,
    stamps_needed=5,
    qr_payload="https://t.me/reference_bot?start=c0123456789abcdefghijklmnopqrstuvwxyz",
    short_code="ACDEFGHJ",
    labels=CardLabels(
        points="баллов points",
        stamps="Штампы 2 из 5 stamps",
        code_hint="Код для кассира code",
        footer="Действителен до 12:30 valid until",
        coupon="Купон: −15% до 20.03 coupon",
    ),
)


class CardRenderer:
    """Draws cards. Build one per process and reuse it: it caches fonts, layouts and palettes.

    Safe to call from several threads (the bot renders in `asyncio.to_thread`): drawing holds a
    lock, since a FreeType face must not be used by two threads at once; encoding doesn't.
    """

    def __init__(
        self,
        font_path: str | None = None,
        bold_font_path: str | None = None,
        mono_font_path: str | None = None,
    ) -> None:
        regular = _resolve_font(font_path, FontKind.REGULAR)
        self._paths: dict[FontKind, str | None] = {
            FontKind.REGULAR: regular,
            FontKind.BOLD: _resolve_font(bold_font_path, FontKind.BOLD) or regular,
            FontKind.MONO: _resolve_font(mono_font_path, FontKind.MONO) or regular,
        }
        if None in self._paths.values():
            _warn_default_font()
        self._fonts: dict[tuple[FontKind, int], Font] = {}
        self._missing: dict[tuple[FontKind, int, str], bool] = {}
        self._labels: dict[tuple[str, FontKind, int, float, str], _Label] = {}
        self._backgrounds: dict[tuple[bool, bool, bool], tuple[_Layout, Image.Image]] = {}
        self._palettes: dict[RGB, Image.Image] = {}
        self._lock = threading.Lock()
        reference = self._draw(_REFERENCE, qr_mask(_REFERENCE.qr_payload))
        octree = reference.quantize(
            STATIC_COLOURS, Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
        )
        self._static_palette = (octree.getpalette() or [])[: STATIC_COLOURS * 3]

    @property
    def font_paths(self) -> dict[FontKind, str | None]:
        """The font file drawing each kind of text; None means Pillow's built-in font."""
        return dict(self._paths)

    def font(self, kind: FontKind, size: int) -> Font:
        font = self._fonts.get((kind, size))
        if font is None:
            path = self._paths[kind]
            if path is None:
                font = ImageFont.load_default(size=size)
            else:
                font = ImageFont.truetype(path, size, layout_engine=ImageFont.Layout.BASIC)
            self._fonts[kind, size] = font
        return font

    def render(self, view: CardView) -> bytes:
        """The card as PNG bytes; the same view always gives the same bytes."""
        qr = qr_mask(view.qr_payload)
        with self._lock:
            card = self._draw(view, qr)
            palette = self._palette(parse_colour(view.tier_color))
        buffer = io.BytesIO()
        card.quantize(palette=palette, dither=Image.Dither.NONE).save(
            buffer, format="PNG", compress_level=3
        )
        return buffer.getvalue()

    def _palette(self, tier: RGB) -> Image.Image:
        palette = self._palettes.get(tier)
        if palette is None:
            under_badge = HEADER_GLOW
            badge_ink = INK if _is_light(tier) else WHITE
            colours = _ramp(under_badge, tier, RAMP_STEPS) + _ramp(tier, badge_ink, RAMP_STEPS)
            palette = Image.new("P", (1, 1))
            palette.putpalette(self._static_palette + [c for colour in colours for c in colour])
            palette.load()  # now, under the lock: encoding threads only read it
            if len(self._palettes) >= 64:
                self._palettes.clear()
            self._palettes[tier] = palette
        return palette

    def _background(self, key: tuple[bool, bool, bool]) -> tuple[_Layout, Image.Image]:
        cached = self._backgrounds.get(key)
        if cached is None:
            layout = _layout(*key)
            cached = self._backgrounds[key] = (layout, _background(layout))
        return cached

    def _drawable(self, text: str, kind: FontKind, size: int) -> str:
        """The text without characters the font can't draw (emoji in names), not as boxes."""
        text = unicodedata.normalize("NFC", text)
        font = self.font(kind, size)
        if not isinstance(font, ImageFont.FreeTypeFont):
            return text
        kept = "".join(char for char in text if not self._is_missing(font, kind, size, char))
        return kept if kept.strip() else text

    def _is_missing(
        self, font: ImageFont.FreeTypeFont, kind: FontKind, size: int, char: str
    ) -> bool:
        key = (kind, size, char)
        missing = self._missing.get(key)
        if missing is None:
            missing = (
                not char.isspace()
                and font.getlength(char) == font.getlength(_MISSING_PROBE)
                and _glyph_pixels(font, char) == _glyph_pixels(font, _MISSING_PROBE)
            )
            if len(self._missing) >= _MISSING_CACHE_LIMIT:
                self._missing.clear()
            self._missing[key] = missing
        return missing

    def _label(
        self, text: str, kind: FontKind, size: int, max_width: float, anchor: str
    ) -> _Label:
        """The text set in one line no wider than max_width, cached: most strings recur."""
        key = (text, kind, size, max_width, anchor)
        label = self._labels.get(key)
        if label is None:
            font = self.font(kind, size)
            fitted = truncate_to_width(self._drawable(text, kind, size), font, max_width)
            label = _Label.set(fitted, font, anchor)
            if len(self._labels) >= _LABEL_CACHE_LIMIT:
                self._labels.clear()
            self._labels[key] = label
        return label

    def _draw(self, view: CardView, qr: Image.Image) -> Image.Image:
        labels = view.labels
        layout, background = self._background(
            (view.stamps_needed > 0, bool(labels.coupon.strip()), bool(labels.footer.strip()))
        )
        card = background.copy()

        badge_left = self._draw_badge(card, view.tier_name, parse_colour(view.tier_color))
        program = self._label(view.program_name, FontKind.BOLD, 28, badge_left - LEFT - 24, "lm")
        program.put(card, (LEFT, HEADER_MIDDLE), ON_HEADER)
        name = self._label(view.member_name, FontKind.BOLD, 46, INNER, "ls")
        name.put(card, (LEFT, NAME_BASELINE), WHITE)

        self._draw_points(card, view.points, labels.points, layout.points_baseline)
        if layout.stamps_top:
            stamps = self._label(labels.stamps, FontKind.REGULAR, 26, INNER, "ls")
            stamps.put(card, (LEFT, layout.stamps_label_baseline), MUTED)
            self._draw_stamps(card, view.stamps, view.stamps_needed, layout.stamps_top)
        if layout.coupon_top:
            top = layout.coupon_top
            _paste_pill(card, (LEFT, top, RIGHT, top + COUPON_H), COUPON_BG)
            coupon = self._label(labels.coupon, FontKind.BOLD, 26, INNER - 56, "lm")
            coupon.put(card, (LEFT + 28, top + COUPON_H // 2), COUPON_INK)

        # the slot is white card, so the quiet zone needs no painting: only dark modules do
        left, top = (WIDTH - qr.width) // 2, layout.qr_top + (QR_SLOT - qr.height) // 2
        card.paste(QR_DARK, (left, top, left + qr.width, top + qr.height), qr)

        centre = WIDTH // 2
        hint = self._label(labels.code_hint, FontKind.REGULAR, 24, INNER, "ms")
        hint.put(card, (centre, layout.hint_baseline), MUTED)
        code = self._label(format_short_code(view.short_code), FontKind.MONO, 52, INNER, "ms")
        code.put(card, (centre, layout.code_baseline), INK)
        if layout.footer_baseline:
            footer = self._label(labels.footer, FontKind.REGULAR, 22, INNER, "ms")
            footer.put(card, (centre, layout.footer_baseline), MUTED)
        return card

    def _draw_badge(self, card: Image.Image, name: str, colour: RGB) -> int:
        """The tier badge at the header's right; returns its left edge."""
        label = self._label(name, FontKind.BOLD, 24, INNER * 0.4, "mm")
        if not label.width:
            return RIGHT
        width = round(label.width) + 40
        top = HEADER_MIDDLE - BADGE_H // 2
        _paste_pill(card, (RIGHT - width, top, RIGHT, top + BADGE_H), colour)
        label.put(card, (RIGHT - width // 2, HEADER_MIDDLE), INK if _is_light(colour) else WHITE)
        return RIGHT - width

    def _draw_points(self, card: Image.Image, points: int, words: str, baseline: int) -> None:
        """The balance, as big as fits beside the start of its label: the number is never cut."""
        words_width = self._label(words, FontKind.REGULAR, 32, INNER, "ls").width
        room = INNER - min(words_width, INNER * 0.3) - 16
        size = 88
        font = self.font(FontKind.BOLD, size)
        number = format_points(points, " ")
        if isinstance(font, ImageFont.FreeTypeFont) and not self._is_missing(
            font, FontKind.BOLD, size, "\u202f"
        ):
            number = format_points(points)
        while font.getlength(number) > room and size > 32:
            size -= 8
            font = self.font(FontKind.BOLD, size)
        figures = self._label(number, FontKind.BOLD, size, INNER, "ls")
        figures.put(card, (LEFT, baseline), INK)
        label_left = LEFT + round(figures.width) + 16
        label = self._label(words, FontKind.REGULAR, 32, RIGHT - label_left, "ls")
        label.put(card, (label_left, baseline), MUTED)

    @staticmethod
    def _draw_stamps(card: Image.Image, stamps: int, needed: int, top: int) -> None:
        filled = max(0, min(stamps, needed))
        if needed > MAX_CIRCLES:  # programmes stop at 20 visits; past this circles get too small
            filled, needed = filled * MAX_CIRCLES // needed, MAX_CIRCLES
        slots = needed + 1
        # circles a quarter of their diameter apart: d * slots + d / 4 * (slots - 1) = INNER
        diameter = max(6, min(STAMP_MAX_D, int(INNER / (slots + (slots - 1) / 4))))
        row = _stamp_row(filled, needed, diameter, max(2, diameter // 4))
        card.paste(row, (LEFT, top + (STAMP_MAX_D - diameter) // 2), row)


@dataclass(frozen=True, slots=True)
class _Label:
    """A line of text set once as a coverage mask, to be stamped onto cards in any colour."""

    mask: Image.Image | None
    offset: tuple[int, int]  # from the anchor point to the mask's top-left corner
    width: float  # the advance width, for placing what follows

    @classmethod
    def set(cls, text: str, font: Font, anchor: str) -> _Label:
        if not text:
            return cls(None, (0, 0), 0.0)
        if isinstance(font, ImageFont.FreeTypeFont):
            left, top, right, bottom = (int(edge) for edge in font.getbbox(text, anchor=anchor))
        else:  # a bitmap font knows no anchors: it hangs from the top-left corner
            left, top, right, bottom = (int(edge) for edge in font.getbbox(text))
            anchor = "la"
        mask = Image.new("L", (max(1, right - left), max(1, bottom - top)), 0)
        options = {"anchor": anchor} if isinstance(font, ImageFont.FreeTypeFont) else {}
        ImageDraw.Draw(mask).text((-left, -top), text, font=font, fill=255, **options)
        return cls(mask, (left, top), font.getlength(text))

    def put(self, card: Image.Image, at: tuple[int, int], colour: RGB) -> None:
        if self.mask is None:
            return
        x, y = at[0] + self.offset[0], at[1] + self.offset[1]
        card.paste(colour, (x, y, x + self.mask.width, y + self.mask.height), self.mask)
