"""Answering questions about the resolution: BM25 over passages and FAQ entries, typo-tolerant,
with a confidence check that declines rather than guesses.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, partial
from itertools import pairwise
from typing import Any

from domain.rules import default_rules
from knowledge import features
from knowledge.intents import POINTERS, intent_of
from knowledge.resolution import Passage, Resolution, load
from knowledge.text import (
    DATA,
    accented_words,
    content_words,
    expand_abbreviations,
    expansions_of,
    fold_text,
    lexicon,
    strip_date_phrases,
    strip_question_patterns,
    terms,
    typed_accents,
    words,
)
from knowledge.typing import Typing

MAX_ANSWER = 780
MAX_ABOUT = 300  # characters of the sentence a footnote annotates, quoted before it
ABOUT_SHOWN_ABOVE = 10  # words of it, where the answer already quotes that sentence
K1, B = 1.2, 0.75
FAQ_BOOST = 1.15  # a curated answer beats a passage that scores the same
MIN_COVERAGE = 0.62  # share of the question's (IDF-weighted) words the answer's source must contain
UNKNOWN_WEIGHT = 1.0  # a word the resolution never uses weighs more than its rarest word: likely off-topic
CHUNK = 450  # passages are indexed in chunks of whole sentences of about this many characters
EXPANSION_WEIGHT = 0.5
HEADING_WEIGHT = 2
SHORT_HEADING = 6  # words
HEADING_QUOTE = 4  # distinct words of a longer heading a question must quote, and nothing else, to ask for it
MAX_HEADING_PREFIX = 14  # words: longer headings are not repeated before the answer
HEADING_SHARE = 0.35  # of the question's weight carried by the heading's words
COVERAGE_RERANK = 0.4
PAIR_RERANK = 0.3
SUGGEST_FROM = 0.3
POPULAR = ("Mục II.2.2 (2)", "Mục II.2.2 (3)", "Mục III.4")
RERANK_DEPTH = 12
CHOICE_SPREAD = 0.5  # a source that covers the question may answer if it scores at least this share of the top
ANCHOR_PAIRS = 2  # word pairs of the question a source must hold for its rare words to weigh less
ANCHORED_CAP = 2.0  # their weight then (about a common content word's IDF)
ANCHOR_IDF = 2.0  # a pair as common as 'cán bộ' or 'cấp xã' anchors nothing
RARE = 4.0  # IDF of a word the resolution uses once or twice, or never
MIN_PAIRS = 2  # questions with fewer word pairs are not judged by pairs
MANY_PAIRS = 3
PAIR_SHARE = 0.34  # of a question with MANY_PAIRS pairs or more, that some leading source must share
AMBIGUOUS_LIGHT = 3  # uses of another word with the same plain spelling that make a light word ambiguous
LIGHT_WEIGHT = 0.3  # everyday words ("cũng", "giờ", "mới") say little about the topic
TYPE_MISMATCH = 0.5  # a passage without the figure/date/body the question asks for
ENTITY_CONFLICT = 0.3  # a passage about the other member of a pair (xã for tỉnh, chủ tịch for phó chủ tịch)
SECOND_ANSWER = 0.75  # a second source is added when it scores this close to the best
PERSONAL = re.compile(r"\b(toi|cua toi|minh|em|chuc danh cua toi|vi tri cua toi)\b")
_TOKENS = re.compile(r"[a-z0-9]+")
NO_BASELINE_HINT = (
    "Nghị quyết chỉ nêu chỉ tiêu cần đạt về nội dung này ({ref}), không nêu số liệu hiện nay, nên tôi không trả lời "
    "để tránh thông tin sai."
)
NO_DOER_HINT = (
    "Nghị quyết có nói đến việc này ({ref}) nhưng không nêu ai (cơ quan nào) thực hiện, nên tôi không trả lời "
    "để tránh thông tin sai."
)
OFF_TOPIC_HINT = (
    "Câu hỏi này không thuộc nội dung Nghị quyết nâng cao chất lượng cán bộ 2026–2030, nên tôi không trả lời "
    "để tránh thông tin sai."
)


@dataclass(frozen=True)
class Doc:
    ref: str
    title: str
    text: str  # what the answer is cut from
    terms: Counter[str]
    length: int
    is_faq: bool
    full_text: str  # the whole section, for "Xem toàn văn mục"
    accented: frozenset[str]  # its words with diacritics, to tell "giám" from "giảm"
    types: frozenset[str]  # figure / date / body: what kinds of answer it holds
    entities: frozenset[str]  # the paired entities it names (features.entities)
    own: frozenset[str] = frozenset()  # the terms of its own text, without its section's ways of asking
    paragraph: int = -1  # the resolution paragraph it was cut from (-1 for an FAQ entry)
    levels: frozenset[str] = frozenset()  # the qualification levels it names (features.levels)
    # (levels, entities) of each clause naming a level: whom a level is set for (features.clauses)
    level_clauses: tuple[tuple[frozenset[str], frozenset[str]], ...] = ()
    about: str = ""  # for a footnote: what it annotates, quoted before its text wherever it is shown
    notes: frozenset[int] = frozenset()  # the footnotes that give its figures' baseline (or that it is, or quotes)
    # what a body it names does: the terms after a body in the same sentence; None where its heading is a body
    # (Mục IV: "Ban Tổ chức Tỉnh ủy: chủ trì, phối hợp …"), so all it says is done by that body
    acted: frozenset[str] | None = None
    after_doer: frozenset[str] = frozenset()  # the terms after the first body it names, in any sentence


@dataclass(frozen=True)
class Query:
    words: list[str]
    terms: dict[str, float]  # term -> weight (expansions count less)
    groups: list[tuple[float, set[str]]]  # (weight, words any of which covers it)
    accents: dict[str, str]  # folded word -> the accented form typed, where diacritics were typed
    kind: str | None = None  # the answer type asked for (features.FIGURE/DATE/BODY)
    entities: frozenset[str] = frozenset()
    normalized: str = ""  # folded, with teen-code, Telex leftovers and typos repaired
    expanded: bool = False  # some word matched through a synonym of the lexicon
    light: frozenset[str] = frozenset()  # its everyday words (lexicon light_words, as typed)
    strangers: frozenset[str] = frozenset()  # plain syllables away from the only words they form here
    levels: frozenset[str] = frozenset()  # the qualification levels it asks about (features.levels)
    whom: frozenset[str] = frozenset()  # the groups it asks about (features.whom)
    now: bool = False  # it asks for the state now ("hiện nay"), not a target (features.asks_now)
    qualification: bool = False  # it asks for a qualification ("trình độ", "LLCT"), named or not
    action: str | None = None  # the term of what it asks who does ("ai đánh giá cán bộ" -> 'danh_gia')
    asked: frozenset[str] = frozenset()  # the terms of all it asks who does ("đánh giá cán bộ cấp xã")


@dataclass
class Answer:
    answer: str
    found: bool
    source: str | None
    score: float
    suggestions: list[str] = field(default_factory=list)
    personal: bool = False
    intent: str | None = None  # an app feature the question asks for (knowledge.intents)

    def as_json(self) -> dict[str, Any]:
        return {"answer": self.answer, "found": self.found, "source": self.source, "score": round(self.score, 3),
                "suggestions": self.suggestions}


def _section_questions() -> dict[str, list[tuple[str, list[str]]]]:
    """ref -> (anchor, ways people ask) from sections.toml."""
    raw = tomllib.loads((DATA / "sections.toml").read_text(encoding="utf-8"))
    hints: dict[str, list[tuple[str, list[str]]]] = {}
    for entry in raw.get("section", []):
        hints.setdefault(entry["ref"], []).append((fold_text(entry.get("anchor", "")), entry["questions"]))
    return hints


def _attach(chunks: list[tuple[Passage, str]], hints: dict[str, list[tuple[str, list[str]]]]) -> list[list[str]]:
    """Each way of asking goes to the paragraph chunk of its section that shares the most words with it."""
    asked: list[list[str]] = [[] for _ in chunks]
    words_of = [set(content_words(chunk)) for _, chunk in chunks]
    for ref, entries in hints.items():
        in_section = [i for i, (p, _) in enumerate(chunks) if p.ref == ref]
        for anchor, questions in entries:
            candidates = [i for i in in_section if anchor in fold_text(chunks[i][0].clean_text)] or in_section
            for question in questions:
                wanted = set(content_words(question))
                best = max(candidates, key=lambda i: len(wanted & words_of[i]), default=None)
                if best is not None:
                    asked[best].append(question)
    return asked


def _faq_entries() -> list[tuple[list[str], str, str]]:
    raw = tomllib.loads((DATA / "faq.toml").read_text(encoding="utf-8"))
    return [(e["questions"], e["answer"], e["ref"]) for e in raw.get("faq", [])]


def _thousands(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def _pct(met: int, population: int) -> str:
    return f"{100 * met / population:.2f}".replace(".", ",") + "%"


def _indicator_entries(footnotes: dict[int, str]) -> list[tuple[list[str], str, str]]:
    """Each measurable target becomes an FAQ entry: the rule, the deadline, and the baseline.

    The rules file is parsed once, by domain.rules (the same RuleBook the reports use)."""
    entries = []
    for ind in default_rules().indicators:
        answer = ind.explanation
        base = ind.baseline
        if base.get("footnote") in footnotes:  # the resolution's own words for the baseline
            answer += f" Hiện trạng (Chú thích {base['footnote']}): {footnotes[base['footnote']]}"
        elif "met" in base and "population" in base:
            met, population = _thousands(base["met"]), _thousands(base["population"])
            answer += (f" Hiện trạng ({base['as_of']}): {met}/{population} đồng chí đạt "
                       f"({_pct(base['met'], base['population'])}).")
        if "met" in base and "population" in base:  # "còn thiếu mấy người nữa"
            missing = max(0, math.ceil(ind.target_pct * base["population"] / 100 - 1e-9) - base["met"])
            answer += f" Theo số liệu đó, để đạt {ind.target_pct:g}% còn thiếu {_thousands(missing)} đồng chí."
        entries.append(([ind.title, ind.requirement + " " + ind.title], answer, ind.ref))
    return entries


def _chunks(text: str) -> list[str]:
    sentences = _sentences(text)
    chunks: list[str] = []
    for sentence in sentences:
        if chunks and len(chunks[-1]) + len(sentence) < CHUNK:
            chunks[-1] = f"{chunks[-1]} {sentence}"
        else:
            chunks.append(sentence)
    return chunks or [text]


def _sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[.;:])\s+(?=[A-ZĐÀ-Ỹ\-“\"(])|\s+-\s+(?=[A-ZĐÀ-Ỹ])", text.strip().lstrip("- "))
    return [p.strip() for p in parts if p.strip()]


class KnowledgeBase:
    def __init__(self, resolution: Resolution, faq: list[tuple[list[str], str, str]]) -> None:
        self.resolution = resolution
        self.docs: list[Doc] = []
        section_text: dict[str, list[str]] = {}
        for p in resolution.passages:
            section_text.setdefault(p.ref, []).append(p.clean_text)
        hints = _section_questions()
        chunks = [(p, chunk) for p in resolution.passages for chunk in _chunks(p.clean_text)]
        paragraph_of = {id(p): i for i, p in enumerate(resolution.passages)}
        for (p, chunk), questions in zip(chunks, _attach(chunks, hints), strict=True):
            asked = " ".join(questions)
            counts = self._chunk_terms(chunk, p.title)
            counts.update(set(terms(content_words(f"{p.context} {asked}"))))
            self._add(p.ref, p.title, chunk, counts, False, "\n".join(section_text[p.ref]),
                      f"{chunk} {p.context} {asked}", paragraph_of[id(p)], _about(p),
                      frozenset(p.footnotes) | _notes_named(p.ref))
        for questions, answer, ref in faq:
            counts = Counter(terms(content_words(_mark_ai(answer))))
            counts.update(set(terms(content_words(_mark_ai(" ".join(questions))))))
            full = "\n".join(section_text.get(ref, [answer]))
            self._add(ref, ref, answer, counts, True, full, " ".join(questions) + " " + answer,
                      notes=_notes_named(f"{ref} {answer}"))
        self.avg_len = sum(d.length for d in self.docs) / len(self.docs)
        df: Counter[str] = Counter()
        for d in self.docs:
            df.update(d.terms.keys())
        n = len(self.docs)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        self.max_idf = math.log(1 + (n + 0.5) / 0.5)
        self.postings = self._postings()
        self.titles = dict(resolution.sections)
        texts = [p.clean_text for p in resolution.passages] + [d.text for d in self.docs if d.is_faq]
        texts += [" ".join(q) for q, _, _ in faq] + [" ".join(q) for entries in hints.values() for _, q in entries]
        vocabulary: Counter[str] = Counter(t for text in texts for t in _TOKENS.findall(fold_text(text)))
        self.typing = Typing(vocabulary)
        self.ambiguous_light = _ambiguous_light([p.clean_text for p in resolution.passages])
        self.bound = _bound_syllables(texts)
        self.accented_vocabulary = frozenset().union(*(d.accented for d in self.docs))
        self.typing.learn_bigrams(texts)

    def _add(self, ref: str, title: str, text: str, counts: Counter[str], is_faq: bool, full: str,
             vocabulary: str, paragraph: int = -1, about: str = "", notes: frozenset[int] = frozenset()) -> None:
        """`about`, for a footnote, is what it annotates: the groups that sentence names are the ones its
        figures count ("204/371" are Phó Chủ tịch), so a question about another group is not given them."""
        accented = frozenset(accented_words(f"{vocabulary} {expand_abbreviations(vocabulary)} {title}"))
        folded = " ".join(words(text))
        subject = " ".join(words(about))
        self.docs.append(Doc(ref, title, text, counts, sum(counts.values()), is_faq, full, accented,
                             features.passage_types(fold_text(text), ref),
                             features.entities(folded) | features.entities(subject),
                             frozenset(terms(content_words(_mark_ai(text)))), paragraph, features.levels(folded),
                             features.clauses([" ".join(words(c)) for c in features.CLAUSE_END.split(text)],
                                              subject), about, notes, _acted(ref, title, text), _after_doer(text)))

    @staticmethod
    def _chunk_terms(text: str, title: str) -> Counter[str]:
        # The heading's words count once: they say what the paragraph is about.
        counts = Counter(terms(content_words(_mark_ai(text))))
        heading = set(terms(content_words(title.split(" – ")[-1])))
        counts.update({t: HEADING_WEIGHT for t in heading})
        return counts

    # --- query side ----------------------------------------------------------------------------

    def _postings(self) -> dict[str, list[tuple[int, float]]]:
        """term -> (doc index, its BM25 contribution at query weight 1): a query touches only its terms' docs."""
        postings: dict[str, list[tuple[int, float]]] = {}
        for i, doc in enumerate(self.docs):
            norm = K1 * (1 - B + B * doc.length / self.avg_len)
            boost = FAQ_BOOST if doc.is_faq else 1.0
            for t, f in doc.terms.items():
                postings.setdefault(t, []).append((i, boost * self.idf[t] * f * (K1 + 1) / (f + norm)))
        return postings

    def _bm25(self, q_terms: dict[str, float]) -> list[tuple[float, Doc]]:
        scores = [0.0] * len(self.docs)
        for t, weight in q_terms.items():
            for i, part in self.postings.get(t, ()):
                scores[i] += weight * part
        return [(score, self.docs[i]) for i, score in enumerate(scores)]

    def _weight(self, word: str) -> float:
        return self.idf.get(word, self.max_idf * UNKNOWN_WEIGHT)

    def _coverage(self, query: Query, doc: Doc, rare_weight: float | None = None) -> float:
        groups = [(rare_weight if rare_weight and weight >= RARE else weight, alternatives)
                  for weight, alternatives in query.groups]
        total = sum(weight for weight, _ in groups)
        covered = sum(weight for weight, alternatives in groups
                      if any(self._present(word, query, doc) for word in alternatives))
        return covered / total if total else 0.0

    def _covers(self, query: Query, doc: Doc) -> bool:
        """The source holds most of the question's weight; or, where the source holds two of the question's
        word pairs, a rare or unknown everyday word ("mới bầu", "nhắc") weighs no more than a common one."""
        if self._coverage(query, doc) >= MIN_COVERAGE:
            return True
        anchors = [pair for pair in set(self._pairs(query)) if self.idf.get(pair, 0) >= ANCHOR_IDF]
        anchored = sum(pair in doc.terms for pair in anchors) >= ANCHOR_PAIRS
        return anchored and self._coverage(query, doc, ANCHORED_CAP) >= MIN_COVERAGE

    @staticmethod
    def _present(word: str, query: Query, doc: Doc) -> bool:
        """A typed 'giảm' is not the resolution's 'giám', though both fold to 'giam'."""
        if word not in doc.terms or word in query.strangers:
            return False
        accented = query.accents.get(word)
        return accented is None or accented in doc.accented

    def parse(self, question: str) -> Query:
        normalized = self.typing.normalize(_mark_ai(question))
        # a stop word typed with other diacritics, as a word the resolution never uses, is another word
        # ("cửa" is not "của"); "vệ" in "bảo vệ" is dropped like "về", as it is from the resolution
        other_words = {fold_text(w) for w in accented_words(question)
                       if fold_text(w) in lexicon().stopwords and fold_text(w) != w
                       and w not in lexicon().stop_accented and w not in self.accented_vocabulary}
        normalized = self._fix_stop_typos(normalized, other_words)
        expanded = f"{normalized} {' '.join(words(normalized))}"
        kind = features.question_type(expanded)
        stripped = strip_question_patterns(normalized)
        if kind in (features.DATE, features.DAY):
            stripped = strip_date_phrases(stripped, self.typing.bigrams)
        q_words = content_words(stripped, frozenset(other_words))
        expansions = expansions_of(stripped)
        grouped = {w for key in expansions for w in key.split()}
        # Telex keys tell everyday words apart ("chuwax" is not the light "chưa") but do not decide a
        # match: typists often key a wrong tone ("sis" for "sĩ") or none ("chuwc" for "chức")
        typed = f"{question} {self.typing.accented(question)}"
        accents = typed_accents(question)
        # a word typed with diacritics is light only as typed: "chữa" is not the light "chưa"
        heavy = {fold_text(w) for w in accented_words(typed)
                 if fold_text(w) != w and w not in lexicon().light_accented}
        # typed without diacritics, "chuyen" may be the resolution's "chuyên môn", not the light "chuyển"
        plain = {fold_text(w) for w in accented_words(typed) if fold_text(w) == w}
        light = lexicon().light_words - heavy - (plain & self.ambiguous_light)
        strangers = self._strangers(normalized, plain - light)
        groups = [(LIGHT_WEIGHT if w in light else self.max_idf if w in strangers else self._weight(w), {w})
                  for w in dict.fromkeys(q_words) if w not in grouped]
        for key, extra in expansions.items():
            words_in_key = [w for w in key.split() if w in q_words] or key.split()
            groups.append((max(self._weight(w) for w in words_in_key), set(words_in_key) | set(extra)))
        q_terms = {t: LIGHT_WEIGHT if t in light else 1.0 for t in terms(q_words) if t not in strangers}
        for extra in expansions.values():
            for t in terms(extra):
                q_terms.setdefault(t, EXPANSION_WEIGHT)
        return Query(q_words, q_terms, groups, accents, kind,
                     features.question_entities(" ".join(words(stripped))), normalized, bool(expansions),
                     frozenset(light), frozenset(strangers), features.levels(" ".join(words(stripped))),
                     _asked_whom(" ".join(words(stripped))), features.asks_now(expanded),
                     features.asks_qualification(" ".join(words(stripped))), *self._action(normalized, light))

    def _action(self, normalized: str, light: frozenset[str]) -> tuple[str | None, frozenset[str]]:
        """The term of what a who-question asks who does: its first two words ('danh_gia') where the resolution
        uses them together, else its first word ('ky' in "ai ký nghị quyết"); and the terms of all it asks."""
        asked = features.asked_action(" ".join(words(normalized)))
        doing = [w for w in content_words(asked) if w not in light] if asked else []
        if len(doing) >= 2 and f"{doing[0]}_{doing[1]}" in self.idf:
            return f"{doing[0]}_{doing[1]}", frozenset(terms(doing))
        return (doing[0] if doing and doing[0] in self.idf else None), frozenset(terms(doing))

    def _strangers(self, normalized: str, plain: set[str]) -> set[str]:
        """'bong' in "co ai di da bong ko" is 'bóng', not the 'bổng' of the resolution's only 'học bổng':
        a syllable typed without diacritics that the resolution uses in one word only is that word only
        next to its partner; elsewhere it is a word the resolution never uses."""
        tokens = words(normalized)
        strangers = set()
        for i, token in enumerate(tokens):
            partners = self.bound.get(token)
            if token not in plain or partners is None:
                continue
            around = {tokens[j] for j in (i - 1, i + 1) if 0 <= j < len(tokens)}
            if not around & partners:
                strangers.add(token)
        return strangers

    def _fix_stop_typos(self, normalized: str, other_words: set[str]) -> str:
        """'nhị quyết' is 'nghị quyết' with a letter dropped, not the stop word 'nhỉ': repaired where the
        neighbouring word says so; what is left in `other_words` is a word of another topic."""
        tokens = normalized.split()
        for i, token in enumerate(tokens):
            if token in other_words:
                before, after = tokens[i - 1] if i else "", tokens[i + 1] if i + 1 < len(tokens) else ""
                if near := self.typing.near(token, before, after, in_context=True):
                    tokens[i] = near
        other_words.intersection_update(tokens)
        return " ".join(tokens)

    def rank(self, question: str) -> tuple[Query, list[tuple[float, Doc]]]:
        """BM25, then the leaders re-ranked by how much of the question they cover."""
        query = self.parse(question)
        scored = self._bm25(query.terms)
        scored.sort(key=lambda x: -x[0])
        head = [(s * (1 - COVERAGE_RERANK + COVERAGE_RERANK * self._coverage(query, d))
                 * (1 - PAIR_RERANK + PAIR_RERANK * self._pair_share(query, d)) * self._agreement(query, d), d)
                for s, d in scored[:RERANK_DEPTH]]
        head.sort(key=lambda x: -x[0])
        return query, head + scored[RERANK_DEPTH:]

    @staticmethod
    def _agreement(query: Query, doc: Doc) -> float:
        """1 when the passage holds the kind of answer asked for and names the same entity; less otherwise."""
        factor = 1.0
        if query.kind and query.kind not in doc.types:
            factor *= TYPE_MISMATCH
        if features.conflicts(query.entities, doc.entities):
            factor *= ENTITY_CONFLICT
        if not _qualification_agrees(query, doc):
            factor *= TYPE_MISMATCH
        return factor

    def _pairs(self, query: Query) -> list[str]:
        return [f"{a}_{b}" for a, b in pairwise(query.words) if a not in query.light and b not in query.light]

    def _pair_share(self, query: Query, doc: Doc) -> float:
        """The share of the question's word pairs ('bổ nhiệm', 'đáp ứng') that the source holds together."""
        pairs = self._pairs(query)
        return sum(p in doc.terms for p in pairs) / len(pairs) if pairs else 1.0

    def _phrases_agree(self, query: Query, doc: Doc) -> bool:
        """Some two words that stand together in the question stand together in the source too.

        Words of another topic that each happen to occur in the resolution ("luật giao thông đường bộ")
        never do; a question matched through a synonym (an expansion) is exempt."""
        pairs = self._pairs(query)
        # without diacritics one syllable stands for several words: a single pair must agree too
        needed = MIN_PAIRS if query.accents else 1
        if len(pairs) < needed or query.expanded:
            return True
        return any(pair in doc.terms for pair in pairs)

    def _about_the_resolution(self, query: Query, ranked: list[tuple[float, Doc]]) -> bool:
        """Some leading source shares a third of a long question's word pairs: "Cần nêu rõ số liệu" (a
        reviewer's comment) shares only "nêu rõ" with footnote 3."""
        pairs = self._pairs(query)
        if len(pairs) < MANY_PAIRS or query.expanded:
            return True
        return any(self._pair_share(query, doc) >= PAIR_SHARE for _, doc in ranked[:RERANK_DEPTH])

    def _choose(self, query: Query, ranked: list[tuple[float, Doc]]) -> tuple[int | None, str | None]:
        """The best-ranked source that covers the question and agrees with it, if it ranks near the top; or
        none, with what to say instead where the resolution speaks of what is asked but does not answer it.

        A figure asked for as it is now ("hiện nay") is not a target's ("68% đến hết năm 2029"): the source that
        sets the target gives way to the baseline the resolution reports for it (its footnote, or an indicator
        quoting it). Who does something is not told by a source that says it is done without naming who does it
        ("công khai thông tin về … đánh giá cán bộ để Mặt trận Tổ quốc … giám sát"): it gives way to one that
        names the doer. Without one the question is declined rather than answered from another topic."""
        top = ranked[0][0]
        for i, (score, doc) in enumerate(ranked[:RERANK_DEPTH]):
            if score < CHOICE_SPREAD * top:
                return None, None
            if not self._answers(query, doc):
                continue
            if query.now and _only_targets(doc):
                found = self._instead(query, ranked, partial(_reports_on, doc))
                return found, (None if found is not None else NO_BASELINE_HINT.format(ref=doc.ref))
            if _done_by_nobody(query, doc):
                found = self._instead(query, ranked, partial(_names_doer, query))
                return found, (None if found is not None else NO_DOER_HINT.format(ref=doc.ref))
            return i, None
        return None, None

    def _answers(self, query: Query, doc: Doc) -> bool:
        return self._covers(query, doc) and self._agreement(query, doc) == 1 and self._phrases_agree(query, doc)

    def _instead(self, query: Query, ranked: list[tuple[float, Doc]], fits: Callable[[Doc], bool]) -> int | None:
        """The best-ranked source that `fits` and answers the question."""
        return next((i for i, (_, doc) in enumerate(ranked[:RERANK_DEPTH]) if fits(doc) and self._answers(query, doc)),
                    None)

    def ask(self, question: str) -> Answer:
        question = question.strip()[:500]
        query, ranked = self.rank(question)
        personal = bool(PERSONAL.search(query.normalized))
        if intent := intent_of(query.normalized):
            return Answer(POINTERS[intent], False, None, 1.0, [], personal, intent)
        q_words = query.words
        definition = _definition(query.normalized)
        if not any(w.isalpha() for w in q_words) or ranked[0][0] <= 0:  # a bare number is not a question
            return self._decline(ranked, personal)
        chosen, hint = self._choose(query, ranked) if self._about_the_resolution(query, ranked) else (None, None)
        if chosen is None and definition:
            return Answer(definition, True, None, 1.0, self._suggest(ranked), personal)
        if chosen is None and hint:  # the resolution speaks of what is asked without answering it
            return Answer(hint, False, None, min(1.0, self._coverage(query, ranked[0][1])), self._suggest(ranked),
                          personal)
        if chosen is None:
            return self._decline(ranked, personal, min(1.0, self._coverage(query, ranked[0][1])))
        best_score, best = ranked[chosen]
        ranked = [ranked[chosen], *ranked[:chosen], *ranked[chosen + 1:]]
        best = self._paragraph(query, best)
        confidence = min(1.0, self._coverage(query, best))
        if not best.is_faq and self._asks_for_section(query, best):
            return Answer(self._excerpt(best.full_text, [], from_start=True), True, best.ref, confidence,
                          self._suggest(ranked[1:], exclude=best.ref), personal)
        text = best.text if best.is_faq else self._shown(best, q_words, heading=True)
        text = f"{definition} {text}" if definition else text
        second = self._second(query, ranked, best_score, best, text)
        if second is not None:
            text = f"{text} ({best.ref})\n\n{second}"
        return Answer(text, True, best.ref, confidence, self._suggest(ranked[1:], exclude=best.ref), personal)

    def _paragraph(self, query: Query, doc: Doc) -> Doc:
        """The paragraph of the chosen section whose own words answer: a section's ways of asking lead to
        it, but in a long section (Quan điểm, Mục III.1) the answer is the paragraph that holds the
        question's words, including those the question patterns strip ("trách nhiệm của ai")."""
        if doc.is_faq:
            return doc
        # two everyday words may make a phrase ("hiện nay"); one beside a content word rarely does
        wanted = {t for t in terms(content_words(query.normalized)) if len(set(t.split("_")) & query.light) != 1
                  and t not in query.light}

        def held(candidate: Doc) -> frozenset[str]:
            return frozenset(t for t in wanted if t in candidate.terms)

        def own(candidate: Doc) -> frozenset[str]:
            return frozenset(t for t in wanted if t in candidate.own)

        # only a paragraph that holds all the chosen one holds, and more, is a better answer; within one
        # paragraph, by its own words: a section's ways of asking ("thực trạng đội ngũ cán bộ") go to one
        # chunk of it, while the next chunk may say what is asked ("cán bộ cấp xã hiện nay")
        same = [d for d in self.docs if d.ref == doc.ref and not d.is_faq and self._agreement(query, d) == 1
                and (held(d) > held(doc) or (d.paragraph == doc.paragraph and own(d) > own(doc)))]
        return max(same, key=lambda d: (sum(self.idf[t] for t in own(d)), sum(self.idf[t] for t in held(d))),
                   default=doc)

    def _second(self, query: Query, ranked: list[tuple[float, Doc]], best_score: float, best: Doc,
                above: str) -> str | None:
        """A close runner-up from another section often holds the other half of the answer."""
        for score, doc in ranked[1:4]:
            if score < SECOND_ANSWER * best_score:
                return None
            if doc.ref == best.ref or doc.text in best.text or self._coverage(query, doc) < MIN_COVERAGE \
                    or self._agreement(query, doc) < 1 or (query.now and _only_targets(doc)) \
                    or _done_by_nobody(query, doc):
                continue
            text = doc.text if doc.is_faq else self._shown(doc, query.words, above=above)
            if len(above) + len(text) + len(doc.ref) + 8 <= MAX_ANSWER:
                return f"{text} ({doc.ref})"
        return None

    def _shown(self, doc: Doc, q_words: list[str], heading: bool = False, above: str = "") -> str:
        """A passage's sentences that answer; a footnote's after what it annotates ("Về “75% Phó Chủ tịch …”:
        Đến thời điểm …"), as its figures count only the group that sentence names. Where the answer `above`
        already quotes that sentence, its opening words are enough to point to it."""
        if doc.about:
            about = doc.about
            if fold_text(about) in fold_text(above):
                about = " ".join(about.split()[:ABOUT_SHOWN_ABOVE]) + "…"
            elif len(about) > MAX_ABOUT:
                about = about[:MAX_ABOUT].rsplit(" ", 1)[0] + "…"
            label = f"Về “{about}”: "
            return label + self._excerpt(doc.text, q_words, limit=MAX_ANSWER - len(label))
        text = self._excerpt(doc.text, q_words)
        return self._with_heading(doc, text) if heading else text

    @staticmethod
    def _with_heading(doc: Doc, text: str) -> str:
        """'Ban Tổ chức Tỉnh ủy: Chủ trì, phối hợp…': who or when the passage is about, if it does not say."""
        heading = doc.title.split(" – ")[-1].rstrip(":")
        if doc.ref.startswith(("Chú thích", "Phần")) or len(heading.split()) > MAX_HEADING_PREFIX:
            return text
        if fold_text(heading) in fold_text(text) or len(heading) + len(text) + 2 > MAX_ANSWER:
            return text
        return f"{heading}: {text[0].lower() + text[1:] if text[:1].isupper() and text[1:2].islower() else text}"

    def _asks_for_section(self, query: Query, doc: Doc) -> bool:
        """'Quan điểm của nghị quyết' names a short heading: answer with the section from its start."""
        heading = content_words(doc.title.split(" – ")[-1])
        if not heading or len(doc.full_text) <= len(doc.text):
            return False
        if self._quotes_heading(query, heading):
            return True
        if len(heading) > SHORT_HEADING:
            return False
        if sum(w in query.words for w in heading) / len(heading) < 0.8:
            return False
        weight = {w: self._weight(w) for w in query.words}
        if sum(v for w, v in weight.items() if w in heading) / sum(weight.values()) < HEADING_SHARE:
            return False
        # the rest of the question must be about the section's opening, not a later paragraph
        first = next(d for d in self.docs if d.ref == doc.ref and not d.is_faq)
        return all(w in first.terms for w in query.words if w not in heading and w not in query.light)

    def _quotes_heading(self, query: Query, heading: list[str]) -> bool:
        """'Yêu cầu gì về nâng cao nhận thức công tác cán bộ' is a long heading's own words ("Nâng cao nhận thức
        về công tác xây dựng đội ngũ cán bộ…"): every word of the question is in it, with its word pairs.
        The section answers as a whole, from its start, not from one paragraph that repeats a phrase."""
        asked = [w for w in query.words if w not in query.light]
        pairs = self._pairs(query)
        # from the heading's first word: "bảo vệ chính trị nội bộ" names only the later half of Mục III.6's
        # "Tăng cường kiểm tra, giám sát … và công tác bảo vệ chính trị nội bộ", which a later paragraph answers
        if len(set(asked)) < HEADING_QUOTE or not set(asked) <= set(heading) or asked[0] != heading[0]:
            return False
        heading_pairs = set(terms(heading))
        return sum(p in heading_pairs for p in pairs) >= len(pairs) - 1 >= MIN_PAIRS

    def _excerpt(self, text: str, q_words: list[str], from_start: bool = False, limit: int = MAX_ANSWER) -> str:
        """The sentences that answer, within the length limit, starting at the best one."""
        if len(text) <= limit:
            return text.lstrip("- ").strip()
        sentences = [s for line in text.split("\n") for s in _sentences(line)]
        wanted = set(terms(q_words))

        def weight(s: str) -> float:
            return sum(self.idf.get(t, 0) for t in set(terms(content_words(s))) & wanted)

        start = 0 if from_start else max(range(len(sentences)), key=lambda i: weight(sentences[i]))
        chosen, size = [sentences[start]], len(sentences[start])
        for nxt in sentences[start + 1:]:
            if size + len(nxt) + 1 > limit:
                break
            chosen.append(nxt)
            size += len(nxt) + 1
        excerpt = " ".join(chosen)
        return excerpt if len(excerpt) <= limit else excerpt[: limit - 1].rsplit(" ", 1)[0] + "…"

    def _suggest(self, ranked: list[tuple[float, Doc]], exclude: str | None = None, n: int = 3) -> list[str]:
        seen: list[str] = []
        for score, doc in ranked:
            if score <= 0 or len(seen) >= n:
                break
            if doc.ref != exclude and doc.ref not in seen and not doc.ref.startswith("Chú thích"):
                seen.append(doc.ref)
        return seen

    def _decline(self, ranked: list[tuple[float, Doc]], personal: bool, score: float = 0.0) -> Answer:
        # Close topics only when the question was at least half about the resolution.
        suggestions = self._suggest(ranked) if score >= SUGGEST_FROM else list(POPULAR)
        return Answer(OFF_TOPIC_HINT, False, None, score, suggestions, personal)

    def section_text(self, ref: str) -> str | None:
        for doc in self.docs:
            if doc.ref == ref:
                return doc.full_text
        return None

    def title_of(self, ref: str) -> str:
        """The heading of a section ('Đến hết năm 2028'); '' where the reference says it all ('Phần mở đầu'
        is both), so a source is never named twice."""
        title = self.titles.get(ref, "").split(" – ")[-1].rstrip(" :")
        return "" if fold_text(title) == fold_text(ref) else title


def _ambiguous_light(texts: list[str]) -> frozenset[str]:
    """Light words whose plain spelling is also a content word the resolution uses often ('can': 'cán')."""
    lex = lexicon()
    accented = Counter(w for text in texts for w in accented_words(text))
    other = Counter(fold_text(w) for w, n in accented.items() for _ in range(n) if w not in lex.light_accented)
    return frozenset(w for w in lex.light_words if other[w] >= AMBIGUOUS_LIGHT)


def _bound_syllables(texts: list[str]) -> dict[str, frozenset[str]]:
    """Syllables that always stand beside the same neighbour ('bổng' only in 'học bổng') -> that neighbour."""
    left: dict[str, set[str]] = {}
    right: dict[str, set[str]] = {}
    for text in texts:
        tokens = [t for t in _TOKENS.findall(fold_text(text)) if not t.isdigit()]
        for a, b in pairwise(tokens):
            right.setdefault(a, set()).add(b)
            left.setdefault(b, set()).add(a)
    bound = {}
    for token in left.keys() | right.keys():
        partners = {side.pop() for side in (set(left.get(token, ())), set(right.get(token, ()))) if len(side) == 1}
        if partners:
            bound[token] = frozenset(partners)
    return bound


_DEFINITION = re.compile(r"^(\w+) (la gi|la cai gi|nghia la gi|co nghia la gi|la viet tat cua gi|viet tat (cua )?gi|"
                         r"la viet tat cua (tu )?gi|viet tat la gi)$")


def _definition(normalized: str) -> str:
    """'BCH là gì' -> 'BCH là viết tắt của “ban chấp hành”.' for an abbreviation the lexicon knows."""
    m = _DEFINITION.match(normalized.strip())
    table = lexicon().accented_abbreviations
    if not m or m.group(1) not in table:
        return ""
    expansion = table[m.group(1)]
    return f"{m.group(1).upper()} là viết tắt của “{expansion[:1].upper()}{expansion[1:]}”."


def _asked_whom(folded: str) -> frozenset[str]:
    """The groups a question asks about; in "công chức xã có được ... không hay chỉ lãnh đạo", the group it asks
    about comes first, and the one after 'hay'/'hoặc' is the alternative it contrasts."""
    first = re.split(r"\b(?:hay|hoac)\b", folded, maxsplit=1)[0]
    if found := features.whom(first) | features.question_entities(first):
        return found
    return features.whom(folded) | features.question_entities(folded)


def _qualification_agrees(query: Query, doc: Doc) -> bool:
    """A level the question names is one the source sets for the question's group (features.level_applies). A
    qualification asked for without its level ("công chức xã cần trình độ LLCT gì"): the source names one ("quy
    trình", "đủ số lượng công chức" share words, not the subject), and some level it sets is for that group, not
    only for others (the Phó Chủ tịch's 75%)."""
    if query.levels:
        return features.level_applies(doc.level_clauses, query.levels, query.whom)
    if not query.qualification:
        return True
    if features.QUALIFICATION not in doc.types:
        return False
    return not doc.level_clauses or any(features.roles_agree(groups, query.whom) for _, groups in doc.level_clauses)


def _acted(ref: str, title: str, text: str) -> frozenset[str] | None:
    """The terms a source says a body does: after the first body each sentence names; None where its heading is a
    body (Mục IV's "Ban Tổ chức Tỉnh ủy") or it opens with one ("Cấp ủy các cấp phải …"), which does all it says."""
    heading = title.split(" – ")[-1]
    if ref.startswith("Mục IV") or features.doer_end(" ".join(words(heading))) is not None \
            or features.opens_with_doer(" ".join(words(text))):
        return None
    done: set[str] = set()
    for sentence in re.split(r"\.(?:\s|$)", text):
        folded = " ".join(words(sentence))
        if (end := features.doer_end(folded)) is not None:
            done.update(terms(content_words(folded[end:])))
    return frozenset(done)


def _after_doer(text: str) -> frozenset[str]:
    """The terms after the first body a source names: what some body it names may be doing."""
    folded = " ".join(words(text))
    end = features.doer_end(folded)
    return frozenset(terms(content_words(folded[end:]))) if end is not None else frozenset()


def _notes_named(text: str) -> frozenset[int]:
    """The footnotes a text names ("Chú thích 6 (Mục II.2.2 (3))", "Hiện trạng (Chú thích 6): …")."""
    return frozenset(int(n) for n in re.findall(r"Chú thích (\d+)", text))


def _reports_on(target: Doc, doc: Doc) -> bool:
    """`doc` reports how things stood for `target`'s figures: its footnote, or an indicator quoting it."""
    return features.CURRENT in doc.types and bool(doc.notes & target.notes)


def _names_doer(query: Query, doc: Doc) -> bool:
    """`doc` says what a who-question asks about, and who does it."""
    return query.action in doc.own and not _done_by_nobody(query, doc)


def _done_by_nobody(query: Query, doc: Doc) -> bool:
    """The source says what a who-question asks about is done and names no body that does it: none before the
    doing in its sentence; or, where it does not say the doing asked ("quyết định luân chuyển"), none before any
    of what is asked ("Kế hoạch luân chuyển cán bộ diện Ban Thường vụ …": the body comes after)."""
    if not query.action or doc.acted is None:
        return False
    if query.action in doc.own:
        return query.action not in doc.acted
    return not query.asked & doc.own & doc.after_doer


def _only_targets(doc: Doc) -> bool:
    """Its figures are targets, with no report of how things stand ("Hiện trạng", "đến thời điểm tháng 4/2026")."""
    return features.FIGURE in doc.types and features.CURRENT not in doc.types


def _about(passage: Passage) -> str:
    """What a footnote annotates: the clause that points to it, after its sentence's opening where the clause
    names no group ("lý luận chính trị từ trung cấp trở lên đạt 100%" is for "cán bộ giữ chức danh lãnh đạo diện
    các sở, ngành … quản lý"); '' for a passage of the text."""
    if not passage.lead or features.whom(" ".join(words(passage.context))):
        return passage.context
    return f"{passage.lead}: {passage.context}"


def _mark_ai(question: str) -> str:
    """'AI' in capitals is artificial intelligence; 'ai' in Vietnamese is 'who'."""
    return re.sub(r"\bAI\b", "trí tuệ nhân tạo aitech", question)


def build() -> KnowledgeBase:
    resolution = load()
    return KnowledgeBase(resolution, _faq_entries() + _indicator_entries(resolution.footnotes))


@cache
def default_kb() -> KnowledgeBase:
    return build()


__all__ = ["Answer", "KnowledgeBase", "build", "default_kb", "words"]
