"""Print-ready posters of a counter's QR code: PDF (A4, A5), PNG and SVG, and ZIPs of many.

One layout, computed in millimetres from the font's own metrics, is drawn by three
renderers (fpdf2, Pillow, SVG), so the three files show the same poster. The font is the
DejaVu Sans shipped in ``static/fonts`` and embedded (subset) in every PDF and SVG: a
poster looks the same on a machine without Vietnamese fonts, and so does a print shop's.

Posters are in Vietnamese by default whatever the signed-in user reads: they hang at a
Vietnamese counter. Needs an application context (the survey's base URL, translations).
"""

from __future__ import annotations

import base64
import io
import re
import unicodedata
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import qrcode
import qrcode.image.svg
from flask_babel import force_locale
from flask_babel import gettext as _

from satisfaction.db.codes import Channel, QrToken
from satisfaction.qrcodes.images import make_qr
from satisfaction.qrcodes.links import display_short_code, short_url, survey_url

FONT_DIR = Path(__file__).resolve().parent.parent / "static" / "fonts"
FONTS = {False: FONT_DIR / "DejaVuSans.ttf", True: FONT_DIR / "DejaVuSans-Bold.ttf"}
FONT_FAMILY = "DejaVuSans"

#: Page sizes in millimetres (portrait).
PAGE_SIZES = {"A4": (210.0, 297.0), "A5": (148.0, 210.0)}
FORMATS = ("pdf", "png", "svg")
MEDIA_TYPES = {"pdf": "application/pdf", "png": "image/png", "svg": "image/svg+xml"}
#: Print resolution of the PNG.
PNG_DPI = 300
#: Millimetres per typographic point.
PT = 25.4 / 72
ACCENT = (11, 92, 173)  # the site's accent colour (app.css --accent)
INK = (26, 26, 26)
MUTED = (85, 85, 85)
WHITE = (255, 255, 255)
#: DejaVu Sans: ascender (stacked Vietnamese marks included) and line height, in em.
ASCENT = 0.93
LINE_HEIGHT = 1.22


class NotPrintable(ValueError):
    """A code that gets no poster: a kiosk's, a revoked one, or one already replaced."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def check_printable(token: QrToken) -> None:
    if token.channel != Channel.QR.value:
        # A kiosk code is opened once on the counter's tablet, never scanned by the public.
        raise NotPrintable("kiosk")
    if token.revoked_at is not None:
        raise NotPrintable("revoked")
    if token.replaced_by_id is not None:
        raise NotPrintable("replaced")


# --- Content ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PosterContent:
    """The words on a poster, already in the poster's language."""

    unit: str
    counter: str
    questionnaire: str
    call_to_action: str
    fallback_intro: str
    fallback_url: str
    privacy: str
    procedure_field: str | None
    footer: str
    title: str
    lang: str
    survey_url: str


def _nfc(text: str) -> str:
    # Decomposed marks (a typed "e" + U+0301) would print as separate glyphs.
    return unicodedata.normalize("NFC", " ".join(text.split()))


def _typed(url: str) -> str:
    """An address as people type it: browsers add "https://" themselves."""
    return url.removeprefix("https://")


def poster_content(token: QrToken, locale: str = "vi") -> PosterContent:
    counter = token.counter
    unit = counter.unit
    url = survey_url(token.token)
    with force_locale(locale):
        field_name = (
            _("Procedure field: %(name)s", name=token.procedure_field.name(locale))
            if token.procedure_field else None
        )
        unit_name, counter_name = unit.name(locale), counter.name(locale)
        content = PosterContent(
            unit=unit_name,
            counter=counter_name,
            questionnaire=token.questionnaire.title(locale),
            call_to_action=_("Scan to rate our service"),
            fallback_intro=_("No camera? Type this address in your browser:"),
            fallback_url=_typed(short_url(token.short_code) if token.short_code else url),
            privacy=_("No name on the form; staff at the counter cannot see your answers."),
            procedure_field=field_name,
            footer=" · ".join(
                part for part in (
                    unit.code, counter.code, token.questionnaire.code,
                    display_short_code(token.short_code) if token.short_code else None,
                    token.label,
                ) if part
            ),
            title=_("QR code poster: %(unit)s, %(counter)s", unit=unit_name, counter=counter_name),
            lang=locale,
            survey_url=url,
        )
    return PosterContent(**{
        key: _nfc(value) if isinstance(value, str) and key != "survey_url" else value
        for key, value in content.__dict__.items()
    })


# --- Layout ----------------------------------------------------------------------------


@cache
def _metrics(bold: bool) -> tuple[dict[int, int], float]:
    """Advance widths per code point (in em) of the shipped font."""
    from fontTools.ttLib import TTFont

    with TTFont(str(FONTS[bold])) as font:
        upem = font["head"].unitsPerEm
        hmtx = font["hmtx"]
        widths = {cp: hmtx[glyph][0] / upem for cp, glyph in font.getBestCmap().items()}
        widths[-1] = hmtx[".notdef"][0] / upem
    return widths, upem


def text_width(text: str, size: float, bold: bool) -> float:
    """Width of ``text`` in mm at ``size`` mm (em), without kerning, as fpdf2 measures."""
    widths, _upem = _metrics(bold)
    return sum(widths.get(ord(ch), widths[-1]) for ch in text) * size


def wrap(text: str, size: float, bold: bool, width: float) -> list[str]:
    """Greedy word wrap; a word longer than the line stays whole (the caller shrinks)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if current and text_width(candidate, size, bold) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines


def fit(text: str, bold: bool, width: float, largest: float, smallest: float,
        max_lines: int) -> tuple[float, list[str]]:
    """The largest size (mm) from ``largest`` down to ``smallest`` at which ``text`` fits
    ``width`` in at most ``max_lines`` lines; at the smallest size it takes what it needs."""
    size = largest
    while True:
        lines = wrap(text, size, bold, width)
        fits = len(lines) <= max_lines and all(
            text_width(line, size, bold) <= width for line in lines
        )
        if fits or size <= smallest:
            return size, lines
        size = max(smallest, size * 0.92)


@dataclass(frozen=True)
class Line:
    text: str
    #: Centre of the line and its baseline, mm from the top left.
    x: float
    y: float
    #: Font size in mm (the em square).
    size: float
    bold: bool
    color: tuple[int, int, int]


@dataclass
class Layout:
    width: float
    height: float
    band_height: float
    lines: list[Line] = field(default_factory=list)
    #: Dark modules, quiet zone included (``images.QUIET_ZONE`` modules of white on each side).
    qr: qrcode.QRCode | None = None
    matrix: list[list[bool]] = field(default_factory=list)
    qr_x: float = 0.0
    qr_y: float = 0.0
    qr_size: float = 0.0


def layout(content: PosterContent, size: str = "A4") -> Layout:
    """Where everything goes on the page. Sizes are for A4 and scale with the page."""
    width, height = PAGE_SIZES[size]
    s = width / PAGE_SIZES["A4"][0]
    margin = 14 * s
    text_width_mm = width - 2 * margin
    centre = width / 2
    lines: list[Line] = []

    def block(text: str, y: float, bold: bool, color, largest_pt: float, smallest_pt: float,
              max_lines: int) -> float:
        """Adds ``text`` from top ``y``; returns the top of what follows."""
        size_mm, wrapped = fit(text, bold, text_width_mm, largest_pt * PT * s,
                               smallest_pt * PT * s, max_lines)
        for line in wrapped:
            lines.append(Line(line, centre, y + ASCENT * size_mm, size_mm, bold, color))
            y += LINE_HEIGHT * size_mm
        return y

    # The band: who this counter is, white on the accent colour.
    y = block(content.unit, 10 * s, True, WHITE, 28, 16, 2)
    y = block(content.counter, y + 1.5 * s, False, WHITE, 17, 11, 2)
    band_height = y + 6 * s

    y = block(content.questionnaire, band_height + 7 * s, False, MUTED, 12, 9, 3)
    y = block(content.call_to_action, y + 6 * s, True, ACCENT, 38, 22, 2)
    if content.procedure_field:
        y = block(content.procedure_field, y + 2.5 * s, True, INK, 16, 11, 2)
    qr_top = y + 3 * s

    # From the bottom up: footer, privacy line, typed fallback.
    bottom_lines: list[Line] = []

    def bottom_block(text: str, bottom: float, bold: bool, color, largest_pt: float,
                     smallest_pt: float, max_lines: int) -> float:
        size_mm, wrapped = fit(text, bold, text_width_mm, largest_pt * PT * s,
                               smallest_pt * PT * s, max_lines)
        top = bottom - LINE_HEIGHT * size_mm * len(wrapped)
        for n, line in enumerate(wrapped):
            y_line = top + n * LINE_HEIGHT * size_mm + ASCENT * size_mm
            bottom_lines.append(Line(line, centre, y_line, size_mm, bold, color))
        return top

    bottom = height - 8 * s
    bottom = bottom_block(content.footer, bottom, False, MUTED, 8, 6, 2)
    bottom = bottom_block(content.privacy, bottom - 4 * s, True, INK, 14, 9, 3)
    bottom = bottom_block(content.fallback_url, bottom - 6 * s, True, INK, 22, 9, 2)
    bottom = bottom_block(content.fallback_intro, bottom - 1 * s, False, MUTED, 12, 9, 2)
    qr_bottom = bottom - 3 * s

    qr = make_qr(content.survey_url)
    matrix = qr.get_matrix()
    qr_size = min(130 * s, qr_bottom - qr_top, text_width_mm)
    # Whole modules of 0.01 mm: no renderer has to round a module differently.
    qr_size = len(matrix) * (int(qr_size / len(matrix) * 100) / 100)
    return Layout(
        width=width, height=height, band_height=band_height,
        # Top to bottom, the order a screen reader or a text extractor reads them in.
        lines=sorted(lines + bottom_lines, key=lambda line: line.y),
        qr=qr, matrix=matrix, qr_x=(width - qr_size) / 2,
        qr_y=qr_top + (qr_bottom - qr_top - qr_size) / 2, qr_size=qr_size,
    )


def _runs(row: list[bool]) -> Iterable[tuple[int, int]]:
    """(start, length) of each run of dark modules in a row."""
    start = None
    for n, dark in enumerate([*row, False]):
        if dark and start is None:
            start = n
        elif not dark and start is not None:
            yield start, n - start
            start = None


# --- Renderers -------------------------------------------------------------------------


def render_pdf(content: PosterContent, size: str = "A4") -> bytes:
    """A one-page PDF with the font subset embedded and the code drawn as vectors."""
    from fpdf import FPDF
    from fpdf.enums import PathPaintRule

    page = layout(content, size)
    pdf = FPDF(unit="mm", format=(page.width, page.height))
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    for bold, path in FONTS.items():
        pdf.add_font(FONT_FAMILY, "B" if bold else "", str(path))
    pdf.set_title(content.title)
    pdf.set_lang(content.lang)
    pdf.set_creator("satisfaction-platform")
    pdf.add_page()

    pdf.set_fill_color(*ACCENT)
    pdf.rect(0, 0, page.width, page.band_height, style="F")
    for line in page.lines:
        pdf.set_font(FONT_FAMILY, "B" if line.bold else "", line.size / PT)
        pdf.set_text_color(*line.color)
        pdf.text(line.x - pdf.get_string_width(line.text) / 2, line.y, line.text)

    # One path for the whole code: separate rectangles leave hairline seams between rows
    # in anti-aliasing viewers; a single filled path has none.
    module = page.qr_size / len(page.matrix)
    with pdf.new_path(paint_rule=PathPaintRule.FILL_NONZERO) as path:
        path.style.fill_color = "#000000"
        for r, row in enumerate(page.matrix):
            for start, length in _runs(row):
                path.rectangle(page.qr_x + start * module, page.qr_y + r * module,
                               length * module, module)
    return bytes(pdf.output())


@cache
def _pil_font(bold: bool, pixels: int):
    from PIL import ImageFont

    return ImageFont.truetype(str(FONTS[bold]), size=pixels)


def render_png(content: PosterContent, size: str = "A4", dpi: int = PNG_DPI) -> bytes:
    """The poster as a PNG at ``dpi`` (300: print quality), with its resolution recorded so
    it prints at the right size."""
    from PIL import Image, ImageDraw

    page = layout(content, size)
    k = dpi / 25.4
    image = Image.new("RGB", (round(page.width * k), round(page.height * k)), WHITE)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, image.width, round(page.band_height * k)), fill=ACCENT)
    for line in page.lines:
        font = _pil_font(line.bold, max(1, round(line.size * k)))
        draw.text((line.x * k, line.y * k), line.text, font=font, fill=line.color, anchor="ms")

    # Whole pixels per module: a module never straddles pixels and blurs.
    n = len(page.matrix)
    module_px = max(1, int(page.qr_size * k / n))
    code = Image.new("1", (n, n), 1)
    code.putdata([0 if dark else 1 for row in page.matrix for dark in row])
    code = code.resize((n * module_px, n * module_px), Image.Resampling.NEAREST)
    offset = round((page.qr_size * k - n * module_px) / 2)
    image.paste(code.convert("RGB"), (round(page.qr_x * k) + offset, round(page.qr_y * k) + offset))

    buffer = io.BytesIO()
    image.save(buffer, "PNG", dpi=(dpi, dpi))
    return buffer.getvalue()


@cache
def _font_face(bold: bool, characters: frozenset[str]) -> str:
    """A WOFF subset of the font with just ``characters``, as a data URI."""
    from fontTools import subset

    options = subset.Options()
    options.flavor = "woff"
    # No shaping tables: the text is NFC (Vietnamese letters are precomposed glyphs) and the
    # layout is measured without kerning, as fpdf2 draws it; subsetting is 4x faster
    # without them. FFTM (FontForge's timestamps) nothing reads.
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "kern", "FFTM"]
    subsetter = subset.Subsetter(options)
    font = subset.load_font(io.BytesIO(FONTS[bold].read_bytes()), options)
    subsetter.populate(text="".join(sorted(characters)))
    subsetter.subset(font)
    buffer = io.BytesIO()
    subset.save_font(font, buffer, options)
    return "data:font/woff;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _hex(color: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*color)


def _fmt(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def render_svg(content: PosterContent, size: str = "A4") -> str:
    """The poster as SVG in millimetres: the code as one vector path, the text as text in
    the embedded font subset (so it can still be edited and searched)."""
    page = layout(content, size)
    faces = []
    for bold in (False, True):
        characters = frozenset("".join(line.text for line in page.lines if line.bold == bold))
        if characters:
            faces.append(
                f'@font-face{{font-family:"PosterSans";font-weight:{700 if bold else 400};'
                f'src:url({_font_face(bold, characters)}) format("woff")}}'
            )
    style = "".join(faces) + (
        'text{font-family:"PosterSans","DejaVu Sans",sans-serif;font-kerning:none;'
        "text-anchor:middle}"
    )
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" lang={quoteattr(content.lang)} '
        f'width="{_fmt(page.width)}mm" height="{_fmt(page.height)}mm" '
        f'viewBox="0 0 {_fmt(page.width)} {_fmt(page.height)}">',
        f"<title>{escape(content.title)}</title>",
        f"<style>{style}</style>",
        f'<rect width="{_fmt(page.width)}" height="{_fmt(page.height)}" fill="#ffffff"/>',
        f'<rect width="{_fmt(page.width)}" height="{_fmt(page.band_height)}" '
        f'fill="{_hex(ACCENT)}"/>',
    ]
    for line in page.lines:
        parts.append(
            f'<text x="{_fmt(line.x)}" y="{_fmt(line.y)}" font-size="{line.size:.3f}" '
            f'font-weight="{700 if line.bold else 400}" fill="{_hex(line.color)}">'
            f"{escape(line.text)}</text>"
        )
    # qrcode's own SVG path factory: one unit per module, quiet zone included.
    vector = page.qr.make_image(image_factory=qrcode.image.svg.SvgPathImage)
    root = ET.fromstring(vector.to_string(encoding="unicode"))
    path = root.find("{http://www.w3.org/2000/svg}path")
    n = len(page.matrix)
    parts.append(
        f'<svg x="{_fmt(page.qr_x)}" y="{_fmt(page.qr_y)}" width="{_fmt(page.qr_size)}" '
        f'height="{_fmt(page.qr_size)}" viewBox="0 0 {n} {n}" shape-rendering="crispEdges">'
        f'<rect width="{n}" height="{n}" fill="#ffffff"/>'
        f'<path d="{path.get("d")}" fill="#000000"/></svg>'
    )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def render_poster(token: QrToken, fmt: str = "pdf", size: str = "A4", *,
                  locale: str = "vi") -> bytes:
    """One poster of a printable code. ``NotPrintable`` for a kiosk's, revoked or replaced
    code; ``ValueError`` for an unknown format or size."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown poster format {fmt!r}")
    if size not in PAGE_SIZES:
        raise ValueError(f"unknown page size {size!r}")
    check_printable(token)
    content = poster_content(token, locale)
    if fmt == "pdf":
        return render_pdf(content, size)
    if fmt == "png":
        return render_png(content, size)
    return render_svg(content, size).encode("utf-8")


def poster_filename(token: QrToken, fmt: str, size: str) -> str:
    """``Q1-BN_MC1_sipas-2640_A4.pdf``: unit, counter, questionnaire, [procedure field],
    page size. Only ASCII letters, digits, dots, dashes: safe in any ZIP tool."""
    parts = [token.counter.unit.code, token.counter.code, token.questionnaire.code]
    if token.procedure_field is not None:
        parts.append(token.procedure_field.code)
    parts.append(size)
    name = "_".join(re.sub(r"[^A-Za-z0-9.-]+", "-", part) for part in parts)
    return f"{name}.{fmt}"


def named_posters(codes: Iterable[QrToken], formats: Iterable[str] = ("pdf",),
                  sizes: Iterable[str] = ("A4",), *, locale: str = "vi"
                  ) -> Iterator[tuple[str, str, bytes]]:
    """(file name, format, poster) for each printable code in each format and size. Kiosk
    codes are left out. Two codes that would share a name (same counter and questionnaire)
    are told apart by their short codes rather than one overwriting the other."""
    formats, sizes = list(formats), list(sizes)
    used: set[str] = set()
    for token in codes:
        if token.channel != Channel.QR.value:
            continue
        for size in sizes:
            for fmt in formats:
                name = poster_filename(token, fmt, size)
                if name in used:
                    stem, ext = name.rsplit(".", 1)
                    name = f"{stem}_{token.short_code or token.id}.{ext}"
                used.add(name)
                yield name, fmt, render_poster(token, fmt, size, locale=locale)


def posters_zip(codes: Iterable[QrToken], formats: Iterable[str] = ("pdf",),
                sizes: Iterable[str] = ("A4",), *, locale: str = "vi") -> bytes:
    """A ZIP with a poster of each printable code in each format and size (``named_posters``)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, fmt, data in named_posters(codes, formats, sizes, locale=locale):
            # PDF and PNG are compressed already; deflating them again only costs.
            compress = zipfile.ZIP_DEFLATED if fmt == "svg" else zipfile.ZIP_STORED
            archive.writestr(name, data, compress_type=compress)
    return buffer.getvalue()
