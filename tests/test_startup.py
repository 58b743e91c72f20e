"""`kho --help` and every command's parser import nothing heavy: each command
imports what it needs when it runs (issue 13: start-up in ≤ 0.3 s)."""
import subprocess
import sys

HEAVY = ("cv2", "numpy", "pikepdf", "pyhanko", "aiohttp", "fontTools", "pkg_resources",
         "pyramid", "ZODB", "argon2", "whoosh", "lxml", "PIL", "pytesseract", "zope.interface")


def test_kho_parser_imports_nothing_heavy():
    code = ("import sys\n"
            "from repository.cli import build_parser\n"
            "build_parser().format_help()\n"
            f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == []


def test_token_days_in_help_is_the_accounts_default():
    from repository.accounts import DEFAULT_TOKEN_DAYS
    from repository.commands import TOKEN_DAYS
    assert TOKEN_DAYS == DEFAULT_TOKEN_DAYS
