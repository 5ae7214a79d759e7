"""Reading the reporter's answers to the report form: plain functions the form validation calls."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Optional, Sequence, Tuple

from bot.recruitment.money import approximate_idr, parse_money
from bot.recruitment.phone import normalise_phone

SKIPPED = "-"
MIN_STORY_CHARS = 15
MAX_ANSWER_CHARS = 2000

_SKIP = re.compile(
    r"^\s*(?:/?skip|lewati|lewat|lewatin|skip aja|next|lanjut|gak tau|ga tau|gatau|gk tau|tidak tahu|tdk tahu|"
    r"nggak tau|"
    r"ngga tau|"
    r"g tau|gak ada|ga ada|gada|tidak ada|tdk ada|nggak ada|none|no idea|i don'?t know|dont know|don'?t have|"
    r"rather not say|"
    r"n/?a|-+|\.+)\s*[.!]*\s*$",
    re.IGNORECASE,
)
_CORRECTION = re.compile(
    r"^\s*(?:/?correct|ralat|koreksi|salah|salah ketik|ubah jawaban|ganti jawaban|wrong|that'?s wrong|"
    r"fix (?:that|it)|change (?:that|it|my answer))\b",
    re.IGNORECASE,
)
_YES = re.compile(
    r"^\s*(?:/?affirm|yes|ya|iya|iyaa+|y|yup|yep|ok|oke|okey|boleh|bisa|aman|sure|of course|betul|benar|"
    r"setuju|mau|tentu|i am|i'm safe|safe|sip|siap)\b",
    re.IGNORECASE,
)
_NO = re.compile(
    r"^\s*(?:/?deny|no|nope|tidak|tdk|gak|ga|nggak|ngga|enggak|engga|jangan|belum|not|n|bukan|tidak aman|"
    r"gak aman|ga aman|not safe|unsafe)\b",
    re.IGNORECASE,
)
_KINDS = (
    (
        "individual",
        r"individu|perorangan|calo|sponsor|orang|person|broker|agen perorangan|teman|tetangga|saudara|kenalan",
    ),
    ("lpk", r"\blpk\b|lembaga pelatihan|\bso\b|sending org"),
    ("company", r"\bpt\b|perusahaan|company|agency|agensi|p3mi|pjtki"),
    (
        "social_media",
        r"medsos|media sosial|social|facebook|\bfb\b|instagram|\big\b|tiktok|telegram|akun|account|online",
    ),
    ("unknown", r"tidak tahu|gak tau|ga tau|gatau|don'?t know|unknown|lainnya|other"),
)
_PLACES = (
    ("japan", r"jepang|japan|jpn|jpg|nihon|tokyo|osaka|aichi|nagoya|saitama|chiba|ibaraki|kumamoto"),
    (
        "indonesia",
        # The country, home, the administrative words only Indonesian addresses use, the provinces,
        # and the districts most workers going to Japan come from ("cirebon" alone is an answer).
        r"indonesia|indo\b|rumah|kampung|\bkab\b|kabupaten|\bkota\b|\bdesa\b|kecamatan|\bkec\b|"
        r"jakarta|jawa|jabar|jateng|jatim|sumatra|sumatera|sumut|sumbar|sulawesi|kalimantan|papua|maluku|"
        r"aceh|riau|jambi|bengkulu|lampung|banten|yogya|jogja|\bdiy\b|bali|lombok|ntb|ntt|"
        r"bandung|surabaya|semarang|medan|makassar|palembang|bekasi|bogor|depok|tangerang|"
        r"cirebon|indramayu|majalengka|kuningan|cianjur|sukabumi|garut|tasik|karawang|subang|purwakarta|"
        r"brebes|tegal|cilacap|banyumas|kebumen|kendal|\bsolo\b|klaten|boyolali|wonogiri|"
        r"malang|blitar|tulungagung|kediri|ponorogo|madiun|jember|banyuwangi|mataram|sumbawa|kupang",
    ),
    (
        "elsewhere",
        r"negara lain|lain|elsewhere|other|luar negeri|malaysia|taiwan|korea|singapura|singapore|hong ?kong|arab|dubai",
    ),
)


def clean_text(text: Optional[str]) -> str:
    """Trim and bound an answer; control characters are dropped so summaries render safely."""
    text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", " ", text or "")
    return re.sub(r"\s+", " ", text).strip()[:MAX_ANSWER_CHARS]


def is_skip(text: Optional[str]) -> bool:
    return bool(_SKIP.match(text or ""))


def is_correction(text: Optional[str]) -> bool:
    return bool(_CORRECTION.match(text or ""))


def parse_yes_no(text: Optional[str]) -> Optional[bool]:
    text = text or ""
    # "tidak aman" must not be read as a "yes" because it contains "aman".
    if _NO.match(text):
        return False
    if _YES.match(text):
        return True
    return None


def _choose(choices: Sequence[Tuple[str, str]], text: Optional[str]) -> Optional[str]:
    """The first choice whose value is the answer (a button payload) or whose pattern it matches."""
    lowered = (text or "").lower()
    for value, pattern in choices:
        if lowered.strip() == value or re.search(pattern, lowered):
            return value
    return None


def parse_recruiter_kind(text: Optional[str]) -> Optional[str]:
    return _choose(_KINDS, text)


def parse_reporter_location(text: Optional[str]) -> Optional[str]:
    return _choose(_PLACES, text)


_NAMED = re.compile(
    # "namanya pak budi, dia minta…", "nama LPK-nya: Sakura Jaya", "his name is Budi and…"
    r"\b(?:nama(?:nya)?(?:\s+(?:lpk|pt|calo|sponsor|agen|akun(?:\s+(?:fb|facebook|ig|instagram|tiktok|wa))?)(?:\s*-?\s*nya)?)?|name(?:\s+is)?)\b"
    r"\s*(?:adalah|yaitu|itu|is|:|=)?\s*"
    r"(?P<name>[^,.;!?\n]+?)\s*(?=[,.;!?\n]|\s(?:dia|yg|yang|terus|trus|lalu|katanya|and|who|he|she)\b|$)",
    re.IGNORECASE,
)
SHORT_NAME_CHARS = 60


def parse_recruiter_name(text: Optional[str]) -> Optional[str]:
    """Who recruited: the name itself when the answer says "namanya …" in a longer sentence, else the
    answer as written (a short answer is the name; staff read a long one whole), at most 200 characters."""
    answer = clean_text(text)[:200]
    if len(answer) > SHORT_NAME_CHARS or _NAMED.search(answer):
        match = _NAMED.search(answer)
        name = match.group("name").strip() if match else ""
        if re.search(r"[^\W\d_]{2}", name):
            return name[:120]
    return answer or None


def parse_story(text: Optional[str]) -> Optional[str]:
    story = clean_text(text)
    return story if len(story) >= MIN_STORY_CHARS and re.search(r"[^\W\d_]{3}", story) else None


def parse_place_name(text: Optional[str]) -> Optional[str]:
    """A kabupaten/kota name: letters, at least two of them, at most 120 characters."""
    place = clean_text(text)[:120]
    return place if re.search(r"[^\W\d_]{2}", place) else None


def parse_phone_answer(text: Optional[str]) -> Optional[str]:
    return normalise_phone(clean_text(text))


def parse_money_answer(text: Optional[str]) -> Optional[Tuple[str, Optional[Decimal]]]:
    """The answer as written plus the largest amount in rupiah (None when no amount is found)."""
    answer = clean_text(text)[:300]
    amounts = parse_money(answer)
    if not amounts:
        return None
    return answer, max(approximate_idr(m) for m in amounts)
