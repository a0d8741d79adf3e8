"""How people type on a phone, mapped back to the resolution's words before matching.

Each step applies only to a word the resolution (or the lexicon) does not know, so correct words are
never changed, and a word of another topic that is a real Vietnamese syllable stays unknown (which is
what lets the module decline off-topic questions):
- teen-code, short forms and English words people mix in (a data table in lexicon.toml);
- Telex and VNI leftovers ("thacj sis", "tha5c si4"): tone keys and doubled vowels removed;
- doubled letters ("chieuu"), words run together ("lyluanchinhtri");
- one-letter typos in a word that cannot be a Vietnamese syllable ("lĩh" -> "linh"), resolved by the
  neighbouring word, and longer words within a small edit distance of a known one.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from itertools import pairwise

from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

from knowledge.text import fold_text, lexicon

_INITIAL = r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?"
_OPEN = [
    "a", "e", "i", "o", "u", "y", "ai", "ao", "au", "ay", "eo", "eu", "ia", "iu", "oa", "oe", "oi", "ua",
    "ui", "uy", "uo", "ie", "ye", "oai", "oay", "oao", "oeo", "uay", "uoi", "uou", "uya", "ieu", "yeu",
    "uyu", "uye", "ue", "uu",
]
_CLOSED = ["a", "e", "i", "o", "u", "y", "oa", "oe", "uy", "ie", "ye", "uo", "uye", "oo", "ua", "ue"]
_SYLLABLE = re.compile(
    rf"^{_INITIAL}(?:(?:{'|'.join(sorted(_CLOSED, key=len, reverse=True))})(?:ch|ng|nh|[cmnpt])"
    rf"|(?:{'|'.join(sorted(_OPEN, key=len, reverse=True))}))$"
)
_TOKEN = re.compile(r"[a-z0-9]+(?:[.,/][0-9]+)*%?|%")
_VOWELS = set("aeiouy")
_TELEX_DOUBLES = (("dd", "d"), ("aa", "a"), ("ee", "e"), ("oo", "o"), ("aw", "a"), ("ow", "o"), ("uw", "u"),
                  ("w", "u"))
MIN_RUN_TOGETHER = 4
# 'nam2026' and 'bn%' are two words; a single digit inside letters is a VNI tone key ('tha5c')
_DIGITS_APART = re.compile(r"(?<=[a-z])(?=[0-9]{2,}|%)|(?<=[0-9]{2})(?=[a-z])")
FUZZY_MIN_LENGTH = 5
FUZZY_CUTOFF = 85


def is_syllable(word: str) -> bool:
    """Could `word` (folded) be one Vietnamese syllable? 'thacj', 'lih', 'caap' cannot."""
    return bool(_SYLLABLE.match(word))


def telex_decoded(word: str) -> str:
    """'thacj' -> 'thac', 'caaps' -> 'cap', 'ddaoj' -> 'dao', 'tha5c' -> 'thac': keys left after folding."""
    word = re.sub(r"(?<=[a-z])[0-9]|[0-9](?=[a-z])", "", word)  # VNI tone and shape digits
    first_vowel = next((i for i, ch in enumerate(word) if ch in _VOWELS), None)
    if first_vowel is not None:  # a syllable never has s, f, r, x, j or z after its vowel
        word = word[: first_vowel + 1] + re.sub(r"[sfrxjz]", "", word[first_vowel + 1:])
    for typed, letter in _TELEX_DOUBLES:
        word = word.replace(typed, letter)
    return word


_TONE_MARKS = {"s": "\u0301", "f": "\u0300", "r": "\u0309", "x": "\u0303", "j": "\u0323"}
_SHAPES = (("dd", "đ"), ("uow", "ươ"), ("aa", "â"), ("aw", "ă"), ("ee", "ê"), ("oo", "ô"), ("ow", "ơ"),
           ("uw", "ư"), ("w", "ư"))
_SHAPED = set("ăâêôơư")
_ALL_VOWELS = set("aăâeêioôơuưy")


def telex_accented(word: str) -> str | None:
    """'chuwax' -> 'chữa', 'ddi' -> 'đi': the word a Telex typist meant, with its diacritics.

    Only for words that carry Telex keys; the tone goes on the shaped vowel, else on the vowel before a
    final consonant, else on the first vowel of the group (after 'qu'/'gi')."""
    first_vowel = next((i for i, ch in enumerate(word) if ch in _VOWELS), None)
    if first_vowel is None or not re.search(r"[sfrxj]|dd|aa|aw|ee|oo|ow|uw|w", word[first_vowel:] + word[:2]):
        return None
    tail = word[first_vowel + 1:]
    tones = re.findall(r"[sfrxj]", tail)
    bare = word[: first_vowel + 1] + re.sub(r"[sfrxjz]", "", tail)
    for typed, letter in _SHAPES:
        bare = bare.replace(typed, letter)
    positions = [i for i, ch in enumerate(bare) if ch in _ALL_VOWELS]
    if bare[:2] in ("qu", "gi") and len(positions) > 1:
        positions = positions[1:]
    if not positions:
        return None
    if not tones:
        return bare
    shaped = [i for i in positions if bare[i] in _SHAPED]
    if shaped:
        at = shaped[-1]
    elif positions[-1] < len(bare) - 1 or len(positions) == 1:
        at = positions[-1]
    else:
        at = positions[-2] if len(positions) == 2 else positions[1]
    return unicodedata.normalize("NFC", bare[: at + 1] + _TONE_MARKS[tones[-1]] + bare[at + 1:])


def undoubled(word: str) -> str:
    """'chieuu' -> 'chieu', 'laii' -> 'lai'."""
    return re.sub(r"(.)\1+", r"\1", word)


class Typing:
    """Maps a question's words to the resolution's vocabulary."""

    def __init__(self, vocabulary: Counter[str]) -> None:
        lex = lexicon()
        self.counts = vocabulary
        self.known = set(vocabulary) | lex.stopwords | set(lex.abbreviations) | set(lex.typing)
        for words in (*lex.abbreviations.values(), *lex.typing.values()):
            self.known.update(words.split())
        self.syllables = sorted(w for w in self.known if w.isalpha() and is_syllable(w))
        self.bigrams: set[str] = set()
        self.long_words = sorted(w for w in vocabulary if w.isalpha() and len(w) >= FUZZY_MIN_LENGTH)
        # Pieces a run-together word may be made of: syllables ('ly' as typed beside the folded 'li'),
        # abbreviations and short forms of two letters or more ('ubkttinh', 'cbko', 'thsbtv').
        shorts = {w for w in (*lex.abbreviations, *lex.typing) if len(w) >= 2 and w.isalpha()}
        self.pieces = frozenset(self.syllables) | {w.replace("i", "y") for w in self.syllables} | shorts
        self.longest_piece = max(map(len, self.pieces))

    def learn_bigrams(self, texts: list[str]) -> None:
        lex = lexicon()
        texts = [*texts, *lex.abbreviations.values(), *lex.typing.values(), *lex.phrases, *lex.stop_phrases]
        for text in texts:
            tokens = _TOKEN.findall(fold_text(text))
            self.bigrams.update(f"{a} {b}" for a, b in pairwise(tokens))

    def normalize(self, question: str) -> str:
        """The question folded, with every word the resolution would not recognise repaired if possible."""
        tokens = _TOKEN.findall(_DIGITS_APART.sub(" ", fold_text(question)))
        table = lexicon().typing
        out: list[str] = []
        for i, token in enumerate(tokens):
            if token in table:
                out.append(table[token])
            elif token in self.known or not re.search(r"[a-z]", token) or re.fullmatch(r"[0-9.,/%]+", token):
                out.append(token)
            else:
                before = out[-1].split()[-1] if out else ""
                after = tokens[i + 1] if i + 1 < len(tokens) else ""
                out.append(self.repair(token, before, after))
        return " ".join(out)

    def accented(self, question: str) -> str:
        """The Telex-typed words of the question written with their diacritics, to compare accents."""
        found = []
        for token in re.findall(r"[a-z]+", question.lower()):
            word = telex_accented(token)
            if word and fold_text(word) != token:
                found.append(word)
        return " ".join(found)

    def repair(self, token: str, before: str = "", after: str = "") -> str:
        doubles = () if is_syllable(token) else (undoubled(token), undoubled(telex_decoded(token)))  # 'huu' is hưu
        for candidate in (telex_decoded(token), *doubles):
            candidate = fold_text(candidate)  # 'ly' as the resolution's folded 'li'
            if candidate in self.known:
                return lexicon().typing.get(candidate, candidate)
        decoded = fold_text(undoubled(telex_decoded(token)))
        if len(token) >= MIN_RUN_TOGETHER and not is_syllable(decoded):
            for spelled in (token, decoded):
                if pieces := self._split(spelled):
                    table = lexicon().typing
                    return fold_text(" ".join(table.get(p, p) for p in pieces))
        if not is_syllable(decoded) and (near := self.near(decoded, before, after)):
            return near
        if near := self.near(decoded, before, after, in_context=True):
            return near  # a real-looking syllable that is a typo only where its neighbour says so
        if len(token) >= FUZZY_MIN_LENGTH:
            match = process.extractOne(token, self.long_words, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
            if match:
                return str(match[0])
        return token

    def _split(self, token: str) -> list[str] | None:
        """'lanhdao' -> ['lanh', 'dao']: the fewest known syllables that spell the word."""
        best: list[list[str] | None] = [[]] + [None] * len(token)
        for end in range(1, len(token) + 1):
            for start in range(max(0, end - self.longest_piece), end):
                prefix, piece = best[start], token[start:end]
                if prefix is not None and piece in self.pieces:
                    current = best[end]
                    if current is None or len(prefix) + 1 < len(current):
                        best[end] = [*prefix, piece]
        result = best[-1]
        return result if result and len(result) >= 2 else None

    def near(self, token: str, before: str, after: str, in_context: bool = False) -> str | None:
        """A one-letter typo: the known syllable one edit away, preferring one that fits its neighbours
        (with `in_context`, only one that forms a pair the resolution or the lexicon uses)."""
        found = process.extract(token, self.syllables, scorer=Levenshtein.distance, score_cutoff=1, limit=None)
        candidates = [str(c[0]) for c in found]
        if in_context:  # only a dropped letter ('cinh tri' -> 'chinh tri'): swapped ones make other words
            candidates = [w for w in candidates if len(w) == len(token) + 1
                          and (f"{before} {w}" in self.bigrams or f"{w} {after}" in self.bigrams)]
        if not candidates:
            return None

        def fit(word: str) -> tuple[int, int]:
            context = (f"{before} {word}" in self.bigrams) + (f"{word} {after}" in self.bigrams)
            return context, self.counts.get(word, 0)

        return max(candidates, key=fit)
