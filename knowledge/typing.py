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
MIN_RUN_TOGETHER = 5
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
        # 'ly' as typed, beside the folded 'li', so that 'lyluan' splits
        self.pieces = frozenset(self.syllables) | {w.replace("i", "y") for w in self.syllables}

    def learn_bigrams(self, texts: list[str]) -> None:
        for text in texts:
            tokens = _TOKEN.findall(fold_text(text))
            self.bigrams.update(f"{a} {b}" for a, b in pairwise(tokens))

    def normalize(self, question: str) -> str:
        """The question folded, with every word the resolution would not recognise repaired if possible."""
        tokens = _TOKEN.findall(fold_text(question))
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

    def repair(self, token: str, before: str = "", after: str = "") -> str:
        for candidate in (telex_decoded(token), undoubled(token), undoubled(telex_decoded(token))):
            candidate = fold_text(candidate)  # 'ly' as the resolution's folded 'li'
            if candidate in self.known:
                return lexicon().typing.get(candidate, candidate)
        if len(token) >= MIN_RUN_TOGETHER and (pieces := self._split(token)):
            return fold_text(" ".join(pieces))
        decoded = fold_text(undoubled(telex_decoded(token)))
        if not is_syllable(decoded) and (near := self._near(decoded, before, after)):
            return near
        if len(token) >= FUZZY_MIN_LENGTH:
            match = process.extractOne(token, self.long_words, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF)
            if match:
                return str(match[0])
        return token

    def _split(self, token: str) -> list[str] | None:
        """'lanhdao' -> ['lanh', 'dao']: the fewest known syllables that spell the word."""
        best: list[list[str] | None] = [[]] + [None] * len(token)
        for end in range(1, len(token) + 1):
            for start in range(max(0, end - 7), end):
                prefix, piece = best[start], token[start:end]
                if prefix is not None and piece in self.pieces:
                    current = best[end]
                    if current is None or len(prefix) + 1 < len(current):
                        best[end] = [*prefix, piece]
        result = best[-1]
        return result if result and len(result) >= 2 else None

    def _near(self, token: str, before: str, after: str) -> str | None:
        """A one-letter typo: the known syllable one edit away, preferring one that fits its neighbours."""
        found = process.extract(token, self.syllables, scorer=Levenshtein.distance, score_cutoff=1, limit=None)
        if not found:
            return None
        candidates = [str(c[0]) for c in found]

        def fit(word: str) -> tuple[int, int]:
            context = (f"{before} {word}" in self.bigrams) + (f"{word} {after}" in self.bigrams)
            return context, self.counts.get(word, 0)

        return max(candidates, key=fit)
