"""A report's figures as the page needs them: read once with a bound on their size, and
scaled down to the page's resolution before they are embedded, so a photo of 100 megapixels
neither takes gigabytes nor makes a PDF of megabytes, and a decompression bomb is refused."""

from __future__ import annotations

import io
import warnings

from PIL import Image, UnidentifiedImageError

from grader.errors import UserError
from grader.limits import REPORT

_ADVICE = "save it smaller, e.g. plt.savefig('figures/name.png', dpi=200)"


def page_image(data: bytes, where: str, name: str) -> bytes:
    """``data`` (a PNG or JPEG) as embedded: itself when small enough, else scaled down to
    ``REPORT.figure_side_pixels`` on its longer side; a UserError saying what to do when it is
    no image or too large to open."""
    most = REPORT.figure_max_pixels
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                if width * height > most:
                    raise UserError(
                        f"{where}: {name} is {width} x {height} pixels, more than the "
                        f"{most / 1e6:g} megapixels a report figure may have: {_ADVICE}"
                    )
                side = REPORT.figure_side_pixels
                if max(width, height) <= side:
                    image.verify()
                    return data
                return _scaled(image, side)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UserError(
            f"{where}: {name} has far more pixels than a figure needs (over "
            f"{most / 1e6:g} megapixels; a decompression bomb?): {_ADVICE}"
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise UserError(
            f"{where}: {name} is not a PNG or JPEG image ({error}; an SVG or PDF figure cannot "
            f"be embedded): save it as PNG, e.g. plt.savefig('figures/name.png', dpi=200)."
        ) from error


def _scaled(image: Image.Image, side: int) -> bytes:
    """The image with its longer side ``side`` pixels, as JPEG when it was one, else PNG."""
    photo = image.format == "JPEG"
    image.draft("RGB", (side, side))  # a JPEG decodes at a fraction of its size
    image.thumbnail((side, side), Image.Resampling.LANCZOS)
    if image.mode not in ("RGB", "RGBA", "L", "LA") or (photo and image.mode != "RGB"):
        image = image.convert("RGB" if photo or "A" not in image.mode else "RGBA")
    out = io.BytesIO()
    image.save(
        out, "JPEG" if photo else "PNG", **({"quality": 90} if photo else {"optimize": True})
    )
    return out.getvalue()
