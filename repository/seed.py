"""Demo data for `make run`: a catalogue, desks at three levels, one account
per role and two warehouses. Codes are for demonstration; check procedure
codes against the national procedure database before production."""
import datetime

from .catalogues import Desk, DocumentType, Procedure
from .operations import create_warehouse

DEMO_PASSWORD = "matkhau-demo"

DOCTYPES = [
    # code, name, retention class, validity in months (None: until revoked)
    ("GCS", "Giấy chứng sinh", "permanent", None),
    ("GKS", "Giấy khai sinh", "permanent", None),
    ("CCCD", "Thẻ căn cước / căn cước công dân", "10y", None),
    ("XNTTHN", "Giấy xác nhận tình trạng hôn nhân", "10y", 6),
    ("GCNKH", "Giấy chứng nhận kết hôn", "permanent", None),
    ("STBHXH", "Sổ bảo hiểm xã hội", "permanent", None),
    ("QDTV", "Quyết định thôi việc / chấm dứt hợp đồng lao động", "10y", None),
    ("QDTCTN", "Quyết định hưởng trợ cấp thất nghiệp", "10y", None),
    ("BSCT", "Bản sao chứng thực từ bản chính", "10y", None),
    ("GCNDKDN", "Giấy chứng nhận đăng ký doanh nghiệp", "permanent", None),
]

PROCEDURES = [
    ("1.001193", "Đăng ký khai sinh", ["GCS", "CCCD"], 1, "commune"),
    ("1.000894", "Đăng ký kết hôn", ["CCCD", "XNTTHN"], 1, "commune"),
    ("2.000815", "Chứng thực bản sao từ bản chính giấy tờ, văn bản", ["CCCD"], 1, "commune"),
    ("1.001978", "Giải quyết hưởng trợ cấp thất nghiệp", ["STBHXH", "QDTV"], 20, "province"),
]

DESKS = [
    ("000.00.00.H10", "province", "Trung tâm Phục vụ hành chính công tỉnh Lào Cai", None),
    ("000.00.15.H10", "district", "Bộ phận Một cửa UBND thành phố Lào Cai", "000.00.00.H10"),
    ("000.15.16.H10", "commune", "Bộ phận Một cửa UBND phường Cốc Lếu", "000.00.15.H10"),
    ("000.16.16.H10", "district", "Bộ phận Một cửa UBND huyện Bát Xát", "000.00.00.H10"),
]

SUBJECTS = [
    ("001090012345", "Nguyễn Văn An", "1990-05-12", "male"),
    ("010195004321", "Lò Thị Hoà", "1995-08-30", "female"),
]

ACCOUNTS = [
    # username, full name, role, subject id, desk
    ("congdan", "Nguyễn Văn An", "citizen", "001090012345", None),
    ("congdan2", "Lò Thị Hoà", "citizen", "010195004321", None),
    ("canbo", "Nguyễn Thị Hoà", "officer", None, "000.15.16.H10"),
    ("buudien", "Trần Văn Đức", "postal", None, "000.15.16.H10"),
    ("xuly", "Hoàng Minh Tuấn", "processor", None, "000.00.15.H10"),
    ("luutru", "Vũ Thị Lan", "records", None, "000.00.00.H10"),
    ("kiemtoan", "Đỗ Quang Huy", "auditor", None, None),
    ("quantri", "Bùi Thanh Sơn", "admin", None, None),
]


def load_catalogue(root):
    """Document types, procedures and desks (idempotent)."""
    cat = root.catalogues
    for code, name, retention, months in DOCTYPES:
        if code not in cat.doctypes:
            cat.doctypes.add(code, DocumentType(code, name, retention, months))
    for code, name, components, days, level in PROCEDURES:
        if code not in cat.procedures:
            cat.procedures.add(code, Procedure(code, name, components, days, level))
    for unit, level, name, parent in DESKS:
        if unit not in cat.desks:
            cat.desks.add(unit, Desk(unit, level, name, parent))


def seed_demo(root):
    """The whole demo set, once: returns False when it was there already."""
    if getattr(root, "demo_seeded", None):
        return False
    load_catalogue(root)
    for username, fullname, role, subject_id, desk in ACCOUNTS:
        if username not in root.accounts.users:
            root.accounts.add_user(username, fullname, {role}, DEMO_PASSWORD,
                                   subject_id=subject_id, desk=desk)
    system = None
    for subject_id, name, birth, sex in SUBJECTS:
        if subject_id not in root.subjects:
            create_warehouse(root, subject_id, name, system, birth_date=birth, sex=sex)
    root.demo_seeded = datetime.datetime.now(datetime.timezone.utc)
    return True


def describe_accounts():
    lines = ["Demo accounts (password for all: %s):" % DEMO_PASSWORD]
    for username, fullname, role, subject_id, desk in ACCOUNTS:
        extra = subject_id or desk or ""
        lines.append(f"  {username:<10} {role:<10} {fullname} {extra}")
    return "\n".join(lines)
