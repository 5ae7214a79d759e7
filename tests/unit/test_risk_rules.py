"""Every flag rule, the level rules, and the tuning sets (the held-out set is for `make eval`)."""

import datetime as dt
from pathlib import Path

import pytest
import yaml

from bot.recruitment.extract import extract_offer_facts
from bot.recruitment.registry import RegistryEntry, normalise_name
from bot.recruitment.risk import FLAG_CODES, HIGH_RISK_FLAGS, assess_offer, risk_level

TODAY = dt.date(2026, 11, 27)
REGISTRY = [
    RegistryEntry("LPK Contoh Sakura Nusantara", "SO-1", "so", "Bandung", dt.date(2028, 1, 1), "active"),
    RegistryEntry("LPK Contoh Hikari Lama", "SO-2", "so", "Surabaya", dt.date(2025, 1, 1), "active"),
]


def flags_of(text: str):
    return set(assess_offer(extract_offer_facts(text), REGISTRY, TODAY).flags)


def agencies_of(text: str):
    return {(a.name, a.status) for a in assess_offer(extract_offer_facts(text), REGISTRY, TODAY).agencies}


@pytest.mark.parametrize(
    "flag, text",
    [
        ("upfront_fee", "LPK nya minta DP 5jt dulu sebelum tes, transfer ke rekening pribadi"),
        ("upfront_fee", "they told me to pay 10jt first then they process my visa"),
        ("excessive_fee", "biaya magang lewat PT itu 85 juta, udah termasuk semua"),
        ("excessive_fee", "the agency fee is ¥600,000 for an SSW job"),
        ("wrong_visa", "berangkat pake visa turis dulu nanti kerja di sana"),
        ("wrong_visa", "you can go on a visa waiver and find a job there"),
        ("wrong_visa", "masuk pakai visa pelajar sekolah bahasa tapi kerja full time"),
        ("unlicensed_agency", "ditawarin temen ibu kerja di pabrik jepang"),
        ("unlicensed_agency", "lewat calo aja biar cepet"),
        ("unlicensed_agency", "LPK ini ga terdaftar di kemnaker tapi katanya aman"),
        ("unlicensed_agency", "daftar lewat LPK Contoh Hikari Lama"),  # expired licence
        ("document_retention", "paspor aku ditahan LPK sampai lunas"),
        ("document_retention", "the agency keeps my original diploma until I pay"),
        ("language_test_waived", "ga perlu tes bahasa, langsung kerja"),
        ("language_test_waived", "sertifikat JFT bisa dibeli 5jt"),
        ("unrealistic_salary", "gaji 30jt sebulan jadi buruh pabrik"),
        ("unrealistic_salary", "salary 450,000 yen a month for dishwashing"),
        ("no_written_contract", "kontraknya nanti aja di jepang"),
        ("no_written_contract", "there is no written contract, only a verbal promise"),
        ("deposit_or_penalty", "ada denda 30jt kalau kabur"),
        ("deposit_or_penalty", "harus bayar uang jaminan 10jt"),
        ("informal_contact_only", "kontaknya cuma lewat WA, ga ada kantor"),
        ("informal_contact_only", "they only reply in DM on instagram and won't give an address"),
        ("fast_departure", "langsung berangkat 2 minggu lagi"),
        ("fast_departure", "you will fly to Japan within 10 days"),
        ("trafficking_signs", "aku dikurung di asrama, gaji ga dibayar 4 bulan"),
        ("trafficking_signs", "nobody picked us up at the airport, we are stranded"),
        ("trafficking_signs", "bos pabrik ambil paspor aku, mau pulang ga dikasih"),
        # Cases from the end-to-end error analysis (more in offer_dev_cases_4.yml).
        ("upfront_fee", "[10.31, 2/11/2026] Pak Agus: setor 15jt ke bendahara Pak Harun ya"),
        ("upfront_fee", "berangkat 10 hari setelah kamu transfer"),
        ("upfront_fee", "the LPK suddenly demands an acceleration fee or my name is struck off"),
        ("upfront_fee", "they want a refundable deposit of 10 juta before departure"),
        (
            "deposit_or_penalty",
            "gaji dipotong tiap bulan buat tabungan pulang, dikasih kalau kontrak selesai dan ga kabur",
        ),
        ("deposit_or_penalty", "BPKB motor ditahan LPK sebagai jaminan sampai biaya lunas"),
        ("deposit_or_penalty", "there is a contract binding fee of 10 juta"),
        ("deposit_or_penalty", "if I complain or leave, my family must pay 100 man yen"),
        ("informal_contact_only", "contact me on IG @kerja.jepang only"),
        ("informal_contact_only", "kontakna ngan ukur dina WA wungkul"),
        ("informal_contact_only", "we don't have an office, we meet at a cafe"),
        ("no_written_contract", "kontrak nyusul ya"),
        ("no_written_contract", "udah tanda tangan kontrak tapi ga dikasih salinannya"),
        ("no_written_contract", "the contract will only be given after I land in Osaka"),
        ("unlicensed_agency", "[07.45, 3/11/2026] Kang Dadan: bayar 20jt ka abdi langsung, engke diurus"),
        ("unlicensed_agency", "there's an agent on facebook who can get me a farm job"),
        ("document_retention", "sponsornya minta kirim ijazah asli lewat JNE"),
        ("document_retention", "passport stays with the manager for the whole contract"),
        ("fast_departure", "keberangkatan bulan ini, kuota terbatas"),
        ("fast_departure", "jare budhal 2 minggu meneh"),
        ("language_test_waived", "jare ora usah tes boso"),
        ("language_test_waived", "I never took any test, but they say I'm leaving next week"),
        ("unrealistic_salary", "kerja pabrik 25-30jt/bulan"),
        ("excessive_fee", "Gaji: 20jt/bulan\nBiaya program: 65jt"),
        ("trafficking_signs", "if you refuse, your visa will be cancelled and you'll be reported to the police"),
        ("trafficking_signs", "majikan maksa aku lembur buat bayar utang"),
    ],
)
def test_each_flag_rule_fires(flag: str, text: str) -> None:
    assert flag in flags_of(text)


@pytest.mark.parametrize(
    "flag, text",
    [
        ("unlicensed_agency", "no fee to any calo/broker, semua lewat IM Japan"),
        ("unlicensed_agency", "ga ada biaya ke calo, daftar langsung di disnaker"),
        ("upfront_fee", "There is no upfront payment, the fee is paid after the contract is signed"),
        ("upfront_fee", "kontrak kerja ditandatangani sebelum visa diurus, biaya dibayar setelah kontrak"),
        ("upfront_fee", "LPK minta setor uang jaminan 5jt biar ga kabur"),
        ("upfront_fee", "the broker still has my passport and wants 30,000 yen ransom to give it back"),
        ("upfront_fee", "he threatens to send him home if he complains"),
        ("deposit_or_penalty", "no penalty if I quit, the contract says so"),
        ("deposit_or_penalty", "I've been in Japan 10 days, the job is fine"),
        ("no_written_contract", "uangnya hangus kalau kamu mengundurkan diri sebelum kontrak selesai"),
        ("no_written_contract", "kontrak kerja 3 tahun di jepang, udah aku tanda tangan dan pegang salinannya"),
        ("no_written_contract", "di kontraknya ga ada denda kalau resign"),
        ("document_retention", "yang dikumpulin cuma fotokopi ijazah, bukan yang asli"),
        ("document_retention", "I keep my passport myself"),
        ("document_retention", "please send your passport scan"),
        ("trafficking_signs", "majikan nyimpen paspor sama zairyu card semua pekerja di kantor"),
        ("trafficking_signs", "the company asked if they can keep my passport in their safe"),
        ("fast_departure", "aku berangkat 10 hari yang lalu, sekarang udah di pabrik"),
        ("unrealistic_salary", "software engineer with a degree, 450,000 yen/month on an Engineer/Humanities visa"),
        ("unrealistic_salary", "perawat yang punya lisensi kangoshi, gaji 30jt sebulan"),
        ("excessive_fee", "kalau aku ngeluh atau kabur, keluargaku disuruh bayar 100 man yen"),
        ("informal_contact_only", "aku kontak lewat WA sm admin P3MI nya, tp aku udh dateng ke kantornya"),
    ],
)
def test_false_alarms_stay_quiet(flag: str, text: str) -> None:
    assert flag not in flags_of(text)


def test_a_fee_on_its_own_line_after_the_salary_is_a_fee() -> None:
    facts = extract_offer_facts("Gaji: 28jt/bulan\nBiaya program: 65jt")
    assert [int(m.amount) for m in facts.salaries] == [28_000_000]
    assert [int(m.amount) for m in facts.fees] == [65_000_000]


def test_a_threatened_penalty_in_man_yen_is_no_fee() -> None:
    facts = extract_offer_facts("kalau aku kabur, keluargaku disuruh bayar 100 man yen")
    assert facts.fees == () and facts.deposit_or_penalty


@pytest.mark.parametrize(
    "text",
    [
        "daftar magang lewat IM Japan di disnaker, biaya sekitar 12 juta setelah lulus seleksi, ada kontrak tertulis",
        "LPK Contoh Sakura Nusantara, pelatihan 4 bulan, biaya 28jt dicicil setelah tanda tangan perjanjian",
        "kakakku cuma ngasih saran jangan lewat calo, jadi aku daftar sendiri di jepang.magangln.id",
        "I passed JFT-Basic A2 and the care skills test; the P3MI is listed on SISKOP2MI"
        " and I signed a written contract",
        "",
        "🙏🙏",
    ],
)
def test_legitimate_offers_have_no_flags(text: str) -> None:
    assert flags_of(text) == set()


def test_only_an_expired_licence_in_our_registry_is_a_red_flag_not_a_missing_name() -> None:
    assert "unlicensed_agency" not in flags_of("LPK contoh sakura nusantra minta biaya 28jt setelah kontrak")
    # Changed: a name missing from our registry used to count as unlicensed. Our registry is a sample
    # copy (content/registry/sample_registry.csv), so "not found" proves nothing: the agency is listed
    # with status not_found and the reply tells the user to check the official registries.
    text = "LPK Bintang Timur Raya minta biaya 28jt setelah kontrak"
    assert "unlicensed_agency" not in flags_of(text)
    assert agencies_of(text) == {("LPK Bintang Timur Raya", "not_found")}
    assert "unlicensed_agency" in flags_of("daftar lewat LPK Contoh Hikari Lama")  # expired licence
    assert "unlicensed_agency" in flags_of("LPK Bintang Timur Raya ternyata tidak terdaftar di kemnaker")


@pytest.mark.parametrize(
    "flags, level",
    [
        ([], "low"),
        (["excessive_fee"], "medium"),
        (["fast_departure"], "medium"),
        (["excessive_fee", "fast_departure"], "high"),
        (["trafficking_signs"], "urgent"),
        (["trafficking_signs", "wrong_visa"], "urgent"),
        *[([flag], "high") for flag in sorted(HIGH_RISK_FLAGS)],
    ],
)
def test_level_rules(flags, level) -> None:
    assert risk_level(flags) == level


def test_the_example_from_the_issue() -> None:
    text = "ditawarin kerja pabrik di jepang sama temen ibu, visa turis dulu, bayar 45 juta ke rekening dia, aman ga?"
    assessment = assess_offer(extract_offer_facts(text), REGISTRY, TODAY)
    assert {"unlicensed_agency", "wrong_visa", "upfront_fee"} <= set(assessment.flags)
    assert assessment.level == "high"
    payload = assessment.payload()
    assert payload["type"] == "risk_assessment" and payload["level"] == "high"
    assert set(payload["flags"]) <= set(FLAG_CODES)


DEV_SETS = sorted((Path(__file__).parent / "data").glob("offer_dev_cases*.yml"))


@pytest.mark.parametrize("path", DEV_SETS, ids=lambda p: p.name)
def test_tuning_sets_stay_right(path: Path) -> None:
    """Guards the rules against regressions on the sets they were tuned on."""
    cases = yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]
    right = 0
    for case in cases:
        # agency_name: a name that is not in the test registry. That used to add unlicensed_agency;
        # now a missing name is no red flag (our registry is a sample copy), only reported as not_found.
        if case.get("agency_name"):
            wanted = normalise_name(case["agency_name"])
            assert any(
                wanted in normalise_name(name) and status == "not_found" for name, status in agencies_of(case["text"])
            ), case
        right += flags_of(case["text"]) == set(case["flags"])
    assert right / len(cases) >= 0.95


@pytest.mark.parametrize("path", DEV_SETS, ids=lambda p: p.name)
def test_tuning_sets_levels_follow_their_flags(path: Path) -> None:
    """The level written in a case is the one its flags give (keeps hand-written cases consistent)."""
    for case in yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]:
        assert risk_level(case["flags"]) == case["level"], case["text"]


def test_extraction_stays_fast() -> None:
    """It runs on every chat message; the budget is about 1 ms for 300 characters (generous bound here)."""
    import time

    text = (
        "[10.31, 2/11/2026] Pak Agus: dek, setor 15jt ke bendahara Pak Harun ya, gaji 28jt/bulan, berangkat 2 minggu "
        "lagi, kontrak nyusul, paspor sama ijazah asli dikirim lewat JNE. "
        "kalau kabur keluarga bayar 100 man yen. WA only. "
        "Biaya program 65jt, tanpa tes bahasa, visa turis dulu nanti di sana diurus, rekening pribadi ya"
    )[:300]
    extract_offer_facts(text)
    start = time.perf_counter()
    for _ in range(20):
        extract_offer_facts(text)
    assert (time.perf_counter() - start) / 20 < 0.005


def test_offer_reply_fits_a_phone_screen_even_with_many_flags() -> None:
    from bot.replies import reply_length
    from bot.reports.texts import load_report_texts, offer_result
    from bot.settings import get_settings

    texts = load_report_texts(str(get_settings().content_dir))
    worst = (
        "ditawarin temen ibu, visa turis, bayar DP 45 juta ke rekening dia, paspor ditahan, gaji 30jt sebulan, "
        "berangkat 2 minggu lagi tanpa tes bahasa, kontrak nanti di jepang, denda 30jt kalau kabur, cuma lewat WA"
    )
    assessment = assess_offer(extract_offer_facts(worst), REGISTRY, TODAY)
    assert len(assessment.flags) >= 8
    for language in ("id", "en"):
        messages = offer_result(texts, assessment, language)
        assert reply_length(messages) <= 1500
        assert all(
            texts.flags[code]["title"][language] in "\n".join(m.text for m in messages) for code in assessment.flags
        )
