"""Templates of demo appeal, answer and comment texts in Russian, Kyrgyz and English.

Each generated text comes in two versions: the raw one (as a citizen would type it, with
names, phones and flat numbers) and the one a correct anonymizer would publish. The
generator knows where it put personal data, so it can write both without running the
scrubber a million times; the real scrubber runs on every appeal submitted through the
portal.
"""

from __future__ import annotations

import random

PROBLEMS = {
    "ru": {
        "pothole": ["Огромная яма на проезжей части, машины объезжают по встречке", "На дороге глубокая выбоина, уже пробили колесо"],
        "sidewalk": ["Тротуар разбит, плитка вывернута, пожилые люди спотыкаются", "Нет нормального тротуара, ходим по грязи"],
        "snow_ice": ["Дорогу не чистят от снега, сплошной гололёд", "На остановке толстый слой льда, люди падают"],
        "traffic_light": ["Светофор на перекрёстке не работает", "Светофор мигает жёлтым, на перекрёстке пробки и аварии"],
        "street_light": ["Не горят фонари на всей улице, вечером очень темно", "Фонарь у остановки не работает больше месяца"],
        "garbage": ["Не вывозят мусор, контейнеры переполнены", "Мусоровоз не приезжал уже неделю, запах на весь двор"],
        "illegal_dump": ["Возле арыка образовалась стихийная свалка строительного мусора", "На пустыре сваливают мусор, никто не убирает"],
        "no_water": ["Нет холодной воды в доме с утра, никто не предупреждал", "Очень слабый напор воды, на верхние этажи не доходит"],
        "water_leak": ["Прорыв водопровода, вода течёт по улице", "Из-под асфальта бьёт вода, образовалась огромная лужа"],
        "sewer": ["Засор канализации, нечистоты вытекают во двор", "Открытый канализационный люк без крышки, опасно для детей"],
        "no_heating": ["В квартирах холодные батареи, дома +14", "Отопление так и не дали, дети болеют"],
        "hot_water": ["Нет горячей воды вторую неделю", "Горячая вода еле тёплая"],
        "heating_pipe": ["Из теплотрассы идёт пар, трубы без изоляции", "Утечка на теплотрассе, кипяток течёт по тротуару"],
        "roof_leak": ["Протекает крыша, вода течёт по стенам подъезда", "После дождя заливает верхний этаж"],
        "elevator": ["Лифт не работает уже месяц, в доме пожилые люди", "Лифт застревает между этажами"],
        "yard": ["Во дворе разбитая детская площадка", "Во дворе нет скамеек и освещения, асфальт разбит"],
        "tree_cutting": ["Рубят здоровые деревья без разрешения", "Спилили старые карагачи, говорят, под стоянку"],
        "park": ["Сквер зарос, скамейки сломаны, мусор не убирают", "В парке не работает полив, деревья сохнут"],
        "bus_stop": ["На остановке сломан навес и нет скамейки", "Остановка разрушена, люди ждут под дождём"],
        "public_transport": ["Автобусы ходят редко, ждём по 40 минут", "Водитель маршрутки не останавливается на остановке"],
        "illegal_construction": ["Строят пристройку без разрешения, перекрыли проход", "Ведётся стройка ночью, разрешения нет"],
        "stray_animals": ["Стая бездомных собак нападает на прохожих", "Возле школы бегают бродячие собаки, дети боятся"],
        "noise": ["Каждую ночь громкая музыка из кафе до 3 часов", "Ночью шумят строительные работы"],
        "air_pollution": ["Жгут мусор и покрышки, дым на весь микрорайон", "Из трубы котельной чёрный дым"],
        "neighbours": ["Сосед захватил часть общего двора и поставил забор", "Соседи сверху постоянно затапливают"],
        "social_help": ["Пожилой одинокий человек нуждается в помощи с продуктами", "Семья с детьми осталась без жилья после пожара"],
        "power_outage": ["Отключили свет без предупреждения", "Скачки напряжения, сгорела техника"],
        "gas_smell": ["В подъезде сильный запах газа", "Возле газовой трубы на улице пахнет газом"],
        "illegal_trade": ["Торговцы заняли весь тротуар, не пройти", "Незаконная торговля у остановки, мусор остаётся"],
        "illegal_parking": ["Машины паркуются на тротуаре, пешеходам не пройти", "Газон превратили в парковку"],
    },
    "ky": {
        "pothole": ["Жолдо чоң чуңкур бар, унаалар айланып өтүп жатат"],
        "garbage": ["Таштанды бир жумадан бери чыгарылбай жатат, контейнерлер толуп калды"],
        "street_light": ["Көчөдөгү чырактар күйбөйт, кечинде абдан караңгы"],
        "no_heating": ["Батареялар муздак, үйдө абдан суук"],
        "no_water": ["Эртеден бери үйдө суу жок"],
        "stray_animals": ["Мектептин жанында ээсиз иттер жүрөт, балдар коркушат"],
        "water_leak": ["Суу түтүгү жарылып, көчөгө суу агып жатат"],
        "_default": ["Көйгөйдү чечип бериңиздерди суранабыз", "Бул маселе көптөн бери чечилбей келет"],
    },
    "en": {
        "pothole": ["There is a deep pothole in the road, cars swerve into the oncoming lane"],
        "garbage": ["Garbage has not been collected for a week, the bins are overflowing"],
        "street_light": ["The street lights have been out for weeks, it is dark in the evening"],
        "no_heating": ["The radiators are cold, it is only 15 degrees in the flat"],
        "stray_animals": ["A pack of stray dogs near the school scares the children"],
        "_default": ["Please fix this problem, it has been going on for a long time"],
    },
}  # fmt: skip

PLACES = {
    "ru": ["на ул. Киевской", "на проспекте Чуй", "на ул. Ахунбаева", "у Ошского базара", "возле школы №61", "в мкр. Джал", "на ул. Токтогула", "на ул. Жибек Жолу", "возле остановки", "во дворе"],
    "ky": ["Ахунбаев көчөсүндө", "Чүй проспектисинде", "базардын жанында", "короодо"],
    "en": ["on Kievskaya street", "near the Osh bazaar", "on Chui avenue", "in our courtyard"],
}  # fmt: skip
DURATIONS = {
    "ru": ["Уже неделю.", "Третий день.", "Больше месяца.", "С прошлой пятницы.", ""],
    "ky": ["Бир жумадан бери.", "Үч күндөн бери.", ""],
    "en": ["For a week now.", "Since last Friday.", ""],
}
PLEAS = {
    "ru": ["Просим принять меры.", "Прошу разобраться.", "Помогите, пожалуйста!", ""],
    "ky": ["Чара көрүүңүздөрдү суранабыз.", ""],
    "en": ["Please take action.", ""],
}

FIRST_NAMES = ["Бакыт", "Айгуль", "Нурлан", "Жылдыз", "Азамат", "Мария", "Сергей", "Чолпон", "Эрлан", "Гульнара", "Тимур", "Айбек"]  # fmt: skip
SURNAMES = ["Асанов", "Токтосунова", "Иванов", "Жумабаева", "Мамытов", "Садыкова", "Осмонов", "Петрова"]  # fmt: skip
EN_NAMES = ["Aibek Mamytov", "Elena Petrova", "Nurlan Osmonov", "Gulnara Sadykova"]

NAME_TAG = {"ru": "[ИМЯ]", "ky": "[АТЫ-ЖӨНҮ]", "en": "[NAME]"}
PHONE_TAG = {"ru": "[ТЕЛЕФОН]", "ky": "[ТЕЛЕФОН]", "en": "[PHONE]"}
ADDRESS_TAG = {"ru": "[АДРЕС]", "ky": "[ДАРЕК]", "en": "[ADDRESS]"}


def _phone(rng: random.Random) -> str:
    pair = f"{rng.randint(10, 99)}-{rng.randint(10, 99)}"
    return rng.choice(
        [
            f"0555 {rng.randint(100, 999)} {rng.randint(100, 999)}",
            f"+996 700 {rng.randint(10, 99)}-{pair}",
            f"0772{rng.randint(100000, 999999)}",
            f"0 (312) {rng.randint(30, 69)}-{pair}",
        ]
    )


def appeal_text(rng: random.Random, lang: str, category: str) -> tuple[str, str]:
    """A raw appeal text and its correctly anonymized twin."""
    problems = PROBLEMS[lang].get(category) or PROBLEMS[lang].get("_default")
    parts = [f"{rng.choice(problems)} {rng.choice(PLACES[lang])}.", rng.choice(DURATIONS[lang])]
    body = " ".join(part for part in (*parts, rng.choice(PLEAS[lang])) if part)
    raw, public = body, body
    roll = rng.random()
    if roll < 0.12:  # introduces themselves
        name = _person(rng, lang)
        intro = {"ru": "Здравствуйте! Меня зовут {}. ", "ky": "Саламатсызбы! Менин атым {}. ", "en": "Hello, my name is {}. "}[lang]  # fmt: skip
        raw, public = intro.format(name) + raw, intro.format(NAME_TAG[lang]) + public
    if 0.08 < roll < 0.2:  # leaves a phone number
        tail = {"ru": " Мой телефон {}.", "ky": " Телефонум {}.", "en": " My phone is {}."}[lang]
        raw, public = raw + tail.format(_phone(rng)), public + tail.format(PHONE_TAG[lang])
    if 0.16 < roll < 0.24:  # gives a flat number (the scrubber replaces the whole unit)
        flat = rng.randint(1, 120)
        raw_tail = {"ru": " Живу в кв. {}.", "ky": " {}-батирде турам.", "en": " I live in apt {}."}
        public_tail = {"ru": " Живу в {}.", "ky": " {} турам.", "en": " I live in {}."}
        raw = raw + raw_tail[lang].format(flat)
        public = public + public_tail[lang].format(ADDRESS_TAG[lang])
    return raw, public


def _person(rng: random.Random, lang: str) -> str:
    if lang == "en":
        return rng.choice(EN_NAMES)
    return f"{rng.choice(SURNAMES)} {rng.choice(FIRST_NAMES)}"


ANSWERS = {
    "done": ["Работы выполнены. Спасибо за обращение.", "Бригада выезжала на место, неисправность устранена.", "Проблема решена, мусор вывезен."],
    "planned": ["Работы включены в план на следующий месяц.", "Заявка передана подрядчику, сроки — до конца квартала."],
    "refused": ["Данный вопрос не относится к компетенции предприятия.", "Финансирование на эти работы в текущем году не предусмотрено."],
}  # fmt: skip
GREETING = "Уважаемый(ая) {}! "


def answer_text(rng: random.Random, kind: str) -> tuple[str, str]:
    """A service's raw answer (sometimes greeting the citizen by name) and its public twin."""
    body = rng.choice(ANSWERS[kind])
    if rng.random() < 0.3:
        name = rng.choice(FIRST_NAMES)
        return GREETING.format(name) + body, GREETING.format(NAME_TAG["ru"]) + body
    return body, body


COMMENTS = {
    5: ["Спасибо, всё сделали быстро!", "Отличная работа."],
    4: ["Сделали, но не сразу.", "В целом хорошо."],
    3: ["Сделали наполовину.", "Ответ пришёл поздно."],
    2: ["Ответ формальный, ничего не изменилось.", "Обещали, но не сделали."],
    1: ["Отписка. Проблема осталась.", "Никто не приезжал, а написали, что сделано."],
}


#: Proposals and questions of demo appeals (no personal data: published as written).
IDEAS = {
    "proposal": {
        "ru": ("Предлагаю посадить карагачи и клёны вдоль улицы, летом здесь нет тени.",
               "Предлагаю поставить скамейки и урны у остановки.",
               "Предлагаю сделать велодорожку вдоль арыка.",
               "Предлагаю установить во дворе детскую площадку."),
        "ky": ("Көчөнүн боюна карагач жана клён отургузууну сунуштайм, жайында көлөкө жок.",
               "Аялдамага отургуч жана таштанды челек коюуну сунуштайм.",
               "Арыктын боюна велосипед жолун курууну сунуштайм."),
        "en": ("I propose planting elms and maples along the street; there is no shade in summer.",
               "I propose benches and bins at the bus stop.",
               "I propose a cycle lane along the canal."),
    },
    "question": {
        "ru": ("Когда в нашем районе начнётся ремонт дороги?",
               "По какому графику вывозят мусор на нашей улице?",
               "Когда включат отопление в этом году?"),
        "ky": ("Биздин райондо жол оңдоо качан башталат?",
               "Биздин көчөдөн таштанды кайсы график менен ташылат?"),
        "en": ("When will the road repairs in our district start?",
               "What is the rubbish collection schedule in our street?"),
    },
}  # fmt: skip


def idea_text(rng: random.Random, lang: str, kind: str) -> str:
    """The text of a demo proposal or question in ``lang``."""
    return rng.choice(IDEAS[kind][lang])


#: The public reason of a declined demo proposal.
OUTCOME_REASONS = {
    "ru": "Участок занят подземными сетями; предложение рассмотрим для соседней улицы.",
    "ky": "Жер астында тармактар бар; сунушту кошуна көчө үчүн карайбыз.",
    "en": "Underground utilities run there; we will consider the idea for the next street.",
}
