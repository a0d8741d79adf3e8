"""A typed reply at a step that offers buttons: which button, if any, it names.

People answer a button step by typing ("bo qua", "hoan thanh tot nhiem vu", "xác nhận") as often
as by pressing. A reply names a button when, ignoring case, diacritics, emoji and punctuation, it
equals the button's label or is within a typo of it (one letter wrong, missing, extra or two
swapped; two such for labels longer than ten characters), or names the label's head, the part
before an explanation in brackets or after a dash ("để sau" for "⏸ Để sau (giữ nháp)", "bỏ qua"
for "Bỏ qua – không nhận xét"); at a step that accepts only a choice, a part of one label alone
("tốt", "xuất sắc") names it too. A plain yes or no ("có", "ok", "đồng ý"; "thôi", "ko") names the one
confirming or declining button. Two buttons at the same distance make the reply ambiguous.

On a plain menu (the last message's buttons, no step open) a question is as welcome as a choice,
so a reply names a button as above or by the label's first words ("hồ sơ" for "👤 Hồ sơ của tôi",
at least MIN_PREFIX characters); a sentence that merely contains a label ("khóa học nào cho tôi")
is a question, never a press.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz.distance import OSA
from sqlalchemy.orm import Session

from domain import conversation
from domain.text import ascii_key

_NOT_WORD = re.compile(r"[^\w]+")
MIN_PART = 3  # a part of a label shorter than this ("t", "ho") names nothing
MIN_PREFIX = 4  # a menu label's first words name it from this length on ("ho so" yes, "tim" no)


@dataclass(frozen=True)
class Match:
    """`index` of the named button, or None; `ambiguous` when several buttons fit equally well."""

    index: int | None
    ambiguous: bool = False


def label_key(text: str) -> str:
    """'✅ Xác nhận!' -> 'xac nhan': what a typed reply is compared on."""
    return " ".join(_NOT_WORD.sub(" ", ascii_key(text).replace("_", " ")).split())


_EXPLANATION = re.compile(r"\(| [–—-] ")


def head_key(label: str) -> str:
    """'⏸ Để sau (giữ nháp)' -> 'de sau': a label's words before its explanation ('' if it has none)."""
    head = _EXPLANATION.split(label, maxsplit=1)[0]
    key = label_key(head)
    return key if key != label_key(label) else ""


def _tolerance(key: str) -> int:
    return 2 if len(key) > 10 else 1


def match_button(typed: str, labels: Sequence[str], choice_only: bool = False) -> Match:
    """Which of `labels` the typed reply names (see the module docstring)."""
    key = label_key(typed)
    keys = [label_key(label) for label in labels]
    if not key:
        return Match(None)
    named = _nearest(key, keys)
    if named.index is not None or named.ambiguous:
        return named
    heads = _nearest(key, [head_key(label) for label in labels])
    if heads.index is not None or heads.ambiguous:
        return heads
    answer = _yes_or_no(key, keys)
    if answer.index is not None:
        return answer
    if choice_only and len(key) >= MIN_PART:
        containing = [i for i, k in enumerate(keys) if f" {key} " in f" {k} "]
        if len(containing) == 1:
            return Match(containing[0])
        return Match(None, ambiguous=len(containing) > 1)
    return Match(None)


# A plain yes or no names the one confirming or declining button of a "✅ Xác nhận / ✖️ Không" step.
YES_WORDS = frozenset({"co", "ok", "oke", "okay", "dong y", "vang", "u", "uh", "yes", "dung", "duoc", "xac nhan"})
NO_WORDS = frozenset({"khong", "ko", "k", "thoi", "no", "huy", "khong dong y"})
def is_refusal(typed: str) -> bool:
    """A refusal typed alone ("không", "thôi", "huỷ"): at a free-text prompt, the person changed their mind."""
    return label_key(typed) in NO_WORDS


YES_LABELS, NO_LABELS = ("xac nhan", "dong y", "co"), ("khong", "thoi", "huy")
LEADING = ("xac nhan", "thoi")  # the two that also open a longer label: "Xác nhận lịch", "Thôi, không nhập"


def _yes_or_no(key: str, keys: Sequence[str]) -> Match:
    """Only a label that is a confirmation or a refusal ("Xác nhận", "Không", "Thôi, không nhập"), never one
    that merely starts with the word ("Không hoàn thành nhiệm vụ" is a rating)."""
    wanted = YES_LABELS if key in YES_WORDS else NO_LABELS if key in NO_WORDS else ()
    heads = tuple(f"{w} " for w in wanted if w in LEADING)
    fitting = [i for i, k in enumerate(keys) if k in wanted or (heads and k.startswith(heads))]
    return Match(fitting[0]) if len(fitting) == 1 else Match(None)


def match_menu_label(typed: str, labels: Sequence[str]) -> Match:
    """Which of a plain menu's `labels` the typed reply names (see the module docstring)."""
    named = match_button(typed, labels)
    key = label_key(typed)
    if named.index is not None or named.ambiguous or len(key) < MIN_PREFIX:
        return named
    starting = [i for i, label in enumerate(labels) if label_key(label).startswith(f"{key} ")]
    if len(starting) == 1:
        return Match(starting[0])
    return Match(None, ambiguous=len(starting) > 1)


def _nearest(key: str, keys: Sequence[str]) -> Match:
    """The key equal to `key`, else the one within a typo of it ('' keys name nothing)."""
    exact = [i for i, k in enumerate(keys) if k and k == key]
    if exact:
        return Match(exact[0], ambiguous=len(exact) > 1)
    distances = [(OSA.distance(key, k, score_cutoff=_tolerance(k)), i) for i, k in enumerate(keys) if k]
    near = sorted((d, i) for d, i in distances if d <= _tolerance(keys[i]))
    if near:
        tied = [i for d, i in near if d == near[0][0]]
        return Match(tied[0]) if len(tied) == 1 else Match(None, ambiguous=True)
    return Match(None)


def drop_button_step(session: Session, user_id: int, chat_id: int, name: str) -> None:
    """End button step `name` if it is still the chat's step (a newer one is left alone)."""
    step = conversation.current_step(session, user_id, chat_id)
    if step is not None and step.name == name:
        conversation.close_step(session, user_id, chat_id)
