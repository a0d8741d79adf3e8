"""The resolution's text split into passages, each with the section reference to cite.

Headings are recognised from the document's own numbering: "II-" parts, "2." sections,
"2.2." subsections, "(3)" items, and footnotes ("⁶ …"). Paragraphs broken by a page
(a line ending mid-sentence, the next starting in lower case) are joined again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

SOURCE = Path(__file__).resolve().parent / "data" / "resolution.txt"
SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_PART = re.compile(r"^([IVX]+)-\s+(.+)$")
_SUB = re.compile(r"^(\d+)\.(\d+)\.\s+(.+)$")
_SEC = re.compile(r"^(\d+)\.\s+(.+)$")
_ITEM = re.compile(r"^\((\d+)\)\s+(.+)$")
_FOOT = re.compile(rf"^([{SUPERSCRIPTS}]+)\s+(.+)$")
_MARKS = re.compile(rf"[{SUPERSCRIPTS}]+")
END_MARKERS = ("Nơi nhận:",)


def superscript_number(marks: str) -> int:
    return int("".join(str(SUPERSCRIPTS.index(c)) for c in marks))


@dataclass
class Passage:
    ref: str  # "Mục II.2.2 (3)"
    title: str  # the heading path, for suggestions
    text: str
    footnotes: list[int] = field(default_factory=list)
    context: str = ""  # for a footnote: the sentence that points to it
    lead: str = ""  # for a footnote: its sentence's opening up to ':' when the pointing clause comes after it

    @property
    def clean_text(self) -> str:
        return _MARKS.sub("", self.text).replace("*", "").strip()


@dataclass
class Resolution:
    passages: list[Passage]
    footnotes: dict[int, str]
    sections: dict[str, str]  # ref -> title


@dataclass
class _Cursor:
    part: str = ""
    part_title: str = "Phần mở đầu"
    sec: str = ""
    sec_title: str = ""
    sub: str = ""
    sub_title: str = ""
    item: str = ""
    item_title: str = ""

    @property
    def ref(self) -> str:
        if not self.part:
            return "Phần mở đầu"
        ref = f"Mục {self.part}" + (f".{self.sec}" if self.sec else "") + (f".{self.sub}" if self.sub else "")
        return ref + (f" ({self.item})" if self.item else "")

    @property
    def title(self) -> str:
        parts = [self.part_title, self.sec_title, self.sub_title, self.item_title]
        return " – ".join(p for p in parts if p)


def _paragraphs(text: str) -> list[str]:
    raw = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    joined: list[str] = []
    pending: list[str] = []  # footnotes met while a sentence is still open
    for para in raw:
        if _FOOT.match(para):
            pending.append(para)
            continue
        if joined and not re.search(r"[.;:!?”\")]$|\*\*$", joined[-1]) and para[:1].islower():
            joined[-1] = f"{joined[-1]} {para}"
        else:
            joined += pending
            joined.append(para)
            pending = []
            continue
        joined += pending
        pending = []
    return joined + pending


def _pointing_sentence(owner: Passage, number: int) -> str:
    """The part of the owner paragraph just before footnote mark `number`."""
    marks = "".join(SUPERSCRIPTS[int(d)] for d in str(number))
    before = owner.text.split(marks, 1)[0]
    return _MARKS.sub("", re.split(r"(?<=[.;:])\s", before)[-1])


def _pointing_lead(owner: Passage, number: int) -> str:
    """'Đối với cán bộ giữ chức danh lãnh đạo diện các sở, ngành, … quản lý': the opening of the sentence that
    holds footnote mark `number`, up to its ':', where the mark comes after that ':'."""
    marks = "".join(SUPERSCRIPTS[int(d)] for d in str(number))
    sentence = re.split(r"(?<=[.!?])\s", owner.text.split(marks, 1)[0])[-1]
    lead = sentence.split(":", 1)[0] if ":" in sentence else ""
    return _MARKS.sub("", lead).lstrip("- ").strip()


def _is_heading(body: str) -> bool:
    return len(body) < 140 and not body.rstrip().endswith((".", ";"))


def parse(text: str) -> Resolution:
    cursor = _Cursor()
    passages: list[Passage] = []
    footnotes: dict[int, str] = {}
    sections: dict[str, str] = {}
    for para in _paragraphs(text):
        if para.startswith(END_MARKERS):
            break
        if m := _FOOT.match(para):
            footnotes[superscript_number(m.group(1))] = m.group(2).strip()
            continue
        body = _advance(cursor, para)
        sections.setdefault(cursor.ref, cursor.title)
        if body:
            notes = [superscript_number(m) for m in _MARKS.findall(body)]
            passages.append(Passage(cursor.ref, cursor.title, body, notes))
    for number, note in footnotes.items():
        owner = next((p for p in passages if number in p.footnotes), None)
        ref = f"Chú thích {number}" + (f" ({owner.ref})" if owner else "")
        title = (f"{owner.title} – " if owner else "") + f"Chú thích {number}"
        context = _pointing_sentence(owner, number).lstrip("- ") if owner else ""
        passages.append(Passage(ref, title, note, context=context, lead=_pointing_lead(owner, number) if owner else ""))
    return Resolution(passages, footnotes, sections)


def _advance(c: _Cursor, para: str) -> str:
    """Move the cursor on a heading; return the paragraph's own text ('' for a pure heading)."""
    if m := _PART.match(para):
        c.part, c.part_title = m.group(1), m.group(2).strip()
        c.sec = c.sec_title = c.sub = c.sub_title = c.item = c.item_title = ""
        return ""
    if m := _SUB.match(para):
        c.sec, c.sub, c.sub_title, c.item, c.item_title = m.group(1), m.group(2), m.group(3).strip(), "", ""
        return ""
    if m := _ITEM.match(para):
        c.item, c.item_title = m.group(1), m.group(2).strip()
        return ""
    if c.part and (m := _SEC.match(para)):
        c.sec, c.sub, c.sub_title, c.item, c.item_title = m.group(1), "", "", "", ""
        body = m.group(2).strip()
        if _is_heading(body):
            c.sec_title = body
            return ""
        c.sec_title = body.split(",")[0][:80]
        return body
    if not c.part and para.isupper():
        return ""
    return para


def load(path: Path = SOURCE) -> Resolution:
    return parse(path.read_text(encoding="utf-8"))
