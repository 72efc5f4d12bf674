"""Perceptual hashes of figures: a copied plot re-saved, resized or re-compressed keeps its hash.

pHash (Zauner 2010): the image in grey at 64x64, its 2-D DCT, and one bit per coefficient of
the lowest 16x16 frequencies (above or below their median): 256 bits. Two figures whose hashes
differ in at most ``NEAR_BITS`` bits are near-identical. Candidates come from 16 bands of 16
bits: two hashes within 15 bits agree on at least one band (pigeonhole), so banding misses no
near-identical pair.
"""

from __future__ import annotations

import io
import warnings
from collections import defaultdict
from itertools import combinations

import numpy as np
from PIL import Image, UnidentifiedImageError

SIDE = 64
LOW = 16
BANDS = 16
NEAR_BITS = 15  # at most BANDS - 1, so that banding is exact
THUMBNAIL_PX = 220
MIN_CONTRAST = 2.0  # grey-level spread below which an image is blank: no evidence
_MAX_PIXELS = 40_000_000


def _dct_matrix(n: int) -> np.ndarray:
    """The orthonormal DCT-II matrix (n, n): ``D @ x`` is the DCT of a column x."""
    k = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    matrix = np.cos(np.pi * (2 * i + 1) * k / (2 * n)) * np.sqrt(2.0 / n)
    matrix[0] /= np.sqrt(2.0)
    return matrix


_DCT = _dct_matrix(SIDE)


def perceptual_hash(grey: np.ndarray) -> int:
    """256-bit pHash of a (SIDE, SIDE) grey image, as an int."""
    low = (_DCT @ grey @ _DCT.T)[:LOW, :LOW].ravel()
    bits = low > np.median(low)
    return int.from_bytes(np.packbits(bits).tobytes(), "big")


def analyse(data: bytes) -> tuple[int, bytes] | None:
    """(pHash, PNG thumbnail) of an image file's bytes, or None if unreadable or blank."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            Image.MAX_IMAGE_PIXELS = _MAX_PIXELS
            with Image.open(io.BytesIO(data)) as image:
                image.draft("L", (SIDE * 4, SIDE * 4))
                flat = image.convert("RGBA")
                white = Image.new("RGBA", flat.size, "white")
                rgb = Image.alpha_composite(white, flat).convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError, Warning):
        return None
    grey = np.asarray(rgb.convert("L").resize((SIDE, SIDE), Image.Resampling.BOX), float)
    if grey.std() < MIN_CONTRAST:
        return None
    rgb.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
    buffer = io.BytesIO()
    rgb.save(buffer, "PNG")
    return perceptual_hash(grey), buffer.getvalue()


def distance(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def near_pairs(hashes: list[int]) -> list[tuple[int, int, int]]:
    """(i, j, bits) for every pair of hashes within NEAR_BITS bits, found through bands."""
    buckets: dict[tuple[int, int], list[int]] = defaultdict(list)
    for index, value in enumerate(hashes):
        for band in range(BANDS):
            buckets[(band, (value >> (16 * band)) & 0xFFFF)].append(index)
    pairs: dict[tuple[int, int], int] = {}
    for members in buckets.values():
        for i, j in combinations(members, 2):
            if (i, j) not in pairs:
                pairs[(i, j)] = distance(hashes[i], hashes[j])
    return [(i, j, bits) for (i, j), bits in pairs.items() if bits <= NEAR_BITS]
