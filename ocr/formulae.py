"""The fixed wording of Vietnamese administrative papers, put back where the
OCR read it with a wrong mark.

Why: tesseract's Vietnamese model drops or swaps diacritics that the page
shows clearly enough to a person: the tilde over the circumflex of a capital
Ễ ("NGUYỄN" read "NGUYÊN", even on a clean scan), the stroke of đ added to a
bold d on a dot-matrix print ("Tự đo"), the breve of "năm" in a date. Every
paper carries the same formulae (the country's name and motto, the date
"ngày … tháng … năm …", the labels of the civil-status forms) and its
people's family names after a label such as "tên:" or "ông:". Where the OCR's
letters, without their marks, spell one of those exactly, its marks are set
as the formula has them. Nothing else is touched: the letters must match,
every phrase is at least two syllables long, a family name only follows a
name label, and a syllable the OCR already read as the formula has it (in
either tone placement: "HOÀ" or "HÒA") stays as it was read. Two rules of
writing too: a syllable in capitals inside a proper noun of a sentence is
written as the noun is, and a full stop inside a line before a word in lower
case was a comma whose tail a faint copy lost.

correct_text(text) -> (text, changed word indexes); the text keeps its word
count and line breaks, so word n is still the page's word n (its box).
"""
import re
import unicodedata

from .suggest import fold          # the letters alone, in capitals (đ as D)

__all__ = ["correct_text"]

_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}      # huyền sắc ngã hỏi nặng
_DASHES = {"-", "\u2013", "\u2014"}

# the formulae, as printed (Decree 30/2020/NĐ-CP, Circular 04/2020/TT-BTP forms)
PHRASES = (
    "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "Uỷ ban nhân dân",
    "Số định danh cá nhân",
    "Họ, chữ đệm, tên",
    "Họ và tên",
    "Ngày, tháng, năm sinh:",
    "Sinh ngày:",
    "giới tính:",
    "dân tộc:",
    "quốc tịch:",
    "quê quán:",
    "Nơi thường trú:",
    "Nơi tạm trú:",
    "Nơi cư trú:",
    "Nơi sinh:",
    "Giấy khai sinh",
    "Giấy xác nhận",
    "Giấy chứng nhận",
    "Căn cước công dân",
    "có giá trị",
    # the words of the procedures themselves
    "hồ sơ",
    "bổ sung",
    "thủ tục",
    "hành chính",
    "xác nhận",
    "chứng nhận",
    "cư trú",
    "thường trú",
    "tạm trú",
    "sử dụng",
)

# family names, each the only common one its letters spell without marks
FAMILY_NAMES = ("Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý "
                "Đinh Trịnh Trương Lương Đào Đoàn Cao Lâm Tô Tạ Triệu Quách Kiều Lưu Phùng "
                "Nông Lò Hà Mai Thái Vương Tống Khổng Chu Châu Đàm Lục Mạc Mạnh").split()
_NAME_LABELS = {"TEN", "ONG", "BA", "ME", "CHA", "VO", "CHONG", "CON"}
_FULL_NAME = {"HO", "VA", "DEM", "NGUOI"}     # "Họ tên:", "Họ và tên:", "chữ đệm, tên:", "tên người …"

_WORD = re.compile(r"^(\W*)(.*?)(\W*)$")
_DIGITS = re.compile(r"^\d{1,2}[,.]?$")
_YEAR = re.compile(r"^\d{4}\W*$")


def _shape(syllable):
    """(letters with their vowel marks, tone marks): the same for both tone
    placements of a syllable ("hoà", "hòa")."""
    decomposed = unicodedata.normalize("NFD", syllable.lower())
    tones = "".join(sorted(c for c in decomposed if c in _TONES))
    base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
    return base, tones


def _in_case_of(model, read):
    """`model` written in the case of the word the OCR read."""
    if read.isupper() and len(read) > 1:
        return model.upper()
    if read[:1].isupper():
        return model[:1].upper() + model[1:].lower()
    return model.lower()


def _split(token):
    """(leading punctuation, letters, trailing punctuation) of a token."""
    return _WORD.match(token).groups()


def _fixed(token, model):
    """`token` with its letters (and, where the formula has some, its
    trailing punctuation) as `model` has them; None when it already reads
    so (in either tone placement) or its letters differ."""
    head, core, tail = _split(token)
    _, model_core, model_tail = _split(model)
    if not core or fold(core) != fold(model_core):
        return None
    tail = model_tail if model_tail and tail != model_tail and len(tail) <= 1 else tail
    if _shape(core) == _shape(model_core):
        return head + core + tail
    return head + _in_case_of(model_core, core) + tail


_PHRASES = [phrase.split() for phrase in PHRASES]
_FAMILY = {fold(name): name for name in FAMILY_NAMES}


def _token_matches(token, model):
    """Whether the OCR's `token` spells `model`'s letters; a label's last
    word ("giới tính:") must end as a label does ("giỏi tính toán" is not
    one)."""
    if model in _DASHES:
        return token in _DASHES
    core = _split(token)[1]
    if model.endswith(":") and not token.endswith(":"):
        return False
    return bool(core) and fold(core) == fold(_split(model)[1])


def _phrases(tokens, changes):
    for models in _PHRASES:
        size = len(models)
        for start in range(len(tokens) - size + 1):
            window = tokens[start:start + size]
            if all(_token_matches(t, m) for t, m in zip(window, models)):
                for n, (token, model) in enumerate(zip(window, models)):
                    if model not in _DASHES:
                        changes.setdefault(start + n, _fixed(token, model))


def _dates(tokens, changes):
    """"ngày D tháng M năm YYYY" (and "năm sinh YYYY"): the words of the date."""
    for n in range(len(tokens) - 5):
        t = tokens[n:n + 6]
        if ([fold(_split(x)[1]) for x in (t[0], t[2], t[4])] == ["NGAY", "THANG", "NAM"]
                and _DIGITS.match(t[1]) and _DIGITS.match(t[3]) and _YEAR.match(t[5])):
            for k, model in ((0, "ngày"), (2, "tháng"), (4, "năm")):
                changes.setdefault(n + k, _fixed(t[k], model))
    for n in range(len(tokens) - 2):
        t = tokens[n:n + 3]
        if [fold(_split(x)[1]) for x in t[:2]] == ["NAM", "SINH"] and _YEAR.match(t[2]):
            changes.setdefault(n, _fixed(t[0], "năm"))
            changes.setdefault(n + 1, _fixed(t[1], "sinh"))


def _family_names(tokens, changes):
    """The first word of a name in capitals after a name label ("tên:",
    "ông:", "mẹ:"…): a family name spelled without its marks gets them."""
    for n in range(1, len(tokens) - 1):
        label, first, second = tokens[n - 1], tokens[n], tokens[n + 1]
        if not label.endswith(":") or fold(label[:-1].split("/")[-1]) not in _NAME_LABELS:
            continue
        if fold(label[:-1]) == "TEN" and (n < 2 or fold(_split(tokens[n - 2])[1]) not in _FULL_NAME):
            continue          # "Họ: TRẦN Tên: TỐ UYÊN": a given name follows
        head, core, tail = _split(first)
        if not (core.isupper() and len(core) > 1 and _split(second)[1].isupper()):
            continue
        name = _FAMILY.get(fold(core))
        if name is not None:
            changes.setdefault(n, _fixed(first, name))


def _commas(tokens, changes):
    """A full stop inside a line before a word in lower case was a comma:
    a sentence starts with a capital ("03/11/1987. giới tính" on a faint
    copy, whose comma lost its tail). Abbreviations ("v.v.", "TP.") are kept."""
    for n in range(1, len(tokens) - 1):        # (a line's first word: "a." "1." of a list)
        token, following = tokens[n], tokens[n + 1]
        core = _split(token)[1]
        if (len(core) > 1 and token.endswith(".") and token[-2] not in ".,:;"
                and "." not in token[:-1] and not core.isupper() and not core.isdigit()
                and following[:1].isalpha() and following[:1].islower()):
            changes.setdefault(n, token[:-1] + ",")


def _has_tone(core):
    return any(c in _TONES for c in unicodedata.normalize("NFD", core))


def _proper_nouns(tokens, changes):
    """A syllable read in capitals inside a proper noun of a sentence
    ("huyện VỊ Xuyên": the dot of ị taken for a capital's) is written as its
    neighbour is. Abbreviations carry no tone mark (UBND, QĐ) and names in
    capitals have capitals beside them, so both stay."""
    for n in range(1, len(tokens) - 1):
        before, core, after = (_split(t)[1] for t in tokens[n - 1:n + 2])
        if (len(core) > 1 and core.isupper() and _has_tone(core)
                and before[:1].islower() and after[:1].isupper() and after[1:].islower()):
            head, _, tail = _split(tokens[n])
            changes.setdefault(n, head + core[0] + core[1:].lower() + tail)


def correct_text(text):
    """The page text with the formulae's marks put back (see the module
    docstring), and the indexes of the words that changed."""
    out_lines, changed, index = [], [], 0
    for line in text.split("\n"):
        tokens = line.split(" ")
        changes = {}
        for rule in (_phrases, _dates, _family_names, _proper_nouns, _commas):
            rule(tokens, changes)
        for n, fixed in sorted(changes.items()):
            if fixed is not None and fixed != tokens[n]:
                tokens[n] = fixed
                changed.append(index + sum(1 for t in tokens[:n] if t))
        index += sum(1 for t in tokens if t)
        out_lines.append(" ".join(tokens))
    return "\n".join(out_lines), changed
