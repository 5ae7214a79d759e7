"""Facts about a job offer, pulled out of the free text a user writes.

Users describe offers in informal Indonesian or English ("ditawarin kerja pabrik sm temen ibu,
visa turis dulu, bayar 45jt ke rekening dia"). Each fact is found by small, readable patterns
over the lower-cased text, plus the money and phone parsers; the risk rules (bot.recruitment.risk)
decide what the facts mean. Patterns are deliberately explicit lists so reviewers can read them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import List, Optional, Pattern, Tuple

from bot.recruitment.money import Money, approximate_idr, parse_money
from bot.recruitment.phone import find_phones


def _any(*patterns: str) -> Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


# Words that make a sentence about pay rather than about a fee.
_SALARY_CONTEXT = _any(r"gaji", r"gajih", r"salary", r"upah", r"wage", r"penghasilan", r"income", r"earn",
                       r"per ?bulan", r"perbulan", r"/ ?(?:bln|bulan|month|mo)\b", r"sebulan", r"a month", r"monthly",
                       r"per month", r"take home", r"bersih")
_INDIVIDUAL_RECRUITER = _any(
    r"\bcalo(?:nya|ku|mu)?\b", r"\bsponsor(?:nya|ku|mu)?\b", r"\bbroker\b", r"\bmiddle ?man\b", r"\bperorangan\b", r"\boknum\b", r"\btekong\b",
    r"\bagen (?:perorangan|pribadi|freelance)\b", r"\bindividual (?:agent|recruiter)\b", r"\bmakelar\b", r"\bfreelance (?:agent|recruiter)",
    r"\bngaku(?:nya)? (?:jadi )?(?:agen|sponsor)", r"\bclaims? to be an? (?:agent|recruiter)", r"inside (?:people|person|man)",
    r"orang dalam", r"(?:recruiter|perekrut|agen|agent|calo|sponsor)\w*,?\s+(?:mr|mrs|ms|pak|bu|mas|mbak|bang)\.?\s+[a-z]",
    r"(?:pak|bu|mas|mbak|bang|mr|mrs|ms)\.?\s+[a-z]+\s+(?:yg|yang|who)\s+(?:ngurus|urus|berangkatin|brangkatin|handles?|recruited|sent)",
    r"(?:paid|pay|bayar|transfer|tf)\w*\s+(?:\S+\s+){0,3}(?:ke|to)\s+(?:mr|mrs|ms|pak|bu|mas|mbak|bang)\.?\s+[a-z]",
    r"\b(?:pak|bu) rt\b", r"guru ngaji", r"jalur khusus", r"special (?:route|channel|path)",
    r"ngaku(?:nya)? punya (?:link|jalur|kenalan|koneksi|orang)", r"punya (?:link|koneksi) (?:perusahaan|pabrik|di)",
    r"(?:he|she) (?:say|says|said|claims?) (?:he|she) (?:is|was) (?:an? )?(?:recruiter|agent)", r"personally (?:will )?handle",
    r"(?:ex[- ]?trainee|alumni|alumnus|mantan (?:peserta|magang|tki|pmi))\w*[^.?!\n]{0,40}(?:recruit|rekrut|berangkatin|bantu berangkat|bisa bantu|ngajak)",
    r"\bthe agent (?:lady|woman|man|guy)\b", r"\b(?:ibu|bapak|mas|mbak) agen\b", r"agen (?:cewek|cowok|perempuan|laki)",
    r"(?:pak|bu|mr|mrs|ms|mas|mbak|bang)\.?\s+[a-z]+,?\s+(?:\w+\s+)?(?:agen|agent|calo|sponsor|recruiter)\b",
    r"(?:pak|bu|ibu2|bapak2|pak kadus|pak kades|pak lurah)\s*(?:\w+\s+){0,3}(?:ngumpulin|kumpulin|ngirim|mengirim|dikirim)",
    r"\bpak (?:kadus|kades|lurah|camat)\b",
)
# Someone who only advised the user ("cuma ngasih saran", "she is not the recruiter") is not a recruiter.
_ONLY_ADVICE = _any(
    r"(?:cuma|hanya|just|only)\s+(?:ngasih\s+|kasih\s+|gave\s+|give\s+)?(?:saran|advice|advised|recommend\w*|info)",
    r"(?:not|bukan)\s+(?:the\s+)?(?:recruiter|perekrut|agen|agent)", r"\brecommended\b", r"\bwarned\b", r"\bwarn me\b",
    r"ngingetin", r"mengingatkan", r"nasehatin", r"nasihatin",
)
# A recruiter word in a warning or a general question ("ciri2 calo", "warned me about brokers") is no claim.
_NEGATED_BEFORE = re.compile(
    r"(?:jangan|jgn|jgan|bukan|tanpa|not|never|avoid|hindari|don'?t|dont|ciri\S*|about|tentang|soal|waspada|hati[- ]?hati|"
    r"beware(?: of)?|warned(?: me)?(?: about)?|hindarin)\s+(?:\w+\s+){0,3}$",
    re.IGNORECASE,
)
# Relatives and acquaintances only count when they are the ones offering or collecting money.
_ACQUAINTANCE = r"\b(?:te?me?n|kenalan|tetangga|sodara|saudara|sepupu|ipar|paklik|bulik|om|tante|paman|bibi|pakde|bude|kakak|abang|ibu|bapak|" \
                r"friend|neighbou?r|cousin|uncle|aunt|relative|a guy|someone|some guy|some lady|a lady|a man|a woman|brother|sister)"
_OFFER_VERB = r"(?:nawar|tawar|ngajak|ajak|berangkatin|brangkatin|urus|ngurus|janji|bawa|rekrut|recruit|offer|promis|" \
              r"says? i can|said i can|says? he can|says? she can|can get me|get me into|told me|can send|will send|" \
              r"arrang|minta|asks?|asked|bayar|transfer|pay|bilang (?:bisa|bs)|bisa masukin|bs masukin|masukin|nyariin|cariin|carikan|" \
              r"find me|get me a job|nyelipin|selipin|blg (?:\w+\s+)?(?:bisa|bs)|bilang (?:\w+\s+)?(?:bisa|bs)|ngurusin|" \
              r"nawarin|offered)"
_ACQUAINTANCE_RECRUITING = _any(
    rf"{_ACQUAINTANCE}\w*[^.?!\n]{{0,40}}{_OFFER_VERB}",
    rf"{_OFFER_VERB}\w*[^.?!\n]{{0,25}}\b(?:sama|sm|by|from|dari|dr|lewat|via|ke|to)\s+(?:\w+\s+){{0,2}}{_ACQUAINTANCE}",
    rf"\b(?:di)?(?:tawar|nawar)\w*\s+{_ACQUAINTANCE}",
    r"calls? (?:himself|herself) (?:an? )?(?:agent|agen|sponsor|recruiter)",
    r"(?:agen|agent)\s+(?:\w+\s+){0,2}(?:pak|bu|mas|mbak|bang|mr|mrs|ms)\b",
    r"(?:gak|ga|gk|tidak|tdk|nggak|bukan|not)\s+(?:lewat|lwt|via|through)\s+(?:lpk|pt|agen|agency|so|p3mi)",
)
_EXPLICITLY_UNLICENSED = _any(
    r"(?:tidak|tdk|gak|ga|gk|nggak|ngga|belum|blm|tanpa|bukan|not|no|isn'?t|without)\s+(?:ada\s+|punya\s+|a\s+)?"
    r"(?:izin|ijin|terdaftar|resmi|licen[cs]e|licensed|registered|legal|so\b)",
    r"\bunregistered\b", r"\bunlicensed\b", r"\bilegal\b", r"\billegal\b", r"\bbodong\b", r"\babal[- ]?abal\b",
    r"(?:gak|ga|tidak|tdk|nggak|not)\s+(?:ada\s+)?(?:di|in|on)\s+(?:the\s+)?(?:\w+\s+)?(?:daftar|list|situs|website|siskop2mi|kemnaker|registry)",
    r"izin\w*\s+(?:\w+\s+){0,3}(?:dicabut|habis|mati|kadaluarsa|kedaluwarsa|expired)",
    r"licen[cs]e\w*\s+(?:\w+\s+){0,3}(?:expired|revoked|in process|pending|suspended)",
)
_WRONG_VISA = _any(
    r"visa\s*(?:turis|wisata|kunjungan|visit|pelajar|student|belajar|sekolah|waiver|liburan|pariwisata|jalan[- ]?jalan)",
    r"(?:tourist|visit(?:or)?|student|study|language[- ]school|holiday)\s*visa", r"visa[- ]?free", r"bebas\s*visa",
    r"\bwaiver\b", r"e-?paspor\s*(?:aja|saja|only)", r"sekolah bahasa[^.?!\n]{0,40}(?:kerja|full ?time|sambil)",
    r"(?:language school|study)[^.?!\n]{0,40}(?:work|job)",
)
_DOCUMENT = r"(?:paspor|pasport|passport|ijazah|ijasah|diploma|zairyu|residence card|kartu (?:tinggal|izin tinggal)|" \
            r"ktp asli|akta|dokumen asli|original documents?|sertifikat asli|kk asli|kartu keluarga|buku nikah|" \
            r"birth certificate|family card|originals|skck asli|akta kelahiran asli)"
_HOLD = r"(?:ditahan|ditahen|disimpan|dipegang|diambil|dititip|dititipkan|disita|dikumpulin|dikumpulkan|nahan|nyimpen|" \
        r"nyimpan|megang|ngambil|nyita|dibawa|deposited|dititipin|disimpen|disimpenin|" \
        r"tahan|simpan|pegang|ambil|kept|held|taken|took|take|keep|keeps|hold|holds|confiscat\w*|seized|collect\w*)"
_DOCUMENT_RETENTION = _any(
    rf"(?:ogah|gak mau|ga mau|tidak mau|nggak mau|won'?t|wont|refus\w*(?: to)?)\s+(?:\w+\s+)?(?:balikin|kembaliin|ngembaliin|"
    rf"mengembalikan|return|give back)\w*(?:\s+(?:\w+\s+){{0,2}}{_DOCUMENT})?",
    rf"(?:leave|left|tinggalin|ninggalin)\w*\s+(?:\w+\s+){{0,3}}{_DOCUMENT}",
    rf"{_DOCUMENT}\w*\s+(?:\w+\s+){{0,5}}(?:ditinggal\w*|with them|di kantor)",
    rf"{_DOCUMENT}\w*[^.?!\n]{{0,35}}\b{_HOLD}",
    rf"\b{_HOLD}\w*[^.?!\n]{{0,25}}{_DOCUMENT}",
)
_EMPLOYER = r"(?:bos|boss|majikan|employer|company|perusahaan|pabrik|supervisor|manager|pengawas|mandor)"
_DOCUMENT_HELD_BY_EMPLOYER = _any(
    rf"{_DOCUMENT}\w*[^.?!\n]{{0,40}}\b{_HOLD}\w*[^.?!\n]{{0,20}}{_EMPLOYER}",
    rf"{_EMPLOYER}\w*[^.?!\n]{{0,40}}\b{_HOLD}\w*[^.?!\n]{{0,30}}{_DOCUMENT}",
)
_DOCUMENT_RETURNED = _any(rf"{_DOCUMENT}\w*[^.?!\n]{{0,25}}(?:dipegang sendiri|pegang sendiri|tetap (?:aku|saya)|i keep|kept by me|with me)")
_TEST_WAIVED = _any(
    r"(?:tanpa|gak|ga|gk|nggak|ngga|tidak|tdk|no|not|don'?t|dont|doesn'?t|without|skip)\s+(?:perlu\s+|usah\s+|need\s+|needed\s+|"
    r"required\s+|ada\s+|any\s+|a\s+|take\s+|the\s+|have to sit\s+|have to take\s+|to sit\s+)?(?:\w+\s+)?"
    r"(?:tes|test|ujian|exam|jlpt|jft|skill test)",
    r"(?:arrange|urus|beli|buy|atur)\w*\s+(?:\w+\s+){0,2}(?:jft|jlpt|sertifikat|certificate|skill)",
    r"(?:sertifikat|certificate)\w*[^.?!\n]{0,25}(?:bs|bisa|can be)\s+(?:diatur|diurus|dibeli)",
    r"(?:tes|test|ujian|exam|jlpt|jft|bahasa|language)[^.?!\n]{0,20}(?:gak|ga|tidak|tdk|nggak|not|no)\s+(?:perlu|usah|needed|required|wajib|necessary)",
    r"(?:sertifikat|sertipikat|certificate|jlpt|jft|n4|n3)\w*[^.?!\n]{0,25}(?:bisa|dapat|can be|could be|will be)?\s*"
    r"(?:diurus|diuruskan|dibeli|dibeliin|dibuatin|dibuatkan|beli|bought|arranged|bought|purchased|fixed|faked)",
    r"(?:beli|buy|nembak|tembak)\s+(?:\w+\s+)?(?:sertifikat|certificate|jlpt|jft)",
    r"(?:gak|ga|gk|nggak|tidak|tdk|no|don'?t|dont|doesn'?t)\s+(?:perlu|usah|need|needs|have)\s+(?:to\s+)?(?:bisa\s+|speak\s+|know\s+|learn\s+)?"
    r"(?:bahasa|bhs|japanese|nihongo|jepang)", r"(?:dijamin|pasti|guaranteed?)\s+lulus",
    r"guaranteed? (?:to )?pass",
)
_NO_CONTRACT = _any(
    r"(?:tanpa|gak|ga|gk|nggak|ngga|tidak|tdk|belum|blm|no|not|without|never)\s+(?:ada\s+|dikasih\s+|dapat\s+|dapet\s+|any\s+|a\s+|"
    r"given\s+|signed?\s+|sign\s+|perlu\s+|usah\s+|need\s+(?:a\s+|any\s+)?)?(?:surat\s+)?(?:kontrak|perjanjian|contract)",
    r"(?:kontrak|perjanjian|contract)\w*[^.?!\n]{0,25}\b(?:nanti|menyusul|belakangan|later|after arrival|in japan|di jepang|disana|"
    r"di sana|di jpg|di jepun)",
    r"(?:won'?t|wont|refus\w*|doesn'?t want to|gak mau|ga mau|tidak mau|nggak mau)\s+(?:to\s+)?(?:give|sign|kasih|tanda ?tangan|ttd)"
    r"[^.?!\n]{0,20}(?:kontrak|contract|perjanjian)",
    r"(?:cuma|hanya|just|only)\s+(?:janji\s+)?(?:lisan|omongan|verbal|kata-kata|words)", r"verbal (?:agreement|promise)",
    r"(?:kontrak|contract)[^.?!\n]{0,40}(?:when i arrive|on arrival|after i arrive|pas (?:nyampe|sampai|tiba)|setelah (?:sampai|tiba))",
    r"nothing to sign", r"(?:gak|ga|tidak|nggak) ada yang (?:perlu )?(?:ditandatangan|ditanda tangan|di ?ttd)",
)
_DEPOSIT_OR_PENALTY = _any(
    r"uang jaminan", r"\bjaminan\b", r"\bdeposit", r"biaya ikatan", r"ikatan (?:dinas|kontrak)", r"\bdenda\b", r"penalt",
    r"\bfine[sd]?\b", r"ganti rugi", r"pinalti", r"(?:bond|guarantee|security) (?:fee|money|payment)", r"compensation if",
    r"kalau (?:kabur|keluar|berhenti|resign)[^.?!\n]{0,30}(?:bayar|ganti|potong)", r"(?:quit|leave|run away)[^.?!\n]{0,30}(?:pay|owe)",
)
_INFORMAL_CONTACT = _any(
    r"(?:cuma|cm|hanya|only|just|semua|all)\s+(?:lewat|lwt|via|through|by|di|on|pakai|pake)?\s*(?:wa\b|whatsapp|fb\b|facebook|ig\b|"
    r"instagram|tiktok|telegram|dm\b|inbox|chat|messenger|line\b|grup)",
    r"(?:kontak|contact|hubung|komunikasi|chat|reply|replies|balas|bales|ngobrol|talk)\w*\s+(?:\w+\s+){0,2}(?:cuma|cm|hanya|only|just)\s+"
    r"(?:\w+\s+)?(?:wa\b|whatsapp|fb\b|facebook|ig\b|instagram|tiktok|telegram|messenger|dm\b|inbox)",
    r"(?:cuma|cm|hanya|only|just)\s+(?:\w+\s+){0,2}(?:kontak|contact|hubung|chat|reply|replies|respond|balas|bales|dm)\w*\s+(?:\w+\s+){0,2}"
    r"(?:on|via|lewat|lwt|di|by|in)\s+(?:wa\b|whatsapp|fb\b|facebook|ig\b|instagram|tiktok|telegram|messenger|dm\b|inbox)",
    r"(?:won'?t|wont|doesn'?t|tidak mau|gak mau|ga mau)\s+(?:give|share|kasih)\s+(?:an?\s+|the\s+)?(?:office\s+)?(?:address|alamat)",
    r"alamat\s+(?:kantor\w*\s+)?(?:ga|gak|tidak|nggak|gk)\s+(?:dikasih|jelas|ada)",
    r"(?:wa\b|whatsapp|fb\b|facebook|ig\b|instagram|tiktok|telegram|dm\b)\w*\s+(?:\w+\s+)?(?:only|doang|aja|saja)\b",
    r"(?:gak|ga|tidak|tdk|nggak|no|without|belum)\s+(?:ada\s+|punya\s+|an?\s+)?(?:kantor|office|alamat|address)",
    r"kantor\w*\s+(?:gak|ga|tidak|nggak)\s+(?:ada|jelas)", r"(?:never|not) (?:met|meet) (?:in person|face to face)",
    r"ketemu(?:nya)? di (?:kafe|cafe|warung|mall|parkiran)",
)
_FAST_DEPARTURE = _any(
    r"(?:berangkat|brangkat|terbang|depart|fly|flying|leave|leaving|go|get me)\w*[^.?!\n]{0,30}(?:\b[1-9]\d?\b|\bse|satu|dua|tiga|empat|one|two|three|four|a few|few)\s*"
    r"(?:hari|hr|minggu|mgg|pekan|days?|weeks?)",
    r"(?:\b[1-9]\d?\b|\bse|satu|dua|tiga|empat|one|two|three|four|a few|few)\s*(?:hari|hr|minggu|mgg|pekan|days?|weeks?)\s*"
    r"(?:lagi|lg|later|langsung|udah|sudah|berangkat|terbang|depart|fly|from now|after)",
    r"(?:within|in)\s+(?:a|one|1)\s+month", r"(?:dalam|dlm)\s+(?:se|1\s*|satu\s+)bulan",
    r"(?:berangkat|brangkat|terbang)\w*\s+(?:bulan|bln)\s+(?:depan|dpn)",
    r"(?:berangkat|brangkat|terbang|depart|fly|leave)\w*[^.?!\n]{0,20}(?:bulan depan|minggu depan|besok|lusa|next month|next week|"
    r"tomorrow|sebulan|1 bulan|satu bulan|within a month|in a month|langsung|cepat|secepatnya|right away|immediately|asap)",
    r"(?:bulan depan|minggu depan|next month|next week|dalam sebulan|within a month)[^.?!\n]{0,20}(?:berangkat|brangkat|terbang|depart|fly|leave|go)",
    r"langsung berangkat", r"cepat berangkat", r"proses (?:cepat|kilat|singkat)", r"fast[- ]track",
)
_TRAFFICKING = _any(
    r"dikurung", r"dikunci", r"\bmukul\w*", r"\bmemukul", r"\bditampar", r"\bditendang", r"kekerasan", r"\bviolen\w*",
    r"\bslap\w*", r"(?:lunas|bayar|pay)\w*\s+(?:\w+\s+){0,3}(?:baru|then|before)\s+(?:\w+\s+)?(?:boleh|bisa|can|may)\s+(?:pulang|go home|leave)",
    r"\bno (?:off|day off|days off|holiday|rest day)\b", r"(?:tanpa|ga ada|gak ada|tidak ada|nggak ada) (?:hari )?libur",
    r"(?:nobody|no one|none of us)\s+(?:\w+\s+)?(?:get|got|gets|been|is)?\s*paid",
    r"(?:salary|gaji)[^.?!\n]{0,25}(?:paid|dibayar)\s+(?:after|setelah|stlh)\s+(?:\d|se|satu|one|a)\s*(?:year|tahun|thn)",
    r"\b1[4-9]\s*(?:jam|hours?)\b", r"disekap", r"\bdisandera", r"(?:gak|ga|tidak|tdk|nggak|dilarang)\s+(?:boleh|bisa)\s+keluar",
    r"locked (?:in|up)", r"\bconfined\b", r"not allowed (?:to )?(?:leave|go out)", r"can'?t leave", r"cannot leave",
    r"diancam", r"ngancam", r"mengancam", r"threat", r"dipukul", r"disiksa", r"dianiaya", r"\bbeat(?:en|s)?\b", r"\bhit me\b",
    r"abus(?:e|ed|ive)", r"ditelantarkan", r"terlantar", r"\bstranded\b", r"\babandoned\b", r"nobody (?:picked|came|met)",
    r"(?:gak|ga|tidak|tdk|nggak)\s+ada\s+(?:yang|yg)\s+(?:jemput|jmput)", r"dipaksa", r"\bforced\b", r"kerja paksa",
    r"jerat utang", r"debt bondage", r"(?:gaji|upah)\w*\s+(?:gak|ga|tidak|tdk|nggak|belum|blm)\s+(?:di)?bayar\w*[^.?!\n]{0,25}"
    r"(?:\d|bulan|berbulan|bln)", r"(?:unpaid|not (?:been )?paid|haven'?t been paid|no salary|no pay)[^.?!\n]{0,25}(?:\d|months?)",
    r"(?:dijual|sold)\b", r"(?:gak|ga|tidak|tdk|nggak)\s+(?:dibolehin|dibolehkan|diizinkan|diijinkan|boleh)\s+(?:pulang|keluar)",
    r"not allowed (?:to )?(?:go home|leave|return|contact)",
    r"(?:pulang|keluar)\w*\s+(?:\w+\s+){0,2}(?:ga|gak|tidak|nggak|gk)\s+(?:dikasih|dibolehin|boleh|diizinin|diijinin)",
    r"(?:utang|hutang|debt)\w*[^.?!\n]{0,50}(?:dipotong|potong|cut|deduct|pay back|bayar balik)",
    r"(?:cut|potong)\w*\s+(?:almost\s+)?(?:all|semua|hampir semua)\s+(?:my\s+|the\s+)?(?:salary|gaji)",
    r"(?:gaji|gajine|gajinya|salary|wages?|pay)\w*\s+(?:\w+\s+){0,3}(?:ditahan|withheld|tertahan)",
    r"(?:ditahan|withheld)\s+(?:\w+\s+){0,2}(?:gaji|salary|wages?)", r"(?:not|never) (?:been )?paid since", r"unpaid since",
    r"(?:ga|gak|tidak|belum|blm|nggak) (?:di)?gaji", r"\b(?:kami|kita|aku|saya|dia|mereka|we|i|she|he|they)\s+(?:\w+\s+){0,3}ditinggal(?:in|kan)?\b",
    r"ditinggal(?:in|kan)?\s+(?:\w+\s+)?di\s+(?:hotel|bandara|airport|jalan|penginapan|asrama|stasiun)", r"\bleft (?:us|me|her|him|them)\b",
    r"stuck (?:in|at)", r"never (?:came|showed)", r"kabur bawa (?:duit|uang)", r"(?:ran|run) away with (?:our|my|the) money",
    r"(?:ga|gak|tidak|nggak) bisa dihubungi", r"(?:hp|handphone|phone)\w*\s+(?:\w+\s+){0,3}(?:disita|diambil|confiscat\w*|taken)",
    r"(?:took|take|ambil)\w*\s+(?:her|his|my|their|our)\s+(?:phone|hp)", r"(?:ga|gak|tidak|nggak) boleh (?:kontak|hubungi|telp)",
    r"locked from (?:the )?outside", r"door is locked", r"pintu\w* dikunci", r"\bhit (?:her|him|me|us|them)\b",
    r"(?:police|polisi) will (?:catch|arrest)", r"took (?:her|his|my|their|our) passports?", r"(?:utang|hutang)\w*[^.?!\n]{0,40}(?:ga|gak|tidak|nggak|gk)\s+lunas", r"(?:passport|paspor)\w*\s+(?:diambil|ditahan|taken|kept|held)[^.?!\n]{0,30}(?:bos|boss|majikan|employer|broker|agen)",
    r"(?:bos|boss|majikan|employer|broker)\w*[^.?!\n]{0,25}(?:ambil|took|take|tahan|keep|hold)\w*[^.?!\n]{0,30}(?:paspor|passport)",
)
_UPFRONT = _any(
    r"\bdp\b", r"uang muka", r"down ?payment", r"bayar (?:dulu|duluan|di ?muka|didepan|di depan)", r"pay (?:first|upfront|up front|in advance)",
    r"\bupfront\b", r"in advance", r"tanda jadi", r"booking fee", r"biaya booking",
    r"(?:bayar|setor|transfer|tf)\s+\S+\s+(?:dlu|dulu|duluan)", r"pay\s+\S+(?:\s+\S+)?\s+first",
    r"(?:bayar|setor|transfer|tf|kirim|dp)\w*[^.?!\n]{0,25}\b(?:dlu|dulu|duluan|first)\s+(?:baru|then)\b",
    r"uang pangkal", r"biaya awal", r"setoran (?:pertama|awal)", r"commitment fee", r"secure (?:the|my|a) (?:slot|seat|place)",
    r"(?:ngamanin|amankan|mengamankan|booking) (?:kuota|slot|tempat)", r"atas nama pribadi", r"under (?:his|her) (?:own )?name",
    r"(?:sebelum|sblm|before)\s+(?:\w+\s+){0,3}(?:kontrak|contract|visa|coe|ttd|tanda tangan)",
    r"(?:padahal|but|while)\s+(?:\w+\s+){0,2}(?:visa|kontrak|contract|coe|tes|test)\w*\s+(?:\w+\s+)?(?:blm|belum|not yet|hasn'?t|haven'?t)",
    r"(?:his|her) own (?:\w+ )?account",
    r"(?:transfer|tf|bayar|kirim|pay|paid|send|sent|setor)\w*[^.?!\n]{0,30}\b(?:ke|to)\s+(?:dia|beliau|him|her)\b", r"rekening (?:istri|suami|anak|adik|kakak|keluarga)\w*", r"\b(?:ovo|gopay|shopeepay)\b",
    r"(?:uang|biaya) (?:administrasi|pendaftaran|admin)[^.?!\n]{0,60}(?:padahal|before|sblm|sebelum)",
    r"(?:padahal|before|sblm|sebelum)\s+(?:\w+\s+){0,3}(?:blm|belum|ada|any)?\s*(?:tes|test|interview|wawancara|medical)",
    r"(?:rekening|rek|account)\s*(?:pribadi|dia|nya|beliau|orang|personal|his|her|private)", r"(?:personal|private) (?:bank )?account",
    r"(?:transfer|tf|bayar|kirim|pay|paid|send|sent)\w*[^.?!\n]{0,30}\b(?:ke|to)\s+(?:rekening\s+|rek\s+|account of\s+)?"
    rf"{_ACQUAINTANCE}",
    r"(?:sebelum|before)\s+(?:ada\s+|any\s+|the\s+|a\s+)?(?:kontrak|contract|visa|coe|tes|test|ujian|interview|wawancara)",
)
_NAME_STOPWORDS = (
    r"yang|yg|di|ke|dari|dr|itu|ini|minta|bilang|blg|nawarin|katanya|kata|and|dan|sama|sm|says?|said|asks?|asked|offers?|"
    r"for|with|in|at|to|is|was|wants?|told|the|a|an|tsb|tersebut|nya|lain|lainnya|other|another|mana|apa|aja|saja|sih|kah|dong|lagi|lg|tapi|tp|juga|jg|sudah|udah|udh|resmi|terdaftar|"
    r"registered|licensed|licence|license|berizin|izin|ijin|abal|bodong|ilegal|illegal|that|which|who|has|had|have|my|ku|aku"
)
# "LPK Sakura Mandiri", "PT. Maju Jaya": a legal prefix followed by up to four name words.
# "SO" is only a prefix in capitals, otherwise it is the English word "so".
_AGENCY_NAME = re.compile(
    rf"\b(?P<kind>(?i:lpk|pt|cv|yayasan)|SO)\.?\s+(?P<name>(?!(?i:{_NAME_STOPWORDS})\b)[A-Za-z0-9][\w&'-]*"
    rf"(?:\s+(?!(?i:{_NAME_STOPWORDS})\b)[A-Za-z0-9][\w&'-]*){{0,3}})",
)
# The user says the agency is licensed or that they checked it on an official registry.
_CLAIMS_LICENSED = _any(
    r"(?<!tidak )(?<!gak )(?<!ga )(?<!belum )(?<!blm )(?<!tdk )(?<!bukan )(?<!nggak )(?<!not )"
    r"\b(?:terdaftar|berizin|punya izin|ada izin|resmi|licensed|registered|listed|accredited)\b",
    r"(?:so|kelembagaan)\.kemnaker", r"siskop2mi", r"(?:cek|check|checked|dicek)\w*[^.?!\n]{0,30}(?:kemnaker|bp2mi|kp2mi|registry|daftar)",
)
_SALARY_HIGH_IDR = Decimal(25_000_000)
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
    matched: Tuple[str, ...] = field(default_factory=tuple)

    @property
    def highest_fee_idr(self) -> Optional[Decimal]:
        return max((approximate_idr(m) for m in self.fees), default=None)

    @property
    def highest_salary_idr(self) -> Optional[Decimal]:
        return max((approximate_idr(m) for m in self.salaries), default=None)


def _is_salary(text: str, money: Money) -> bool:
    """Money is pay when salary words sit just before it or a per-month marker just after."""
    before = text[max(0, money.start - 30): money.start]
    after = text[money.end: money.end + 18]
    return bool(_SALARY_CONTEXT.search(before) or re.match(r"\s*(?:/|per|se|a )\s*(?:bln|bulan|month|mo)\b|\s*sebulan|\s*(?:a|per) month",
                                                             after, re.IGNORECASE))


_PENALTY_CONTEXT = _any(r"denda", r"penalt", r"\bfine", r"ganti rugi", r"pinalti", r"jaminan", r"deposit", r"ikatan", r"kabur",
                       r"run away", r"quit", r"mundur", r"resign", r"compensation", r"utang", r"hutang", r"\bdebt")


def _is_penalty(text: str, money: Money) -> bool:
    """A penalty or deposit amount ("denda 30jt kalau kabur") is judged by its own flag, not as a fee."""
    return bool(_PENALTY_CONTEXT.search(text[max(0, money.start - 40): money.end + 25]))


def _agencies(text: str) -> Tuple[AgencyMention, ...]:
    found: List[AgencyMention] = []
    for match in _AGENCY_NAME.finditer(text):
        name = match.group("name").strip()
        if len(name) >= 3 and not name.isdigit():
            found.append(AgencyMention(kind=match.group("kind").lower(), name=f"{match.group('kind').upper()} {name}"))
    return tuple(found)


def _names_individual_recruiter(text: str) -> bool:
    for match in _INDIVIDUAL_RECRUITER.finditer(text):
        if not _NEGATED_BEFORE.search(text[max(0, match.start() - 25): match.start()]):
            return True
    return bool(_ACQUAINTANCE_RECRUITING.search(text)) and not _ONLY_ADVICE.search(text)


_DOCUMENT_NEAR = re.compile(_DOCUMENT, re.IGNORECASE)


def _asks_deposit_or_penalty(text: str) -> bool:
    """"jaminan"/"deposit" next to a document means the document is held (its own flag), not money."""
    for match in _DEPOSIT_OR_PENALTY.finditer(text):
        word = match.group(0).lower()
        if word in ("jaminan", "deposit") or word.startswith("deposit"):
            around = text[max(0, match.start() - 90): match.end() + 40]
            if _DOCUMENT_NEAR.search(around) and not parse_money(around):
                continue
        return True
    return False


def extract_offer_facts(text: str) -> OfferFacts:
    """Pure: the facts a description states. Never raises; empty text gives empty facts."""
    text = text or ""
    money = parse_money(text)
    salaries = tuple(m for m in money if _is_salary(text, m))
    fees = tuple(m for m in money if m not in salaries and not _is_penalty(text, m))
    checks = {
        "individual_recruiter": _names_individual_recruiter(text),
        "explicitly_unlicensed": bool(_EXPLICITLY_UNLICENSED.search(text)),
        "claims_licensed": bool(_CLAIMS_LICENSED.search(text)),
        "wrong_visa": bool(_WRONG_VISA.search(text)),
        "documents_held": bool(_DOCUMENT_RETENTION.search(text)) and not _DOCUMENT_RETURNED.search(text),
        "test_waived": bool(_TEST_WAIVED.search(text)),
        "no_written_contract": bool(_NO_CONTRACT.search(text)),
        "deposit_or_penalty": _asks_deposit_or_penalty(text),
        "informal_contact_only": bool(_INFORMAL_CONTACT.search(text)),
        "fast_departure": bool(_FAST_DEPARTURE.search(text)),
        "trafficking": bool(_TRAFFICKING.search(text) or _DOCUMENT_HELD_BY_EMPLOYER.search(text)),
        "upfront_payment": any(
            not _NEGATED_BEFORE.search(text[max(0, m.start() - 40): m.start()]) for m in _UPFRONT.finditer(text)
        ),
    }
    return OfferFacts(
        text=text,
        fees=fees,
        salaries=salaries,
        phones=tuple(find_phones(text)),
        agencies=_agencies(text),
        matched=tuple(name for name, hit in checks.items() if hit),
        **checks,
    )


def salary_is_unrealistic(facts: OfferFacts) -> bool:
    highest = facts.highest_salary_idr
    return highest is not None and highest >= _SALARY_HIGH_IDR


def fee_is_excessive(facts: OfferFacts) -> bool:
    highest = facts.highest_fee_idr
    return highest is not None and highest > _FEE_HIGH_IDR

