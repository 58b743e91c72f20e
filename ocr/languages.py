"""Tesseract language lists: the default and the check (no heavy imports,
so that `kho ocr --help` and the package's import stay cheap)."""
import functools
import re
import subprocess

DEFAULT_LANGUAGES = "vie"
_LANGUAGES = re.compile(r"^[A-Za-z_]+(\+[A-Za-z_]+)*$")


def check_languages(languages):
    if not _LANGUAGES.match(languages or ""):
        raise ValueError(f"bad tesseract language list {languages!r} (e.g. 'vie' or 'vie+eng')")
    return languages


# Beside vie on a dot-matrix print: tesseract reads each word with both
# models and keeps the surer reading. On 72 dot-matrix pages of a text never
# tuned on (seeds 1-12), with ocr.formulae after: mean CER 0.53 % -> 0.38 %,
# worst 1.23 % -> 1.03 %; tesseract takes about twice the time, so the
# script model is asked for on dotted pages only.
SCRIPT_MODEL = "Vietnamese"


def for_hard_print(languages):
    """`languages` with the Vietnamese script model added, when it reads
    Vietnamese and the model is installed (tesseract-ocr-script-viet)."""
    wanted = languages.split("+")
    if "vie" not in wanted or SCRIPT_MODEL in wanted or SCRIPT_MODEL not in _installed():
        return languages
    return languages + "+" + SCRIPT_MODEL


@functools.lru_cache(maxsize=1)
def _installed():
    from .tesseract import tesseract_command
    try:
        done = subprocess.run([tesseract_command(), "--list-langs"], capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    # (as listed: a build that keeps it under script/ is not asked for it)
    return frozenset(line.strip() for line in done.stdout.decode("utf-8", "replace").splitlines()[1:])
