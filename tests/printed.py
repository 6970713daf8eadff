"""Read a PDF printed by LibreOffice back as words with their boxes: type size and page texts.

`pdftotext -bbox` gives every word's box; LibreOffice's serif substitute draws a box 1.30 times
the type size (measured: 20 pt text → 26.0 pt box), so box height ÷ 1.30 is the printed size.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

BOX_PER_POINT = 1.30
WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>')


@dataclass(frozen=True)
class Word:
    """A printed word and its box, in points from the page's top left corner."""

    text: str
    x: float
    y: float
    size: float


@dataclass(frozen=True)
class Page:
    """One printed page: its words, and the sheet its footer names."""

    number: int
    words: tuple[Word, ...]
    height: float

    @property
    def text(self) -> str:
        """All words, space separated, in reading order as pdftotext gives them."""
        return " ".join(w.text for w in self.words)

    def footer(self) -> str:
        """The words in the bottom margin."""
        return " ".join(w.text for w in self.words if w.y > self.height - 45)

    def body_sizes(self) -> list[float]:
        """Type sizes of every word."""
        return [w.size for w in self.words]


def pages(pdf: Path) -> list[Page]:
    """Every page of a PDF with its words."""
    xml = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    result = []
    for number, chunk in enumerate(xml.split("<page ")[1:], start=1):
        height = float(re.search(r'height="([\d.]+)"', chunk).group(1))
        words = tuple(
            Word(_unescape(m.group(5)), float(m.group(1)), float(m.group(2)), (float(m.group(4)) - float(m.group(2))) / BOX_PER_POINT)
            for m in WORD.finditer(chunk)
        )
        result.append(Page(number, words, height))
    return result


def _unescape(text: str) -> str:
    """XML entities pdftotext writes."""
    return text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'")
