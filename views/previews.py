"""Page previews: PNG images rendered from a document's file, cached by content hash.

Previews are derived and recomputable, so they live in the cache directory,
not in ZODB; the cache key is the file's SHA-256, so a new version never
shows an old picture."""
import io
import os
import subprocess
import tempfile

from PIL import Image

WIDTHS = (300, 1200, 2400)       # 2400: the review page zoomed in


class PreviewError(RuntimeError):
    pass


def preview_path(cache_dir, sha256, variant, page, width):
    return os.path.join(cache_dir, "previews", sha256[:2], sha256, f"{variant}-{page}-{width}.png")


def render_preview(document, page, width, cache_dir, variant="original"):
    """Path of a PNG of page (1-based) at width pixels, rendering it when absent.

    variant: "original", or a derivative's name (e.g. "searchable", whose page
    images are the ones the OCR word boxes refer to)."""
    if not 1 <= page <= document.pages:
        raise PreviewError(f"page {page} out of range 1..{document.pages}")
    if variant != "original" and variant not in document.derivatives:
        raise PreviewError(f"no {variant} version")
    width = min(WIDTHS, key=lambda w: abs(w - width))
    target = preview_path(cache_dir, document.sha256, variant, page, width)
    if os.path.exists(target):
        return target
    os.makedirs(os.path.dirname(target), exist_ok=True)
    blob = document.original if variant == "original" else document.derivatives[variant]
    is_pdf = variant != "original" or document.content_type == "application/pdf"
    with blob.open("r") as f:
        source = f.name
        png = _render_pdf(source, page, width) if is_pdf else _render_image(source, page, width)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target), suffix=".tmp")
    with os.fdopen(fd, "wb") as out:
        out.write(png)
    os.replace(tmp, target)
    return target


def _render_pdf(path, page, width):
    with tempfile.TemporaryDirectory() as tmp:
        root = os.path.join(tmp, "page")
        try:
            subprocess.run(
                ["pdftoppm", "-png", "-f", str(page), "-l", str(page), "-scale-to-x", str(width),
                 "-scale-to-y", "-1", "-singlefile", path, root],
                capture_output=True, timeout=60, check=True)
            with open(root + ".png", "rb") as f:
                return f.read()
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
            raise PreviewError(f"pdftoppm could not render page {page}: {exc}") from None


def _render_image(path, page, width):
    with Image.open(path) as img:
        img.seek(page - 1)
        frame = img.convert("RGB")
    frame.thumbnail((width, width * 4))
    out = io.BytesIO()
    frame.save(out, "PNG", optimize=False)
    return out.getvalue()
