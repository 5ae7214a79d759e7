"""Second stage for unclear messages: find the nearest answers in the knowledge itself.

The intent classifier is unsure on the long tail (rambling messages, regional words, typos):
measured through the chat, most misses ended in "did you mean …?" on plain questions whose
answer the bot has. Before giving up, this retriever compares the message with everything we
know about each answer (its example questions, title and text in both languages) using
character n-grams, which tolerate typos and abbreviations, after expanding common
abbreviations and synonyms. It is plain Python and scikit-learn; the NLU component in
bot/nlu_components.py feeds it and applies ``decide``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, Iterable, List, Mapping, Sequence, Tuple

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from bot.intents import FALLBACK_INTENT
from bot.text_guard import asks_something

# Abbreviations and synonyms users write, mapped to the words our examples and answers use.
# Whole words only; applied to the message and to the indexed texts alike.
SYNONYMS: Mapping[str, str] = {
    "jpg": "jepang",
    "jpn": "jepang",
    "jepun": "jepang",
    "japan": "jepang",
    "nihon": "jepang",
    "jp": "jepang",
    "brp": "berapa",
    "brapa": "berapa",
    "berapah": "berapa",
    "pira": "berapa",
    "sabaraha": "berapa",
    "piro": "berapa",
    "gmn": "gimana",
    "gmna": "gimana",
    "gimna": "gimana",
    "bgmn": "bagaimana",
    "piye": "gimana",
    "kumaha": "gimana",
    "sy": "saya",
    "aq": "aku",
    "ak": "aku",
    "gw": "aku",
    "gue": "aku",
    "gua": "aku",
    "ane": "aku",
    "abdi": "aku",
    "ga": "tidak",
    "gak": "tidak",
    "gk": "tidak",
    "nggak": "tidak",
    "ngga": "tidak",
    "enggak": "tidak",
    "ora": "tidak",
    "teu": "tidak",
    "kagak": "tidak",
    "tdk": "tidak",
    "ndak": "tidak",
    "udh": "sudah",
    "udah": "sudah",
    "sdh": "sudah",
    "wis": "sudah",
    "wes": "sudah",
    "tos": "sudah",
    "bs": "bisa",
    "iso": "bisa",
    "tp": "tapi",
    "yg": "yang",
    "dgn": "dengan",
    "utk": "untuk",
    "krn": "karena",
    "kalo": "kalau",
    "klo": "kalau",
    "kl": "kalau",
    "nek": "kalau",
    "lamun": "kalau",
    "opo": "apa",
    "naon": "apa",
    "thn": "tahun",
    "taun": "tahun",
    "th": "tahun",
    "bln": "bulan",
    "jt": "juta",
    "jtan": "juta",
    "rb": "ribu",
    "krj": "kerja",
    "gajih": "gaji",
    "salary": "gaji",
    "upah": "gaji",
    "gajine": "gaji",
    "magang": "magang",
    "intern": "magang",
    "internship": "magang",
    "jisshusei": "magang",
    "kenshusei": "magang",
    "ginou": "magang",
    "gino": "magang",
    "jisshu": "magang",
    "titp": "magang",
    "trainee": "magang",
    "tokutei": "ssw",
    "tokuteiginou": "ssw",
    "tokugi": "ssw",
    "tg": "ssw",
    "tokutei-ginou": "ssw",
    "kaigo": "perawat lansia",
    "caregiver": "perawat lansia",
    "careworker": "perawat lansia",
    "zairyu": "kartu residen",
    "kokuho": "asuransi kesehatan",
    "nenkin": "pensiun",
    "rousai": "kecelakaan kerja",
    "rosai": "kecelakaan kerja",
    "baito": "kerja paruh waktu",
    "arubaito": "kerja paruh waktu",
    "ikusei": "esd",
    "shuro": "esd",
    "shuurou": "esd",
    "lpk2": "lpk",
    "pt2": "pt",
    "dokumen2": "dokumen",
    "tki": "pmi",
    "tkw": "pmi",
    "tkv": "pmi",
    "bmi": "pmi",
}
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# Words that frame a question ("…syaratnya apa aja kak?") but say nothing about its topic. Left in,
# they make "magang ke jepang syaratnya apa aja" as close to "epa ke ssw syaratnya apa aja" as to
# any magang answer; the retriever compares what a message is about.
FRAME_WORDS = frozenset(
    """
    apa apakah aja saja sih dong deh nih kah ya yah kak ka min gan bang mas mbak sis bro om tante pak bu
    ke di dari dr yang itu ini tuh gitu gimana bagaimana berapa brp kapan dimana mana siapa kenapa
    tidak bisa boleh harus perlu mau ingin pengen tanya nanya tolong mohon halo hai makasih terima kasih
    aku saya kamu kita kami dia nya dan atau tapi juga jg lagi udah sudah belum masih kalau kalo jadi
    syarat syaratnya caranya cara info informasi soal tentang buat untuk utk sama dengan dgn
    the a an to of in on at for is are was be do does can could what how which who why when where
    i my me you your we our it this that and or but please hi hello thanks thank about with
""".split()
)


def normalise(text: str) -> str:
    """Lower-case content words with abbreviations expanded; reduplication ("lpk2") and repeats
    folded; question frames (FRAME_WORDS) dropped."""
    words = []
    for word in _WORD.findall((text or "").lower()):
        if not any(c.isdigit() for c in word):
            word = re.sub(r"(.)\1{2,}", r"\1", word)  # "bangettt" -> "banget", but not "1000"
        if word.endswith("2") and len(word) > 3 and not word[:-1].isdigit():
            word = word[:-1]  # Indonesian reduplication "dokumen2" = "dokumen-dokumen"
        word = SYNONYMS.get(word, word)
        if word not in FRAME_WORDS:
            words.append(word)
    return " ".join(words)


_SENTENCE_END = re.compile(r"(?<=[.?!])\s+|\n+")
LONG_MESSAGE_WORDS = 14


def query_parts(text: str) -> List[str]:
    """The whole message and, for a long one, its last sentence: users tell their story first
    and ask at the end, and the story's words would otherwise drown the question."""
    text = (text or "").strip()
    parts = [text]
    sentences = [s for s in _SENTENCE_END.split(text) if len(s.split()) >= 3]
    if len(text.split()) >= LONG_MESSAGE_WORDS and len(sentences) > 1:
        parts.append(sentences[-1])
    return parts


@dataclass(frozen=True)
class Hit:
    answer_id: str
    score: float


@dataclass(frozen=True)
class KnowledgeDocument:
    """One text that stands for an answer: an example question, its title or its text."""

    answer_id: str
    text: str


class KnowledgeRetriever:
    """Nearest answers by TF-IDF over character n-grams (typo tolerant) and words.

    An answer's score is its best-matching document, like a nearest-neighbour search: a
    message need only resemble one way of asking, not the average of all of them.
    """

    def __init__(self, documents: Sequence[KnowledgeDocument]) -> None:
        usable = [d for d in documents if normalise(d.text)]
        if not usable:
            raise ValueError("the retriever needs at least one document")
        self._answer_ids = np.array([d.answer_id for d in usable])
        self._chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=1)
        self._words = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"\S+")
        texts = [normalise(d.text) for d in usable]
        self._char_matrix = self._chars.fit_transform(texts)
        self._word_matrix = self._words.fit_transform(texts)

    def search(self, text: str, limit: int = 5) -> List[Hit]:
        queries = [q for q in (normalise(part) for part in query_parts(text)) if q]
        if not queries:
            return []
        scores = 0.6 * (self._char_matrix @ self._chars.transform(queries).T).toarray()
        scores += 0.4 * (self._word_matrix @ self._words.transform(queries).T).toarray()
        scores = scores.max(axis=1)  # each document by the part of the message it fits best
        best: Dict[str, float] = {}
        for index in np.argsort(-scores):
            answer_id = str(self._answer_ids[index])
            if answer_id not in best:
                best[answer_id] = float(scores[index])
                if len(best) == limit:
                    break
        return [Hit(answer_id, score) for answer_id, score in best.items()]


KEYWORDS_PER_DOCUMENT = 4


def keyword_documents(keywords: Mapping[str, Sequence[str]]) -> List[str]:
    """Keywords indexed a few at a time: one long list would score low against any short
    message (cosine similarity divides by the document's length)."""
    documents: List[str] = []
    for words in keywords.values():
        documents.extend(
            " ".join(words[i : i + KEYWORDS_PER_DOCUMENT]) for i in range(0, len(words), KEYWORDS_PER_DOCUMENT)
        )
    return documents


def documents_for(
    examples: Mapping[str, Iterable[str]], answer_texts: Mapping[str, Iterable[str]]
) -> List[KnowledgeDocument]:
    """Index documents: each answer's example questions and its titles and texts."""
    documents: List[KnowledgeDocument] = []
    for answer_id, texts in examples.items():
        documents.extend(KnowledgeDocument(answer_id, text) for text in texts)
    for answer_id, texts in answer_texts.items():
        documents.extend(KnowledgeDocument(answer_id, text) for text in texts)
    return documents


# --- the decision --------------------------------------------------------------------------
# Intents that cannot be the meaning of a real question; a strong knowledge match overrides them.
# "skip" and "correct" steer a form; a long message taken for them outside one is a question.
SMALL_TALK_INTENTS = frozenset(
    {
        "greet",
        "goodbye",
        "thank",
        "chitchat",
        "out_of_scope",
        "bot_challenge",
        "ask_capabilities",
        "affirm",
        "deny",
        "skip",
        "correct",
    }
)
# Scores are cosine similarities (0..1) of the blended vectors. Calibrated on the training
# data alone, never on the held-out sets: 15% of the knowledge examples held out of the index
# are retrieved right 72% of the time overall and 77% of the time above ACCEPT_SCORE with the
# margin; small-talk examples score up to about 0.45 against the knowledge (95th percentile).
ACCEPT_SCORE = 0.36  # alone, a match this close is the answer
MIN_MARGIN = 0.03  # over the nearest other answer, so near ties go to "did you mean"
# Two independent methods agreeing is strong evidence even when each is unsure: the retriever's
# best answer is the classifier's best knowledge intent (at AGREE_CONFIDENCE or more), or the
# classifier's guess (at SUPPORT_CONFIDENCE or more) is among the retriever's best two.
AGREE_CONFIDENCE = 0.15
SUPPORT_CONFIDENCE = 0.25
SMALL_TALK_SCORE = 0.50  # to overrule "thanks"/"bye": above what small talk itself reaches
CANDIDATE_SCORE = 0.12  # below this an answer is not worth offering as "did you mean"
# A knowledge answer the classifier is unsure of, for a message that resembles nothing in the
# knowledge ("zxqv plmk wrtz"): a guess on noise, so the message is unclear.
DOUBTFUL_CONFIDENCE = 0.5
NOTHING_ALIKE_SCORE = 0.10


@dataclass(frozen=True)
class Decision:
    """The intent to use, and the answers to offer when the message stays unclear."""

    intent: str
    confidence: float
    candidates: Tuple[str, ...]
    source: str  # "classifier", "retrieval" or "unclear"


def looks_like_question(text: str) -> bool:
    words = len((text or "").split())
    return words >= 7 or (words >= 4 and asks_something(text))


def decide(
    intent: str,
    confidence: float,
    ranking: Sequence[Tuple[str, float]],
    hits: Sequence[Hit],
    knowledge_intents: Iterable[str],
    text: str,
) -> Decision:
    """Keep the classifier's intent, or take the retrieved answer, or stay unclear with candidates."""
    known = set(knowledge_intents)
    hits = [h for h in hits if h.answer_id in known]
    candidates = _candidates(ranking, hits, known)
    if intent == FALLBACK_INTENT:
        guess = question_guess(ranking, hits, known, text)
        if guess is not None:
            return Decision(guess.answer_id, guess.score, candidates, "retrieval")
        return Decision(intent, confidence, candidates, "unclear")
    if intent in known and confidence < DOUBTFUL_CONFIDENCE and (not hits or hits[0].score < NOTHING_ALIKE_SCORE):
        return Decision(FALLBACK_INTENT, confidence, candidates, "unclear")
    top = hits[0] if hits else None
    if top is not None and top.answer_id in NEVER_RETRIEVED:
        top = None
    if (
        intent in SMALL_TALK_INTENTS
        and top is not None
        and looks_like_question(text)
        and top.score >= SMALL_TALK_SCORE
        and _margin(hits) >= MIN_MARGIN
    ):
        # "makasih kak, trus gaji ssw brp?" is a question, not thanks.
        return Decision(top.answer_id, top.score, candidates, "retrieval")
    return Decision(intent, confidence, candidates, "classifier")


def _margin(hits: Sequence[Hit]) -> float:
    if not hits:
        return 0.0
    return hits[0].score - hits[1].score if len(hits) > 1 else hits[0].score


MIN_RETRIEVAL_WORDS = 2  # content words, after FRAME_WORDS are dropped
# Answers the retriever may offer but never choose: choosing them starts a flow (an emergency
# marks any later report urgent), which a guess must not do.
NEVER_RETRIEVED = frozenset({"emergency_help", "report_guidance"})


def question_guess(
    ranking: Sequence[Tuple[str, float]], hits: Sequence[Hit], known: Iterable[str], text: str = ""
) -> "Hit | None":
    """The knowledge answer a message asks for, when the evidence suffices: a close retrieval
    match, or the retriever and the classifier agreeing (see AGREE_CONFIDENCE). One or two
    content word ("kak", "magang") says too little: it gets "did you mean", not a guess."""
    if len(normalise(text).split()) < MIN_RETRIEVAL_WORDS:
        return None
    known = set(known) - NEVER_RETRIEVED
    hits = [h for h in hits if h.answer_id in known]
    if not hits:
        return None
    top = hits[0]
    if top.score >= ACCEPT_SCORE and _margin(hits) >= MIN_MARGIN:
        return top
    best = next(((name, score) for name, score in ranking if name in known), None)
    if best is None:
        return None
    name, score = best
    if top.answer_id == name and score >= AGREE_CONFIDENCE and top.score >= CANDIDATE_SCORE:
        return top
    supported = next((h for h in hits[:2] if h.answer_id == name and h.score >= CANDIDATE_SCORE), None)
    if supported is not None and score >= SUPPORT_CONFIDENCE:
        return supported
    return None


def _candidates(
    ranking: Sequence[Tuple[str, float]], hits: Sequence[Hit], known: set, limit: int = 3
) -> Tuple[str, ...]:
    """ "Did you mean" answers: retrieval and classifier scores fused, best first."""
    fused: Dict[str, float] = {}
    for hit in hits:
        if hit.score >= CANDIDATE_SCORE:
            fused[hit.answer_id] = fused.get(hit.answer_id, 0.0) + hit.score
    for name, score in ranking:
        if name in known and score >= 0.05:
            fused[name] = fused.get(name, 0.0) + 0.5 * score
    ordered = sorted(fused.items(), key=lambda item: -item[1])
    return tuple(name for name, _ in ordered[:limit])
