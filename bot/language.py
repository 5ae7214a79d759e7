"""Which language a user writes in: Indonesian ("id") or English ("en").

Users write short, informal, abbreviated messages, so a real language-ID model would guess
on too little evidence. Instead we count marker words (including the abbreviations these users
type) and only call a language when the evidence is clear; otherwise the caller keeps the
language the conversation already has.
"""

from __future__ import annotations

import re
from typing import Optional

SUPPORTED_LANGUAGES = ("id", "en")

_INDONESIAN_MARKERS = frozenset(
    """
    apa apaan apakah aja ajah ada adalah agar akan aku anak atau bagaimana bagi bahasa bang banget
    bapak baru bayar belum benar berapa berangkat bisa biaya boleh bu buat bulan cara cari cek cewe
    cewek cowo cowok dan dapat dari daftar dengan di dia dimana disana dong dulu enggak engga gaji
    gak ga gimana gitu gmn gw gue gua hari harus ini itu iya jadi jangan juga jd ka kak kalau kalo
    kami kamu kan karena kasih ke kenapa kerja ketik kok krj kyk lagi lah lama lewat lulusan lwt
    mana masih mau mas mba mbak min minta mohon nggak ngga nih nya orang pake pakai para perlu pt
    punya sama saja saya sbg sdh sebagai sekarang sy sudah syarat tahun taun tdk tau tentang terima
    tersebut thn tidak tolong tp tapi udah untuk utk wajib ya yang yg brp bgmn dgn krn blm gk apa2
    makasih mksh trims halo hallo selamat pagi siang sore malam terimakasih kah
    lho loh nanya tanya info gmna brapa berapakah bnyk banyak bahasanya indonesia
    """.split()
)

_ENGLISH_MARKERS = frozenset(
    """
    a about after am an and any are as at be been bring can could do does for from get go going
    have having he hello help her his how i if in is it its just me more much my need needs no
    not of on or our please should so than thank thanks that the their them then there these they
    this to up us want was we what when where which who why will with without would you your
    yes hi hey many much long old cost costs fee fees salary job jobs work working apply english
    family requirement requirements allowed allow official number contact get got
    delete erase remove wipe messages conversation history
    """.split()
)

_WORD = re.compile(r"[a-z]+(?:2)?", re.IGNORECASE)

# A single marker word ("ok", "visa") is not enough to switch a conversation's language.
_MIN_MARGIN = 2


def detect_language(text: Optional[str]) -> Optional[str]:
    """Return "id" or "en" when the text clearly is that language, else None."""
    if not text or text.startswith("/"):
        # "/intent" payloads come from buttons, not from the user's own words.
        return None
    words = _WORD.findall(text.lower())
    if not words:
        return None
    indonesian = sum(1 for word in words if word in _INDONESIAN_MARKERS)
    english = sum(1 for word in words if word in _ENGLISH_MARKERS)
    # Indonesian suffixes on otherwise unknown words ("biayanya", "daftarnya", "kerjain").
    indonesian += sum(
        1
        for word in words
        if word not in _INDONESIAN_MARKERS
        and len(word) > 4
        and word.endswith(("nya", "kah", "lah", "in"))
        and word not in _ENGLISH_MARKERS
        and not word.endswith(("ing", "tion"))
    )
    if indonesian - english >= _MIN_MARGIN or (indonesian >= 1 and english == 0 and len(words) <= 2):
        return "id"
    if english - indonesian >= _MIN_MARGIN or (english >= 1 and indonesian == 0 and len(words) <= 2):
        return "en"
    return None
