"""What a question asks for and about whom, to keep answers from a passage that only shares words.

Answer type: "bao nhiêu" wants a figure, "khi nào / đến năm nào" a date, "ai / cơ quan nào" a body.
Key entity: the level (tỉnh vs xã), the title (chủ tịch vs phó chủ tịch, bí thư vs phó bí thư) and the
management scope (diện Ban Thường vụ vs diện sở, ngành). A passage that lacks the type, or names
only the other entity of a pair the question names, ranks lower and is never answered with.
All patterns work on folded text with abbreviations expanded (knowledge.text.words).
"""

from __future__ import annotations

import re

FIGURE, DATE, DAY, BODY, PERIOD, CURRENT, QUALIFICATION = (
    "figure", "date", "day", "body", "period", "current", "qualification")

_QUESTION_TYPES = (
    (PERIOD, re.compile(r"\b(bao lau (mot|1) lan|bao lau thi|may lan|bao nhieu lan|bao lau)\b")),
    (DAY, re.compile(r"\b(ngay nao|ngay thang nao|ngay bao nhieu)\b")),
    (DATE, re.compile(r"\b(khi nao|bao gio|nam nao|thoi han|han chot|luc nao|thoi diem nao|hieu luc den|"
                      r"thang nao|den nam|truoc nam|nam may|han hoan thanh|han cuoi|het han|den han)\b")),
    (FIGURE, re.compile(r"\b(bao nhieu|may (phan tram|nguoi|dong chi|can bo|%)|ti le|phan tram|so luong|"
                        r"con thieu may|bao nhieu %)\b|%")),
    (BODY, re.compile(r"^ai\b|\b(ai (la|phai|co|se|duoc|chiu|to chuc|phe duyet|tuyen|ky|ban hanh|lanh dao)|"
                      r"co quan nao|don vi nao|ban nao|do ai|boi ai|qua ai|ben nao)\b")),
)
_FIGURE = re.compile(r"\d+(?:,\d+)?\s?%|\b\d+/\d+\b|\b\d{1,3}(?:\.\d{3})+\b|\b\d+ dong chi")
# a deadline or period ("đến hết năm 2028", "hằng năm"), not the date a cited document was signed
_DATE = re.compile(r"(?<![/\d])20\d\d\b|\bhang nam\b")
# how often: "hằng năm", "theo tháng, quý", "định kỳ"
_PERIOD = re.compile(r"\b(hang|moi) (nam|thang|quy|tuan)\b|\btheo (thang|quy|nam)\b|\bthang,? quy\b|\bdinh ki\b|"
                     r"\bthuong xuyen\b")
_DAY = re.compile(r"\b\d{1,2}/\d{1,2}/\d{4}\b")
# "hiện nay", "bây giờ": the question asks for the state now, which the resolution reports as its baseline; not
# the asker's own "hiện tại tôi là Phó Chủ tịch", "em hiện nay đang …"
_NOW = re.compile(r"(?<!\btoi )(?<!\bem )(?<!\bminh )\b(hien nay|hien tai|hien gio|bay gio|luc nay|hien co|den nay|"
                  r"thuc trang|hien trang)\b(?! (toi|em|minh|dang)\b)")
# a passage that reports a figure as it stood when the resolution was written: "đến thời điểm tháng 4/2026 có …",
# an indicator's "Hiện trạng (Chú thích 6): …", "Hiện có 463 đồng chí …"
_CURRENT = re.compile(r"\b(den thoi diem|hien trang|hien co)\b")
# "ai đánh giá …", "… do ai xây dựng", "cơ quan nào ban hành …": who does what follows. Not "ai được cử đi học"
# (who is sent), "ai là …" (who is), nor an "ai" ending the question ("áp dụng cho những ai")
_WHO = re.compile(r"(?:^|\b(?:do|boi|de|cho|hoi|biet|vay|thi)\s)ai\s+(?!(?:duoc|khong|chua|cung)\b|la\b(?! nguoi\b))|"
                  r"\b(?:co quan|don vi|ben|to chuc|cap) nao\s+")
# words between the asker's "ai" and the doing: "ai là người / phải / chịu trách nhiệm đánh giá"
_AUXILIARY = re.compile(r"^(?:(?:la nguoi|se|phai|can|nen|co trach nhiem|chiu trach nhiem|duoc giao|co tham quyen|"
                        r"dung ra|co the)\s+)+")
_BODY = re.compile(r"\b(ban thuong vu|ban to chuc|uy ban|truong chinh tri|dang uy|mat tran|cap uy|hoi dong|"
                   r"bo chinh tri|ban chap hanh|van phong|nguoi dung dau|he thong chinh tri|tong bi thu|"
                   r"ban tuyen giao|to chuc chinh tri|co quan tham muu)\b")

# (name, pattern) pairs whose members exclude each other when a question names one of them
_ENTITY_PAIRS = (
    ("pho chu tich", re.compile(r"\bpho chu tich\b"), "chu tich", re.compile(r"(?<!pho )\bchu tich\b")),
    ("pho bi thu", re.compile(r"\bpho bi thu\b"), "bi thu", re.compile(r"(?<!pho )(?<!tong )(?<!ban )\bbi thu\b")),
    ("cap tinh", re.compile(r"\b(cap tinh|(uy ban nhan dan|hoi dong nhan dan|so nganh) tinh)\b"),
     "cap xa", re.compile(r"\b(cap xa|xa phuong)\b")),
    ("dien ban thuong vu", re.compile(r"\bdien ban thuong vu\b|\bban thuong vu tinh uy quan li\b"),
     "dien so nganh", re.compile(r"\bdien cac so\b|\b(dien )?so nganh\b|\bco quan don vi quan li\b")),
)
# the qualification levels a rule sets: a question that names one is not answered by a passage naming none of
# them ("trưởng phòng cấp xã phải có thạc sĩ không" is not answered by "đủ số lượng cấp trưởng, cấp phó phòng")
_LEVELS = (
    ("sau dai hoc", re.compile(r"\b(thac si|tien si|sau dai hoc)\b")),
    ("cao cap", re.compile(r"\bcao cap\b")),
    ("trung cap", re.compile(r"\btrung cap\b")),
    ("dai hoc thu hai", re.compile(r"\b(dai hoc thu hai|(van )?bang (2|hai))\b")),
)
_QUESTION_SCOPE = (
    ("dien ban thuong vu", re.compile(r"\bban thuong vu\b")),
    ("dien so nganh", re.compile(r"\bso nganh\b|\bco quan don vi\b|\bdien co quan\b|\bcap uy co quan\b")),
)


def question_type(folded: str) -> str | None:
    for kind, pattern in _QUESTION_TYPES:
        if pattern.search(folded):
            return kind
    return None


def asked_action(folded: str) -> str | None:
    """'ai đánh giá cán bộ cấp xã' -> 'danh gia can bo cap xa': what a question asks who does."""
    if not (m := _WHO.search(folded)):
        return None
    return _AUXILIARY.sub("", folded[m.end():]).strip() or None


def doer_end(folded: str) -> int | None:
    """Where the first body a sentence names ends ("Cấp ủy …", "để Mặt trận Tổ quốc …"): what is said after it,
    in that sentence, the body does."""
    m = _BODY.search(folded)
    return m.end() if m else None


def opens_with_doer(folded: str) -> bool:
    """'Cấp ủy các cấp phải có kế hoạch … Xây dựng và thực hiện Đề án …': a paragraph that opens with a body
    goes on with that body's tasks."""
    m = _BODY.search(folded)
    return m is not None and not re.sub(r"^(cac|- )\s*", "", folded[:m.start()]).strip()


def asks_now(folded: str) -> bool:
    """'tỷ lệ thạc sĩ diện BTV hiện nay': the figure asked for is today's, not a target's. Only a question that
    asks for a figure: in "hiện nay cán bộ có phải học AI không", "hiện nay" says "these days"."""
    return question_type(folded) == FIGURE and bool(_NOW.search(folded))


def passage_types(folded: str, ref: str) -> frozenset[str]:
    types = set()
    if _FIGURE.search(folded):
        types.add(FIGURE)
        if ref.startswith("Chú thích"):  # the resolution's footnotes give the figures of the day it was written
            types.add(CURRENT)
    if _CURRENT.search(folded):
        types.add(CURRENT)
    if asks_qualification(folded):
        types.add(QUALIFICATION)
    if _DATE.search(folded):
        types.add(DATE)
    if _DAY.search(folded):
        types.add(DAY)
    if _PERIOD.search(folded):
        types.add(PERIOD)
    if ref.startswith("Mục IV") or _BODY.search(folded):
        types.add(BODY)
    return frozenset(types)


def entities(folded: str) -> frozenset[str]:
    """Every entity of the pairs that the text names."""
    found = set()
    for first, first_pattern, second, second_pattern in _ENTITY_PAIRS:
        if first_pattern.search(folded):
            found.add(first)
        if second_pattern.search(folded):
            found.add(second)
    return frozenset(found)


def question_entities(folded: str) -> frozenset[str]:
    found = set(entities(folded))
    if not found & {"dien ban thuong vu", "dien so nganh"}:
        scopes = {name for name, pattern in _QUESTION_SCOPE if pattern.search(folded)}
        if len(scopes) == 1 and re.search(r"\b(lanh dao|quan li|dien|thac si|li luan chinh tri|cao cap)\b", folded):
            found |= scopes
    return frozenset(found)


def levels(folded: str) -> frozenset[str]:
    """The qualification levels (thạc sĩ or sau đại học, cao cấp, trung cấp, đại học thứ hai) the text names."""
    return frozenset(name for name, pattern in _LEVELS if pattern.search(folded))


CLAUSE_END = re.compile(r";|\.(?:\s|$)")


def clauses(folded: str | list[str], context: str = "") -> tuple[tuple[frozenset[str], frozenset[str]], ...]:
    """(levels, groups) of each clause (between ';' or a sentence's end, or as given) that names a level; a
    footnote's `context` (the sentence pointing to it) names the group its figures are about."""
    found = []
    groups = whom(context)
    for clause in CLAUSE_END.split(folded) if isinstance(folded, str) else folded:
        # a clause that names no group goes on about the last one named: "68% lãnh đạo diện Ban Thường vụ có
        # thạc sĩ. Hiện trạng: 412/626 đồng chí có thạc sĩ"
        groups = whom(clause) or groups
        if named := levels(clause):
            found.append((named, groups))
    return tuple(found)


_LEADER = re.compile(r"\b(lanh dao|chu tich|bi thu|truong phong|pho phong|giam doc|cap truong|cap pho|chu chot)\b")
# civil servants and employees without a leading post: "công chức xã" is not its Chủ tịch or Phó Chủ tịch
_STAFF = re.compile(r"\b(cong chuc|vien chuc|chuyen vien|nhan vien|khong chuyen trach)\b")
# heads of a department (“trưởng phòng”, “cấp phó phòng”): not the Chủ tịch or Phó Chủ tịch of their commune
_DEPARTMENT_HEAD = re.compile(r"\b(truong phong|pho phong|cap truong|cap pho)\b")
LEADERS, STAFF, DEPARTMENT_HEADS = "lanh dao", "cong chuc", "truong phong"
# the posts a rule may name: a question about one is not answered by a rule naming only others
POSTS = frozenset({"chu tich", "pho chu tich", "bi thu", "pho bi thu", DEPARTMENT_HEADS})
# what a question asks for when it asks for a qualification without naming its level ("trình độ LLCT gì")
_QUALIFICATION = re.compile(r"\b(trinh do|li luan chinh tri|bang cap|van bang|hoc vi|hoc ham)\b")


def whom(folded: str) -> frozenset[str]:
    """The groups a text is about: the paired entities, leaders ("lãnh đạo", "chủ tịch", "trưởng phòng") and
    civil servants ("công chức", "viên chức")."""
    return (entities(folded) | ({LEADERS} if _LEADER.search(folded) else set())
            | ({STAFF} if _STAFF.search(folded) else set())
            | ({DEPARTMENT_HEADS} if _DEPARTMENT_HEAD.search(folded) else set()))


def asks_qualification(folded: str) -> bool:
    """'công chức xã cần trình độ LLCT gì', 'có cần thạc sĩ không'; for a passage: it names a qualification."""
    return bool(_QUALIFICATION.search(folded) or levels(folded))


def roles_agree(groups: frozenset[str], about: frozenset[str]) -> bool:
    """A clause set for leaders only does not speak for a question about civil servants only, nor one naming posts
    (Phó Chủ tịch cấp xã) for a question about other posts (trưởng phòng cấp xã)."""
    if STAFF in about and LEADERS not in about and LEADERS in groups and STAFF not in groups:
        return False
    return not (groups & POSTS and about & POSTS and not groups & about & POSTS)


def level_applies(folded: str | tuple[tuple[frozenset[str], frozenset[str]], ...], asked: frozenset[str],
                  about: frozenset[str]) -> bool:
    """Some clause names a level asked for, and either names one of the question's groups (features.whom) or none:
    "lãnh đạo diện Ban Thường vụ ... 68% có thạc sĩ; 75% Phó Chủ tịch ... cấp xã có cao cấp" sets thạc sĩ for the
    Ban Thường vụ's leaders, not for cấp xã; nor, as it names leaders only, for công chức cấp xã."""
    parts = clauses(folded) if isinstance(folded, str) else folded
    return any(named & asked and (not named_entities or not about or named_entities & about)
               and roles_agree(named_entities, about) for named, named_entities in parts)


def conflicts(asked: frozenset[str], passage: frozenset[str]) -> bool:
    """The question names one member of a pair and the passage only the other."""
    for first, _, second, _ in _ENTITY_PAIRS:
        for mine, other in ((first, second), (second, first)):
            if mine in asked and other not in asked and other in passage and mine not in passage:
                return True
    return False
