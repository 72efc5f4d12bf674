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

import numpy as np
from PIL import Image, UnidentifiedImageError

from grader.limits import SIMILARITY

SIDE = 64
LOW = 16
BANDS = 16
NEAR_BITS = 15  # at most BANDS - 1, so that banding is exact
THUMBNAIL_PX = 220
MIN_CONTRAST = 2.0  # grey-level spread below which an image is blank: no evidence


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


def _flat(image: Image.Image) -> Image.Image:
    """The image on white, as RGB (a transparent plot background is white on the page)."""
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        return Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba).convert("RGB")
    return image.convert("RGB")


def _open(data: bytes) -> Image.Image | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            Image.MAX_IMAGE_PIXELS = SIMILARITY.max_pixels
            image = Image.open(io.BytesIO(data))
            image.draft("RGB", (SIDE * 4, SIDE * 4))  # JPEG: decode at a lower scale
            image.load()
            return image
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError, Warning):
        return None


def perceptual(data: bytes) -> int | None:
    """The pHash of an image file's bytes, or None if unreadable or blank."""
    image = _open(data)
    if image is None:
        return None
    grey = np.asarray(_flat(image).convert("L").resize((SIDE, SIDE), Image.Resampling.BOX), float)
    if grey.std() < MIN_CONTRAST:
        return None
    return perceptual_hash(grey)


def thumbnail(data: bytes) -> bytes:
    """A small PNG re-drawn from the image: nothing of the original file reaches the page."""
    image = _open(data)
    if image is None:
        return b""
    flat = _flat(image)
    flat.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
    buffer = io.BytesIO()
    flat.save(buffer, "PNG")
    return buffer.getvalue()


def distance(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def _words(hashes: list[int]) -> np.ndarray:
    """(n, 4) uint64: each 256-bit hash as four words, for vectorised Hamming distances."""
    mask = (1 << 64) - 1
    return np.array([[(h >> (64 * w)) & mask for w in range(4)] for h in hashes], np.uint64)


def near_pairs(hashes: list[int]) -> list[tuple[int, int, int]]:
    """(i, j, bits), i < j, for every pair of hashes within NEAR_BITS bits, found through bands
    (only hashes that agree on a whole band are compared)."""
    if len(hashes) < 2:
        return []
    words = _words(hashes)
    buckets: dict[tuple[int, int], list[int]] = defaultdict(list)
    for index, value in enumerate(hashes):
        for band in range(BANDS):
            buckets[(band, (value >> (16 * band)) & 0xFFFF)].append(index)
    found: dict[tuple[int, int], int] = {}
    for members in buckets.values():
        if len(members) < 2:
            continue
        block = words[members]
        # Hamming distance of every pair in the bucket at once: xor, then count the bits.
        bits = np.bitwise_count(block[:, None, :] ^ block[None, :, :]).sum(axis=2)
        rows, cols = np.nonzero(np.triu(bits <= NEAR_BITS, k=1))
        for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
            found[(members[r], members[c])] = int(bits[r, c])
    return [(i, j, b) for (i, j), b in found.items()]
