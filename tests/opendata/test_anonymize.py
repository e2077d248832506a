"""Behaviour of the text anonymizer (opendata.anonymize) that publishing relies on.

No app needed. Most examples are held out: written for these tests with names, numbers
and formats that the development corpus (shared/data/pii_dev.jsonl) does not contain.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from opendata import anonymize
from opendata.anonymize import PLACEHOLDERS, PiiSpan, find_pii, is_risky, scrub_text
from tests.opendata.anonymizer_bench import bench

ROOT = Path(__file__).resolve().parents[2]


def record(lang: str, text: str, pii: list[tuple[str, str]], keep: tuple[str, ...] = ()) -> dict:
    """A corpus-style record; spans are given by their text (first occurrence)."""

    def span(piece: str) -> dict:
        start = text.index(piece)
        return {"start": start, "end": start + len(piece), "text": piece}

    return {
        "id": f"held-{lang}",
        "lang": lang,
        "text": text,
        "pii": [{**span(piece), "type": kind} for kind, piece in pii],
        "lookalikes": [{**span(piece), "kind": "KEEP"} for piece in keep],
    }


# ---------------------------------------------------------------- each PII type, each language

PER_TYPE = [
    # (lang, text, personal piece, placeholder)
    ("ru", "Меня зовут Нургазиев Жыргалбек, живу рядом.", "Нургазиев Жыргалбек", "[ИМЯ]"),
    ("ru", "Звоните мне: 0 (770) 12-34-56, после обеда.", "0 (770) 12-34-56", "[ТЕЛЕФОН]"),
    ("ru", "Ответ пришлите на zhyrgal.n@mail.kg пожалуйста.", "zhyrgal.n@mail.kg", "[E-MAIL]"),
    ("ru", "Мой ПИН 22309199201234, прошу проверить.", "22309199201234", "[ДОКУМЕНТ]"),
    ("ru", "Паспорт AN 7654321 утерян возле рынка.", "AN 7654321", "[ДОКУМЕНТ]"),
    ("ru", "Лицевой счёт 5566778, переплата за газ.", "5566778", "[ДОКУМЕНТ]"),
    ("ru", "Течёт крыша над кв. 112, третий день.", "кв. 112", "[АДРЕС]"),
    ("ru", "Машина 08 456 BCD стоит на газоне.", "08 456 BCD", "[НОМЕР АВТО]"),
    ("ru", "Списали с карты 4111 1111 1111 1111 дважды.", "4111 1111 1111 1111", "[КАРТА]"),
    ("ky", "Менин атым Гүлбара Осмонова, суу жок.", "Гүлбара Осмонова", "[АТЫ-ЖӨНҮ]"),
    ("ky", "Байланыш үчүн: 0558 77 88 99, кечинде.", "0558 77 88 99", "[ТЕЛЕФОН]"),
    ("ky", "Жеке эсеп 1234567, акча туура эмес эсептелди.", "1234567", "[ДОКУМЕНТ]"),
    ("ky", "Биздин дарек: 34-үй, 15-батир, суу агып жатат.", "34-үй, 15-батир", "[ДАРЕК]"),
    ("ky", "Унаанын номери 01KG 321 XYZ, айдоочу качып кетти.", "01KG 321 XYZ", "[АВТО НОМЕРИ]"),
    (
        "ky",
        "Картамдын номери 9417 1234 5678 9013, эки жолу кармалды.",
        "9417 1234 5678 9013",
        "[КАРТА]",
    ),
    ("en", "My name is Elena Borisova and the lift is broken.", "Elena Borisova", "[NAME]"),
    ("en", "Please call +996 700 111 222 in the evening.", "+996 700 111 222", "[PHONE]"),
    ("en", "Write to peter.wilson@example.com about it.", "peter.wilson@example.com", "[E-MAIL]"),
    ("en", "I am writing, account no. 40012345, bill is wrong.", "40012345", "[ID]"),
    ("en", "The leak is above flat 7 of our building.", "flat 7", "[ADDRESS]"),
    ("en", "A car with plate 01 333 ABD hit the fence.", "01 333 ABD", "[PLATE]"),
    ("en", "Card 5500 0000 0000 0004 was charged twice.", "5500 0000 0000 0004", "[CARD]"),
]


@pytest.mark.parametrize(("lang", "text", "piece", "placeholder"), PER_TYPE)
def test_each_type_gets_its_placeholder_and_its_digits_go(lang, text, piece, placeholder):
    out = scrub_text(text)
    assert placeholder in out
    assert piece not in out
    for run in re.findall(r"\d{3,}", piece):
        assert run not in out


@pytest.mark.parametrize(("lang", "text", "piece", "placeholder"), PER_TYPE)
def test_explicit_language_picks_the_same_placeholders(lang, text, piece, placeholder):
    assert placeholder in scrub_text(text, lang=lang)


def test_kyrgyz_phone_formats():
    text = "Тел: +996 555 12 34 56, 996700123456, 0555123456, 0 (3222) 5-67-89, +7 926 555-44-33."
    assert not re.search(r"\d{3}", scrub_text(text))


def test_a_phone_does_not_swallow_the_next_sentence():
    out = scrub_text("Телефонум +996 700 78-81-90. 53-батирде турам.")
    assert out == "Телефонум [ТЕЛЕФОН]. [ДАРЕК] турам."


def test_cued_six_digit_landline():
    assert scrub_text("Телефон домашний 31-22-11.") == "Телефон домашний [ТЕЛЕФОН]."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Адрес: дом 7 квартира 3.", "Адрес: [АДРЕС]."),
        ("Шум из 45-й квартиры по ночам.", "Шум из [АДРЕС] по ночам."),
        ("Общежитие №3, комната 412.", "Общежитие №3, [АДРЕС]."),
        ("Адрес: д.5/1 кв.12, подъезд №3.", "Адрес: [АДРЕС]."),
        ("Ремонт 5 квартир в доме затянулся на 2 года.", None),
        ("Дома 2 дня не было воды, 9 этаж.", None),
    ],
)
def test_flat_and_house_numbers_but_not_counts(text, expected):
    assert scrub_text(text) == (expected or text)


def test_house_number_next_to_flat_number_goes_too():
    out = scrub_text("Живу по ул. Уметалиева 44, кв. 12, второй подъезд.")
    assert out == "Живу по ул. Уметалиева [АДРЕС], второй подъезд."


# ---------------------------------------------------------------- look-alikes survive

LOOKALIKES = [
    "На пересечении Боконбаева и Логвиненко третий день не работает светофор.",
    "Прошу отремонтировать тротуар на Исанова от Киевской до Токтогула.",
    "Возле гимназии № 6 имени А. С. Пушкина стоит огромная лужа.",
    "Маршрут № 213 продлят до Ак-Орго, проезд 25 сом, с 7:00 до 21:00.",
    "Бишкекводоканал отключил воду в 7 мкр с 10:00 до 18:00 15 марта.",
    "Памятник Манасу на площади Ала-Тоо требует реставрации.",
    "Тротуар на проспекте Чингиза Айтматова возле ГУМа разрушен.",
    "Обращение BSK-2026-000123 закрыли без ответа 12.03.2026.",
    "Договор № 0457 от 2 июня, оплачено 3 000 сом.",
    "Ош шаарындагы Масалиев көчөсүндө суу агып жатат.",
    "Ахунбаев атындагы мектептин жанында жол бузулган.",
    "Potholes on Akhunbaev Street near School No. 61 since 2 February.",
    "Route 107 skips the stop near Osh Bazaar after 9 pm.",
]


@pytest.mark.parametrize("text", LOOKALIKES)
def test_streets_schools_routes_dates_amounts_and_ids_survive(text):
    assert scrub_text(text) == text
    assert not is_risky(text)


@pytest.mark.parametrize(
    "text",
    [
        "Вице-мэр Бишкека Ж. Жаныбеков обещал решить вопрос до 1 сентября.",
        "Глава Свердловского района Т. Абдыкалыков не отвечает на обращения.",
        "The mayor Aibek Dzhunushaliev promised new buses.",
    ],
)
def test_officials_named_in_their_role_are_kept(text):
    assert scrub_text(text) == text


# ---------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Айдоочу Мирбек уулу Адилет аялдамага токтобойт.",
            "Айдоочу [АТЫ-ЖӨНҮ] аялдамага токтобойт.",
        ),
        ("Мен Бакыт кызы Нуриза, мектепте иштейм.", "Мен [АТЫ-ЖӨНҮ], мектепте иштейм."),
    ],
)
def test_kyrgyz_names_with_uulu_and_kyzy(text, expected):
    assert scrub_text(text) == expected


@pytest.mark.parametrize(
    ("text", "gone"),
    [
        ("меня зовут сайкал жээналиева, звоните 0700 55 44 33", ("сайкал", "жээналиева")),
        ("жалоба на соседа асылбека токтогулова, шумит ночью", ("асылбека", "токтогулова")),
        ("ЗАЯВИТЕЛЬ ИСАКОВА ДИНАРА, ТЕЛ 0555 12 13 14", ("ИСАКОВА", "ДИНАРА")),
        ("МЕНИН АТЫМ АЙГЕРИМ СУЛТАНОВА, СУУ ЖОК", ("АЙГЕРИМ", "СУЛТАНОВА")),
        ("my name is sarah connor, flat 9", ("sarah", "connor")),
        ("ПРОШУ ПОМОЧЬ. ЖУМАБЕКОВ Т.К.", ("ЖУМАБЕКОВ",)),
    ],
)
def test_names_in_all_lower_or_all_capitals_are_found(text, gone):
    out = scrub_text(text)
    assert not any(word in out for word in gone), out


@pytest.mark.parametrize(
    "text",
    [
        "Бригадир Тологонов сказал, что ремонт будет. Тологонову звонили трижды.",
        "Жалобу на Тологонову писали все. Бригадир Тологонова снова не пришла.",
        "Позвоните бригадиру Тологонову. Тологонов обещал прийти.",
    ],
)
def test_repass_removes_another_case_form_of_an_accepted_name(text):
    out = scrub_text(text)
    assert "Тологонов" not in out
    assert out.count("[ИМЯ]") == 2


@pytest.mark.parametrize(
    ("text", "gone"),
    [
        ("Соседка Абдыкеримова Чинара с 5 этажа заливает нас.", "Абдыкеримова Чинара"),
        ("Заявитель: Турсунбаева Мээрим Кубанычбековна.", "Турсунбаева Мээрим Кубанычбековна"),
        ("Прошу проверить участкового Сагынбаева Н.Т., он молчит.", "Сагынбаева Н.Т."),
        ("Прошу принять меры. Сайкал, 0555 44 33 22.", "Сайкал"),
        ("Вчера Жээнали снова бросил мусор у подъезда.", "Жээнали"),
        ("Please contact my colleague Aliya Kasymova today.", "Aliya Kasymova"),
        ("My neighbour Mr. Sydykov plays loud music.", "Sydykov"),
        ("The complaint is filed by Nurzhigit Alybaev.", "Nurzhigit"),
        ("Гүлсана эже жалгыз жашайт, жардам керек.", "Гүлсана"),
        ("Жаңыл Сабырбекова из соседнего дома жжёт мусор.", "Жаңыл"),
        ("Прошу помочь. АСАНОВ БАКЫТ, 0555 11 22 33.", "БАКЫТ"),
    ],
)
def test_private_persons_are_removed(text, gone):
    assert gone not in scrub_text(text)


@pytest.mark.parametrize(
    "text",
    [
        "На Жибек Жолу паркуется Тойота Камри, а рядом Хонда Фит.",
        "Мой ИНН указан в заявлении, ЦУМ и КГМА рядом.",
        "Жители просят назвать сквер именем Чынгыза Айтматова.",
        "ахунбаев көчөсүндө үч күндөн бери жарык жок",
        "Мектептин жанында ээсиз иттер жүрөт, балдар коркушат.",
        "МЭР ОБЕЩАЛ ОТРЕМОНТИРОВАТЬ ДОРОГУ НА МАРШРУТЕ 212 ДО 3 АПРЕЛЯ.",
    ],
)
def test_words_that_only_look_like_names_are_kept(text):
    assert scrub_text(text) == text


# ---------------------------------------------------------------- output guarantees


def test_placeholders_cover_every_type_and_contain_no_digits():
    for lang in ("ru", "ky", "en"):
        assert set(PLACEHOLDERS[lang]) == set(anonymize.PII_TYPES)
        for placeholder in PLACEHOLDERS[lang].values():
            assert not re.search(r"\d", placeholder)


IDEMPOTENCE_TEXTS = (
    [text for _, text, _, _ in PER_TYPE]
    + LOOKALIKES
    + [
        "Соседка Мария Ивановна из кв. 12, тел. 0555 123 456, mariya@mail.ru.",
        "На Жибек Жолу паркуется чёрная Тойота Камри 01 777 AAH. Владелец — некий Эрлан.",
    ]
)


@pytest.mark.parametrize("text", IDEMPOTENCE_TEXTS)
def test_scrubbing_twice_changes_nothing(text):
    once = scrub_text(text)
    assert scrub_text(once) == once
    assert find_pii(once) == []


def test_long_and_degenerate_input_is_handled():
    for text in ("1" * 5000, "-" * 5000, "a@" * 2000, "«" * 3000, "Асанов " * 500):
        assert isinstance(scrub_text(text), str)


def test_only_our_own_placeholders_are_skipped():
    assert "АСАНОВ" not in scrub_text("ЗАЯВИТЕЛЬ: [АСАНОВ БАКЫТ], тел. 0555 123 456")


def test_empty_and_blank_text():
    assert scrub_text("") == ""
    assert scrub_text("   \n") == "   \n"
    assert find_pii("") == []
    assert not is_risky("")


def test_html_and_script_pass_through_unharmed():
    text = (
        '<script>alert("x")</script><b onclick="f()">Яма &amp; лужа</b> <a href="/a?b=1">ссылка</a>'
    )
    assert scrub_text(text) == text
    dirty = "<p>Тел. 0555 123 456</p>"
    assert scrub_text(dirty) == "<p>Тел. [ТЕЛЕФОН]</p>"


def test_find_pii_returns_sorted_disjoint_spans_with_their_text():
    text = "Я, Сыдыкова Айнура, ИНН 12505198700312, кв. 7, тел. 0700 11 22 33."
    spans = find_pii(text)
    assert [s.type for s in spans] == ["PERSON", "ID_NUMBER", "ADDRESS_UNIT", "PHONE"]
    assert all(isinstance(s, PiiSpan) and text[s.start : s.end] == s.text for s in spans)
    assert all(a.end <= b.start for a, b in zip(spans, spans[1:], strict=False))


def test_is_risky_flags_personal_data_only():
    assert is_risky("Звоните 0555 123 456")
    assert not is_risky("Не горят фонари на ул. Ахунбаева возле школы №61.")


def test_unknown_language_is_an_error():
    with pytest.raises(ValueError):
        scrub_text("text", lang="de")


def test_warm_up_loads_models_ahead_of_the_first_text():
    anonymize.warm_up()
    assert scrub_text("Меня зовут Иван.") == "Меня зовут [ИМЯ]."


def test_geomask_is_re_exported():
    assert {"mask_point", "MaskedPoint"} <= set(anonymize.__all__)
    assert callable(anonymize.mask_point)


def test_import_pulls_in_neither_flask_nor_sqlalchemy():
    code = (
        "import sys, opendata.anonymize\n"
        "bad = [m for m in ('flask', 'sqlalchemy', 'portal') if m in sys.modules]\n"
        "print(','.join(bad))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


# ---------------------------------------------------------------- benchmark scoring

HELD_OUT = [
    record(
        "ru",
        "Моя соседка Абдыкеримова Чинара заливает нас. Адрес: ул. Токомбаева 23/1, кв. 58. "
        "Звоните 0 (770) 12-34-56.",
        [
            ("PERSON", "Абдыкеримова Чинара"),
            ("ADDRESS_UNIT", "23/1, кв. 58"),
            ("PHONE", "0 (770) 12-34-56"),
        ],
        keep=("Токомбаева",),
    ),
    record(
        "ru",
        "Жалуюсь на водителя автобуса №35 Сыргабаева Эльдара. Госномер 01KG 777 XYZ, 14:20.",
        [("PERSON", "Сыргабаева Эльдара"), ("CAR_PLATE", "01KG 777 XYZ")],
        keep=("№35", "14:20"),
    ),
    record(
        "ru",
        "Отец, Бакиров Асанбек Жумалиевич, ветеран. Адрес: Восток-5, д. 8, кв. 44. "
        "Паспорт ID 1234567, карта 4111-1111-1111-1111.",
        [
            ("PERSON", "Бакиров Асанбек Жумалиевич"),
            ("ADDRESS_UNIT", "д. 8, кв. 44"),
            ("ID_NUMBER", "ID 1234567"),
            ("CARD", "4111-1111-1111-1111"),
        ],
        keep=("Восток-5",),
    ),
    record(
        "ky",
        "Коңшум Каныкей Жумабаева итин бошотуп коёт. Дарегим: 7-кичирайон, 34-үй, 15-батир. "
        "Тел: 0558 77 88 99",
        [
            ("PERSON", "Каныкей Жумабаева"),
            ("ADDRESS_UNIT", "34-үй, 15-батир"),
            ("PHONE", "0558 77 88 99"),
        ],
        keep=("7-кичирайон",),
    ),
    record(
        "ky",
        "Биздин көчөдө (Манас көчөсү, 105-үй) жарык жок. Байланыш: 0555 00 11 22, Кубатбек.",
        [("ADDRESS_UNIT", "105-үй"), ("PHONE", "0555 00 11 22"), ("PERSON", "Кубатбек")],
        keep=("Манас",),
    ),
    record(
        "en",
        "Hello, the pipe at 45 Frunze St. is broken. My phone is 0555 112 233. Regards, Aibek",
        [("ADDRESS_UNIT", "45"), ("PHONE", "0555 112 233"), ("PERSON", "Aibek")],
        keep=("Frunze",),
    ),
    record(
        "en",
        "My son Nursultan was bitten near School No. 5. His father, Marat Bekov, 0700 999 888.",
        [("PERSON", "Nursultan"), ("PERSON", "Marat Bekov"), ("PHONE", "0700 999 888")],
        keep=("School No. 5",),
    ),
]


def test_held_out_examples_score_like_the_corpus():
    report = bench.score(scrub_text, HELD_OUT)
    assert report.recall == 1.0, report.misses
    assert report.over_redaction == 0.0, report.over


def test_scoring_rule_itself():
    """A scrubber that does nothing catches nothing; one that blanks everything over-redacts."""
    idle = bench.score(lambda text: text, HELD_OUT)
    assert idle.recall == 0.0 and idle.over_redaction == 0.0
    blank = bench.score(lambda text: "", HELD_OUT)
    assert blank.recall == 1.0 and blank.over_redaction == 1.0
    digits_only = bench.score(lambda text: re.sub(r"\d", "#", text), HELD_OUT)
    assert digits_only.type_recall("PHONE") == 1.0
    assert digits_only.type_recall("PERSON") == 0.0


def test_development_corpus_meets_the_targets():
    corpus = bench.default_corpus()
    if corpus is None:
        pytest.skip("development corpus shared/data/pii_dev.jsonl is not on this machine")
    records = bench.load(corpus)
    report = bench.score(scrub_text, records)
    assert report.recall >= 0.99, report.misses
    assert report.type_recall("PERSON") >= 0.99, report.misses
    assert report.over_redaction <= 0.01, report.over
    for convert in (str.lower, str.upper):
        assert bench.score(scrub_text, bench.recased(records, convert)).recall >= 0.95
