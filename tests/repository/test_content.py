import pytest

from repository.content import JPEG, PDF, PNG, TIFF, ContentError, inspect

from ..files import bomb_png, image_bytes, pdf_bytes

MB = 1024 * 1024


@pytest.mark.parametrize("make,kind,pages", [
    (lambda: pdf_bytes(pages=3), PDF, 3),
    (lambda: image_bytes("PNG"), PNG, 1),
    (lambda: image_bytes("JPEG"), JPEG, 1),
    (lambda: image_bytes("TIFF", frames=2), TIFF, 2),
])
def test_accepted_files(make, kind, pages):
    facts = inspect(make(), 5 * MB)
    assert (facts.content_type, facts.pages) == (kind, pages)
    assert len(facts.sha256) == 64


@pytest.mark.parametrize("data,words", [
    (b"", "rỗng"),
    (b"hello, this is text pretending to be a PDF", "Chỉ nhận"),
    (b"%PDF-1.4\n garbage that is not a pdf at all", "PDF bị hỏng"),
    (image_bytes("PNG")[:400], "Ảnh bị hỏng"),
    (image_bytes("JPEG")[:300], "Ảnh bị hỏng"),
])
def test_refused_files(data, words):
    with pytest.raises(ContentError) as err:
        inspect(data, 5 * MB)
    assert words in str(err.value)


def test_size_limit():
    with pytest.raises(ContentError) as err:
        inspect(pdf_bytes(), 1000)
    assert "giới hạn" in str(err.value)


def test_decompression_bomb_is_refused():
    with pytest.raises(ContentError) as err:
        inspect(bomb_png(), 5 * MB)
    assert "bom giải nén" in str(err.value)
