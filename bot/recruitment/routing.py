"""Does a message describe a concrete offer or situation, so that it must get the offer check?

Measured through the chat, most pasted offers never reached the checker: the intent classifier
sent them to an FAQ answer or even to "goodbye". Whether a message *describes* something (money
asked or paid, a recruiter, a visa claim, documents held, a promised salary or departure,
danger) is a property of its text, not of the intent the classifier guesses, so it is decided
here, from the facts the extractor finds plus a few markers of a concrete case, and the NLU
pipeline routes such messages to the offer check whatever intent was picked.

A general question about a rule ("boleh gak LPK nahan ijazah?") names a topic but no case of
its own: it keeps its answer. The same question about the user's own LPK ("LPK aku nahan
ijazah…, boleh ga?") carries concrete facts: it gets the answer and the check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Tuple

from bot.recruitment.extract import OfferFacts, extract_offer_facts, salary_is_unrealistic
from bot.text_guard import is_question_form

# Facts that are a red flag (or the danger sign) when the text states them.
_FLAG_FACTS = (
    "individual_recruiter",
    "explicitly_unlicensed",
    "wrong_visa",
    "documents_held",
    "test_waived",
    "no_written_contract",
    "deposit_or_penalty",
    "informal_contact_only",
    "fast_departure",
    "trafficking",
    "upfront_payment",
)

# The user, someone close to them, or a recruiter as the actor: the text tells a case.
_CONCRETE = re.compile(
    r"\b(?:aku|aq|ak|ku|saya|sy|gue|gw|gua|ane|kami|kita|kmi|abdi|kuring|aing|kula|inyong|enyong|adik|adek|adikku|anak|anakku|suami|istri|"
    r"temen|teman|temanku|temenku|kakak|kakakku|abang|sepupu|tetangga|ponakan|keponakan|pacar|"
    r"i|i'm|im|i've|ive|me|my|we|our|us|mine|son|daughter|brother|sister|husband|wife|cousin|friend)\b"
    # "LPK-ku", "pasporku", "kontrakku": a possessive -ku (not berlaku, perilaku, selaku, buku…)
    r"|\b(?!(?:berlaku|perilaku|selaku|laku|mengaku|ngaku|buku|waktu|saku|kuku|suku|baku|paku|aku|laku)\b)\w{2,}ku\b"
    r"|\b(?:di|ku)?(?:tawar(?:in|i|kan)|suruh|janji(?:in|kan)|jaminkan)\b"
    r"|\b(?:lpk|pt|agen|agent|calo|sponsor|perusahaan|kantor|dia|mereka|beliau)\w*\s+(?:(?!biasanya|umumnya|sering|usually)\w+\s+)?minta\b"
    r"|\b(?:ditawarin|ditawari|ditawarkan|disuruh|diminta|dimintai|dijanjiin|dijanjikan|dijanjikannya|katanya|nawarin|"
    r"offered|asked me|told me|promised|promises|they said|he said|she said|was told|were told|"
    r"udah bayar|udh bayar|sudah bayar|sdh bayar|dah bayar|paid|transfer(?:red)?|ditransfer|tf|dapet|got|received)\b"
    # what a recruiter said, reported: "agen bilang…", "he says…", Javanese "jarene", Sundanese "saurna"
    r"|\b(?:bilang|blg|ngomong|ngaku|says?|said|claims?|jarene|jare|saurna|cenah)\b"
    # a concrete detail: a span of time ("2 minggu", "3 taun"); amounts of money are facts
    # of their own, so they do not make a cost question ("LPK 25-35 juta ya?") a case
    r"|\b\d+(?:[.,]\d+)?\s*(?:hari|minggu|mgg|bulan|bln|tahun|taun|thn|jam|days?|weeks?|months?|years?|hours?)\b",
    re.IGNORECASE,
)
# A pasted advert or a forwarded chat: its format alone says it is an offer.
_ADVERT = re.compile(
    r"^\s*\[\d{1,2}[.:]\d{2}"  # "[10.31, 2/11/2026] Pak Agus: ..."
    r"|\b(?:lowongan|loker|dibutuhkan|dicari|butuh \d+|needed|wanted|hiring|we are hiring|job vacancy|vacancy|"
    r"open recruitment|rekrutmen|buka pendaftaran|pendaftaran dibuka|promo|job ad|iklan|"
    r"kuota terbatas|slot terbatas|limited (?:slots?|seats?)|fasilitas|benefit|syarat\s*:|requirements?\s*:|"
    r"hubungi|contact us|dm (?:aja|for|untuk)|minat\??\s*(?:dm|hub|wa|chat)|info lengkap|"
    # (?!\w), not \b: some alternatives end in ":" or "?"
    r"daftar sekarang|apply now|segera daftar|buruan)(?!\w)",
    re.IGNORECASE | re.MULTILINE,
)
# "is this legit / wajar ga": the user asks us to judge something they were given.
_JUDGE = re.compile(
    r"\b(?:wajar|masuk akal|aman (?:ga|gak|gk|nggak|ngga|kah|ya|gk|ndak|ora|teu)|aman\?|legit|legal (?:ga|gak|gk|nggak|"
    r"kah)|"
    r"scam|penipuan (?:ga|gak|gk|bukan|kah|ya)|nipu|bener (?:ga|gak|gk|nggak)|beneran (?:ga|gak|gk|nggak)|asli (?:ga|"
    r"gak|gk|nggak)|"
    r"resmi (?:ga|gak|gk|nggak|kah|bukan)|is (?:this|it|that) (?:legit|safe|real|a scam|legal|normal|ok|okay|fine)|"
    r"should i (?:pay|trust|go|accept|take)|reasonable|realistic|sus\b|mencurigakan|curiga|kemahalan|mahal (?:ga|gak|"
    r"gk|"
    r"nggak|banget)|"
    r"sah (?:ga|gak|gk|nggak|kah)|itu sah|is (?:that|it|this) (?:ok|okay|allowed|normal|possible|true)|is it legal|"
    r"mungkin (?:ga|gak|gk|nggak)|beneran bisa|bener bisa|normal (?:ga|gak|gk|nggak)|"
    r"apik ora|iso (?:ta|tah)|piye jal|kumaha atuh|leres teu)(?!\w)",
    re.IGNORECASE,
)
# Who makes the offer, and what an offer is made of: with the user or a recruiter as actor these
# make even a clean offer (no red flag at all) a description to check.
_AGENCY_WORD = re.compile(
    r"\b(?:lpk|so|p3mi|pt|agen|agensi|agency|agent|sponsor|calo|recruiter|perekrut|perusahaan|company|kumiai|"
    r"employer|majikan|jimusho|kantor|office|sending organi[sz]ation)\b",
    re.IGNORECASE,
)
_OFFER_CONTEXT = re.compile(
    r"\b(?:kontrak|contract|perjanjian|gaji|gajinya|salary|biaya|fee|bayar|dibayar|pay|paid|berangkat|budhal|depart\w*|"
    r"visa|paspor|passport|coe|pelatihan|training|dana talangan|talangan|cicilan|instal\w*|interview|wawancara|tes|"
    r"test|"
    r""
    r"kuitansi|receipt|jft|jlpt|izin|licen[cs]e|terdaftar|registered|siskop2mi|kemnaker|tanda ?tangan|ttd|signed?|"
    r"daftar|pendaftaran|dokumen|documents?|ktp|ijazah|diploma|medical|medcek|cek kesehatan|rekening|account)\b",
    re.IGNORECASE,
)
MIN_CLEAN_DESCRIPTION_WORDS = 10


@dataclass(frozen=True)
class OfferSignals:
    """What makes a message a description of an offer or situation."""

    flag_facts: Tuple[str, ...]
    has_money: bool
    has_fee: bool  # money asked or paid, not only a salary
    unrealistic_pay: bool
    has_agency: bool
    has_phone: bool
    concrete: bool
    advert: bool
    asks_judgement: bool
    offer_context: int  # how many words of an offer (contract, fee, visa, training…) it uses
    names_recruiter: bool  # an LPK, agency, company or recruiter is part of it
    question_form: bool
    words: int

    @property
    def evidence(self) -> int:
        """How many kinds of offer facts the text carries."""
        return len(self.flag_facts) + self.has_money + self.has_agency + self.has_phone


def offer_signals(text: str, facts: OfferFacts) -> OfferSignals:
    text = text or ""
    return OfferSignals(
        flag_facts=tuple(name for name in _FLAG_FACTS if getattr(facts, name)),
        has_money=bool(facts.fees or facts.salaries),
        has_fee=bool(facts.fees),
        unrealistic_pay=salary_is_unrealistic(facts),
        has_agency=bool(facts.agencies),
        has_phone=bool(facts.phones),
        concrete=bool(_CONCRETE.search(text)),
        advert=bool(_ADVERT.search(text)),
        asks_judgement=bool(_JUDGE.search(text)),
        offer_context=len({m.group(0).lower() for m in _OFFER_CONTEXT.finditer(text)}),
        names_recruiter=bool(_AGENCY_WORD.search(text)) or bool(facts.agencies),
        # A question ("How can I check an LPK?") asks about a topic; a clean offer is told as statements.
        question_form=is_question_form(text),
        words=len(text.split()),
    )


def describes_offer(signals: OfferSignals) -> bool:
    """True when the text tells a concrete offer or situation (the offer check must run).

    * Danger signs always count: the check answers them with the emergency contacts first.
    * Otherwise some offer fact is needed, plus something that makes it a case rather than a
      topic: the user or a recruiter as actor, the format of an advert or forwarded chat, a
      request to judge it, or several facts at once (a rambling description rarely has none).
    """
    if "trafficking" in signals.flag_facts:
        return True
    if signals.evidence == 0:
        return _clean_offer(signals)
    if signals.advert and (signals.has_money or signals.has_phone or signals.flag_facts):
        return True
    if signals.flag_facts and signals.evidence >= 2 and signals.words >= 6:
        return True
    if signals.concrete and (signals.flag_facts or signals.has_money or signals.has_agency):
        return True
    # "is it true the allowance is only 100,000 yen?" asks about a rule; "gaji 30jt sebulan
    # masuk akal ga?" or "LPK minta 62 juta, wajar?" asks to judge an offer.
    if signals.asks_judgement and (
        signals.has_fee or signals.unrealistic_pay or signals.flag_facts or signals.has_agency or signals.has_phone
    ):
        return True
    return (signals.has_phone and signals.words >= 6) or _clean_offer(signals)


def _clean_offer(signals: OfferSignals) -> bool:
    """A clean offer has no red flag to find: it is a case when an advert, or the user telling
    (not asking) what a recruiter offered them, has the parts an offer is made of (a contract, a
    fee, a visa, training…)."""
    if signals.advert and signals.offer_context >= 2:
        return True
    if signals.words < MIN_CLEAN_DESCRIPTION_WORDS or (signals.question_form and not signals.asks_judgement):
        return False
    if signals.names_recruiter and signals.offer_context >= 4 and signals.words >= 15:
        return True  # an offer told like an advert, without the user in it
    return signals.concrete and ((signals.names_recruiter and signals.offer_context >= 2) or signals.offer_context >= 4)


MIN_GENERAL_QUESTION_WORDS = 6


def asks_about_offers(signals: OfferSignals) -> bool:
    """A question about offers in general ("gimana cara tau tawaran kerja itu penipuan?"): long
    enough to be more than "cek tawaran dong", asked as a question, and describing nothing."""
    return signals.question_form and signals.words >= MIN_GENERAL_QUESTION_WORDS and not describes_offer(signals)


# Intents whose meaning the offer check replaces: nothing in them answers a described case.
# Knowledge intents are kept as the "question" so that the rule's answer is given with the check.
NEVER_ROUTED = frozenset(
    {
        "check_offer",
        "report_recruiter",
        "check_report_status",
        "emergency_help",
        "cancel",
        "skip",
        "correct",
        "set_language",
        "ask_source",
        "non_text",
        # "tolong hapus semua chat aku" reads like a case ("chat" is a contact channel, "aku" an actor).
        "erase_my_data",
    }
)


def route_to_offer_check(intent: Optional[str], signals: OfferSignals) -> bool:
    """Whether the NLU should send this message to the offer check instead of ``intent``.

    Report requests, status checks and emergencies keep their own flows: those flows take the
    story (and run the check) themselves. Form answers ("skip", "ralat") are never re-routed.
    """
    if intent in NEVER_ROUTED:
        return False
    return describes_offer(signals)


# "mau lapor calo", "I want to report a recruiter": the request itself is not yet a story.
_REPORT_REQUEST = re.compile(
    r"\b(?:(?:aku|saya|sy|aq|gue|gw|i)\s+)?(?:mau|pengen|pengin|ingin|mo|pgn|want to|wanna|would like to|need to)?\s*"
    r"(?:lapor(?:in|kan|an)?|melapor(?:kan)?|ngadu(?:in)?|mengadu(?:kan)?|adu(?:an|in)?|report(?:ing)?|complain)\b"
    r"(?:\s+(?:calo|agen|agency|recruiter|perekrut|penipuan|penipu|lpk|sponsor|scam|a scam|this|ini|itu|dong|ya|kak|"
    r"min))*",
    re.IGNORECASE,
)
MIN_STORY_WORDS = 5


def tells_story(text: str) -> bool:
    """A report request that already says what happened ("mau lapor, udah bayar 30jt ke sponsor
    tapi ga berangkat"): what is left once the request words are removed describes a case."""
    rest = _REPORT_REQUEST.sub(" ", text or "")
    if len(rest.split()) < MIN_STORY_WORDS:
        return False
    return describes_offer(offer_signals(rest, extract_offer_facts(rest)))
