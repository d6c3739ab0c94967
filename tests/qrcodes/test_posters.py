"""Posters, checked the way a phone and a print shop see them: every QR code is read back
by a real decoder (OpenCV) from the PNG, from the PDF rendered by PDFium, and from the
SVG rendered by Chromium; the text is read back from the files."""

from __future__ import annotations

import base64
import dataclasses
import io
import os
import re
import shutil
import zipfile

import pytest
import sqlalchemy as sa

cv2 = pytest.importorskip("cv2")
np = pytest.importorskip("numpy")
pdfium = pytest.importorskip("pypdfium2")
from fontTools.ttLib import TTFont  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from satisfaction.db.codes import QrToken  # noqa: E402
from satisfaction.db.units import Unit  # noqa: E402
from satisfaction.extensions import db  # noqa: E402
from satisfaction.qrcodes import images, posters  # noqa: E402
from satisfaction.qrcodes.codes import issue_code, printable_codes  # noqa: E402

BASE_URL = "https://gopy.quan1.example.vn"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update"]


@pytest.fixture
def base_url(app):
    """The public address posters carry; restored after the test."""
    before = app.config.get("BASE_URL")
    app.config["BASE_URL"] = BASE_URL
    yield BASE_URL
    app.config["BASE_URL"] = before


@pytest.fixture
def ward_code(app_ctx, demo, base_url) -> QrToken:
    """Phường Bến Nghé's printed code, in an app context."""
    return db.session.scalar(sa.select(QrToken).where(QrToken.token == demo.survey_tokens["Q1-BN"]))


def _read(image):
    """(text, corners) of the QR code in ``image`` by OpenCV's decoders, or ("", None).

    OpenCV's classic detector misses some symbols at some pixel sizes (a module of 8.3
    pixels, say) that it reads at others; a camera sees the poster from many distances.
    So: the classic detector at full and half size, then the ArUco-based one. Whatever
    they read must still be exactly the expected address."""
    array = np.asarray(image.convert("RGB"))
    for detector in (cv2.QRCodeDetector(), cv2.QRCodeDetectorAruco()):
        for factor in (1.0, 0.5):
            scaled = array if factor == 1.0 else cv2.resize(
                array, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
            text, points, _ = detector.detectAndDecode(scaled)
            if text:
                return text, points.reshape(-1, 2) / factor
    return "", None


def decode(image) -> str:
    """What a phone's camera app reads: the text of the one QR code in the image."""
    return _read(image)[0]


def pdf_pages(data: bytes, scale: float = 2.0):
    document = pdfium.PdfDocument(data)
    try:
        for page in document:
            text_page = page.get_textpage()
            yield page.render(scale=scale).to_pil(), text_page.get_text_range()
            text_page.close()
            page.close()
    finally:
        document.close()


def survey_url_of(token: QrToken) -> str:
    return f"{BASE_URL}/s/{token.token}"


@pytest.mark.parametrize("size", ["A4", "A5"])
def test_png_poster_decodes_to_exactly_the_survey_url(ward_code, size):
    data = posters.render_poster(ward_code, "png", size)
    image = Image.open(io.BytesIO(data))
    assert decode(image) == survey_url_of(ward_code)
    # Print size: 300 dpi, and the page's size in pixels.
    width_mm, height_mm = posters.PAGE_SIZES[size]
    assert image.size == (round(width_mm / 25.4 * 300), round(height_mm / 25.4 * 300))
    assert round(image.info["dpi"][0]) == 300


@pytest.mark.parametrize("size", ["A4", "A5"])
def test_pdf_poster_decodes_and_carries_the_vietnamese_text_in_an_embedded_font(
        ward_code, size):
    data = posters.render_poster(ward_code, "pdf", size)
    assert data.startswith(b"%PDF-")
    pages = list(pdf_pages(data))
    assert len(pages) == 1
    image, text = pages[0]
    assert decode(image) == survey_url_of(ward_code)
    # Diacritics survive extraction: the font maps its glyphs back to Unicode.
    assert "Phường Bến Nghé" in text
    assert "Bộ phận tiếp nhận và trả kết quả" in text
    assert "Phiếu khảo sát sự hài lòng" in text
    short = ward_code.short_code
    assert f"gopy.quan1.example.vn/m/{short[:4]}-{short[4:]}" in text
    # Embedded as subsets (a "XXXXXX+" prefix), regular and bold: no system font needed.
    fonts = set(re.findall(rb"/BaseFont\s*/([A-Z]{6}\+[A-Za-z-]+)", data))
    assert {name.split(b"+")[1] for name in fonts} == {b"DejaVuSansBook", b"DejaVuSansBold"}
    assert data.count(b"/FontFile2") == 2
    # Subset: far smaller than the two font files it draws on.
    assert len(data) < 150_000


def crowded(token: QrToken, repeat: int = 16) -> posters.PosterContent:
    """The poster of ``token`` with names long enough to squeeze the code (more than the
    database would take: the layout must cope with anything)."""
    return dataclasses.replace(
        posters.poster_content(token),
        unit="Ủy ban nhân dân " + "Phường Tân Định mở rộng " * repeat,
        counter="Bộ phận tiếp nhận và trả kết quả giải quyết thủ tục hành chính",
        procedure_field="Lĩnh vực: Chứng thực bản sao từ bản chính, chữ ký",
    )


@pytest.mark.parametrize("size,squeezed", [("A4", False), ("A5", True)])
def test_poster_quiet_zone_and_error_correction_survive_a_smudge(ward_code, size, squeezed):
    if squeezed:
        # The code shrinks to the room left: the text comes as close as the layout lets it.
        content = crowded(ward_code)
        page = posters.layout(content, size)
        assert page.qr_size < 0.6 * page.width
        data = posters.render_png(content, size)
    else:
        data = posters.render_poster(ward_code, "png", size)
    image = Image.open(io.BytesIO(data)).convert("L")
    pixels = np.asarray(image)
    text, corners = _read(image)
    assert text == survey_url_of(ward_code)
    matrix = images.make_qr(survey_url_of(ward_code)).get_matrix()
    modules = len(matrix) - 2 * images.QUIET_ZONE
    # The symbol's exact edges: the dark pixels near where the decoder found it.
    (x0, y0), (x1, y1) = corners.min(axis=0), corners.max(axis=0)
    reach = int(2 * (x1 - x0) / modules)
    wy, wx = int(y0) - reach, int(x0) - reach
    window = pixels[wy:int(y1) + reach, wx:int(x1) + reach]
    dark = np.argwhere(window < 128)
    (top, left), (bottom, right) = dark.min(axis=0) + (wy, wx), dark.max(axis=0) + (wy, wx)
    module = (right - left + 1) / modules
    assert module == pytest.approx((bottom - top + 1) / modules, abs=0.01)
    # Four modules of white on every side of the symbol: nothing printed there.
    margin = int(4 * module) - 1
    around = pixels[top - margin:bottom + margin + 1, left - margin:right + margin + 1].copy()
    around[margin:-margin, margin:-margin] = 255
    assert around.min() > 200
    # A grey smudge over a sixth of the symbol (off the finder patterns) still reads:
    # error correction H.
    side = (right - left) * (1 / 6) ** 0.5
    cx, cy = left + (right - left) * 0.55, top + (bottom - top) * 0.6
    smudged = image.convert("RGB")
    ImageDraw.Draw(smudged).ellipse((cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2),
                                    fill=(120, 120, 120))
    assert decode(smudged) == survey_url_of(ward_code)


def _font_faces(svg: str) -> list[TTFont]:
    faces = re.findall(r"url\(data:font/woff;base64,([A-Za-z0-9+/=]+)\)", svg)
    return [TTFont(io.BytesIO(base64.b64decode(face))) for face in faces]


def test_svg_poster_is_vector_with_the_font_subset_inside(ward_code):
    svg = posters.render_poster(ward_code, "svg", "A4").decode("utf-8")
    assert svg.startswith("<?xml")
    assert 'width="210mm" height="297mm"' in svg
    assert "<image" not in svg  # the code is a path, not a bitmap
    assert ">Phường Bến Nghé</text>" in svg
    faces = _font_faces(svg)
    assert len(faces) == 2  # regular and bold
    regular, bold = faces
    # Each subset has the glyphs of its own text, Vietnamese marks included, and not much more.
    for font in faces:
        assert len(font.getGlyphOrder()) < 120
    assert all(ord(ch) in bold.getBestCmap() for ch in "Phường Bến Nghé")
    assert all(ord(ch) in regular.getBestCmap() for ch in "Bộ phận tiếp nhận và trả kết quả")


def test_svg_poster_decodes_in_chromium_with_the_embedded_font(ward_code, tmp_path):
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            raise RuntimeError("CI must install Chromium (apt-get install chromium): see .ci/run")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    url = survey_url_of(ward_code)
    files = {}
    for size in ("A4", "A5"):
        files[size] = tmp_path / f"poster-{size}.svg"
        files[size].write_bytes(posters.render_poster(ward_code, "svg", size))
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 794, "height": 1123})
            for size, path in files.items():
                page.goto(path.as_uri())
                # The embedded faces, not a system font, are what Chromium drew with.
                loaded = page.evaluate(
                    "async () => { await document.fonts.ready; return [...document.fonts]"
                    ".filter(f => f.family.replace(/\"/g, '') === 'PosterSans')"
                    ".map(f => f.status + ':' + f.weight); }"
                )
                assert sorted(loaded) == ["loaded:400", "loaded:700"], loaded
                assert "Phường Bến Nghé" in page.text_content("svg")
                shot = page.screenshot()
                assert decode(Image.open(io.BytesIO(shot))) == url, size
        finally:
            browser.close()


def test_poster_language_follows_the_locale(ward_code):
    pages = list(pdf_pages(posters.render_poster(ward_code, "pdf", "A5", locale="en")))
    text = pages[0][1]
    assert "Ben Nghe Ward" in text
    assert "Scan to rate our service" in text
    assert ("No name on the form; staff at the counter cannot see your answers."
            in " ".join(text.split()))


@pytest.mark.parametrize("repeat", [3, 16])
def test_long_names_wrap_inside_the_page_and_keep_off_the_quiet_zone(ward_code, repeat):
    content = crowded(ward_code, repeat)
    for size in posters.PAGE_SIZES:
        page = posters.layout(content, size)
        assert page.qr_size > 0.35 * page.width
        # The symbol (its dark modules) and four modules of white around it.
        module = page.qr_size / len(page.matrix)
        dark_rows = [r for r, row in enumerate(page.matrix) if any(row)]
        top_clear = page.qr_y + (dark_rows[0] - 4) * module
        bottom_clear = page.qr_y + (dark_rows[-1] + 1 + 4) * module
        for line in page.lines:
            width = posters.text_width(line.text, line.size, line.bold)
            assert width <= page.width - 2 * 14 * page.width / 210 + 0.01, line
            # Ascender to descender of the line: never in the quiet zone, never on the code.
            top, bottom = line.y - 0.93 * line.size, line.y + 0.24 * line.size
            assert bottom <= top_clear or top >= bottom_clear, line
            assert 0 < top and bottom < page.height, line
    image = Image.open(io.BytesIO(posters.render_png(content, "A5")))
    assert decode(image) == survey_url_of(ward_code)


def test_kiosk_codes_replaced_and_revoked_codes_get_no_poster(ward_code):
    from datetime import timedelta

    from satisfaction.qrcodes.codes import revoke_code, rotate_code

    kiosk = issue_code(ward_code.counter, ward_code.questionnaire, channel="kiosk")
    with pytest.raises(posters.NotPrintable, match="kiosk"):
        posters.render_poster(kiosk, "pdf")
    new = rotate_code(ward_code, timedelta(days=14))
    with pytest.raises(posters.NotPrintable, match="replaced"):
        posters.render_poster(ward_code, "pdf")
    revoke_code(new, None)
    with pytest.raises(posters.NotPrintable, match="revoked"):
        posters.render_poster(new, "png")
    # The ZIP of the unit has no poster left, and never one for the kiosk.
    assert printable_codes([ward_code.counter.unit_id]) == []
    with zipfile.ZipFile(io.BytesIO(posters.posters_zip([kiosk]))) as archive:
        assert archive.namelist() == []
    db.session.rollback()


def test_district_zip_has_one_poster_per_counter_each_with_its_own_code(ward_code, demo):
    codes = printable_codes()
    data = posters.posters_zip(codes, ["pdf"], ["A5"])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = sorted(archive.namelist())
        units = db.session.scalars(sa.select(Unit).where(Unit.kind == "ward")).all()
        wards = {unit.code for unit in units}
        assert len(wards) == 10
        # One poster per counter of the district and its 10 wards, named by unit, counter,
        # questionnaire and size.
        expected = {f"{code}_MC1_sipas-2640_A5.pdf" for code in [*wards, "Q1"]}
        assert set(names) == expected
        for name in names:
            unit_code = name.split("_")[0]
            (image, text), = pdf_pages(archive.read(name), scale=1.5)
            assert decode(image) == f"{BASE_URL}/s/{demo.survey_tokens[unit_code]}", name
            unit = next((u for u in units if u.code == unit_code), None)
            if unit is not None:
                assert unit.name_vi in text


def test_two_codes_of_one_counter_get_distinct_file_names(ward_code):
    second = issue_code(ward_code.counter, ward_code.questionnaire, label="Quầy 2")
    data = posters.posters_zip([ward_code, second], ["svg"], ["A4", "A5"])
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        assert len(names) == len(set(names)) == 4
        assert f"Q1-BN_MC1_sipas-2640_A4_{second.short_code}.svg" in names
        assert second.short_code[:4] in archive.read(names[-1]).decode("utf-8")
    db.session.rollback()
