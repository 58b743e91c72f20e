"""Demo data for `make run`: the demo catalogue file (desks at three levels,
paper types, procedures, holidays), accounts for every role (desk officers
and processors at two units, to show reception across boundaries) and two
warehouses."""
import datetime
import os

from .operations import create_warehouse

DEMO_PASSWORD = "matkhau-demo"

DEMO_CATALOGUE = os.path.join(os.path.dirname(__file__), "data", "demo-catalogue.yaml")

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
    ("canbo2", "Phạm Văn Long", "officer", None, "000.16.16.H10"),
    ("xuly", "Hoàng Minh Tuấn", "processor", None, "000.00.15.H10"),
    ("xuly2", "Lương Thị Mai", "processor", None, "000.15.16.H10"),
    ("luutru", "Vũ Thị Lan", "records", None, "000.00.00.H10"),
    ("kiemtoan", "Đỗ Quang Huy", "auditor", None, None),
    ("quantri", "Bùi Thanh Sơn", "admin", None, None),
]


def load_demo_catalogue(root):
    """The demo catalogue file (units, paper types, procedures, holidays)."""
    from .catalogue_file import load_catalogue, read_catalogue_file
    return load_catalogue(root, read_catalogue_file(DEMO_CATALOGUE), None, source="demo")


def seed_demo(root):
    """The whole demo set, once: returns False when it was there already."""
    if getattr(root, "demo_seeded", None):
        return False
    load_demo_catalogue(root)
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
