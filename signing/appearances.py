"""How a signature looks on page 1, per Decree 30/2020 (see RULES-VN.md).

Three profiles, each a small frozen dataclass:

* `DigitizedProfile` ("digitized"): the digitizer's personal signature,
  top-left of page 1, with the name and the time.
* `CopyProfile` ("copy"): an electronic copy issued by an agency (sao y, sao
  lục, trích sao): top-right of page 1, no image; the kind of copy, the
  agency's name and the time in ISO 8601 with +07:00; 10 pt Liberation Serif
  (Times-metric), black.
* `ResultProfile` ("result"): an agency's original/result: the red seal
  (transparent PNG, real size) overlapping the left third of the signer's blue
  signature image, with the name and the time; bottom-right of page 1.

Text is set in an embedded TrueType subset so Vietnamese diacritics render
in any viewer. Times shown are Vietnam time (UTC+07:00).
"""
import datetime
import functools
import logging
import math
import os
import random
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont
from pyhanko.pdf_utils import generic, layout
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.stamp import TextStamp, TextStampStyle

from .errors import ProfileError
from .fonts import ScaledGlyphAccumulatorFactory

# fontTools reports every table it cannot subset (e.g. FFTM); not our business
logging.getLogger("fontTools.subset").setLevel(logging.ERROR)

VN_TZ = datetime.timezone(datetime.timedelta(hours=7), "ICT")
MM = 72 / 25.4  # points per millimetre

# Times-metric first (Liberation Serif 2.x covers Vietnamese; the 1.07 of
# Debian's fonts-liberation does not and is skipped), then any serif that does.
SERIF_FONTS = (
    "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf",
    "/usr/share/fonts/liberation/LiberationSerif-Regular.ttf",
    "/usr/share/fonts/truetype/croscore/Tinos-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoSerif-Regular.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
)
VIETNAMESE_SAMPLE = "ĂÂĐÊÔƠƯăâđêôơư" + "ẠẢẤẦẨẪẬẮẰẲẴẶẸẺẼẾỀỂỄỆỈỊỌỎỐỒỔỖỘỚỜỞỠỢỤỦỨỪỬỮỰỲỴỶỸ" + \
    "ạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹ"
BOLD_SANS_FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf",
)


@functools.lru_cache(maxsize=32)
def covers_vietnamese(path) -> bool:
    """True when the font at `path` has a glyph for every Vietnamese letter."""
    try:
        from fontTools import ttLib
        with ttLib.TTFont(path, lazy=True) as font:
            cmap = font.getBestCmap()
    except Exception:
        return False
    return all(ord(c) in cmap for c in VIETNAMESE_SAMPLE)


def find_font(candidates=SERIF_FONTS, env="KHO_STAMP_FONT") -> str:
    """The first font file that exists and covers Vietnamese
    ($KHO_STAMP_FONT first for the serif)."""
    paths = ([os.environ.get(env)] if env else []) + list(candidates)
    for path in paths:
        if path and os.path.isfile(path) and covers_vietnamese(path):
            return path
    raise ProfileError("no TrueType font with Vietnamese glyphs found "
                       "(install fonts-liberation2 or fonts-dejavu-core, or set KHO_STAMP_FONT)")


def vietnam_time(when: datetime.datetime) -> str:
    """ISO 8601 with the Vietnam offset, to the second: 2025-03-01T09:30:00+07:00."""
    if when.tzinfo is None:
        raise ValueError("a signing time must carry its time zone")
    return when.astimezone(VN_TZ).replace(microsecond=0).isoformat()


# --- images ---------------------------------------------------------------

def make_seal_image(agency: str, diameter_mm: float = 36.0, dpi: int = 300) -> Image.Image:
    """A red round seal (transparent RGBA PNG-style image) with the agency's
    name around the rim and a star in the centre, `diameter_mm` across."""
    size = int(round(diameter_mm / 25.4 * dpi))
    red = (218, 20, 30, 235)
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    c = size / 2
    ring = max(3, size // 45)
    draw.ellipse([ring, ring, size - ring, size - ring], outline=red, width=ring)
    inner = size * 0.30
    draw.ellipse([c - inner, c - inner, c + inner, c + inner], outline=red, width=max(2, ring // 2))
    # five-pointed star
    pts = []
    for i in range(10):
        r = inner * (0.85 if i % 2 == 0 else 0.34)
        a = -math.pi / 2 + i * math.pi / 5
        pts.append((c + r * math.cos(a), c + r * math.sin(a)))
    draw.polygon(pts, fill=red)
    # the name around the rim, letters upright towards the centre
    text = f"★ {agency.upper()} ★"
    font = ImageFont.truetype(find_font(BOLD_SANS_FONTS, env=None), int(size * 0.085))
    radius = c - ring * 2 - font.size * 1.2  # baseline radius: caps and accents inside the ring
    total = sum(font.getlength(ch) for ch in text)
    span = min(2 * math.pi * 0.92, total / radius)
    angle = -math.pi / 2 - span / 2
    for ch in text:
        w = font.getlength(ch)
        a = angle + (w / 2) / radius * (span * radius / total)
        box = font.size * 3  # room for stacked diacritics (Ủ, Ầ) after rotation
        glyph = Image.new("RGBA", (box, box), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((box / 2, box / 2), ch, font=font, fill=red, anchor="ms")
        glyph = glyph.rotate(-math.degrees(a) - 90, resample=Image.BICUBIC)
        x = c + radius * math.cos(a) - glyph.width / 2
        y = c + radius * math.sin(a) - glyph.height / 2
        img.alpha_composite(glyph, (int(round(x)), int(round(y))))
        angle += w / total * span
    return img


def make_signature_image(name: str, width_mm: float = 50.0, height_mm: float = 20.0,
                         dpi: int = 300) -> Image.Image:
    """A blue handwritten-looking flourish on a transparent background, drawn
    deterministically from the name (a stand-in for a scanned signature)."""
    w = int(round(width_mm / 25.4 * dpi))
    h = int(round(height_mm / 25.4 * dpi))
    img = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    rnd = random.Random(name)
    blue = (20, 40, 170, 255)
    pts = []
    loops = 5 + len(name) % 3
    for i in range(400):
        t = i / 399
        x = w * (0.05 + 0.9 * t)
        y = h * (0.5 + 0.28 * math.sin(t * loops * 2 * math.pi + rnd.random() * 0.2)
                 * (1 - 0.5 * t) + 0.05 * math.sin(t * 23))
        pts.append((x, y))
    draw.line(pts, fill=blue, width=max(3, h // 40), joint="curve")
    draw.line([(w * 0.1, h * 0.82), (w * 0.85, h * 0.72)], fill=blue, width=max(3, h // 50))
    return img


def load_image(path) -> Image.Image:
    try:
        img = Image.open(path)
        img.load()
    except (OSError, ValueError) as exc:
        raise ProfileError(f"cannot read image {path}: {exc}") from None
    return img.convert("RGBA")


# --- the stamp ------------------------------------------------------------

@dataclass(frozen=True)
class PlacedImage:
    """An image drawn at (x, y) with size (width, height), points, in the stamp box."""
    image: Image.Image
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class KhoStampStyle(TextStampStyle):
    """pyhanko text stamp + images underneath, upright on rotated pages, and
    the time shown as ISO 8601 in Vietnam time."""
    images: tuple = ()
    page_rotation: int = 0

    def create_stamp(self, writer, box, text_params):
        params = dict(text_params)
        if "ts" in params:
            when = datetime.datetime.strptime(params["ts"], self.timestamp_format)
            params["ts"] = vietnam_time(when)
        if self.page_rotation in (90, 270):  # the field is the page's, turned
            box = layout.BoxConstraints(width=box.height, height=box.width)
        return KhoStamp(writer=writer, style=self, box=box, text_params=params)


class KhoStamp(TextStamp):
    def _render_inner_content(self):
        commands = []
        for placed in self.style.images:
            pdf_img = PdfImage(placed.image, writer=self.writer,
                               box=layout.BoxConstraints(placed.width, placed.height))
            drawn = pdf_img.render()
            self.import_resources(pdf_img.resources)
            commands.append(b"q 1 0 0 1 %g %g cm %s Q" % (placed.x, placed.y, drawn))
        return commands + super()._render_inner_content()

    def as_form_xobject(self):
        xobj = super().as_form_xobject()
        matrix = {90: (0, 1, -1, 0, self.box.height, 0), 180: (-1, 0, 0, -1, self.box.width, self.box.height),
                  270: (0, -1, 1, 0, 0, self.box.width)}.get(self.style.page_rotation)
        if matrix:
            xobj[generic.pdf_name("/Matrix")] = generic.ArrayObject(
                generic.FloatObject(v) for v in matrix)
        return xobj


# --- profiles -------------------------------------------------------------

@dataclass(frozen=True)
class Appearance:
    """What sign_pdf needs: a stamp style, the stamp size and the corner of page 1."""
    style: KhoStampStyle
    width: float
    height: float
    corner: str          # 'top-left' | 'top-right' | 'bottom-right' | 'bottom-left'
    margin: float
    reason: str


def _measure(lines, font_path, size):
    font = ImageFont.truetype(font_path, size)
    return max(font.getlength(line) for line in lines)


def _escape(text: str) -> str:
    return text.replace("%", "%%")


def _text_style(font_path, size, color):
    return TextBoxStyle(font=ScaledGlyphAccumulatorFactory(font_path, font_size=size),
                        font_size=size, leading=round(size * 1.25), text_color=color,
                        box_layout_rule=layout.SimpleBoxLayoutRule(
                            x_align=layout.AxisAlignment.ALIGN_MIN,
                            y_align=layout.AxisAlignment.ALIGN_MIN,
                            margins=layout.Margins()))


@dataclass(frozen=True)
class DigitizedProfile:
    """The digitizer's personal signature: top-left of page 1, name and time
    (Circular 01/2023/TT-VPCP art. 7; Decree 30/2020)."""
    name = "digitized"
    corner: str = "top-left"
    margin_pt: float = 18
    font_size: int = 9
    label_name: str = "Người số hoá"
    label_time: str = "Thời gian"
    reason: str = "Số hoá bản giấy (Thông tư 01/2023/TT-VPCP)"
    color: tuple = (0.05, 0.15, 0.6)

    def appearance(self, signer_name, *, rotation=0, font_path=None, **_):
        font_path = font_path or find_font()
        lines = [f"{self.label_name}: {signer_name}",
                 f"{self.label_time}: 0000-00-00T00:00:00+07:00"]
        pad = 6
        width = _measure(lines, font_path, self.font_size) + 2 * pad + 4
        height = len(lines) * round(self.font_size * 1.25) + 2 * pad + 2
        style = KhoStampStyle(
            text_box_style=_text_style(font_path, self.font_size, self.color),
            stamp_text=_escape(lines[0]) + "\n" + _escape(self.label_time) + ": %(ts)s",
            timestamp_format="%Y-%m-%dT%H:%M:%S%z",
            border_width=1, border_color=self.color, background=None,
            inner_content_layout=layout.SimpleBoxLayoutRule(
                x_align=layout.AxisAlignment.ALIGN_MIN, y_align=layout.AxisAlignment.ALIGN_MID,
                margins=layout.Margins(left=pad, right=pad, top=pad, bottom=pad)),
            page_rotation=rotation)
        return Appearance(style, width, height, self.corner, self.margin_pt, self.reason)


@dataclass(frozen=True)
class CopyProfile:
    """An agency's electronic copy (sao y / sao lục / trích sao): top-right of
    page 1, no image; kind of copy, agency name, ISO 8601 time +07:00;
    10 pt Times-metric serif, black (Decree 30/2020, appendix I)."""
    name = "copy"
    copy_kind: str = "SAO Y"
    corner: str = "top-right"
    margin_pt: float = 18
    font_size: int = 10
    reason: str = "Bản sao điện tử"

    def appearance(self, signer_name, *, rotation=0, font_path=None, copy_kind=None,
                   agency=None, **_):
        font_path = font_path or find_font()
        kind = copy_kind or self.copy_kind
        agency = agency or signer_name
        lines = [kind, agency, "0000-00-00T00:00:00+07:00"]
        pad = 3
        width = _measure(lines, font_path, self.font_size) + 2 * pad + 4
        height = len(lines) * round(self.font_size * 1.25) + 2 * pad
        style = KhoStampStyle(
            text_box_style=_text_style(font_path, self.font_size, (0, 0, 0)),
            stamp_text=_escape(kind) + "\n" + _escape(agency) + "\n%(ts)s",
            timestamp_format="%Y-%m-%dT%H:%M:%S%z",
            border_width=0, background=None,
            inner_content_layout=layout.SimpleBoxLayoutRule(
                x_align=layout.AxisAlignment.ALIGN_MIN, y_align=layout.AxisAlignment.ALIGN_MID,
                margins=layout.Margins(left=pad, right=pad, top=pad, bottom=pad)),
            page_rotation=rotation)
        return Appearance(style, width, height, self.corner, self.margin_pt,
                          f"{self.reason}: {kind}")


@dataclass(frozen=True)
class ResultProfile:
    """An agency's original/result: the red seal (real size, default 36 mm)
    overlapping the left third of the signer's blue signature image, name and
    time below; bottom-right of page 1. Images default to generated ones."""
    name = "result"
    corner: str = "bottom-right"
    margin_pt: float = 28
    seal_diameter_mm: float = 36.0
    signature_size_mm: tuple = (50.0, 20.0)
    seal_image: str | None = None          # PNG path; generated from the agency name if None
    signature_image: str | None = None     # PNG path; generated from the signer name if None
    font_size: int = 10
    reason: str = "Ký ban hành văn bản / kết quả"

    def appearance(self, signer_name, *, rotation=0, font_path=None, agency=None, **_):
        font_path = font_path or find_font()
        seal_d = self.seal_diameter_mm * MM
        sig_w, sig_h = (v * MM for v in self.signature_size_mm)
        seal = load_image(self.seal_image) if self.seal_image else \
            make_seal_image(agency or signer_name, self.seal_diameter_mm)
        sig = load_image(self.signature_image) if self.signature_image else \
            make_signature_image(signer_name, *self.signature_size_mm)
        lines = [signer_name, "0000-00-00T00:00:00+07:00"]
        leading = round(self.font_size * 1.25)
        text_h = len(lines) * leading + 6
        # the seal's centre sits on the signature's left third
        sig_x = seal_d * 0.5
        width = max(sig_x + sig_w + 6, _measure(lines, font_path, self.font_size) + 12)
        height = text_h + seal_d + 4
        seal_y = text_h + 2
        sig_y = seal_y + (seal_d - sig_h) / 2
        seal_x = sig_x + sig_w / 6 - seal_d / 2
        images = (PlacedImage(sig, sig_x, sig_y, sig_w, sig_h),          # signature first,
                  PlacedImage(seal, max(0.0, seal_x), seal_y, seal_d, seal_d))  # seal on top
        style = KhoStampStyle(
            text_box_style=_text_style(font_path, self.font_size, (0, 0, 0)),
            stamp_text=_escape(signer_name) + "\n%(ts)s",
            timestamp_format="%Y-%m-%dT%H:%M:%S%z",
            border_width=0, background=None, images=images,
            inner_content_layout=layout.SimpleBoxLayoutRule(
                x_align=layout.AxisAlignment.ALIGN_MID, y_align=layout.AxisAlignment.ALIGN_MIN,
                margins=layout.Margins(left=2, right=2, top=2, bottom=3)),
            page_rotation=rotation)
        return Appearance(style, width, height, self.corner, self.margin_pt, self.reason)


PROFILES = {p.name: p for p in (DigitizedProfile(), CopyProfile(), ResultProfile())}


def get_profile(profile):
    """A profile object from its name ('digitized', 'copy', 'result') or itself."""
    if isinstance(profile, str):
        try:
            return PROFILES[profile]
        except KeyError:
            raise ProfileError(f"unknown appearance profile {profile!r} "
                               f"(choose {', '.join(PROFILES)})") from None
    if not hasattr(profile, "appearance"):
        raise ProfileError(f"not an appearance profile: {profile!r}")
    return profile


def field_box(mediabox, rotation, corner, width, height, margin):
    """The field rectangle (x1, y1, x2, y2) in page space for a stamp of
    `width` x `height` at `corner` of the page *as displayed* (after /Rotate)."""
    x0, y0, x1, y1 = (float(v) for v in mediabox)
    x0, x1 = min(x0, x1), max(x0, x1)
    y0, y1 = min(y0, y1), max(y0, y1)
    rotation %= 360
    disp_w, disp_h = (x1 - x0, y1 - y0) if rotation in (0, 180) else (y1 - y0, x1 - x0)
    top = corner.startswith("top")
    left = corner.endswith("left")
    # displayed coordinates, origin bottom-left of the displayed page
    dx = margin if left else disp_w - margin - width
    dy = disp_h - margin - height if top else margin
    if width > disp_w - 2 * margin or height > disp_h - 2 * margin:
        raise ProfileError("page 1 is too small for the signature stamp")
    # map the displayed rectangle back into page (unrotated) space
    corners = [(dx, dy), (dx + width, dy + height)]
    mapped = []
    for u, v in corners:
        if rotation == 0:
            mapped.append((x0 + u, y0 + v))
        elif rotation == 90:   # shown turned clockwise: page's left edge on top
            mapped.append((x1 - v, y0 + u))
        elif rotation == 180:
            mapped.append((x1 - u, y1 - v))
        else:                  # 270: page's right edge on top
            mapped.append((x0 + v, y1 - u))
    (ax, ay), (bx, by) = mapped
    return (min(ax, bx), min(ay, by), max(ax, bx), max(ay, by))
