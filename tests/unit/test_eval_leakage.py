"""The benchmark is only honest if its texts never reach training: no held-out item (the
held-out questions and offers and the two older sets of tests/eval/) may be a copy or a near copy
of a training example (nlu/**/*.yml), of the rule-tuning data (tests/unit/data/*.yml) or of a
user text in the stories and story tests.

Texts are compared normalised (lower-case, no markup, punctuation or entity annotations, folded
whitespace); a pair leaks when identical or when difflib's SequenceMatcher ratio is >= 0.75.
Pairs that cannot reach that ratio are skipped first (token overlap, then length and difflib's
own upper bounds), which keeps the test to about a second.
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Iterator, List, Sequence, Tuple

import yaml

from bot.settings import get_settings

ROOT = get_settings().project_root
EVAL = ROOT / "tests" / "eval"
HELD_OUT_FILES = (
    EVAL / "heldout" / "questions.yml",
    EVAL / "heldout" / "offers.yml",
    EVAL / "guidance_questions.yml",
    EVAL / "offer_cases.yml",
    EVAL / "sealed" / "questions.yml",
    EVAL / "sealed" / "offers.yml",
)
SIMILAR = 0.75
# Share of the shorter text's distinct tokens that must also be in the other before difflib runs.
# A pair at ratio >= 0.75 shares most of its characters in order, hence most of its words; the
# test below checks on the real data that this filter drops no pair a full comparison would flag.
MIN_TOKEN_OVERLAP = 0.25
# Held-out texts this short (characters) are compared with every short training text instead.
SHORT_TEXT = 25

# [text](entity), [text](entity:value), [text]{"entity": ...}
_ENTITY = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")
_TAG = re.compile(r"<[^>]*>")
_NOT_WORD = re.compile(r"[\W_]+")


def strip_annotations(text: str) -> str:
    return _ENTITY.sub(r"\1", text)


def normalise(text: str) -> str:
    """Lower-case, no entity annotations, HTML tags, markup or punctuation, single spaces."""
    text = _TAG.sub(" ", strip_annotations(text))
    return _NOT_WORD.sub(" ", text.lower()).strip()


# ---------------------------------------------------------------------------------- sources


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def nlu_examples(root: Path = ROOT / "nlu") -> Iterator[Tuple[str, str]]:
    """(where, text) for every example of every ``examples: |`` block (intents, synonyms, lookups;
    regex patterns are not texts)."""
    for path in sorted(root.rglob("*.yml")):
        for block in _yaml(path).get("nlu") or []:
            if "regex" in block or not isinstance(block.get("examples"), str):
                continue
            label = next((f"{k}:{block[k]}" for k in ("intent", "synonym", "lookup") if k in block), "?")
            for line in block["examples"].splitlines():
                line = line.strip()
                if line.startswith("- "):
                    yield f"{path.relative_to(ROOT)} {label}", line[2:].strip()


def _texts_under(data: Any, key: str) -> Iterator[str]:
    if isinstance(data, dict):
        for k, v in data.items():
            if k == key and isinstance(v, str):
                yield v
            else:
                yield from _texts_under(v, key)
    elif isinstance(data, list):
        for v in data:
            yield from _texts_under(v, key)


def rule_test_texts() -> Iterator[Tuple[str, str]]:
    for path in sorted((ROOT / "tests" / "unit" / "data").glob("*.yml")):
        for text in _texts_under(_yaml(path), "text"):
            yield str(path.relative_to(ROOT)), text


def story_user_texts() -> Iterator[Tuple[str, str]]:
    for folder in (ROOT / "stories", ROOT / "tests" / "stories"):
        for path in sorted(folder.rglob("*.yml")):
            for text in _texts_under(_yaml(path), "user"):
                yield str(path.relative_to(ROOT)), text.strip()


@lru_cache(maxsize=1)
def training_texts() -> Tuple[Tuple[str, str], ...]:
    return (*nlu_examples(), *rule_test_texts(), *story_user_texts())


@lru_cache(maxsize=2)
def held_out_texts(files: Tuple[Path, ...] = HELD_OUT_FILES) -> Tuple[Tuple[str, str], ...]:
    texts: List[Tuple[str, str]] = []
    for path in files:
        if path.exists():
            texts += [(str(path.relative_to(ROOT)), text) for text in _texts_under(_yaml(path), "text")]
    return tuple(texts)


# ------------------------------------------------------------------------------- comparing


def _ratio(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def similar_pairs(
    held_out: Sequence[Tuple[str, str]],
    training: Sequence[Tuple[str, str]],
    threshold: float = SIMILAR,
    prefilter: bool = True,
) -> List[Tuple[float, str, str, str, str]]:
    """(ratio, held-out file, held-out text, training source, training text) for every pair that is
    identical or at least ``threshold`` similar once normalised; best first."""
    train = [(where, text, normalise(text)) for where, text in training]
    train = [row for row in train if row[2]]
    tokens = [set(row[2].split()) for row in train]
    # A pair can only reach the threshold when 2 * shorter / (both) >= threshold.
    longest_partner = (2 / threshold - 1) * SHORT_TEXT
    short_train = [i for i, row in enumerate(train) if len(row[2]) <= longest_partner]
    index: Dict[str, List[int]] = defaultdict(list)
    for i, words in enumerate(tokens):
        for word in words:
            index[word].append(i)
    found = []
    for h_where, h_text in held_out:
        h_norm = normalise(h_text)
        if not h_norm:
            continue
        h_tokens = set(h_norm.split())
        if prefilter:
            shared: Dict[int, int] = defaultdict(int)
            for word in h_tokens:
                for i in index.get(word, ()):
                    shared[i] += 1
            candidates = {i for i, n in shared.items() if n >= MIN_TOKEN_OVERLAP * min(len(h_tokens), len(tokens[i]))}
            if len(h_norm) <= SHORT_TEXT:
                # Few words: one spelling variant ("halooo" / "halo") may leave none in common.
                candidates.update(short_train)
        else:
            candidates = range(len(train))
        for i in candidates:
            t_where, t_text, t_norm = train[i]
            if h_norm == t_norm:
                found.append((1.0, h_where, h_text, t_where, t_text))
                continue
            # Upper bounds of the ratio first: lengths, then character multisets.
            if 2 * min(len(h_norm), len(t_norm)) / (len(h_norm) + len(t_norm)) < threshold:
                continue
            matcher = difflib.SequenceMatcher(None, h_norm, t_norm, autojunk=False)
            if matcher.quick_ratio() < threshold:
                continue
            ratio = matcher.ratio()
            if ratio >= threshold:
                found.append((round(ratio, 3), h_where, h_text, t_where, t_text))
    return sorted(found, key=lambda row: -row[0])


@lru_cache(maxsize=1)
def _leaks() -> Tuple[Tuple[float, str, str, str, str], ...]:
    return tuple(similar_pairs(held_out_texts(), training_texts()))


# ------------------------------------------------------------------------------------ tests


def test_normalise_strips_annotations_markup_and_punctuation() -> None:
    assert normalise('Pakai [bahasa inggris]{"entity": "language", "value": "en"} aja!') == "pakai bahasa inggris aja"
    assert (
        normalise("ditawarin [kaigo](field) di [osaka](prefecture:Osaka),  *gaji*  35jt??")
        == "ditawarin kaigo di osaka gaji 35jt"
    )
    assert normalise("<b>Magang</b>_jepang\nbrp   THN?") == "magang jepang brp thn"


def test_similar_pairs_finds_copies_and_near_copies_only() -> None:
    training = [("nlu", "magang jepang brp thn?"), ("nlu", "biaya [ssw](route) brp"), ("nlu", "apa itu jft basic")]
    held_out = [("h", "Magang Jepang, brp thn"), ("h", "biaya ssw brapa"), ("h", "cara daftar IM Japan")]
    pairs = similar_pairs(held_out, training)
    assert [(p[2], p[4]) for p in pairs] == [
        ("Magang Jepang, brp thn", "magang jepang brp thn?"),
        ("biaya ssw brapa", "biaya [ssw](route) brp"),
    ]
    assert pairs[0][0] == 1.0


def test_every_source_is_read() -> None:
    training = training_texts()
    sources = {where.split()[0] for where, _ in training}
    assert any(s.startswith("nlu/") for s in sources)
    assert any(s.startswith("tests/unit/data/") for s in sources)
    assert any(s.startswith("tests/stories/") for s in sources)
    held_out = {where for where, _ in held_out_texts()}
    assert "tests/eval/guidance_questions.yml" in held_out and "tests/eval/offer_cases.yml" in held_out


def test_the_prefilter_drops_no_leak() -> None:
    """On a slice of the real data, and with a lower threshold for a margin, the fast comparison
    finds exactly what the full one finds."""
    held_out = held_out_texts()[::20]
    training = training_texts()
    assert similar_pairs(held_out, training, threshold=0.7) == similar_pairs(
        held_out, training, threshold=0.7, prefilter=False
    )


def test_no_held_out_item_is_a_copy_or_near_copy_of_training_data() -> None:
    leaks = _leaks()
    # A sealed set's items are never shown, not even here: only which training text is too close.
    listing = "\n".join(
        f"  {ratio:.2f}  {h_where}: {'(sealed)' if '/sealed/' in h_where else repr(h_text)}\n"
        f"        ~ {t_where}: {t_text!r}"
        for ratio, h_where, h_text, t_where, t_text in leaks
    )
    assert not leaks, f"{len(leaks)} held-out item(s) too close to training data:\n{listing}"
