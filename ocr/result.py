"""What recognition returns: words with boxes, pages, the whole document."""
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Word:
    """One recognised word; `bbox` is (x0, y0, x1, y1) in page-image pixels."""
    text: str
    bbox: tuple
    confidence: float          # 0-100


@dataclass
class Page:
    """One page. `width`/`height` are the pixels of the image the boxes refer
    to, which is exactly the page of the searchable PDF at `dpi`."""
    index: int
    width: int
    height: int
    dpi: int
    words: list
    text: str
    hocr: str
    mean_confidence: float
    needs_review: bool
    source: str = "ocr"        # "ocr", or "text-layer" for a PDF page that had text
    quarter_turns: int = 0     # clockwise quarter turns the scan needed
    skew_degrees: float = 0.0  # counter-clockwise correction applied
    dewarped: bool = False     # a photographed page was found and flattened


@dataclass
class OcrResult:
    pages: list
    searchable_pdf: bytes = field(repr=False)   # None when recognize(searchable=False)

    @property
    def text(self):
        """The whole text, NFC, pages separated by a form feed."""
        return "\f".join(page.text for page in self.pages)

    @property
    def mean_confidence(self):
        """Mean word confidence over the document (0-100; 0 with no words)."""
        words = [w.confidence for page in self.pages for w in page.words]
        return sum(words) / len(words) if words else 0.0

    @property
    def needs_review(self):
        return any(page.needs_review for page in self.pages)
