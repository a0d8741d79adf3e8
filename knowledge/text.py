"""Vietnamese text as people type it: diacritics or not, đ/d, case, punctuation, abbreviations, typos.

Everything is compared in one form: lower case, no diacritics (đ→d), abbreviations expanded
to their words (LLCT → ly luan chinh tri). Abbreviations and stop words are data files.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path

from domain.text import ascii_key, fold

DATA = Path(__file__).resolve().parent / "data"
_WORD = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)*%?")
_ACCENTED_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# i/y spelling variants (sĩ/sỹ, kĩ/kỹ, lí/lý): a final y after a consonant is written i.
_FINAL_Y = re.compile(r"\b(ch|gh|kh|nh|ng|ph|th|tr|gi|[bcdghklmnpqrstvx])([yýỳỷỹỵ])\b")
_Y_TO_I = str.maketrans("yýỳỷỹỵ", "iíìỉĩị")


@dataclass(frozen=True)
class Lexicon:
    abbreviations: dict[str, str]  # folded abbreviation -> folded expansion
    stopwords: frozenset[str]
    stop_accented: frozenset[str]  # the stop words with their diacritics: a typed "cửa" is not "của"
    phrases: dict[str, str]  # folded multi-word variant -> canonical words
    stop_phrases: tuple[str, ...]  # question patterns, longest first
    expansions: dict[str, list[str]]  # folded query word/phrase -> extra folded words
    accented_abbreviations: dict[str, str]  # folded abbreviation -> expansion with its diacritics
    typing: dict[str, str]  # folded teen-code, short form or English word -> folded Vietnamese words
    light_words: frozenset[str]  # everyday words that weigh little in a question (folded)
    light_accented: frozenset[str]  # the same with their diacritics: a typed "chữa" is not the light "chưa"
    date_phrases: tuple[str, ...] = ()  # in a question that asks when: they say "by when", not what; longest first


@cache
def lexicon() -> Lexicon:
    raw = tomllib.loads((DATA / "lexicon.toml").read_text(encoding="utf-8"))
    abbreviations = {fold_text(k): fold_text(v) for k, v in raw["abbreviations"].items()}
    phrases = {fold_text(k): fold_text(v) for k, v in raw.get("phrases", {}).items()}
    query = raw.get("query", {})
    stop_phrases = tuple(sorted((fold_text(p) for p in query.get("stop_phrases", [])), key=len, reverse=True))
    expansions = {fold_text(k): fold_text(v).split() for k, v in query.get("expansions", {}).items()}
    accented = {fold_text(k): fold(v) for k, v in raw["abbreviations"].items()}
    typing = {fold_text(k): fold_text(v) for k, v in raw.get("typing", {}).items()}
    return Lexicon(abbreviations, frozenset(fold_text(w) for w in raw["stopwords"]["words"]),
                   frozenset(_i_for_y(fold(w)) for w in raw["stopwords"]["words"]), phrases,
                   stop_phrases, expansions, accented, typing,
                   frozenset(fold_text(w) for w in query.get("light_words", [])),
                   frozenset(_i_for_y(fold(w)) for w in query.get("light_words", [])),
                   tuple(sorted((fold_text(p) for p in query.get("date_phrases", [])), key=len, reverse=True)))


def _i_for_y(text: str) -> str:
    return _FINAL_Y.sub(lambda m: m.group(1) + m.group(2).translate(_Y_TO_I), text)


def fold_text(text: str) -> str:
    """Lower case, no diacritics; '%' and decimal separators kept so '68%' and '47.301' survive."""
    return _i_for_y(ascii_key(text))


def accented_words(text: str) -> list[str]:
    """Lower-case words keeping their diacritics (NFC), i/y variants unified."""
    return [_i_for_y(w) for w in _ACCENTED_WORD.findall(fold(text))]


def typed_accents(text: str) -> dict[str, str]:
    """For each word written with diacritics: folded form -> the accented form the user typed."""
    return {fold_text(w): w for w in accented_words(text) if fold_text(w) != w}


def words(text: str) -> list[str]:
    """Folded words with abbreviations expanded ('PCT UBND' -> 'pho chu tich uy ban nhan dan')."""
    lex = lexicon()
    folded = fold_text(text)
    for variant, canonical in lex.phrases.items():
        if variant in folded:
            folded = re.sub(rf"\b{re.escape(variant)}\b", canonical, folded)
    out: list[str] = []
    for token in _WORD.findall(folded):
        token = token.rstrip(".,")
        out.extend(lex.abbreviations.get(token, token).split())
    return out


def content_words(text: str, keep: frozenset[str] = frozenset()) -> list[str]:
    """Words without the stop words, except those in `keep` (typed as another word: "cửa", not "của")."""
    stop = lexicon().stopwords - keep
    return [w for w in words(text) if w not in stop]


def terms(tokens: list[str]) -> list[str]:
    """Unigrams and adjacent bigrams: Vietnamese words are often two syllables ('chinh tri')."""
    return tokens + [f"{a}_{b}" for a, b in pairwise(tokens)]


@cache
def _stop_patterns() -> list[re.Pattern[str]]:
    return [re.compile(rf"\b{re.escape(phrase)}\b") for phrase in lexicon().stop_phrases]


def strip_question_patterns(text: str) -> str:
    """'Đảng ủy UBND tỉnh phải làm gì?' -> 'dang uy ubnd tinh' (folded)."""
    folded = fold_text(text)
    for pattern in _stop_patterns():
        folded = pattern.sub(" ", folded)
    # People say "xã" for the resolution's "cấp xã" ("bí thư xã", "đảng ủy xã").
    return re.sub(r"(?<!cap )\bxa\b(?! hoi)", "cap xa", folded)


@cache
def _date_patterns() -> list[re.Pattern[str]]:
    return [re.compile(rf"\b{re.escape(phrase)}\b") for phrase in lexicon().date_phrases]


def strip_date_phrases(folded: str, pairs: AbstractSet[str] = frozenset()) -> str:
    """'hạn hoàn thành bồi dưỡng chuyển đổi số' -> 'boi duong chuyen doi so', for a question that asks when:
    "hoàn thành", "hạn" say by when, not what, and would match the resolution's "kết quả hoàn thành".

    A phrase that makes a word pair of the resolution with its neighbour ("hạn chế", "hoàn thành chức
    trách"; `pairs` holds them as "a b") is the resolution's word and stays."""

    def removed(m: re.Match[str]) -> str:
        before, after = m.string[:m.start()].split(), m.string[m.end():].split()
        phrase = m.group(0).split()
        if (before and f"{before[-1]} {phrase[0]}" in pairs) or (after and f"{phrase[-1]} {after[0]}" in pairs):
            return m.group(0)
        return " "

    for pattern in _date_patterns():
        folded = pattern.sub(removed, folded)
    return folded


def expansions_of(folded_question: str) -> dict[str, list[str]]:
    """Query words or phrases present in the question -> words that also count as a match."""
    found = {}
    for key, extra in lexicon().expansions.items():
        if key in folded_question and re.search(rf"\b{re.escape(key)}\b", folded_question):
            found[key] = extra
    return found


def expand_abbreviations(text: str) -> str:
    """The accented words of every abbreviation in `text` ('UBND' -> 'ủy ban nhân dân')."""
    table = lexicon().accented_abbreviations
    return " ".join(table[t] for t in _WORD.findall(fold_text(text)) if t in table)
