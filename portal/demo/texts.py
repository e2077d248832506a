"""Templates of demo appeal, answer and comment texts in Russian, Kyrgyz and English.

Each generated text comes in two versions: the raw one (as a citizen would type it, with
names, phones and flat numbers) and the one a correct anonymizer would publish. The
generator knows where it put personal data, so it can write both without running the
scrubber a million times; the real scrubber runs on every appeal submitted through the
portal.
"""

from __future__ import annotations

import functools
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
        "pothole": ["Жолдо чоң чуңкур бар, унаалар айланып өтүп жатат", "Жолдогу терең чуңкурга дөңгөлөк түштү"],
        "sidewalk": ["Тротуар бузулуп, плиталар көтөрүлүп калды", "Тротуар жок, ылай менен басып жүрөбүз"],
        "snow_ice": ["Жолдогу кар тазаланбайт, баары тайгак муз", "Аялдамада калың муз, адамдар жыгылып жатат"],
        "traffic_light": ["Кесилиштеги светофор иштебейт", "Светофор сары түстө гана күйүп турат"],
        "street_light": ["Көчөдөгү чырактар күйбөйт, кечинде абдан караңгы", "Аялдаманын жанындагы чырак бир айдан бери күйбөйт"],
        "garbage": ["Таштанды бир жумадан бери чыгарылбай жатат, контейнерлер толуп калды", "Таштанды ташуучу унаа келбей калды, жыты бүт короого жайылды"],
        "illegal_dump": ["Арыктын жанында курулуш таштандысы үйүлүп калды", "Бош жерге таштанды төгүп жатышат"],
        "no_water": ["Эртеден бери үйдө суу жок", "Суунун басымы начар, жогорку кабаттарга жетпейт"],
        "water_leak": ["Суу түтүгү жарылып, көчөгө суу агып жатат", "Асфальттын астынан суу атылып чыгып жатат"],
        "sewer": ["Канализация бүтөлүп, короого агып жатат", "Люктун капкагы жок, балдар үчүн коркунучтуу"],
        "no_heating": ["Батареялар муздак, үйдө абдан суук", "Жылуулук дагы эле берилген жок, балдар ооруп жатат"],
        "hot_water": ["Экинчи жума ысык суу жок", "Ысык суу араң жылуу келет"],
        "heating_pipe": ["Жылуулук түтүгүнөн буу чыгып жатат", "Жылуулук түтүгүнөн ысык суу тротуарга агып жатат"],
        "roof_leak": ["Чатыр агып, подъезддин дубалдары суу болуп жатат", "Жамгырдан кийин акыркы кабатты суу басат"],
        "elevator": ["Лифт бир айдан бери иштебейт, үйдө карылар бар", "Лифт кабаттардын ортосунда токтоп калат"],
        "yard": ["Короодогу балдар аянтчасы бузулган", "Короодо отургуч да, жарык да жок"],
        "tree_cutting": ["Уруксатсыз соо дарактарды кыйып жатышат", "Эски карагачтарды кыйып салышты"],
        "park": ["Сквер чөп басып, отургучтар сынган", "Парктагы дарактар сугарылбай куурап жатат"],
        "bus_stop": ["Аялдаманын жабуусу сынган, отургуч жок", "Аялдама бузулуп, адамдар жамгыр астында күтүшөт"],
        "public_transport": ["Автобустар сейрек жүрөт, 40 мүнөт күтөбүз", "Маршрутка аялдамага токтобойт"],
        "illegal_construction": ["Уруксатсыз курулуш жүрүп, өтмөк жабылып калды", "Түнкүсүн курулуш жүрөт, уруксаты жок"],
        "stray_animals": ["Мектептин жанында ээсиз иттер жүрөт, балдар коркушат", "Ээсиз иттер өтүп бараткандарга кол салып жатат"],
        "noise": ["Кафеден түнкү саат үчкө чейин катуу музыка угулат", "Түнкүсүн курулуш иштери ызы-чуу кылат"],
        "air_pollution": ["Таштанды жана дөңгөлөк өрттөп, түтүн бүт районго жайылды", "Казанкананын морунан кара түтүн чыгат"],
        "neighbours": ["Кошуна жалпы короонун бир бөлүгүн тосуп алды", "Жогорку кабаттагы кошуналар дайыма суу каптатат"],
        "social_help": ["Жалгыз жашаган карыя азык-түлүк менен жардамга муктаж", "Өрттөн кийин үй-бүлө баш калкалоочу жайсыз калды"],
        "power_outage": ["Эскертүүсүз жарык өчүрүлдү", "Чыңалуу секирип, техника күйүп кетти"],
        "gas_smell": ["Подъездде газдын жыты катуу сезилет", "Көчөдөгү газ түтүгүнүн жанында газ жыттанат"],
        "illegal_trade": ["Соодагерлер тротуарды ээлеп алышты, өтүүгө болбойт", "Аялдаманын жанында мыйзамсыз соода, таштанды калат"],
        "illegal_parking": ["Унаалар тротуарга токтоп, жөө жүргүнчүлөр өтө албайт", "Газонду унаа токтотуучу жайга айлантышты"],
    },
    "en": {
        "pothole": ["There is a deep pothole in the road, cars swerve into the oncoming lane", "A pothole on the road has already cost me a tyre"],
        "sidewalk": ["The sidewalk is broken, the tiles stick out and old people trip", "There is no proper sidewalk, we walk through mud"],
        "snow_ice": ["The road is not cleared of snow, it is solid ice", "Thick ice at the bus stop, people fall"],
        "traffic_light": ["The traffic light at the crossroads is not working", "The traffic light only blinks yellow, there are jams and accidents"],
        "street_light": ["The street lights have been out for weeks, it is dark in the evening", "The lamp at the bus stop has been out for a month"],
        "garbage": ["Garbage has not been collected for a week, the bins are overflowing", "The garbage truck has not come for days, the whole yard smells"],
        "illegal_dump": ["Someone dumps building waste by the irrigation ditch", "People dump rubbish on the empty lot and nobody clears it"],
        "no_water": ["There has been no cold water in the building since morning", "The water pressure is too weak to reach the upper floors"],
        "water_leak": ["A water main burst, water is running down the street", "Water is gushing from under the asphalt"],
        "sewer": ["The sewer is blocked and sewage flows into the yard", "A manhole has no cover, it is dangerous for children"],
        "no_heating": ["The radiators are cold, it is only 15 degrees in the flat", "The heating has still not been turned on, the children are ill"],
        "hot_water": ["There has been no hot water for two weeks", "The hot water is barely warm"],
        "heating_pipe": ["Steam is coming out of the heating main, the pipes have no insulation", "Boiling water from the heating main runs over the sidewalk"],
        "roof_leak": ["The roof leaks, water runs down the walls of the stairwell", "The top floor floods after every rain"],
        "elevator": ["The lift has been out of order for a month, old people live here", "The lift gets stuck between floors"],
        "yard": ["The playground in our yard is broken", "No benches and no lights in the yard, the asphalt is broken"],
        "tree_cutting": ["Healthy trees are being cut down without a permit", "The old elms were cut down, they say for a car park"],
        "park": ["The square is overgrown, the benches are broken", "The park is not watered and the trees are drying out"],
        "bus_stop": ["The shelter at the bus stop is broken and there is no bench", "The bus stop is wrecked, people wait in the rain"],
        "public_transport": ["Buses come rarely, we wait 40 minutes", "The minibus driver does not stop at the stop"],
        "illegal_construction": ["An extension is being built without a permit and blocks the passage", "Building work goes on at night without a permit"],
        "stray_animals": ["A pack of stray dogs near the school scares the children", "Stray dogs attack passers-by"],
        "noise": ["Loud music from a cafe every night until 3 am", "Construction work makes noise at night"],
        "air_pollution": ["Someone burns rubbish and tyres, the smoke covers the area", "Black smoke comes from the boiler house chimney"],
        "neighbours": ["A neighbour fenced off part of the shared yard", "The neighbours upstairs keep flooding our flat"],
        "social_help": ["An elderly person living alone needs help with food", "A family with children lost their home in a fire"],
        "power_outage": ["The power was cut without warning", "Voltage surges burned our appliances"],
        "gas_smell": ["There is a strong smell of gas in the stairwell", "It smells of gas near the gas pipe in the street"],
        "illegal_trade": ["Street traders have taken over the sidewalk", "Illegal trading at the bus stop leaves rubbish behind"],
        "illegal_parking": ["Cars park on the sidewalk, pedestrians cannot pass", "The lawn has been turned into a car park"],
    },
}  # fmt: skip

#: Where the problem is, per city: streets and landmarks of one city never appear in the
#: appeals of the other ("_any": places every city has).
PLACES = {
    "BSK": {
        "ru": ["на ул. Киевской", "на проспекте Чуй", "на ул. Ахунбаева", "у Ошского базара", "в мкр. Джал", "на ул. Токтогула", "на проспекте Жибек Жолу", "в мкр. Асанбай", "в мкр. Восток-5", "на ул. Московской", "на проспекте Манаса", "на ул. Боконбаева", "в мкр. Аламедин-1", "на ул. Фрунзе", "в 12 мкр.", "на ул. Исанова", "на проспекте Чингиза Айтматова", "на ул. Шабдан Баатыра", "у ЦУМа", "на бульваре Эркиндик"],
        "ky": ["Чүй проспектисинде", "Ахунбаев көчөсүндө", "Ош базарынын жанында", "Жал кичи районунда", "Токтогул көчөсүндө", "Манас проспектисинде", "Асанбай кичи районунда", "Эркиндик бульварында"],
        "en": ["on Chui avenue", "on Kievskaya street", "near the Osh bazaar", "in the Dzhal microdistrict", "on Manas avenue", "on Toktogul street", "in the Asanbai microdistrict", "on Erkindik boulevard"],
    },
    "OSH": {
        "ru": ["на ул. Курманжан Датки", "на проспекте Масалиева", "на ул. Ленина", "у базара Жайма", "в мкр. Черёмушки", "в мкр. Амир-Тимур", "на ул. Монуева", "на ул. Навои", "у подножия Сулайман-Тоо", "на ул. Алымбек Датки", "в мкр. Анар", "на ул. Гапара Айтиева", "на ул. Касымбекова", "у Старого моста", "в мкр. Тураталы"],
        "ky": ["Курманжан Датка көчөсүндө", "Жайма базарынын жанында", "Масалиев проспектисинде", "Черемушки кичи районунда", "Ленин көчөсүндө", "Сулайман-Тоонун жанында", "Навои көчөсүндө"],
        "en": ["on Kurmanjan Datka street", "near the Jayma bazaar", "on Masaliev avenue", "in the Cheryomushki microdistrict", "on Lenin street", "near Sulaiman-Too", "on Navoi street"],
    },
    "_any": {
        "ru": ["возле остановки", "во дворе", "возле школы", "у нашего дома", "возле детского сада", "за рынком"],
        "ky": ["короодо", "аялдаманын жанында", "мектептин жанында"],
        "en": ["in our courtyard", "near the bus stop", "near the school"],
    },
}  # fmt: skip
#: How long it has lasted; "{d}" (days) and "{w}" (weeks) take numbers, so texts rarely repeat.
DURATIONS = {
    "ru": ["Уже {d} дней.", "Третий день.", "Больше месяца.", "С прошлой пятницы.", "Уже {w} недели.", "Жалуемся не первый раз.", "", ""],
    "ky": ["Бир жумадан бери.", "{d} күндөн бери.", "Үч күндөн бери.", ""],
    "en": ["For a week now.", "For {d} days now.", "Since last Friday.", ""],
}  # fmt: skip
OPENERS = {
    "ru": ["", "", "Добрый день. ", "Здравствуйте. ", "Обращаюсь повторно. ", "Уважаемая мэрия! ", "Жители дома просят помочь. "],
    "ky": ["", "Саламатсызбы. ", "Кайрадан кайрылып жатабыз. "],
    "en": ["", "Hello. ", "Good afternoon. "],
}  # fmt: skip
PLEAS = {
    "ru": ["Просим принять меры.", "Прошу разобраться.", "Помогите, пожалуйста!", "Ждём ответа.", "Сколько можно ждать?", ""],
    "ky": ["Чара көрүүңүздөрдү суранабыз.", "Жардам бериңиздерчи.", ""],
    "en": ["Please take action.", "Please help.", ""],
}  # fmt: skip

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


@functools.cache
def city_places(city: str, lang: str) -> list[str]:
    """The places an appeal of ``city`` may name: its own streets and landmarks, and generic ones."""
    return PLACES.get(city, {}).get(lang, []) + PLACES["_any"][lang]


def appeal_text(rng: random.Random, lang: str, category: str, city: str) -> tuple[str, str]:
    """A raw appeal text and its correctly anonymized twin; places belong to ``city``."""
    problems = PROBLEMS[lang][category]
    duration = rng.choice(DURATIONS[lang])
    if "{" in duration:  # "5–20 дней", "2–4 недели": numbers that agree with their noun
        duration = duration.format(d=rng.randint(5, 20), w=rng.randint(2, 4))
    place = rng.choice(city_places(city, lang))
    parts = (rng.choice(OPENERS[lang]) + f"{rng.choice(problems)} {place}.", duration)
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


#: What a service reports when the work is done, per category: an answer always matches
#: its problem (a broken lift never gets "the garbage was collected").
DONE = {
    "pothole": ["Яма на проезжей части заделана асфальтом.", "Выполнен ямочный ремонт покрытия на указанном участке."],
    "sidewalk": ["Тротуарная плитка на указанном участке переложена.", "Выполнен ремонт тротуара."],
    "snow_ice": ["Участок очищен от снега и посыпан противогололёдной смесью.", "Техника выезжала, наледь убрана."],
    "traffic_light": ["Светофорный объект отремонтирован и работает в штатном режиме.", "Заменён контроллер светофора."],
    "street_light": ["Заменены лампы, освещение улицы восстановлено.", "Повреждённый кабель заменён, фонари горят."],
    "garbage": ["Мусор вывезен, график вывоза восстановлен.", "Контейнерная площадка очищена, вывоз ведётся по графику."],
    "illegal_dump": ["Стихийная свалка ликвидирована, мусор вывезен.", "Участок очищен, установлена табличка о запрете свалки."],
    "no_water": ["Водоснабжение дома восстановлено.", "Устранена неисправность на вводе, напор воды восстановлен."],
    "water_leak": ["Порыв водопровода устранён, асфальт будет восстановлен.", "Аварийная бригада заменила участок трубы."],
    "sewer": ["Засор канализации устранён, двор промыт.", "На люк установлена новая крышка."],
    "no_heating": ["Отопление дома запущено, система прогрета.", "Из системы стравлен воздух, батареи горячие."],
    "hot_water": ["Подача горячей воды восстановлена.", "Отрегулирован тепловой узел, температура воды в норме."],
    "heating_pipe": ["Утечка на теплотрассе устранена, изоляция восстановлена.", "Повреждённый участок теплотрассы заменён."],
    "roof_leak": ["Кровля над подъездом отремонтирована.", "Выполнен частичный ремонт кровли, протечка устранена."],
    "elevator": ["Лифт отремонтирован и запущен.", "Заменён блок управления, лифт работает."],
    "yard": ["Детская площадка во дворе отремонтирована.", "Во дворе установлены скамейки и освещение."],
    "tree_cutting": ["Вырубка остановлена, материалы переданы в инспекцию.", "Нарушитель установлен и оштрафован, назначена компенсационная посадка."],
    "park": ["Сквер убран, скамейки отремонтированы.", "Полив в парке восстановлен."],
    "bus_stop": ["Навес остановки отремонтирован, установлена скамейка.", "Остановочный павильон заменён."],
    "public_transport": ["Интервал движения на маршруте сокращён.", "С перевозчиком проведена работа, водитель наказан."],
    "illegal_construction": ["Строительство приостановлено, материалы переданы в суд.", "Выдано предписание о сносе самовольной постройки."],
    "stray_animals": ["Животные отловлены и переданы в приют.", "Бригада выезжала по адресу, собаки отловлены."],
    "noise": ["Владельцу заведения вынесено предупреждение, музыка после 23:00 прекращена.", "Ночные работы запрещены, нарушитель оштрафован."],
    "air_pollution": ["Очаг сжигания мусора ликвидирован, нарушитель оштрафован.", "Котельной выдано предписание об устранении выбросов."],
    "neighbours": ["Проведена проверка, забор с общей территории убран.", "Жильцам разъяснён порядок пользования общим имуществом."],
    "social_help": ["Социальный работник посетил заявителя, помощь оказана.", "Семья поставлена на учёт, выделена материальная помощь."],
    "power_outage": ["Электроснабжение восстановлено.", "Заменён повреждённый участок линии, напряжение в норме."],
    "gas_smell": ["Аварийная бригада выезжала, утечка газа устранена.", "Проверены соединения, утечка устранена."],
    "illegal_trade": ["Стихийная торговля пресечена, тротуар освобождён.", "Торговцам выданы предписания, проводятся рейды."],
    "illegal_parking": ["Установлены ограждения, парковка на тротуаре невозможна.", "Материалы переданы в патрульную службу, нарушители наказаны."],
}  # fmt: skip
#: Work planned and refusals, per group of categories (opendata's category groups).
PLANNED = {
    "roads": ["Ремонт участка включён в план дорожных работ на сезон.", "Ремонт покрытия будет выполнен после установления тёплой погоды."],
    "lighting": ["Ремонт линии освещения включён в план на следующий месяц."],
    "sanitation": ["Вывоз включён в график, дополнительные контейнеры будут установлены."],
    "water": ["Замена изношенного участка сети включена в план капитального ремонта."],
    "heating": ["Замена участка теплосети запланирована на межотопительный период."],
    "housing": ["Работы включены в план текущего ремонта дома.", "Заявка передана управляющей компании, сроки — до конца квартала."],
    "greenery": ["Работы по благоустройству включены в план на весну."],
    "transport": ["Вопрос включён в план работы департамента на этот год."],
    "construction": ["Назначена выездная проверка объекта."],
    "animals": ["Выезд бригады отлова запланирован на эту неделю."],
    "environment": ["Назначена проверка с замерами, результаты будут опубликованы."],
    "social": ["Заявление рассматривается комиссией, решение будет сообщено."],
    "energy": ["Замена изношенного оборудования запланирована на ближайший месяц."],
    "trade": ["Участок включён в план рейдов инспекции."],
}  # fmt: skip
REFUSED = {
    "roads": ["Участок дороги не находится на балансе предприятия.", "Финансирование ремонта в текущем году не предусмотрено."],
    "lighting": ["Освещение находится на балансе частного владельца, обращение направлено ему."],
    "sanitation": ["Территория частная, уборку обязан проводить владелец."],
    "water": ["Неисправность во внутридомовых сетях, ремонт — за счёт собственников."],
    "heating": ["Дом отключён от центрального отопления по решению собственников."],
    "housing": ["Ремонт общего имущества проводится за счёт собственников дома."],
    "greenery": ["Деревья находятся на частной территории."],
    "transport": ["Маршрут обслуживается частным перевозчиком по договору, изменения не предусмотрены."],
    "construction": ["Разрешение на строительство выдано в установленном порядке."],
    "animals": ["Животные имеют владельца, обращение передано участковому."],
    "environment": ["Нарушений при проверке не выявлено."],
    "social": ["Заявитель не соответствует условиям получения помощи."],
    "energy": ["Неисправность во внутридомовых сетях, ремонт — за счёт собственников."],
    "trade": ["Торговля ведётся по действующему разрешению."],
}  # fmt: skip
#: Plans and refusals of categories unlike the rest of their group.
PLANNED_FOR = {
    "snow_ice": ["Участок включён в график механизированной уборки."],
    "traffic_light": ["Замена светофорного объекта запланирована на этот год."],
    "bus_stop": ["Замена остановочного павильона запланирована на этот год."],
    "public_transport": ["Вопрос включён в план оптимизации маршрутной сети."],
    "illegal_parking": ["Установка ограждений на участке запланирована на этот год."],
    "neighbours": ["Назначена выездная проверка с участием участкового."],
    "gas_smell": ["Плановая проверка газового оборудования дома назначена на эту неделю."],
    "water_leak": ["Замена аварийного участка трубы запланирована на ближайшие дни."],
    "heating_pipe": ["Замена участка теплотрассы запланирована на межотопительный период."],
}  # fmt: skip
REFUSED_FOR = {
    "snow_ice": ["Уборка этого участка входит в обязанности владельца прилегающей территории."],
    "traffic_light": ["Установка светофора на перекрёстке не предусмотрена схемой организации движения."],
    "bus_stop": ["Остановочный павильон принадлежит частному владельцу, обращение направлено ему."],
    "illegal_parking": ["Контроль за парковкой на этом участке относится к патрульной службе, обращение направлено ей."],
    "neighbours": ["Спор между соседями решается в судебном порядке."],
    "gas_smell": ["При проверке утечка газа не обнаружена."],
    "water_leak": ["Утечка на частном участке сети, ремонт — за счёт владельца."],
    "heating_pipe": ["Участок теплотрассы не находится на балансе предприятия."],
}  # fmt: skip
#: Openings and closings that vary a service's answer without changing what it says.
ANSWER_OPENINGS = ("", "", "По вашему обращению сообщаем: ", "Сообщаем, что ")
ANSWER_CLOSINGS = ("", " Спасибо за обращение.", " Благодарим за сигнал.")
GREETING = "Уважаемый(ая) {}! "


def answer_bodies(category: str, group: str, kind: str) -> list[str]:
    """What a service may say about a ``category`` problem (``group``'s plans and refusals)."""
    if kind == "done":
        return DONE[category]
    if kind == "planned":
        return PLANNED_FOR.get(category) or PLANNED[group]
    return REFUSED_FOR.get(category) or REFUSED[group]


def answer_text(rng: random.Random, category: str, group: str, kind: str) -> tuple[str, str]:
    """A service's raw answer (sometimes greeting the citizen by name) and its public twin."""
    body = rng.choice(answer_bodies(category, group, kind))
    opening = rng.choice(ANSWER_OPENINGS)
    if opening.endswith("что "):  # "Сообщаем, что яма заделана": lower-case the sentence
        body = body[0].lower() + body[1:]
    body = opening + body + rng.choice(ANSWER_CLOSINGS)
    if rng.random() < 0.3:
        name = rng.choice(FIRST_NAMES)
        return GREETING.format(name) + body, GREETING.format(NAME_TAG["ru"]) + body
    return body, body


def answer_core(text: str) -> str:
    """An answer without its greeting, opening and closing: the sentence about the problem."""
    for prefix in (GREETING.format(NAME_TAG["ru"]), *filter(None, ANSWER_OPENINGS)):
        text = text.removeprefix(prefix)
    for suffix in filter(None, ANSWER_CLOSINGS):
        text = text.removesuffix(suffix)
    return text[0].upper() + text[1:]


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


#: How a proposal or a question names its place ("Адрес: …"), per language.
PLACE_LABEL = {"ru": "Место", "ky": "Жери", "en": "Place"}


def idea_text(rng: random.Random, lang: str, kind: str, city: str) -> str:
    """The text of a demo proposal or question in ``lang``, naming a place of ``city``."""
    place = rng.choice(city_places(city, lang))
    return f"{rng.choice(IDEAS[kind][lang])} {PLACE_LABEL[lang]}: {place}."


#: The public reason of a declined demo proposal.
OUTCOME_REASONS = {
    "ru": "Участок занят подземными сетями; предложение рассмотрим для соседней улицы.",
    "ky": "Жер астында тармактар бар; сунушту кошуна көчө үчүн карайбыз.",
    "en": "Underground utilities run there; we will consider the idea for the next street.",
}
