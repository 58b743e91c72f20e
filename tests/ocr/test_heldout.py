"""The desk's proposals on held-out papers (tests/ocr/heldout.py): recognised
by the real pipeline, most proposals are right (bench/ocr.py prints the
shares); a floor, not the figure."""
import ocr
from tests.ocr import heldout
from tests.ocr.support import needs_tesseract

DOC_TYPES = [("GKS", "Giấy khai sinh"), ("GCS", "Giấy chứng sinh"), ("HC", "Hộ chiếu"),
             ("XNTTHN", "Giấy xác nhận tình trạng hôn nhân"), ("GCNKH", "Giấy chứng nhận kết hôn"),
             ("LLTP", "Phiếu lý lịch tư pháp"), ("QDTCTN", "Quyết định hưởng trợ cấp thất nghiệp"),
             ("GCNDKDN", "Giấy chứng nhận đăng ký doanh nghiệp")]


@needs_tesseract
def test_most_proposals_on_held_out_papers_are_right():
    right = total = 0
    wrong = []
    for paper in heldout.PAPERS[:5]:
        result = ocr.recognize(heldout.scan(paper), workers=1)
        for field, (ok, value) in heldout.judge(paper, ocr.suggest_metadata(result.text, DOC_TYPES)).items():
            right += ok
            total += 1
            if not ok:
                wrong.append((paper.name, field, value))
    assert right / total >= 0.9, wrong
