"""Normalisation, languages and the `scrub` interface the publication gate codes against.

Examples are invented for these tests; none comes from the development corpora.
"""

from __future__ import annotations

import unicodedata

import pytest

from opendata.anonymize import PII_TYPES, PLACEHOLDERS, Scrubbed, find_pii, scrub, scrub_text
from opendata.textscrub.lang import detect_languages
from opendata.textscrub.normalize import fold_lookalikes, mixed_script, normalize
from opendata.textscrub.translit import latin_view, skeleton

ZWSP, SHY, RLO, WJ = "\u200b", "\u00ad", "\u202e", "\u2060"


# ---------------------------------------------------------------- normalize


def test_invisible_characters_are_removed_and_offsets_lead_back_to_the_original():
    original = f"Тел{SHY}ефон 07{ZWSP}77 1{WJ}2 34 56, {RLO}спасибо"
    norm = normalize(original)
    assert norm.text == "Телефон 0777 12 34 56, спасибо"
    start = norm.text.index("0777")
    a, b = norm.to_original(start, start + len("0777 12 34 56"))
    assert original[a:b] == f"07{ZWSP}77 1{WJ}2 34 56"


def test_nfkc_but_the_numero_sign_and_square_metres_stay_as_typed():
    norm = normalize("Ｓｃｈｏｏｌ №７, ﬁx 52 м², ½")
    assert norm.text == "School №7, fix 52 м², 1⁄2"
    assert unicodedata.is_normalized("NFKC", norm.text.replace("№", "").replace("²", ""))


def test_combining_marks_that_compose_stay_and_stray_ones_go():
    assert normalize("и\u0306ога").text == "йога"  # composed by NFKC
    assert normalize("Аса\u0301нов").text == "Асанов"  # a stress mark hides a name


def test_lookalike_letters_are_folded_to_the_script_of_their_word_for_matching_only():
    norm = normalize("Нурсултaн and gmаil, 0555 1O 2О 3o")
    assert norm.text == "Нурсултaн and gmаil, 0555 1O 2О 3o"  # published as typed
    assert norm.folded == "Нурсултан and gmail, 0555 10 20 30"
    assert mixed_script("Нурсултaн") and not mixed_script("Нурсултан")


def test_plain_words_are_not_folded():
    assert fold_lookalikes("Ozon ОАО Coca-Cola 2024") == "Ozon ОАО Coca-Cola 2024"


# ---------------------------------------------------------------- scrub interface


def test_scrubbed_text_is_normalised_even_when_nothing_is_found():
    result = scrub(f"Яма{ZWSP} на дороге{SHY}, {RLO}срочно")
    assert isinstance(result, Scrubbed)
    assert result.text == "Яма на дороге, срочно"
    assert result.spans == [] and not result.risky


def test_spans_point_into_the_original_text():
    text = f"Звоните: 0{ZWSP}700 44{SHY}55 66, Мээрим Жолдошева."
    result = scrub(text)
    for span in result.spans:
        assert text[span.start : span.end] == span.text
    kinds = {s.type: s.text for s in result.spans}
    assert kinds["PHONE"] == f"0{ZWSP}700 44{SHY}55 66"
    assert "Жолдошева" in kinds["PERSON"]
    assert find_pii(text) == result.spans
    assert scrub_text(text) == result.text == "Звоните: [ТЕЛЕФОН], [ИМЯ]."


def test_geo_point_has_a_digit_free_placeholder_in_every_language():
    assert "GEO_POINT" in PII_TYPES
    for lang in ("ru", "ky", "en"):
        assert not any(ch.isdigit() for ch in PLACEHOLDERS[lang]["GEO_POINT"])


@pytest.mark.parametrize("hint", [None, "ru", "ky", "en"])
def test_the_text_decides_its_language_whatever_the_hint(hint):
    text = "Сосед Айбек Токтобаев шумит по ночам, его номер 0702 11 22 33."
    assert scrub_text(text, hint) == "Сосед [ИМЯ] шумит по ночам, его номер [ТЕЛЕФОН]."
    assert scrub(text, hint).languages[0] == "ru"


def test_a_mixed_text_reports_every_language_and_is_scrubbed_by_all_of_them():
    text = "Саламатсызбы, суу жок эки күн. Please call me, my name is Aizat. Звоните вечером."
    result = scrub(text, "en")
    assert set(result.languages) == {"ky", "en", "ru"}
    assert "Aizat" not in result.text


# ---------------------------------------------------------------- languages


@pytest.mark.parametrize(
    ("text", "primary"),
    [
        ("Прошу убрать мусор во дворе, уже неделю не вывозят.", "ru"),
        ("Биздин көчөдө жарык жок, балдар коркуп жатышат.", "ky"),
        ("The street light near our house is broken again.", "en"),
        ("Dobryi den, u nas net vody uzhe tri dnya, pomogite pozhaluista.", "ru"),
        ("Salamatsyzby, bizdin uydo suu jok, jardam bergile.", "ky"),
    ],
)
def test_languages_are_detected_from_the_text(text, primary):
    langs = detect_languages(text)
    assert langs.primary == primary
    assert langs.sentences[0].latin == text.isascii()


def test_the_hint_only_breaks_ties():
    assert detect_languages("Асанов Бакыт.", "ky").primary == "ky"
    assert detect_languages("Асанов Бакыт.", "ru").primary == "ru"
    assert detect_languages("Прошу помочь с водой.", "ky").primary == "ru"


def test_abbreviations_do_not_end_a_sentence():
    langs = detect_languages("Yama na ul. Manasa uzhe mesyac. Thanks a lot, it is fine now.")
    assert [s.lang for s in langs.sentences] == ["ru", "en"]


# ---------------------------------------------------------------- transliteration


def test_skeleton_equates_spellings_across_scripts():
    assert skeleton("Чыңгыз") == skeleton("Chyngyz") == skeleton("Chingiz")
    assert skeleton("Жээнбек") == skeleton("Zheenbek") == skeleton("Jeenbek")
    assert skeleton("Юлдуз") == skeleton("Yulduz")
    assert skeleton("Айбек") != skeleton("Айдар")


def test_latin_view_reads_translit_as_cyrillic_and_maps_back():
    source = "Uvazhaemyi Timurlan, dom 7, kv 19"
    view = latin_view(source, 0, len(source))
    assert view.text == "Уважаемый Тимурлан, дом 7, кв 19"
    start = view.text.index("Тимурлан")
    assert view.to_source(start, start + len("Тимурлан")) == (11, 19)
