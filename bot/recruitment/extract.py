"""Facts about a job offer, pulled out of the free text a user writes.

Users describe offers in informal Indonesian, Javanese, Sundanese or English, paste adverts and
forward WhatsApp chats ("[10.31, 2/11/2026] Pak Agus: setor 15jt ke bendahara ya"). Each fact is
found by small, readable patterns over the lower-cased text, plus the money and phone parsers; the
risk rules (bot.recruitment.risk) decide what the facts mean. Patterns are deliberately explicit
lists so reviewers can read them.

Speed: this runs on every chat message. Every phrase list is matched against the lower-cased text
and anchored at the start of a word (see ``_words``), which lets the regex engine skip most
positions and keeps a 300-character message well under a millisecond.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Dict, List, Optional, Pattern, Tuple

from bot.recruitment.money import Money, approximate_idr, parse_money
from bot.recruitment.phone import find_phones

_ESCAPES = re.compile(r"\\.")


def _words(*patterns: str) -> Pattern[str]:
    """Phrases that begin at the start of a word, for the lower-cased text.

    The anchor keeps "belum kontrak" from matching inside "sebelum kontrak" and "ga bisa keluar"
    inside "juga bisa keluar", and it is what makes dozens of patterns per message cheap. Because
    the text is lower-cased first, a pattern with a capital letter could never match: refuse it.
    """
    pattern = "|".join(f"(?:{p})" for p in patterns)
    if re.search(r"[A-Z]", _ESCAPES.sub("", pattern)):
        raise ValueError(f"patterns are matched on lower-cased text, write them in lower case: {pattern[:80]}")
    return re.compile(rf"(?=\w)\b(?:{pattern})")


def _lower(text: str) -> str:
    """Lower-case without moving any character, so spans found here fit the original text too."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    # A few characters ("İ") grow when lower-cased; keep those as they are.
    return "".join(ch if len(ch.lower()) != 1 else ch.lower() for ch in text)


# --- Money: pay or fee? -------------------------------------------------------------------------

# Words that make an amount pay rather than a fee, when they sit just before it on the same line.
_SALARY_CONTEXT = re.compile(
    _words(
        r"gaji\w*",
        r"gajih",
        r"salary",
        r"upah",
        r"wages?",
        r"penghasilan",
        r"income",
        r"earn\w*",
        r"per ?bulan",
        r"perbulan",
        r"sebulan",
        r"a month",
        r"monthly",
        r"per month",
        r"take home",
        r"bersih",
    ).pattern
    + r"|/ ?(?:bln|bulan|month|mo)\b"
)
# Words that make an amount a fee. When one of them is closer to the amount than any salary word
# ("gaji 20jt, biaya 60jt"), the amount is the fee.
_FEE_CONTEXT = _words(
    r"biaya\w*",
    r"fees?",
    r"costs?",
    r"ongkos",
    r"dp",
    r"uang (?:pendaftaran|admin\w*|pangkal|muka|jaminan)",
    r"harga",
    r"price",
    r"charges?",
    r"tarif",
    r"bayar\w*",
    r"setor\w*",
    r"transfer\w*",
    r"tf",
    r"program",
)
_PER_MONTH_AFTER = re.compile(r"\s*(?:/|per|se|a )\s*(?:bln|bulan|month|mo)\b|\s*sebulan|\s*(?:a|per) month")
# "20-30jt/bulan": the two ends of one range are both pay (or both a fee).
_RANGE_BETWEEN = re.compile(r"[^\S\n]*(?:-|–|—|~|s/d|sd|sampai|sampe|hingga|to)[^\S\n]*")

# An amount in a sentence about a penalty, a deposit, forced savings or a ransom is judged by its
# own flag ("denda 30jt kalau kabur" is deposit_or_penalty, "100 man yen" that a family must pay
# is no programme fee).
_PENALTY_CONTEXT = _words(
    r"denda",
    r"didenda",
    r"penalt",
    r"fine[sd]?\b",
    r"ganti rugi",
    r"pinalti",
    r"jaminan",
    r"deposit",
    r"ikatan",
    r"kabur",
    r"run away",
    r"quit",
    r"mundur",
    r"undur",
    r"resign",
    r"compensation",
    r"utang",
    r"hutang",
    r"debt",
    r"hangus",
    r"forfeit",
    r"tebusan",
    r"nebus",
    r"menebus",
    r"ransom",
    r"tabungan",
    r"savings",
    r"chokin",
    r"collateral",
    r"bond",
)

# --- Who recruits ---------------------------------------------------------------------------------

_HONORIFIC = r"(?:pak|bu|bapak|ibu|kang|teh|teteh|mas|mbak|mba|bang|abang|om|tante|mr|mrs|ms|miss|ustadz|ustad|sensei)"
_SOCIAL_MEDIA = r"(?:fb|facebook|ig|instagram|tiktok|medsos|sosmed|social media|telegram|twitter|linkedin|grup|group)"
_INDIVIDUAL_RECRUITER = _words(
    r"calo(?:nya|ku|mu)?\b",
    r"sponsor(?:nya|ku|mu)?\b",
    r"broker\b",
    r"middle ?man\b",
    r"perorangan\b",
    r"oknum\b",
    r"tekong\b",
    r"agen (?:perorangan|pribadi|freelance)\b",
    r"individual (?:agent|recruiter)\b",
    r"makelar\b",
    r"freelance (?:agent|recruiter)",
    r"ngaku(?:nya)? (?:jadi )?(?:agen|sponsor)",
    r"claims? to be an? (?:agent|recruiter)",
    r"inside (?:people|person|man)",
    r"orang dalam",
    r"(?:recruiter|perekrut|agen|agent|calo|sponsor)\w*,?\s+(?:mr|mrs|ms|pak|bu|mas|mbak|bang)\.?\s+[a-z]",
    r"(?:pak|bu|mas|mbak|bang|mr|mrs|ms)\.?\s+[a-z]+\s+(?:yg|yang|who)\s+(?:ngurus|urus|berangkatin|brangkatin|handles?|recruited|sent)",
    r"(?:paid|pay|(?:di|mem)?bayar|transfer|tf)\w*\s+(?:\S+\s+){0,3}(?:ke|to)\s+(?:mr|mrs|ms|pak|bu|mas|mbak|bang)\.?\s+[a-z]",
    r"(?:pak|bu) rt\b",
    r"guru ngaji",
    r"jalur khusus",
    r"special (?:route|channel|path)",
    r"ngaku(?:nya)? punya (?:link|jalur|kenalan|koneksi|orang)",
    r"punya (?:link|koneksi) (?:perusahaan|pabrik|di)",
    r"(?:he|she) (?:say|says|said|claims?) (?:he|she) (?:is|was) (?:an? )?(?:recruiter|agent)",
    r"personally (?:will )?handle",
    # "someone on tiktok says he is an agent"
    r"(?:says?|said|claims?)\s+(?:he|she)\s+(?:is|was|'s)\s+(?:an?\s+)?(?:agent|recruiter)\b",
    r"(?:ex[- ]?trainee|alumni|alumnus|mantan (?:peserta|magang|tki|pmi))\w*[^.?!\n]{0,40}(?:recruit|rekrut|"
    r"berangkatin|bantu berangkat|bisa bantu|ngajak)",
    r"the agent (?:lady|woman|man|guy)\b",
    r"(?:ibu|bapak|mas|mbak) agen\b",
    r"agen (?:cewek|cowok|perempuan|laki)",
    r"(?:pak|bu|mr|mrs|ms|mas|mbak|bang)\.?\s+[a-z]+,?\s+(?:\w+\s+)?(?:agen|agent|calo|sponsor|recruiter)\b",
    r"(?:pak|bu|ibu2|bapak2|pak kadus|pak kades|pak lurah)\s*(?:\w+\s+){0,3}(?:ngumpulin|kumpulin|ngirim|mengirim|"
    r"dikirim)",
    r"pak (?:kadus|kades|lurah|camat)\b",
    # A recruiter met on social media is a person, not a licensed body ("agent on facebook",
    # "recruiter instagram", "Met an agent on Instagram").
    rf"(?:agen|agent|recruiter|rekruter|perekrut|sponsor|makelar)\w*\s+(?:\w+\s+){{0,3}}(?:di|on|from|dari|dr|lewat|lwt|via|in)\s+{_SOCIAL_MEDIA}\b",
    rf"{_SOCIAL_MEDIA}\s+(?:agent|agen|recruiter|perekrut|sponsor)\b",
    rf"(?:agen|agent|recruiter|perekrut)\s+{_SOCIAL_MEDIA}\b",
    # "orangnya freelance aja", "bukan dari LPK": a freelancer outside any licensed body.
    r"freelance\w*\s+(?:aja|saja|doang|kok|lho|only)\b",
    r"(?:orangnya|dia|beliau|he|she|he'?s|she'?s|cuma|hanya|just)\s+(?:\w+\s+)?freelance",
    r"bukan\s+(?:dari|dr|orang|org|pegawai|karyawan|staf|staff|anggota)\s+(?:\w+\s+)?(?:lpk|pt|p3mi|agensi|agency|perusahaan)\b",
    r"not (?:from|with|part of|working for) (?:an?|any|the)\s+(?:\w+\s+)?(?:lpk|agency|company|p3mi)\b",
)
# Someone who only advised the user ("cuma ngasih saran", "she is not the recruiter") is not a recruiter.
_ONLY_ADVICE = _words(
    r"(?:cuma|hanya|just|only)\s+(?:ngasih\s+|kasih\s+|gave\s+|give\s+)?(?:saran|advice|advised|recommend\w*|info)",
    r"(?:not|bukan)\s+(?:the\s+)?(?:recruiter|perekrut|agen|agent)",
    r"recommended\b",
    r"warned\b",
    r"warn me\b",
    r"ngingetin",
    r"mengingatkan",
    r"nasehatin",
    r"nasihatin",
)
# A recruiter word in a warning or a general question ("ciri2 calo", "warned me about brokers") is no claim.
_NEGATED_BEFORE = re.compile(
    r"(?:jangan|jgn|jgan|bukan|tanpa|not|never|avoid|hindari|don'?t|dont|ciri\S*|about|tentang|soal|waspada|"
    r"hati[- ]?hati|"
    r"beware(?: of)?|warned(?: me)?(?: about)?|hindarin)\s+(?:\w+\s+){0,3}$",
)
# "no fee to any calo/broker", "ga ada biaya ke calo", "gak lewat sponsor": money or a route that is
# ruled out. Kept apart from _NEGATED_BEFORE: a bare "no"/"ga" is too common ("no idea if the sponsor…").
_NO_MONEY_OR_ROUTE_BEFORE = re.compile(
    r"\b(?:no|ga|gak|gk|tidak|tdk|nggak|ngga|ora|teu|gada|gaada|without|tanpa|never)\s+(?:ada\s+|any\s+)?"
    r"(?:fees?|biaya|payments?|money|uang|duit|bayar|pay|paid|potongan|setoran|komisi|commission|lewat|lwt|melalui|via|through|pakai|pake)\b"
    r"[^.?!\n]{0,25}$"
)
# Relatives and acquaintances only count when they are the ones offering or collecting money.
_ACQUAINTANCE = (
    r"(?:te?me?n|kenalan|tetangga|sodara|saudara|sepupu|ipar|paklik|bulik|om|tante|paman|bibi|pakde|bude|kakak|abang|ibu|bapak|"
    r"friend|neighbou?r|cousin|uncle|aunt|relative|a guy|someone|some guy|some lady|a lady|a man|a woman|brother|"
    r"sister)"
)
_OFFER_VERB = (
    r"(?:nawar|tawar|ngajak|ajak|berangkatin|brangkatin|urus|ngurus|janji|bawa|rekrut|recruit|offer|promis|"
    r"says? i can|said i can|says? he can|says? she can|can get me|get me into|told me|can send|will send|"
    r"arrang|minta|asks?|asked|bayar|transfer|pay|bilang (?:bisa|bs)|bisa masukin|bs masukin|masukin|nyariin|cariin|"
    r"carikan|"
    r"find me|get me a job|nyelipin|selipin|blg (?:\w+\s+)?(?:bisa|bs)|bilang (?:\w+\s+)?(?:bisa|bs)|ngurusin|"
    r"nawarin|offered)"
)
# Verbs also come with a prefix ("ditawarin", "diajak", "mentransfer"): phrases match at word starts.
_OFFER_VERB = rf"(?:di|me|mem|men|meng|menge)?{_OFFER_VERB}"
_ACQUAINTANCE_RECRUITING = _words(
    rf"{_ACQUAINTANCE}\w*[^.?!\n]{{0,40}}\b{_OFFER_VERB}",
    rf"{_OFFER_VERB}\w*[^.?!\n]{{0,25}}\b(?:sama|sm|by|from|dari|dr|lewat|via|ke|to)\s+(?:\w+\s+){{0,2}}{_ACQUAINTANCE}",
    rf"(?:di)?(?:tawar|nawar)\w*\s+{_ACQUAINTANCE}",
    r"calls? (?:himself|herself) (?:an? )?(?:agent|agen|sponsor|recruiter)",
    r"(?:agen|agent)\s+(?:\w+\s+){0,2}(?:pak|bu|mas|mbak|bang|mr|mrs|ms)\b",
    r"(?:gak|ga|gk|tidak|tdk|nggak|bukan|not)\s+(?:lewat|lwt|via|through)\s+(?:lpk|pt|agen|agency|so|p3mi)",
)
# A forwarded chat line, "[10.31, 2/11/2026] Pak Agus: …" or just "Kang Dadan: …" at the start of a line.
_CHAT_LINE = re.compile(
    r"^[ \t]*(?:\[[^\]\n]{3,40}\][ \t]*)?(?P<sender>[^:\n\[\]]{2,40}?)[ \t]*:[ \t]*(?P<message>[^\n]+)", re.MULTILINE
)
# The sender is a person: an honorific and a name ("Pak Agus", "Kang Dadan", "Mr Hiroshi Recruit").
_PERSON_SENDER = re.compile(rf"{_HONORIFIC}\.?\s+[a-z][\w.'-]*(?:\s+[\w.'-]+){{0,2}}$")
# A sender or message naming an organisation is someone's staff or a forwarded advert, not a freelancer.
# ("SO" is left out: lower-cased it is the English "so".)
_ORGANISATION = _words(
    r"lpk\b",
    r"pt\b",
    r"cv\b",
    r"p3mi\b",
    r"yayasan",
    r"admin\b",
    r"cs\b",
    r"official",
    r"kantor",
    r"office",
    r"company",
    r"perusahaan",
    r"disnaker",
    r"bp2mi",
    r"kp2mi",
    r"kemnaker",
    r"im japan",
)
# ... and the message asks for money or is about the job: it is the offer itself.
_CHAT_ASKS_MONEY = _words(
    r"(?:di|mem)?bayar",
    r"mayar",
    r"mbayar",
    r"transfer\w*",
    r"tf\b",
    r"setor\w*",
    r"biaya\w*",
    r"dp\b",
    r"siapin",
    r"siapkan",
    r"fees?\b",
    r"pay\b",
    r"uang muka",
    r"lowongan",
    r"loker",
    r"gaji\w*",
    r"salary",
    r"send\b",
    r"kirim(?:in)?\b",
    r"visa\b",
    r"job\b",
    r"kerja\b",
    r"berangkat\w*",
)

_EXPLICITLY_UNLICENSED = _words(
    r"(?:tidak|tdk|gak|ga|nggak|ngga|kaga|kagak|belum|blm|tanpa|bukan|not|no|isn'?t|without)\s+(?:ada\s+|punya\s+|a\s+)?"
    r"(?:izin|ijin|terdaftar|resmi|licen[cs]e|licensed|registered|legal|so\b)",
    r"unregistered\b",
    r"unlicensed\b",
    r"ilegal\b",
    r"illegal\b",
    r"bodong\b",
    r"abal[- ]?abal\b",
    r"(?:gak|ga|tidak|tdk|nggak|not)\s+(?:ada\s+)?(?:di|in|on)\s+(?:the\s+)?(?:\w+\s+)?(?:daftar|list|situs|website|siskop2mi|kemnaker|registry)",
    # "izin LPK tmpt aku daftar udh mati"
    r"izin\w*\s+(?:\w+\s+){0,5}(?:dicabut|habis|mati|kadaluarsa|kedaluwarsa|expired)",
    r"licen[cs]e\w*\s+(?:\w+\s+){0,3}(?:expired|revoked|in process|pending|suspended)",
)
_WRONG_VISA = _words(
    r"visa\s*(?:turis|wisata|kunjungan|visit|pelajar|student|belajar|sekolah|waiver|liburan|pariwisata|"
    r"jalan[- ]?jalan)",
    r"(?:tourist|visit(?:or)?|student|study|language[- ]school|holiday)\s*visa",
    r"visa[- ]?free",
    r"bebas\s*visa",
    r"waiver\b",
    r"e-?paspor\s*(?:aja|saja|only)",
    r"sekolah bahasa[^.?!\n]{0,40}(?:kerja|full ?time|sambil)",
    r"(?:language school|study)[^.?!\n]{0,40}(?:work|job)",
)

# --- Documents -------------------------------------------------------------------------------------

_DOCUMENT = (
    r"(?:paspor|pasport|passport|ijazah|ijasah|diploma|zairyu|residence card|kartu (?:tinggal|izin tinggal|zairyu)|"
    r"ktp asli|akta|dokumen asli|original documents?|sertifikat asli|kk asli|kartu keluarga|buku nikah|"
    r"birth certificate|family card|originals|skck asli|akta kelahiran asli|bpkb|sertifikat (?:tanah|rumah))"
)
# Documents that are originals by nature, or said to be ("ijazah asli", "original diploma"); a copy
# or scan of them is harmless ("kirim scan ijazah").
_ORIGINAL_DOCUMENT = (
    r"(?:paspor|pasport|passport|zairyu\w*(?: card)?|kartu zairyu|residence cards?|bpkb|"
    r"(?:ijazah|ijasah|diploma|ktp|kk|kartu keluarga|family card|akta\w*(?: kelahiran)?|birth certificate|sertifikat|"
    r"buku nikah|skck|transkrip)\w*\s+(?:\w+\s+)?(?:asli|original)|"
    r"original\s+(?:\w+\s+)?(?:ijazah|diploma|ktp|id card|kk|family card|birth certificate|certificates?|documents?|"
    r"passport)|"
    r"dokumen asli|originals)"
)
_NOT_A_COPY = r"(?:(?!scan|foto|photo|copy|fotokopi|fotocopy|fc\b|salinan|soft ?copy)\w+\s+){0,3}"
_HOLD = (
    r"(?:ditahan|ditahen|disimpan|dipegang|diambil|dititip|dititipkan|disita|dikumpulin|dikumpulkan|nahan|menahan|nyimpen|"
    r"nyimpan|menyimpan|megang|memegang|ngambil|mengambil|nyita|menyita|dibawa|deposited|dititipin|disimpen|disimpenin|"
    r"tahan|simpan|pegang|ambil|kept|held|taken|took|take|keep|keeps|hold|holds|confiscat\w*|seized|collect\w*)"
)
_DOCUMENT_HOLDER = (
    r"(?:manager|company|office|kantor|jimusho|boss|bos|agen|agent|agency|lpk|sponsor|majikan|employer|perusahaan|"
    r"mandor|supervisor|broker|calo|recruiter)"
)
_DOCUMENT_RETENTION = _words(
    rf"(?:ogah|gak mau|ga mau|tidak mau|nggak mau|won'?t|wont|refus\w*(?: to)?)\s+(?:\w+\s+)?(?:balikin|kembaliin|"
    rf"ngembaliin|"
    rf"mengembalikan|return|give back)\w*(?:\s+(?:\w+\s+){{0,2}}{_DOCUMENT})?",
    rf"(?:leave|left|tinggalin|ninggalin)\w*\s+(?:\w+\s+){{0,3}}{_DOCUMENT}",
    rf"{_DOCUMENT}\w*\s+(?:\w+\s+){{0,5}}(?:ditinggal\w*|with them|di kantor)",
    rf"{_DOCUMENT}\w*[^.?!\n]{{0,35}}\b{_HOLD}",
    rf"{_HOLD}\w*[^.?!\n]{{0,25}}{_DOCUMENT}",
    # Originals handed over or posted to the sponsor ("serahin ijazah asli", "kirim ... asli lewat JNE",
    # "titip zairyu card ke jimusho"), also in the passive ("KTP asli dikirim ke sponsor").
    rf"(?:serahin|serahkan|nyerahin|menyerahkan|kumpulin|kumpulkan|ngumpulin|setorin|nyetor|kirim|kirimin|ngirim|mengirim|"
    rf"titip|nitip|titipin|hand(?:ed)? (?:over|in)|submit\w*|send|sent|post|mail|"
    rf"courier)\w*\s+{_NOT_A_COPY}{_ORIGINAL_DOCUMENT}"
    r"(?!\w*\s+(?:scan|copy|foto|photo|fotokopi|fc)\b)",  # "send your passport scan" sends a picture
    rf"{_ORIGINAL_DOCUMENT}[^.?!\n]{{0,40}}\b(?:dikirim|diserahkan|diserahin|dikumpul\w*|disetor\w*|handed (?:over|in)|"
    rf"sent|posted|mailed)",
    # "passport stays with the manager", "paspor tetap di kantor LPK"
    rf"{_DOCUMENT}\w*\s+(?:\w+\s+){{0,2}}(?:stays?|remains?|tetap|tinggal|disimpan|disimpen)\s+(?:\w+\s+){{0,2}}(?:with|at|in|di|sama|sm|ke)\s+"
    rf"(?:the\s+|our\s+|their\s+)?(?:\w+\s+)?{_DOCUMENT_HOLDER}",
    # "the broker still has my passport"
    rf"(?:has|have|had|holding)\s+(?:my|our|his|her|their|all our|all my)\s+{_DOCUMENT}",
    # Documents held as collateral ("BPKB motor sebagai jaminan", "diploma as collateral")
    rf"{_DOCUMENT}\w*[^.?!\n]{{0,50}}\b(?:sebagai|buat|untuk|jadi|dijadiin|dijadikan|jadiin|as)\s+(?:a\s+)?(?:jaminan|guarantee|collateral|agunan)",
    rf"(?:jaminan|collateral|agunan)\s+(?:berupa\s+)?{_DOCUMENT}",
    # A ransom to get a document back ("minta tebusan 3jt buat balikin paspor")
    rf"(?:tebusan|nebus|menebus|ransom)\w*[^.?!\n]{{0,40}}{_DOCUMENT}",
    rf"{_DOCUMENT}\w*[^.?!\n]{{0,60}}\b(?:tebusan|nebus|menebus|ransom)",
)
# The user keeps the document ("paspor pegang sendiri", "I keep my passport myself").
_DOCUMENT_RETURNED = _words(
    rf"{_DOCUMENT}\w*[^.?!\n]{{0,25}}(?:dipegang sendiri|pegang sendiri|tetap (?:aku|saya)|i keep|kept by me|with me)",
    rf"(?:i|aku|saya|gue|gw|we|kami|kita)\s+(?:still\s+|masih\s+|tetap\s+|tetep\s+|always\s+)?(?:keep|kept|hold|have|pegang|megang|"
    rf"nyimpen|nyimpan|simpan|bawa|carry)\s+(?:\w+\s+){{0,2}}{_DOCUMENT}",
    rf"{_DOCUMENT}\w*\s+(?:\w+\s+){{0,3}}(?:myself|ourselves)",
)
# Only a copy was asked for ("cuma fotokopi ijazah, bukan yang asli", "a photocopy of my diploma, not the original").
_COPY_ONLY = _words(
    r"(?:bukan|not|instead of)\s+(?:yang\s+|yg\s+|the\s+|my\s+)?(?:asli(?:nya)?|originals?)\b",
    r"(?<!bukan )(?<!not )(?:cuma|cm|hanya|only|just)\s+(?:need\s+|needs\s+|perlu\s+|minta\s+|asked for\s+)?(?:an?\s+)?"
    r"(?:fotokopi\w*|fotocopy|photocop\w*|copy|copies|scan\w*|salinan)",
)
_DOCUMENT_NEAR = re.compile(_DOCUMENT)
# The employer holds the passport or residence card. On its own that is document_retention; with a
# penalty or deposit for leaving as well the worker cannot get away (two ILO forced-labour
# indicators together), which is a trafficking sign.
_EMPLOYER = r"(?:bos|boss|majikan|employer|company|perusahaan|pabrik|supervisor|manager|pengawas|mandor)"
_DOCUMENT_HELD_BY_EMPLOYER = _words(
    rf"{_DOCUMENT}\w*[^.?!\n]{{0,40}}\b{_HOLD}\w*[^.?!\n]{{0,20}}{_EMPLOYER}",
    rf"{_EMPLOYER}\w*[^.?!\n]{{0,40}}\b{_HOLD}\w*[^.?!\n]{{0,30}}{_DOCUMENT}",
)

# --- Tests, contract, deposits, contact, departure -----------------------------------------------

_NEG = r"(?:tanpa|gak|ga|gk|nggak|ngga|tidak|tdk|ora|ndak|mboten|teu|henteu|no|not|don'?t|dont|doesn'?t|without|skip)"
_TEST_WAIVED = _words(
    # ("ga lulus tes", "teu acan tes": the user's own result so far, not a waiver)
    rf"{_NEG}\s+(?:perlu\s+|usah\s+|kudu\s+|kedah\s+|butuh\s+|need\s+|needed\s+|required\s+|ada\s+|any\s+|a\s+|take\s+|the\s+|"
    r"have to sit\s+|have to take\s+|to sit\s+)?(?:(?!lulus|lolos|pass|acan|sempat|sempet)\w+\s+)?(?:tes|test|ujian|"
    r"exam|jlpt|jft|skill test)",
    r"(?:gausah|gaperlu|rausah)\s+(?:\w+\s+)?(?:tes|test|ujian|exam|jlpt|jft)",
    r"(?:arrange|urus|beli|buy|atur)\w*\s+(?:\w+\s+){0,2}(?:jft|jlpt|sertifikat|certificate|skill)",
    r"(?:sertifikat|certificate)\w*[^.?!\n]{0,25}(?:bs|bisa|can be)\s+(?:diatur|diurus|dibeli)",
    r"(?:tes|test|ujian|exam|jlpt|jft|bahasa|language)[^.?!\n]{0,20}(?:gak|ga|tidak|tdk|nggak|not|no)\s+(?:perlu|usah|needed|required|wajib|necessary)",
    r"(?:sertifikat|sertipikat|certificate|jlpt|jft|n4|n3)\w*[^.?!\n]{0,25}(?:bisa|dapat|can be|could be|will be)?\s*"
    r"(?:diurus|diuruskan|dibeli|dibeliin|dibuatin|dibuatkan|beli|bought|arranged|bought|purchased|fixed|faked)",
    r"(?:beli|buy|nembak|tembak)\s+(?:\w+\s+)?(?:sertifikat|certificate|jlpt|jft)",
    r"(?:gak|ga|gk|nggak|tidak|tdk|no|don'?t|dont|doesn'?t)\s+(?:perlu|usah|need|needs|have)\s+(?:to\s+)?(?:bisa\s+|speak\s+|know\s+|learn\s+)?"
    r"(?:bahasa|bhs|japanese|nihongo|jepang)",
    r"(?:dijamin|pasti|guaranteed?)\s+lulus",
    r"guaranteed? (?:to )?pass",
    # "teu kedah kursus basa", "ora usah sinau boso": no language course needed
    rf"{_NEG}\s+(?:perlu\s+|usah\s+|kudu\s+|kedah\s+|need\s+to\s+|have\s+to\s+)?(?:kursus|les|belajar|diajar|sinau|study|learn)\s+(?:\w+\s+)?"
    r"(?:bahasa|basa|boso|bhs|japanese|nihongo|jepang)",
)
# "never took any test …, but I'm leaving next week": untested yet scheduled to go. A bare "I have
# never taken a test" is the user's own situation, not the offer, so the departure must follow.
_NEVER_TESTED_BUT_LEAVING = _words(
    r"(?:never|belum pernah|blm pernah|ga pernah|gak pernah|tidak pernah|tdk pernah|nggak pernah|ngga pernah|ora tau|"
    r"ora pernah|teu acan|"
    r"teu kungsi)\s+(?:\w+\s+){0,2}(?:tes|test|tests|ujian|exam|jlpt|jft|kursus|belajar|studied|study|learn\w*)"
    r"[^?!\n]{0,80}\b(?:tapi|tp|but|padahal|yet|namun|nanging)\b[^.?!\n]{0,60}"
    r"(?:berangkat|brangkat|leav\w*|depart\w*|fly\w*|terbang|dijadwal\w*|scheduled|budhal|angkat)"
)
# Words that end a clause or a complaint: "kontrak ga ada sama sekali" is no contract, "kontraknya
# ga ada denda" is a contract without a fine.
_CLAUSE_END = (
    r"(?=\s*(?:sama sekali|samsek|blas|acan|pisan|kok\b|lho\b|sih\b|deh\b|lah\b|katanya|jare|cenah|$|[,.!?\n;)]))"
)
_LATER = (
    r"(?:nanti|ntar|entar|mengko|engke|engkin)"
    r"(?=\s*(?:aja|saja|ae|wae|we\b|di\b|disana|pas\b|kalau|kalo|klo|nek|mun|setelah|stlh|waktu|dikasih|dikasi|diberi\w*|"
    r"ditandatangan\w*|ttd|tanda ?tangan|dibuat|diurus|nyusul|menyusul|$|[,.!?\n]))"
)
_NOT_GIVEN_COPY = (
    r"(?:ga|gak|gk|tidak|tdk|nggak|ngga|not|never|belum|blm|ora|teu|no|won'?t|wont|refus\w*(?:\s+to)?|didn'?t)\s+"
    r"(?:be\s+|been\s+|pernah\s+)?(?:di)?(?:kasih|kasi|beri|given|give|gave|get|got|receive\w*|dapet|dapat|pegang|wenehi|pasihan|"
    r"provide\w*|share)\s+(?:me\s+|us\s+|aku\s+|saya\s+)?(?:an?\s+|the\s+|any\s+)?(?:salinan\w*|copy|copies|fotokopi\w*|fotocopy)"
)
_NO_CONTRACT = _words(
    r"(?:tanpa|gak|ga|gk|nggak|ngga|tidak|tdk|belum|blm|no|not|without|never|teu|henteu|ora|mboten|ndak)\s+(?:ada\s+|dikasih\s+|dapat\s+|"
    r"dapet\s+|any\s+|a\s+|given\s+|signed?\s+|sign\s+|perlu\s+|usah\s+|need\s+(?:a\s+|any\s+)?|gaduh\s+|punya\s+|nduwe\s+|duwe\s+|"
    r"ono\s+|ana\s+|aya\s+|dipasihan\s+|diwenehi\s+)?(?:surat\s+)?(?:kontrak|perjanjian|contract)",
    # "kontrak nyusul", "kontraknya nanti aja", Javanese "kontrak mengko wae", "contract later"
    rf"(?:kontrak|perjanjian|contract)\w*[^.?!\n]{{0,25}}\b(?:{_LATER}|menyusul|nyusul|susul\w*|belakangan|later\b|"
    rf"after arrival)",
    # given or signed only in Japan ("kontrak dikasih di jepang", "kontraknya di sana aja"); not a
    # contract for work in Japan that the user holds ("kontrak kerja 3 tahun di jepang")
    r"(?:kontrak|perjanjian|contract)\w*\s+(?:\w+\s+){0,3}(?:dikasih|dikasi|diberi\w*|dibuat|ditandatangan\w*|"
    r"tanda ?tangan|ttd|given|"
    r"signed|made|diurus|handed|baru)\s+(?:\w+\s+){0,2}(?:di jepang|in japan|di sana|disana|there\b|di jpg|di jepun)",
    r"(?:kontrak|perjanjian|contract)\w*\s+(?:\w+\s+)?(?:di jepang|in japan|di sana|disana|di jpg)\s+(?:aja|saja|ae|"
    r"wae|nanti|later|only)",
    r"(?:won'?t|wont|refus\w*|doesn'?t want to|gak mau|ga mau|tidak mau|nggak mau)\s+(?:to\s+)?(?:give|sign|kasih|"
    r"tanda ?tangan|ttd)"
    r"[^.?!\n]{0,20}(?:kontrak|contract|perjanjian)",
    r"(?:cuma|hanya|just|only)\s+(?:janji\s+)?(?:lisan|omongan|verbal|kata-kata|words)",
    r"verbal (?:agreement|promise)",
    r"(?:kontrak|contract)[^.?!\n]{0,40}(?:when i arrive|on arrival|upon arrival|after i (?:arrive|land)|"
    r"once i (?:arrive|land)|after landing|"
    r"pas (?:nyampe|sampai|tiba|landing)|setelah (?:sampai|tiba|mendarat)|sesampainya|setibanya|(?:nek|yen|"
    r"lek) wis tekan|mun (?:geus|tos) dugi)",
    r"nothing to sign",
    r"(?:gak|ga|tidak|nggak) ada yang (?:perlu )?(?:ditandatangan|ditanda tangan|di ?ttd)",
    # none at all: "kontrak ga ada sama sekali", "kontraknya ga dikasih"
    rf"(?:kontrak|perjanjian|contract)\w*\s+(?:\w+\s+)?(?:ga|gak|gk|tidak|tdk|nggak|ngga|ora|teu|belum|blm)\s+(?:ada|ono|ana|aya){_CLAUSE_END}",
    r"(?:kontrak|perjanjian|contract)\w*\s+(?:\w+\s+)?(?:ga|gak|gk|tidak|tdk|nggak|ngga|ora|teu|belum|blm)\s+(?:dikasih|dikasi|diberi\w*|dibuat)",
    # no copy for the worker: "ga dikasih salinannya", "not given a copy of the contract"
    rf"(?:kontrak|contract|perjanjian|signed|tanda ?tangan|ditandatangan\w*|ttd)[^.?!\n]{{0,60}}{_NOT_GIVEN_COPY}",
    rf"{_NOT_GIVEN_COPY}[^.?!\n]{{0,25}}(?:kontrak|contract|perjanjian|signed|ditandatangan\w*|ttd)",
    r"no copy of (?:the |my |our )?(?:kontrak|contract)",
    # "we trust each other, a contract isn't necessary", "kontrak ga perlu lah" (trust alone is no sign)
    # (at the end of the clause: "kontraknya gak perlu diperpanjang" is about renewing it)
    r"(?:kontrak|perjanjian|contract)\w*\s+(?:\w+\s+)?(?:ga|gak|gk|tidak|tdk|nggak|ngga|ora|teu|isn'?t|is not|"
    r"not)\s+(?:perlu|usah|penting|"
    r"needed|necessary|required|kedah)(?=\s*(?:lah\b|kok\b|sih\b|deh\b|kan\b|dong\b|katanya|jare|cenah|$|[,.!?\n;)]))",
    r"no need (?:for|of)\s+(?:a\s+|any\s+)?(?:written\s+)?(?:kontrak|contract)",
)
_DEPOSIT_OR_PENALTY = _words(
    r"uang jaminan",
    r"jaminan\b",
    r"deposit",
    r"biaya ikatan",
    r"ikatan (?:dinas|kontrak)",
    r"denda\b",
    r"didenda\b",
    r"penalt",
    r"fined\b",
    r"fines\b",
    r"fine of\b",
    r"(?:a|the|pay|paid|kena|dikenai)\s+(?:\w+\s+)?fine\b",  # not "the job is fine"
    r"ganti rugi",
    r"pinalti",
    r"(?:bond|guarantee|security) (?:fee|money|payment)",
    r"compensation if",
    r"kalau (?:kabur|keluar|berhenti|resign)[^.?!\n]{0,30}(?:bayar|ganti|potong)",
    r"(?:quit|leave|run away)[^.?!\n]{0,30}(?:pay|owe)",
    # "contract binding fee", "training bond", "as a guarantee", "collateral"
    r"binding fee",
    r"(?:contract|training|service) bond",
    r"bond of\b",
    r"collateral",
    r"agunan",
    r"(?:as|sebagai) (?:a )?guarantee",
    # money that is lost when the worker leaves or pays late ("hangus kalau resign", "forfeited")
    r"(?:uang|duit|dp|biaya|deposit|jaminan|setoran|cicilan|tabungan|money|\d+\s*(?:jt|juta|rb|ribu|man|yen))\w*[^.?!\n]{0,40}\bhangus\b",
    r"hangus\s+(?:kalau|kalo|klo|jika|bila|if)\b",
    r"forfeit\w*",  # not "kuota internetnya hangus"
    # A threat to the worker or the family if the worker complains or leaves ("kalau aku ngeluh,
    # keluargaku disuruh bayar 100 man yen", "if I complain or leave my family must pay").
    r"(?:kalau|kalo|klo|kl|jika|bila|apabila|if|yen|nek|lek|mun|lamun)\s+(?:\w+\s+){0,3}(?:ngeluh\w*|mengeluh|complain\w*|kabur|keluar|"
    r"quit\w*|berhenti|resign\w*|leave|leaves|run away|runs away|mundur|lapor\w*|report\w*|wadul)[^.?!\n]{0,60}"
    r"\b(?:bayar|mbayar|mayar|pay|owe|ganti|nanggung|denda)",
    r"(?:pay|bayar|mbayar|mayar|owe|ganti rugi)\w*[^.?!\n]{0,40}\b(?:if|kalau|kalo|klo|when|yen|nek|"
    r"mun)\s+(?:\w+\s+){0,2}"
    r"(?:quit\w*|leave|resign\w*|kabur|berhenti|run away|mundur)",  # "I must pay 500,000 yen if I quit"
    r"(?:pulang|mulih|muleh|balik|leave|quit|resign\w*|berhenti|keluar|mundur|undur\w*)\w*\s+(?:\w+\s+){0,3}(?:sebelum|sblm|sakdurunge|"
    r"sadurunge|before)\s+(?:\w+\s+){0,2}(?:kontrak|contract|masa kerja|selesai)[^.?!\n]{0,60}\b(?:bayar|mbayar|mayar|"
    r"pay|ganti|denda|lose)",
    # Forced savings (Labour Standards Act Art. 18): part of the wage kept as "savings", paid out only
    # if the worker finishes or does not run away.
    # (deducted or kept by someone else: "gaji masuk ke rekening tabungan" is just the user's bank account)
    r"(?:potong|dipotong|motong|memotong|deduct\w*|cut|withh\w*|disisihkan|disimpan|ditahan|ditahen|kept|held|taken)\w*"
    r"[^.?!\n]{0,50}\b(?:tabungan|savings|chokin)",
    r"(?:tabungan|savings|chokin)\w*[^.?!\n]{0,60}\b(?:only if|kalau|kalo|klo|yen|nek|lek|mun|if|unless|baru|setelah|"
    r"after|pas|when|once)\s+"
    r"(?:\w+\s+){0,4}(?:selesai|rampung|finish\w*|complete\w*|kabur|run away)",
    r"forced savings",
    r"kyou?sei chokin",
    r"tabungan (?:wajib|paksa)",
    # "keeps part of my wages as a guarantee"
    r"(?:part|some|sebagian|separuh|half)\s+(?:of\s+)?(?:my\s+|our\s+|the\s+|his\s+|her\s+)?(?:wages?|salary|gaji\w*|pay)[^.?!\n]{0,30}"
    r"(?:guarantee|jaminan|collateral|deposit|ditahan|kept|held|withheld)",
)
# "no penalty", "ga ada denda", "tanpa jaminan": a deposit or fine that is ruled out.
# ("no rek" is an account number, not "no").
_NO_BEFORE = re.compile(
    r"\b(?:no(?!\s+(?:rek|rekening|hp|wa|telp|tlp|hape)\b)|ga ada|gak ada|gk ada|tidak ada|tdk ada|nggak ada|ngga ada|"
    r"gada|gaada|"
    r"ora ono|ora ana|teu aya|tanpa|without|free of|bebas|not any|there'?s no|there is no|isn'?t any|"
    r"ga pake|gak pake|ga pakai|gak pakai|tidak pakai|non)[\s-]+(?:\w+\s+){0,2}$"
)
# A document with "jaminan"/"deposit" is held as collateral: a deposit only when it is kept until
# money is paid ("ditahan sebagai jaminan sampai biaya lunas") or an amount is named.
_DEPOSIT_WORDS = ("jaminan", "deposit", "guarantee", "collateral", "agunan")
# A property title (BPKB, land certificate) as "jaminan" secures money by its nature.
_PROPERTY_TITLE = _words(r"bpkb", r"sertifikat (?:tanah|rumah)", r"land certificate", r"vehicle (?:title|ownership)")
_UNTIL_PAID = _words(
    r"(?:sampai|sampe|smp|until|till|sebelum|before|baru\s+\w+\s+(?:kalau|kalo|klo|if|setelah|stlh|after))[^.?!\n]{0,40}"
    r"\b(?:lunas|dibayar|bayar|paid|pay|pelunasan|cicilan)"
)

_CONTACT_APP = r"(?:wa\b|whatsapp|fb\b|facebook|ig\b|instagram|tiktok|telegram|dm\b|inbox|chat|messenger|line\b|grup)"
_INFORMAL_CONTACT = _words(
    rf"(?:cuma|cm|hanya|only|just|semua|all|ngan(?: ukur)?|mung|namung|cuman)\s+"
    rf"(?:lewat|lwt|via|through|by|di|on|pakai|pake|dina|liwat|nang|neng)?\s*{_CONTACT_APP}",
    r"(?:kontak|contact|(?:di|meng)?hubung|komunikasi|chat|reply|replies|balas|bales|ngobrol|talk)\w*\s+(?:\w+\s+){0,2}(?:cuma|cm|hanya|only|just)\s+"
    r"(?:\w+\s+)?(?:wa\b|whatsapp|fb\b|facebook|ig\b|instagram|tiktok|telegram|messenger|dm\b|inbox)",
    r"(?:cuma|cm|hanya|only|just)\s+(?:\w+\s+){0,2}(?:kontak|contact|hubung|dihubungi|chat|reply|replies|respond|balas|bales|dm)\w*\s+(?:\w+\s+){0,2}"
    r"(?:on|via|lewat|lwt|di|by|in)\s+(?:wa\b|whatsapp|fb\b|facebook|ig\b|instagram|tiktok|telegram|messenger|dm\b|inbox)",
    r"(?:won'?t|wont|doesn'?t|tidak mau|gak mau|ga mau)\s+(?:give|share|kasih)\s+(?:an?\s+|"
    r"the\s+)?(?:office\s+)?(?:address|alamat)",
    r"alamat\s+(?:kantor\w*\s+)?(?:ga|gak|tidak|nggak|gk)\s+(?:dikasih|jelas|ada)",
    r"(?:wa\b|whatsapp|fb\b|facebook|ig\b|instagram|tiktok|telegram|dm\b)\w*\s+(?:\w+\s+)?(?:only|doang|aja|saja|wungkul|thok|tok)\b",
    # a handle or number, then "only": "contact me on IG @jepang.kerja.id only"
    r"(?:wa|whatsapp|fb|facebook|ig|instagram|tiktok|telegram|line)\b\s*:?\s*(?:@[\w.]+|\+?\d[\d\s-]{6,}\d)\s*(?:only|doang|wungkul|thok)\b",
    r"(?:gak|ga|tidak|tdk|nggak|no|without|belum)\s+(?:ada\s+|punya\s+|an?\s+)?(?:kantor|office|alamat|address)",
    r"kantor\w*\s+(?:gak|ga|tidak|nggak|ora|teu)\s+(?:ada|jelas|ono|ana|aya)",
    r"(?:never|not) (?:met|meet) (?:in person|face to face)",
    r"ketemu(?:nya|an)? di (?:kafe|cafe|café|warung|mall|parkiran)",
    # "we don't have an office, we meet at a cafe", "kami gak pake kantor"
    r"(?:don'?t|do not|doesn'?t|does not|dont|never)\s+have\s+(?:an?\s+|any\s+)?(?:office|kantor|address)",
    r"(?:ga|gak|gk|tidak|tdk|nggak|ngga|ora|teu|ndak)\s+(?:pake|pakai|punya|gaduh|nduwe|duwe|ono|ana|aya|ngantor)\s+(?:\w+\s+)?kantor",
    r"(?:meet|meeting)\s+(?:\w+\s+){0,2}(?:at|in)\s+(?:a\s+|the\s+)?(?:cafe|café|coffee shop|mall|restaurant|parking)",
    # "chat admin: wa.me/62…": only a chat link
    r"(?:chat|hubungi|hub|contact|klik|click|dm|pm|wa)\s+(?:\w+\s+)?(?:admin|kami|us|me|aku|mimin|min)\b\s*:?\s*"
    r"(?:wa\.me|t\.me|bit\.ly|linktr\.ee|api\.whatsapp|s\.id)",
    # a stranger on social media: "message me here", "info japri"
    r"(?:message|msg|dm|inbox|pm|chat|text)\s+(?:me|us|aku|saya|kami)\s+(?:here|di sini|disini|privately|directly|"
    r"for (?:more )?(?:details|info))",
    r"japri\b",
    # "all I have is his FB profile"
    r"(?:all (?:i|we) (?:have|know|got) is|(?:i|we) only (?:have|know)|cuma punya|cuma tau|cuma tahu|hanya tahu|"
    r"hanya punya|taunya cuma|"
    r"tahunya cuma)\s+(?:his|her|their|the|a|an|akun|nomor|no)?\s*(?:\w+\s+){0,2}(?:fb|facebook|ig|instagram|wa|"
    r"whatsapp|tiktok|telegram|"
    r"profile|profil|number|nomor|akun|account|handle)",
)
# Departure words (Javanese budhal/mangkat, Sundanese angkat/indit; not "angkatan", a cohort).
_DEPART = (
    r"(?:berangkat|brangkat|keberangkatan|diberangkat\w*|terbang|diterbang\w*|depart|fly|flying|flights?|penerbangan|"
    r"budhal|budal|mangkat|angkat(?!an)|indit)"
)
# ... and the broader words the older patterns also accept with a time ("leave in 10 days").
_GO = rf"(?:{_DEPART}|leave|leaving|go|get me)"
_FEW = r"(?:[1-9]\d?\b|se|sa|satu|dua|tiga|empat|one|two|three|four|a few|few)"
# "berangkat 10 hari yang lalu", "10 days ago": a departure in the past is no promise.
_NOT_PAST = r"(?!\s*(?:yang lalu|yg lalu|lalu|ago|kepungkur|katukang|kapungkur|already))"
_FAST_DEPARTURE = _words(
    rf"{_GO}\w*[^.?!\n]{{0,30}}\b{_FEW}\s*(?:hari|hr|minggu|mgg|pekan|days?|weeks?)\b{_NOT_PAST}",
    rf"{_FEW}\s*(?:hari|hr|minggu|mgg|pekan|days?|weeks?)\s*(?:lagi|lg|meneh|maneh|deui|engkas|later|langsung|udah|sudah|berangkat|"
    r"terbang|depart|fly|from now|after)",
    r"(?:within|in)\s+(?:a|one|1)\s+month",
    r"(?:dalam|dlm)\s+(?:se|1\s*|satu\s+)bulan",
    rf"{_GO}\w*\s+(?:bulan|bln)\s+(?:depan|dpn)",
    rf"{_GO}\w*[^.?!\n]{{0,20}}(?:bulan depan|minggu depan|besok|lusa|next month|next week|"
    r"tomorrow|sebulan|1 bulan|satu bulan|within a month|in a month|langsung|cepat|secepatnya|right away|immediately|"
    r"asap)",
    rf"(?:bulan depan|minggu depan|next month|next week|dalam sebulan|within a month)[^.?!\n]{{0,20}}{_GO}",
    r"langsung berangkat",
    r"cepat berangkat",
    r"proses (?:cepat|kilat|singkat)",
    r"fast[- ]track",
    # "keberangkatan bulan ini", "departure this week"
    rf"{_DEPART}\w*\s+(?:\w+\s+){{0,2}}(?:bulan ini|minggu ini|pekan ini|this month|this week|sasi iki|minggu iki|"
    rf"bulan ieu|minggu ieu)",
    rf"(?:bulan ini|minggu ini|this month|this week)\s+(?:\w+\s+){{0,2}}{_DEPART}",
    # Sundanese/Javanese "angkat sabulan deui", "budhal sesasi meneh"
    rf"{_DEPART}\w*\s+(?:\w+\s+){{0,2}}(?:se|sa|satu\s+|1\s*)(?:bulan|sasi|wulan)\s+(?:lagi|lg|deui|meneh|maneh|engkas)",
)
# What a worker is threatened with. "visa bisa dibatalin", "iso dideportasi" (can be) state a rule, and "lapor ke
# imigrasi" is advice: the threat is that the worker is reported.
_NOT_MODAL = r"(?:(?!bisa|bs\b|boleh|can\b|could|may\b|might|apa\b)\w+\s+)"
_THREATENED_WITH = (
    rf"(?:visa\w*\s+{_NOT_MODAL}{{0,3}}(?:dibatal\w*|batal\w*|dicabut|cancel\w*|revoked)|"
    rf"(?:dilapor\w*|be reported|get reported|(?:report|lapor\w*|ngelapor\w*|melapor\w*)\s+(?:me|us|you|him|her|them|"
    rf"aku|kami|"
    rf"kamu|kalian|kita|dia|saya))\s+{_NOT_MODAL}{{0,3}}(?:polisi|police|imigrasi|immigration)|"
    r"(?<!iso )(?<!isa )(?<!bisa )(?<!bs )(?<!can be )(?<!could be )(?<!may be )(?<!might be )\b(?:deport\w*|"
    r"dideportasi))"
)
# "doesn't force us", "ga dipaksa": coercion that is denied.
_NOT_NEGATED = (
    r"(?<!n't )(?<!not )(?<!never )(?<!ga )(?<!gak )(?<!gk )(?<!tidak )(?<!tdk )"
    r"(?<!nggak )(?<!ngga )(?<!ora )(?<!teu )(?<!no )"
)
# A question in the same clause ("kalau nolak lembur, visaku dibatalin ga?") asks about a rule.
_NOT_A_QUESTION = r"(?![^.,;!\n]*\?)"
_REFUSE = (
    r"(?:nolak|menolak|refuse\w*|ora gelem|ga mau|gak mau|tidak mau|nggak mau|emoh|embung|teu daek|don'?t|do not|"
    r"won'?t|"
    r""
    r"complain\w*|ngeluh|protes|protest|mogok|leave|quit|kabur|keluar|run away|resign\w*|berhenti)"
)
_TRAFFICKING = _words(
    r"dikurung",
    r"dikunci",
    r"mukul\w*",
    r"memukul",
    r"ditampar",
    r"ditendang",
    r"kekerasan",
    r"violen\w*",
    r"slap\w*",
    r"(?:lunas|bayar|pay)\w*\s+(?:\w+\s+){0,3}(?:baru|then|before)\s+(?:\w+\s+)?(?:boleh|bisa|can|may)\s+(?:pulang|"
    r"go home|leave)",
    r"no (?:off|day off|days off|holiday|rest day)\b",
    r"(?:tanpa|ga ada|gak ada|tidak ada|nggak ada) (?:hari )?libur",
    r"(?:nobody|no one|none of us)\s+(?:\w+\s+)?(?:get|got|gets|been|is)?\s*paid",
    r"(?:salary|gaji)[^.?!\n]{0,25}(?:paid|dibayar)\s+(?:after|setelah|stlh)\s+(?:\d|se|satu|one|a)\s*(?:year|tahun|thn)",
    r"1[4-9]\s*(?:jam|hours?)\b",
    r"disekap",
    r"disandera",
    r"(?:gak|ga|tidak|tdk|nggak|dilarang)\s+(?:boleh|bisa)\s+keluar",
    r"locked (?:in|up)",
    r"lock(?:s|ed)? (?:me|us|her|him|them)\b",
    r"confined\b",
    # not given food, not let out ("ga dikasih makan", "won't let us go out")
    r"(?:ga|gak|gk|tidak|tdk|nggak|ngga|ora|teu)\s+(?:dikasih|diberi|dibere|dipasihan)\s+(?:makan|maem|tuang|minum)",
    r"not given (?:any )?food",
    r"(?:without|no) food for\b",
    r"(?:won'?t|wont|will not|doesn'?t|don'?t|never) let (?:me|us|her|him|them) (?:go out|out|leave|go home|go)\b",
    r"(?:ga|gak|gk|tidak|tdk|nggak|ngga)\s+(?:dikasih|dibolehin|diizinin|diijinin|dibiarin|diizinkan)\s+(?:pulang|keluar)",
    r"not allowed (?:to )?(?:leave|go out)",
    r"can'?t leave",
    r"cannot leave",
    r"diancam",
    r"ngancam",
    r"mengancam",
    r"ancaman",
    r"threat",
    r"dipukul",
    r"disiksa",
    r"dianiaya",
    r"beat(?:en|s)?\b",
    r"hit me\b",
    r"abus(?:e|ed|ive)",
    r"ditelantarkan",
    r"terlantar",
    r"stranded\b",
    r"abandoned\b",
    r"nobody (?:picked|came|met)",
    r"(?:gak|ga|tidak|tdk|nggak)\s+ada\s+(?:yang|yg)\s+(?:jemput|jmput)",
    rf"{_NOT_NEGATED}dipaksa",
    rf"{_NOT_NEGATED}forced\b",
    r"kerja paksa",
    r"jerat utang",
    r"debt bondage",
    r"(?:gaji|upah)\w*\s+(?:gak|ga|tidak|tdk|nggak|belum|blm)\s+(?:di)?bayar\w*[^.?!\n]{0,25}"
    r"(?:\d|bulan|berbulan|bln)",
    r"(?:unpaid|not (?:been )?paid|haven'?t been paid|no salary|no pay)[^.?!\n]{0,25}(?:\d|months?)",
    r"(?:dijual|sold)\b",
    r"(?:gak|ga|tidak|tdk|nggak)\s+(?:dibolehin|dibolehkan|diizinkan|diijinkan|boleh)\s+(?:pulang|keluar)",
    r"not allowed (?:to )?(?:go home|leave|return|contact)",
    r"(?:pulang|keluar)\w*\s+(?:\w+\s+){0,2}(?:ga|gak|tidak|nggak|gk)\s+(?:dikasih|dibolehin|boleh|diizinin|diijinin)",
    r"(?:utang|hutang|debt)\w*[^.?!\n]{0,50}(?:dipotong|potong|cut|deduct|pay back|bayar balik)",
    r"(?:cut|potong)\w*\s+(?:almost\s+)?(?:all|semua|hampir semua)\s+(?:my\s+|the\s+)?(?:salary|gaji)",
    r"(?:gaji|gajine|gajinya|salary|wages?|pay)\w*\s+(?:\w+\s+){0,3}(?:ditahan|withheld|tertahan)",
    r"(?:ditahan|withheld)\s+(?:\w+\s+){0,2}(?:gaji|salary|wages?)",
    r"(?:not|never) (?:been )?paid since",
    r"unpaid since",
    r"(?:ga|gak|tidak|belum|blm|nggak) (?:di)?gaji",
    r"(?:kami|kita|aku|saya|dia|mereka|we|i|she|he|they)\s+(?:\w+\s+){0,3}ditinggal(?:in|kan)?\b",
    r"ditinggal(?:in|kan)?\s+(?:\w+\s+)?di\s+(?:hotel|bandara|airport|jalan|penginapan|asrama|stasiun)",
    r"left (?:us|me|her|him|them)\b",
    r"stuck (?:in|at)",
    r"never (?:came|showed)",
    r"kabur bawa (?:duit|uang)",
    r"(?:ran|run) away with (?:our|my|the) money",
    r"(?:ga|gak|tidak|nggak) bisa dihubungi",
    r"(?:hp|handphone|phone)\w*\s+(?:\w+\s+){0,3}(?:disita|diambil|confiscat\w*|taken)",
    r"(?:took|take|ambil)\w*\s+(?:her|his|my|their|our)\s+(?:phone|hp)",
    r"(?:ga|gak|tidak|nggak) boleh (?:kontak|hubungi|telp)",
    r"locked from (?:the )?outside",
    r"door is locked",
    r"pintu\w* dikunci",
    r"hit (?:her|him|me|us|them)\b",
    r"(?:police|polisi) will (?:catch|arrest)",
    r"(?:utang|hutang)\w*[^.?!\n]{0,40}(?:ga|gak|tidak|nggak|gk)\s+lunas",
    # Someone who takes the passport and vanishes strands the worker. An employer keeping the
    # passport or residence card is document_retention on its own, not trafficking.
    r"(?:took|take|takes|ambil|ngambil|bawa|dibawa|ran off with)\w*\s+(?:\w+\s+){0,2}(?:paspor|"
    r"passport)\w*[^.?!\n]{0,40}"
    r"\b(?:and left|then left|disappeared|vanished|menghilang|ngilang|kabur)",
    # Coercion: forced to work, or threatened with the visa, the police or immigration for refusing.
    rf"{_NOT_NEGATED}(?:maksa|memaksa|meksa|maksain|force|forces|forcing|compel\w*)\s+(?:\w+\s+){{0,3}}"
    rf"(?:kerja|kerjo|nyambut gawe|gawe|lembur|work\w*|overtime|damel|ngelayani|melayani)\w*{_NOT_A_QUESTION}",
    rf"(?:kalau|kalo|klo|kl|jika|if|yen|nek|lek|mun|lamun)\s+(?:\w+\s+){{0,2}}{_REFUSE}\b[^.?!\n]{{0,80}}{_THREATENED_WITH}\w*{_NOT_A_QUESTION}",
    rf"{_THREATENED_WITH}[^.?!\n]{{0,30}}\b(?:kalau|kalo|klo|if|yen|nek|mun)\s+(?:\w+\s+){{0,2}}{_REFUSE}\w*{_NOT_A_QUESTION}",
)

# --- Money asked before anything is in place ------------------------------------------------------

_PAY = r"(?:(?:di|mem|pem)?bayar|setor|disetor|nyetor|transfer|ditransfer|tf|kirim|dikirim)"
# Money itself, not just any number ("foto KTP dan 2 pas foto" asks for no money).
_MONEY_WORD = (
    r"(?:uang|duit|money|biaya|fee|dp|transfer|rp\b|\d+(?:[.,]\d+)?\s*(?:jt|juta|rb|ribu|k\b|million|yen|man\b))"
)
_UPFRONT = _words(
    r"dp\b",
    r"uang muka",
    r"down ?payment",
    r"(?:di|mem)?bayar (?:dulu|duluan|di ?muka|didepan|di depan)",
    r"pay (?:first|upfront|up front|in advance)",
    r"upfront\b",
    r"in advance",
    r"tanda jadi",
    r"booking fee",
    r"biaya booking",
    rf"{_PAY}\s+\S+\s+(?:dlu|dulu|duluan)",
    r"(?:pay|send|transfer)\s+\S+(?:\s+\S+)?\s+first",
    rf"(?:{_PAY}|dp)\w*[^.?!\n]{{0,25}}\b(?:dlu|dulu|duluan|first)\s+(?:baru|then)\b",
    r"uang pangkal",
    r"biaya awal",
    r"setoran (?:pertama|awal)",
    r"commitment fee",
    r"secure (?:the|my|a) (?:slot|seat|place)",
    r"(?:ngamanin|amankan|mengamankan|booking) (?:kuota|slot|tempat)",
    r"atas nama pribadi",
    r"under (?:his|her) (?:own )?name",
    r"(?:padahal|but|while)\s+(?:\w+\s+){0,2}(?:visa|kontrak|contract|coe|tes|test)\w*\s+(?:\w+\s+)?(?:blm|belum|"
    r"not yet|hasn'?t|haven'?t)",
    r"(?:his|her) own (?:\w+ )?account",
    r"(?:transfer|tf|(?:di|mem)?bayar|kirim|pay|paid|send|sent|setor)\w*[^.?!\n]{0,30}\b(?:ke|to)\s+(?:dia|beliau|him|her)\b",
    r"rekening (?:istri|suami|anak|adik|kakak|keluarga)\w*",
    r"(?:ovo|gopay|shopeepay)\b",
    r"(?:rekening|rek|account)\s*(?:pribadi|dia|nya|beliau|orang|personal|his|her|private)",
    r"(?:personal|private) (?:bank )?account",
    r"(?:transfer|tf|(?:di|mem)?bayar|kirim|pay|paid|send|sent)\w*[^.?!\n]{0,30}\b(?:ke|to)\s+(?:rekening\s+|rek\s+|"
    r"account of\s+)?"
    rf"{_ACQUAINTANCE}",
    # Money to a named person or a "treasurer" ("setor ke bendahara Pak Harun", "paid him 7 million").
    rf"{_PAY}\w*[^.?!\n]{{0,30}}\b(?:ke|to|sama|sm|ka)\s+(?:the\s+)?(?:bendahara|treasurer)",
    rf"{_PAY}\w*[^.?!\n]{{0,30}}\b(?:ke|to|ka)\s+(?:rekening\s+|rek\s+)?{_HONORIFIC}\.?\s+[a-z]",
    r"(?:paid|pay|paying|transferred)\s+(?:him|her)\b",  # not "send him home"
    # A scan of the passport and the money in one go ("send your passport scan + 5 million").
    rf"(?:scan|foto|photo|copy|fotokopi|fc)\w*\s+(?:\w+\s+){{0,2}}(?:paspor|passport|ktp|ijazah|kk|diploma|"
    rf"id card)\w*\s*(?:\w+\s*)?"
    rf"(?:\+|&|and|dan|sama|sm|plus|with|beserta|bareng)\s*(?:the\s+|your\s+)?{_MONEY_WORD}",
    r"(?:paspor|passport|ktp|ijazah|kk|diploma|id card)\w*\s+(?:scan|copy|foto|photo)\w*\s*"
    rf"(?:\+|&|and|dan|sama|sm|plus|with|beserta|bareng)\s*(?:the\s+|your\s+)?{_MONEY_WORD}",
    r"(?:kirim|send)\w*\s+(?:\w+\s+){0,2}(?:uang|duit|money)\w*\s+(?:\+|&|and|dan|sama|sm|plus|with|beserta)\s*(?:\w+\s+)?(?:scan|foto|photo|copy)",
    # Departure counted from the transfer ("berangkat 10 hari setelah transfer").
    rf"{_GO}\w*\s+(?:\w+\s+){{0,2}}{_FEW}\s*(?:hari|minggu|pekan|days?|weeks?)\s+(?:setelah|stlh|sesudah|abis|habis|after|once|dari)\s+"
    r"(?:\w+\s+){0,2}(?:transfer|tf|(?:di)?bayar|pay|paid|pelunasan|lunas|setor|dp)",
    rf"{_FEW}\s*(?:hari|minggu|pekan|days?|weeks?)\s+(?:setelah|stlh|sesudah|abis|after|once)\s+(?:\w+\s+){{0,2}}(?:transfer|tf|(?:di)?bayar|"
    rf"pay|paid|setor)\w*[^.?!\n]{{0,30}}{_GO}",
    # A deposit to pay before leaving ("refundable deposit 10jt sebelum berangkat").
    r"(?:refundable|returnable)\s+deposit",
    rf"(?:deposit|jaminan)\w*[^.?!\n]{{0,50}}\b(?:sebelum|sblm|before|prior to)\s+(?:\w+\s+)?{_GO}",
    r"(?:deposit|jaminan)\w*[^.?!\n]{0,50}\b(?:sebelum|sblm|before|prior to)\s+(?:\w+\s+)?(?:departure|keberangkatan)",
    # Bribes and sudden extra fees ("biaya percepatan", "uang pelicin", "acceleration fee").
    r"(?:biaya|uang|fee)\s+(?:percepatan|pelicin|pelancar|prioritas)",
    r"uang (?:rokok|semir)",
    r"(?:acceleration|speed[- ]?up|priority|express)\s+(?:fee|charge|payment|money)",
    # Pay or be struck off ("kalau ga bayar minggu ini nama aku dicoret", "or my name will be struck off").
    r"(?:kalau|kalo|klo|kl|jika|if|mun|lamun|yen|nek|unless)\s+(?:\w+\s+){0,3}(?:ga|gak|tidak|nggak|ngga|teu|ora|don'?t|not|no)?\s*"
    r"(?:(?:di)?bayar|mayar|mbayar|pay|paid|lunas)\w*[^.?!\n]{0,50}(?:dicoret|coret|struck|crossed|removed|dikeluarkan|dikeluarin|gugur|"
    r"batal berangkat|gagal berangkat|ga jadi berangkat|gak jadi berangkat|ga bisa berangkat|dropped|kicked)",
    r"(?:or|atau)\s+(?:else\s+)?(?:\w+\s+){0,3}(?:name|nama|ngaran)\w*\s+(?:\w+\s+){0,3}(?:struck|crossed|removed|deleted|dicoret|dihapus)",
)
# A sudden "extra fee" counts when it comes out of the blue or under threat; on its own, "biaya
# tambahan" is often just an item on a written cost list.
_EXTRA_FEE = _words(
    r"(?:biaya|uang|fee)\s+(?:tambahan|tambihan|ekstra|extra|susulan|dadakan)",
    r"(?:extra|additional|hidden|sudden)\s+(?:fee|charge|payment|cost)",
)
_SUDDEN = _words(
    r"tiba[- ]?tiba",
    r"tiba2",
    r"mendadak",
    r"dadakan",
    r"suddenly",
    r"out of the blue",
    r"ujug[- ]?ujug",
    r"ujug2",
    r"ndadak",
    r"dicoret",
    r"struck off",
    r"or (?:else|my name|your name)",
)
# "Money before the visa/contract/test" is the wrong order. "Signed the contract before the visa"
# is the right one, and "sebelum kontrak selesai" is about leaving early, not paying early.
_PAID_BEFORE = _words(
    r"(?:sebelum|sblm|before)\s+(?:\w+\s+){0,3}(?:kontrak|contract|visa|coe|ttd|tanda tangan)"
    r"(?!\w*\s+(?:\w+\s+)?(?:selesai|berakhir|habis|abis|rampung|ends?|ended|finish\w*|is over|expires?))",
    r"(?:uang|biaya) (?:administrasi|pendaftaran|admin)[^.?!\n]{0,60}(?:padahal|before|sblm|sebelum)",
    r"(?:padahal|before|sblm|sebelum)\s+(?:\w+\s+){0,3}(?:blm|belum|ada|any)?\s*(?:tes|test|interview|wawancara|medical)",
)
_SIGNED_FIRST = re.compile(
    r"(?:kontrak|contract|perjanjian)\w*\s+(?:\w+\s+){0,3}(?:ditandatangan\w*|ditanda tangan\w*|di ?ttd|"
    r"signed)\s+(?:\w+\s+){0,2}$"
    r"|(?:tanda ?tangan|ttd|sign|signed|signing|menandatangani|nandatangani)\s+(?:\w+\s+){0,3}(?:kontrak|contract|"
    r"perjanjian)\w*\s+(?:\w+\s+){0,2}$"
)
# The clause must be about paying: "pelatihan 4 bulan sebelum visa" is a schedule, not a fee.
_PAYMENT_WORD = _words(
    r"(?:di|mem|pem)?bayar\w*",
    r"pay\w*",
    r"paid",
    r"transfer\w*",
    r"tf\b",
    r"setor\w*",
    r"dp\b",
    r"biaya\w*",
    r"fees?\b",
    r"uang\b",
    r"duit\b",
    r"money",
    r"\d+\s*(?:jt|juta|rb|ribu|k\b|million|yen|man\b)",
    r"rp\b",
)

_NAME_STOPWORDS = (
    r"yang|yg|di|ke|dari|dr|itu|ini|minta|bilang|blg|nawarin|katanya|kata|and|dan|sama|sm|says?|said|asks?|asked|offers?|"
    r"for|with|in|at|to|is|was|wants?|told|the|a|an|tsb|tersebut|nya|lain|lainnya|other|another|mana|apa|aja|saja|sih|kah|dong|lagi|lg|tapi|tp|juga|jg|sudah|udah|udh|resmi|terdaftar|"
    r"registered|licensed|licence|license|berizin|izin|ijin|abal|bodong|ilegal|illegal|that|which|who|has|had|have|my|ku|aku"
)
# "LPK Sakura Mandiri", "PT. Maju Jaya": a legal prefix followed by up to four name words.
# "SO" is only a prefix in capitals, otherwise it is the English word "so". (Matched on the original text.)
_AGENCY_NAME = re.compile(
    rf"\b(?P<kind>(?i:lpk|pt|cv|yayasan)|SO)\.?\s+(?P<name>(?!(?i:{_NAME_STOPWORDS})\b)[A-Za-z0-9][\w&'-]*"
    rf"(?:\s+(?!(?i:{_NAME_STOPWORDS})\b)[A-Za-z0-9][\w&'-]*){{0,3}})",
)
# The user says the agency is licensed or that they checked it on an official registry.
_CLAIMS_LICENSED = _words(
    r"(?<!tidak )(?<!gak )(?<!ga )(?<!belum )(?<!blm )(?<!tdk )(?<!bukan )(?<!nggak )(?<!not )"
    r"(?:terdaftar|berizin|punya izin|ada izin|resmi|licensed|registered|listed|accredited)\b",
    r"(?:so|kelembagaan)\.kemnaker",
    r"siskop2mi",
    r"(?:cek|check|checked|dicek)\w*[^.?!\n]{0,30}(?:kemnaker|bp2mi|kp2mi|registry|daftar)",
)

# --- Skilled work: a high salary is realistic there -------------------------------------------------

# Professional or licensed work (Engineer/Humanities visa, degree holders, licensed nurses) pays
# well on legal routes; the unrealistic-salary threshold is for unskilled work.
_SKILLED_WORK = _words(
    r"engineers?\b",
    r"enjinir",
    r"insinyur",
    r"software",
    r"programmer",
    r"developer",
    r"data (?:analyst|scientist)",
    r"sarjana",
    r"s[12]\b",
    r"bachelor'?s?\b",
    r"master'?s degree",
    r"degree\b",
    r"gijinkoku",
    r"gijutsu",
    r"humanities",
    r"kangoshi",
    r"(?:licensed|registered) nurse",
    r"nurse with (?:a |her |his |my )?licen[cs]e",
    r"perawat (?:yang |yg )?(?:udah |sudah |sdh )?(?:punya |ber)lisensi",
    r"lisensi (?:perawat|kangoshi)",
    r"dokter\b",
    r"doctor\b",
    r"arsitek",
    r"architect",
    r"akuntan",
    r"accountant",
    r"dosen\b",
    r"lecturer",
    r"researcher",
    r"peneliti",
)
# "IT" on the original text (in lower case it is the English "it"), and only as a field of work, so an
# all-capitals advert ("GAJI 30JT, IT IS REAL") does not count.
_SKILLED_IT = re.compile(
    r"\b(?-i:IT)\s+(?:\w+\s+)?(?:support|engineer|developer|staff|specialist|programmer|company|perusahaan|consultant|job)"
    r"|\b(?:kerja|bidang|lulusan|jurusan|sarjana|field|in|di)\s+(?-i:IT)\b",
    re.IGNORECASE,
)
# ... unless the job itself is unskilled ("lulusan S1 juga bisa, kerja packing").
_UNSKILLED_WORK = _words(
    r"pabrik",
    r"factory",
    r"packing",
    r"buruh",
    r"cuci piring",
    r"dishwash\w*",
    r"kebun",
    r"farm\w*",
    r"petik",
    r"metik",
    r"picking",
    r"cleaning",
    r"cleaner",
    r"tanpa (?:pengalaman|skill|keahlian)",
    r"no (?:experience|skills?)\b",
    r"(?:ga|gak|tidak|nggak) perlu (?:pengalaman|skill|keahlian|ijazah)",
    r"konstruksi",
    r"construction",
    r"kuli\b",
    r"peternakan",
    r"kapal ikan",
    r"fishing",
    r"pelayan",
    r"waiter",
    r"waitress",
    r"kaigo",
    r"caregiver",
    r"perawat lansia",
    r"housekeeping",
    r"unskilled",
    r"sayur",
    r"fruit",
)

_SALARY_HIGH_IDR = Decimal(25_000_000)
# Even for professional work a monthly salary of ¥1 million or more is a lure.
_SALARY_HIGH_SKILLED_IDR = Decimal(100_000_000)
_FEE_HIGH_IDR = Decimal(50_000_000)


@dataclass(frozen=True)
class AgencyMention:
    kind: str
    name: str


@dataclass(frozen=True)
class OfferFacts:
    """What a description of an offer says, as found by the patterns."""

    text: str
    fees: Tuple[Money, ...] = ()
    salaries: Tuple[Money, ...] = ()
    phones: Tuple[str, ...] = ()
    agencies: Tuple[AgencyMention, ...] = ()
    individual_recruiter: bool = False
    explicitly_unlicensed: bool = False
    claims_licensed: bool = False
    wrong_visa: bool = False
    documents_held: bool = False
    test_waived: bool = False
    no_written_contract: bool = False
    deposit_or_penalty: bool = False
    informal_contact_only: bool = False
    fast_departure: bool = False
    trafficking: bool = False
    upfront_payment: bool = False
    skilled_work: bool = False
    matched: Tuple[str, ...] = field(default_factory=tuple)

    @property
    def highest_fee_idr(self) -> Optional[Decimal]:
        return max((approximate_idr(m) for m in self.fees), default=None)

    @property
    def highest_salary_idr(self) -> Optional[Decimal]:
        return max((approximate_idr(m) for m in self.salaries), default=None)


def _last_end(pattern: Pattern[str], text: str) -> int:
    return max((m.end() for m in pattern.finditer(text)), default=-1)


def _is_salary(lowered: str, money: Money) -> bool:
    """Pay when a salary word sits just before the amount on its line, with no fee word after it
    ("gaji 28jt/bulan, biaya 65jt": the 65jt is the fee), or a per-month marker follows it."""
    before = lowered[max(0, money.start - 30) : money.start]
    before = before[before.rfind("\n") + 1 :]
    salary_at = _last_end(_SALARY_CONTEXT, before)
    if salary_at >= 0 and salary_at > _last_end(_FEE_CONTEXT, before):
        return True
    return bool(_PER_MONTH_AFTER.match(lowered[money.end : money.end + 18]))


def _split_pay_and_fees(lowered: str, money: List[Money]) -> Tuple[Tuple[Money, ...], Tuple[Money, ...]]:
    salary = [_is_salary(lowered, m) for m in money]
    # "25-30jt/bulan": the low end of a range is what the high end is.
    for i in range(len(money) - 1):
        if salary[i + 1] and not salary[i] and _RANGE_BETWEEN.fullmatch(lowered, money[i].end, money[i + 1].start):
            salary[i] = True
    salaries = tuple(m for m, is_pay in zip(money, salary, strict=True) if is_pay)
    # Sentences are found once and each is searched once: a long paste with hundreds of amounts
    # (a price list) stays linear instead of re-reading its sentence per amount.
    sentences = _Sentences(lowered)
    fees = tuple(
        m for m, is_pay in zip(money, salary, strict=True) if not is_pay and not _is_penalty(lowered, m, sentences)
    )
    return salaries, fees


# A sentence ends at ? ! a line break, or a full stop that is not a thousands separator ("5.000.000").
_SENTENCE_END = re.compile(r"[?!\n]|\.(?!\d)")


def _sentence(lowered: str, start: int, end: int) -> str:
    """The sentence around lowered[start:end]."""
    left = 0
    # Marks are read in the whole text: "5.000" is no sentence end even when start is at its "0".
    for mark in _SENTENCE_END.finditer(lowered):
        if mark.start() >= start:
            break
        left = mark.end()
    right = _SENTENCE_END.search(lowered, end)
    return lowered[left : right.start() if right else len(lowered)]


class _Sentences:
    """The sentences of one text, found once, and whether each names a deposit or penalty."""

    def __init__(self, lowered: str) -> None:
        self.lowered = lowered
        self.ends = [mark.end() for mark in _SENTENCE_END.finditer(lowered)]
        self.starts = [mark.start() for mark in _SENTENCE_END.finditer(lowered)]
        self._penalty: Dict[Tuple[int, int], bool] = {}

    def bounds(self, start: int, end: int) -> Tuple[int, int]:
        """As _sentence: from the last end mark before ``start`` to the first mark at or after ``end``."""
        # Marks are one character: "ends by start" is "starts before start", as finditer(…, 0, start).
        before = bisect.bisect_right(self.ends, start) - 1
        left = self.ends[before] if before >= 0 else 0
        after = bisect.bisect_left(self.starts, end)
        right = self.starts[after] if after < len(self.starts) else len(self.lowered)
        return left, right

    def names_penalty(self, start: int, end: int) -> bool:
        key = self.bounds(start, end)
        if key not in self._penalty:
            self._penalty[key] = bool(_DEPOSIT_OR_PENALTY.search(self.lowered[key[0] : key[1]]))
        return self._penalty[key]


def _is_penalty(lowered: str, money: Money, sentences: Optional["_Sentences"] = None) -> bool:
    """A penalty, deposit, forced-savings or ransom amount is judged by its own flag, not as a fee:
    a penalty word right around it, or a threat of payment in its sentence."""
    if _PENALTY_CONTEXT.search(lowered, max(0, money.start - 40), money.end + 25):
        return True
    if sentences is not None:
        return sentences.names_penalty(money.start, money.end)
    return bool(_DEPOSIT_OR_PENALTY.search(_sentence(lowered, money.start, money.end)))


def _agencies(text: str) -> Tuple[AgencyMention, ...]:
    found: List[AgencyMention] = []
    for match in _AGENCY_NAME.finditer(text):
        name = match.group("name").strip()
        if len(name) >= 3 and not name.isdigit():
            found.append(AgencyMention(kind=match.group("kind").lower(), name=f"{match.group('kind').upper()} {name}"))
    return tuple(found)


def _money_between(money: List[Money], start: int, end: int) -> bool:
    return any(start <= m.start and m.end <= end for m in money)


def _forwarded_from_a_person(lowered: str, money: List[Money]) -> bool:
    """A forwarded chat in which a person ("Pak Agus:", "Kang Dadan:") offers the job or asks money."""
    if ":" not in lowered:
        return False
    for line in _CHAT_LINE.finditer(lowered):
        sender, message = line.group("sender").strip(), line.group("message")
        if not _PERSON_SENDER.match(sender) or _ORGANISATION.search(sender) or _ORGANISATION.search(message):
            continue
        if _CHAT_ASKS_MONEY.search(message) and (
            _money_between(money, line.start("message"), line.end("message")) or _PAYMENT_WORD.search(message)
        ):
            return True
    return False


def _names_individual_recruiter(lowered: str, money: List[Money]) -> bool:
    for match in _INDIVIDUAL_RECRUITER.finditer(lowered):
        before = lowered[max(0, match.start() - 40) : match.start()]
        if not _NEGATED_BEFORE.search(before[-25:]) and not _NO_MONEY_OR_ROUTE_BEFORE.search(before):
            return True
    if _forwarded_from_a_person(lowered, money):
        return True
    return bool(_ACQUAINTANCE_RECRUITING.search(lowered)) and not _ONLY_ADVICE.search(lowered)


def _asks_deposit_or_penalty(lowered: str, money: List[Money]) -> bool:
    """ "jaminan"/"deposit" next to a document means the document is held (its own flag), unless it
    is held until money is paid or an amount is named; "no penalty" rules one out."""
    for match in _DEPOSIT_OR_PENALTY.finditer(lowered):
        if _NO_BEFORE.search(lowered, max(0, match.start() - 30), match.start()):
            continue
        word = match.group(0)
        if any(w in word for w in _DEPOSIT_WORDS):
            start, end = max(0, match.start() - 90), match.end() + 40
            sentence = _sentence(lowered, match.start(), match.end())
            held_until_paid = _UNTIL_PAID.search(sentence) or _PROPERTY_TITLE.search(sentence)
            if (
                _DOCUMENT_NEAR.search(lowered, start, end)
                and not _money_between(money, start, end)
                and not held_until_paid
            ):
                continue
        return True
    return False


def _not_negated(lowered: str, start: int) -> bool:
    before = lowered[max(0, start - 40) : start]
    return not _NEGATED_BEFORE.search(before) and not _NO_BEFORE.search(before)


def _asks_upfront_payment(lowered: str) -> bool:
    if any(_not_negated(lowered, m.start()) for m in _UPFRONT.finditer(lowered)):
        return True
    if _EXTRA_FEE.search(lowered) and _SUDDEN.search(lowered):
        return True
    for match in _PAID_BEFORE.finditer(lowered):
        sentence = _sentence(lowered, match.start(), match.end())
        before = lowered[max(0, match.start() - 50) : match.start()]
        if _not_negated(lowered, match.start()) and _PAYMENT_WORD.search(sentence) and not _SIGNED_FIRST.search(before):
            return True
    return False


def _holds_documents(lowered: str) -> bool:
    return (
        bool(_DOCUMENT_RETENTION.search(lowered))
        and not _DOCUMENT_RETURNED.search(lowered)
        and not _COPY_ONLY.search(lowered)
    )


def _is_skilled_work(text: str, lowered: str) -> bool:
    return bool(_SKILLED_WORK.search(lowered) or _SKILLED_IT.search(text)) and not _UNSKILLED_WORK.search(lowered)


# The longest description read: a pasted advert or a long story fits; beyond it some patterns
# (one pass per amount of money) would grow quadratically with the length.
MAX_OFFER_CHARS = 4000


def extract_offer_facts(text: str) -> OfferFacts:
    """Pure: the facts a description states. Never raises; empty text gives empty facts."""
    text = (text or "")[:MAX_OFFER_CHARS]
    lowered = _lower(text)
    money = parse_money(text)
    salaries, fees = _split_pay_and_fees(lowered, money)
    deposit_or_penalty = _asks_deposit_or_penalty(lowered, money)
    documents_held = _holds_documents(lowered)
    checks = {
        "individual_recruiter": _names_individual_recruiter(lowered, money),
        "explicitly_unlicensed": bool(_EXPLICITLY_UNLICENSED.search(lowered)),
        "claims_licensed": bool(_CLAIMS_LICENSED.search(lowered)),
        "wrong_visa": bool(_WRONG_VISA.search(lowered)),
        "documents_held": documents_held,
        "test_waived": bool(_TEST_WAIVED.search(lowered) or _NEVER_TESTED_BUT_LEAVING.search(lowered)),
        "no_written_contract": bool(_NO_CONTRACT.search(lowered)),
        "deposit_or_penalty": deposit_or_penalty,
        "informal_contact_only": bool(_INFORMAL_CONTACT.search(lowered)),
        "fast_departure": bool(_FAST_DEPARTURE.search(lowered)),
        "trafficking": bool(_TRAFFICKING.search(lowered))
        or (documents_held and deposit_or_penalty and bool(_DOCUMENT_HELD_BY_EMPLOYER.search(lowered))),
        "upfront_payment": _asks_upfront_payment(lowered),
    }
    return OfferFacts(
        text=text,
        fees=fees,
        salaries=salaries,
        phones=tuple(find_phones(text)),
        agencies=_agencies(text),
        skilled_work=_is_skilled_work(text, lowered),
        matched=tuple(name for name, hit in checks.items() if hit),
        **checks,
    )


def salary_is_unrealistic(facts: OfferFacts) -> bool:
    highest = facts.highest_salary_idr
    if highest is None:
        return False
    return highest >= (_SALARY_HIGH_SKILLED_IDR if facts.skilled_work else _SALARY_HIGH_IDR)


def fee_is_excessive(facts: OfferFacts) -> bool:
    highest = facts.highest_fee_idr
    return highest is not None and highest > _FEE_HIGH_IDR
