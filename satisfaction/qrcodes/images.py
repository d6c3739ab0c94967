"""The one QR code generator: the posters print its matrix, the admin pages show it as SVG."""

from __future__ import annotations

import qrcode
import qrcode.image.svg

#: Modules of white around the code: the QR standard's minimum, which readers rely on.
QUIET_ZONE = 4


def make_qr(url: str, error_correction: int = qrcode.constants.ERROR_CORRECT_H
            ) -> qrcode.QRCode:
    """The code of exactly ``url`` with a 4-module quiet zone. Error correction H (the
    default, for print: 30 % of the symbol can be smudged, torn or covered by tape and it
    still reads); M for a code shown on a screen, where a smaller symbol reads better."""
    code = qrcode.QRCode(error_correction=error_correction, border=QUIET_ZONE)
    code.add_data(url)
    code.make(fit=True)
    return code


def qr_svg(url: str) -> str:
    """The QR code of ``url`` as inline SVG for a page (error correction M)."""
    code = make_qr(url, qrcode.constants.ERROR_CORRECT_M)
    image = code.make_image(image_factory=qrcode.image.svg.SvgPathImage)
    # The factory names every path "qr-path"; ids must be unique when codes share a page.
    return image.to_string(encoding="unicode").replace(' id="qr-path"', "")
