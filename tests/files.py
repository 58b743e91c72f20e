"""Small real files for tests: PDFs, images, broken and hostile ones."""
import io

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"


def page_image(text="GIẤY KHAI SINH", size=(620, 877)):
    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, 28)
    draw.text((60, 80), text, fill="black", font=font)
    return img


def pdf_bytes(pages=1, text="GIẤY KHAI SINH"):
    images = [page_image(f"{text} — {i + 1}") for i in range(pages)]
    out = io.BytesIO()
    images[0].save(out, "PDF", resolution=75, save_all=True, append_images=images[1:])
    return out.getvalue()


def image_bytes(fmt="PNG", text="GIẤY KHAI SINH", frames=1):
    images = [page_image(f"{text} {i + 1}") for i in range(frames)]
    out = io.BytesIO()
    if fmt == "TIFF" and frames > 1:
        images[0].save(out, "TIFF", save_all=True, append_images=images[1:])
    else:
        images[0].save(out, fmt)
    return out.getvalue()


def bomb_png(width=12000, height=12000):
    """A small PNG that claims 144 megapixels: a decompression bomb."""
    img = Image.new("1", (width, height), 0)
    out = io.BytesIO()
    img.save(out, "PNG", optimize=True)
    return out.getvalue()
