"""Reference data of the two pilot cities: districts, municipal services, categories.

Names are given in Russian, Kyrgyz and English. Service profiles (speed, quality) are
demo assumptions used only by the appeal generator, never stored.
"""

from __future__ import annotations

from dataclasses import dataclass

from portal.models import PrivacyTier


@dataclass(frozen=True)
class CityRef:
    code: str
    slug: str
    names: tuple[str, str, str]  # ru, ky, en
    lat: tuple[float, float]
    lon: tuple[float, float]
    districts: tuple[tuple[str, tuple[str, str, str], float, float], ...]
    # Hot spots (markets, dense microdistricts): lat, lon, weight.
    hot_spots: tuple[tuple[float, float, float], ...]


CITIES = (
    CityRef(
        "BSK",
        "bishkek",
        ("Бишкек", "Бишкек", "Bishkek"),
        (42.80, 42.93),
        (74.48, 74.72),
        (
            ("leninsky", ("Ленинский район", "Ленин району", "Leninsky district"), 42.845, 74.555),
            (
                "oktyabrsky",
                ("Октябрьский район", "Октябрь району", "Oktyabrsky district"),
                42.835,
                74.635,
            ),
            (
                "pervomaisky",
                ("Первомайский район", "Биринчи Май району", "Pervomaisky district"),
                42.885,
                74.585,
            ),
            (
                "sverdlovsky",
                ("Свердловский район", "Свердлов району", "Sverdlovsky district"),
                42.880,
                74.660,
            ),
        ),
        (
            (42.8747, 74.5697, 3.0),  # Osh bazaar
            (42.8220, 74.5740, 2.0),  # Dzhal
            (42.8150, 74.6340, 1.5),  # Asanbai
            (42.8640, 74.6780, 2.0),  # Vostok-5
            (42.8790, 74.6460, 1.5),  # Alamedin-1
            (42.8700, 74.6050, 2.5),  # centre
        ),
    ),
    CityRef(
        "OSH",
        "osh",
        ("Ош", "Ош", "Osh"),
        (40.49, 40.57),
        (72.74, 72.84),
        (
            (
                "amir-timur",
                ("ТУ «Амир-Тимур»", "«Амир-Тимур» АБ", "Amir-Timur area"),
                40.548,
                72.815,
            ),
            ("japalak", ("ТУ «Жапалак»", "«Жапалак» АБ", "Japalak area"), 40.505, 72.765),
            ("kelechek", ("ТУ «Келечек»", "«Келечек» АБ", "Kelechek area"), 40.515, 72.815),
            (
                "sulaiman-too",
                ("ТУ «Сулайман-Тоо»", "«Сулайман-Тоо» АБ", "Sulaiman-Too area"),
                40.532,
                72.785,
            ),
        ),
        (
            (40.5300, 72.7980, 3.0),  # Jayma bazaar
            (40.5190, 72.8150, 1.5),  # Cheryomushki
            (40.5480, 72.8200, 1.5),  # Amir-Timur
            (40.5280, 72.7920, 2.0),  # centre
        ),
    ),
)


@dataclass(frozen=True)
class ServiceRef:
    code: str
    city: str
    kind: str
    names: tuple[str, str, str]
    # Demo profile: median working days to answer (for the default 14-day deadline; scaled
    # for shorter ones), share answered without falling behind, mean score (1–5).
    median_days: float
    answer_rate: float
    mean_score: float


def _svc(code, city, kind, ru, ky, en, days, rate, score) -> ServiceRef:
    return ServiceRef(code, city, kind, (ru, ky, en), days, rate, score)


SERVICES = (
    _svc("bsk-vodokanal", "BSK", "water", "МП «Бишкекводоканал»", "«Бишкекводоканал» МИ", "Bishkekvodokanal", 4, 0.93, 3.6),
    _svc("bsk-tazalyk", "BSK", "sanitation", "МП «Тазалык»", "«Тазалык» МИ", "Tazalyk sanitation enterprise", 2, 0.96, 3.9),
    _svc("bsk-teploset", "BSK", "heating", "ОАО «Бишкектеплосеть»", "«Бишкекжылуулуктармагы» ААК", "Bishkek Heating Network", 7, 0.9, 2.9),
    _svc("bsk-svet", "BSK", "lighting", "МП «Бишкексвет»", "«Бишкекжарык» МИ", "Bishkeksvet street lighting", 3, 0.95, 4.1),
    _svc("bsk-roads", "BSK", "roads", "МП «Бишкекасфальтсервис»", "«Бишкекасфальтсервис» МИ", "Bishkek Asphalt Service", 9, 0.8, 2.6),
    _svc("bsk-transport", "BSK", "transport", "Департамент транспорта мэрии г. Бишкек", "Бишкек мэриясынын транспорт департаменти", "Bishkek City Transport Department", 6, 0.9, 3.0),
    _svc("bsk-green", "BSK", "greenery", "МП «Бишкекзеленхоз»", "«Бишкекжашылчарба» МИ", "Bishkek Parks and Greenery", 5, 0.9, 3.7),
    _svc("bsk-construction", "BSK", "construction", "Управление градостроительного контроля мэрии г. Бишкек", "Бишкек мэриясынын шаар куруу көзөмөлү башкармалыгы", "Bishkek Construction Control Office", 10, 0.75, 2.4),
    _svc("bsk-housing", "BSK", "housing", "Управление ЖКХ мэрии г. Бишкек", "Бишкек мэриясынын турак жай-коммуналдык чарба башкармалыгы", "Bishkek Housing and Utilities Office", 7, 0.9, 2.8),
    _svc("bsk-social", "BSK", "social", "Управление социального развития мэрии г. Бишкек", "Бишкек мэриясынын социалдык өнүгүү башкармалыгы", "Bishkek Social Development Office", 5, 0.9, 3.8),
    _svc("bsk-animals", "BSK", "animals", "МУ «Служба по контролю за безнадзорными животными»", "«Ээсиз жаныбарларды көзөмөлдөө кызматы» ММ", "Stray Animal Control Service", 3, 0.9, 3.3),
    _svc("bsk-gas", "BSK", "gas", "Бишкекский филиал ОсОО «Газпром Кыргызстан»", "«Газпром Кыргызстан» ЖЧКнын Бишкек филиалы", "Gazprom Kyrgyzstan, Bishkek branch", 1, 0.97, 4.2),
    _svc("bsk-electric", "BSK", "electricity", "ОАО «Северэлектро»", "«Түндүкэлектр» ААК", "Severelectro", 3, 0.9, 3.4),
    _svc("bsk-ecology", "BSK", "ecology", "Управление охраны окружающей среды мэрии г. Бишкек", "Бишкек мэриясынын айлана-чөйрөнү коргоо башкармалыгы", "Bishkek Environmental Protection Office", 8, 0.9, 2.7),
    _svc("bsk-trade", "BSK", "trade", "Муниципальная инспекция по торговле г. Бишкек", "Бишкек шаарынын соода боюнча муниципалдык инспекциясы", "Bishkek Municipal Trade Inspectorate", 6, 0.9, 3.1),
    _svc("bsk-parking", "BSK", "parking", "МП «Бишкекпарковка»", "«Бишкекпарковка» МИ", "Bishkek Parking Enterprise", 4, 0.9, 3.2),
    _svc("osh-vodokanal", "OSH", "water", "МП «Ошводоканал»", "«Ошсуутуткуч» МИ", "Oshvodokanal", 5, 0.9, 3.2),
    _svc("osh-tazalyk", "OSH", "sanitation", "МП «Ош Тазалык»", "«Ош Тазалык» МИ", "Osh Tazalyk sanitation enterprise", 3, 0.92, 3.6),
    _svc("osh-heating", "OSH", "heating", "МП «Ошшаржылуулук»", "«Ошшаржылуулук» МИ", "Osh Heating Enterprise", 8, 0.9, 2.7),
    _svc("osh-svet", "OSH", "lighting", "МП «Ошгорсвет»", "«Ошшаржарык» МИ", "Osh street lighting", 4, 0.9, 3.8),
    _svc("osh-roads", "OSH", "roads", "МП «Ошдорстрой»", "«Ошжолкурулуш» МИ", "Osh Road Construction", 10, 0.75, 2.5),
    _svc("osh-transport", "OSH", "transport", "Управление транспорта мэрии г. Ош", "Ош мэриясынын транспорт башкармалыгы", "Osh City Transport Office", 6, 0.9, 3.0),
    _svc("osh-green", "OSH", "greenery", "МП «Ош Жашылдандыруу»", "«Ош Жашылдандыруу» МИ", "Osh Greenery Enterprise", 4, 0.9, 3.9),
    _svc("osh-construction", "OSH", "construction", "Управление архитектуры и строительства мэрии г. Ош", "Ош мэриясынын архитектура жана курулуш башкармалыгы", "Osh Architecture and Construction Office", 11, 0.7, 2.3),
    _svc("osh-housing", "OSH", "housing", "Управление ЖКХ мэрии г. Ош", "Ош мэриясынын турак жай-коммуналдык чарба башкармалыгы", "Osh Housing and Utilities Office", 8, 0.9, 2.9),
    _svc("osh-social", "OSH", "social", "Управление социального развития мэрии г. Ош", "Ош мэриясынын социалдык өнүгүү башкармалыгы", "Osh Social Development Office", 5, 0.92, 4.0),
    _svc("osh-electric", "OSH", "electricity", "ОАО «Ошэлектро»", "«Ошэлектр» ААК", "Oshelectro", 4, 0.9, 3.3),
)  # fmt: skip

#: Where a kind of problem goes in a city that has no service of that kind.
FALLBACK_KIND = {
    "animals": "sanitation",
    "gas": "housing",
    "ecology": "greenery",
    "trade": "housing",
    "parking": "transport",
}


@dataclass(frozen=True)
class CategoryRef:
    code: str
    group: str
    kind: str  # the service kind it is routed to
    names: tuple[str, str, str]
    tier: PrivacyTier
    deadline_days: int | None = None  # None: the statutory default
    weight: float = 1.0  # how common it is in demo data


P, H, S = PrivacyTier.PUBLIC, PrivacyTier.HOME, PrivacyTier.SENSITIVE

CATEGORIES = (
    CategoryRef("pothole", "roads", "roads", ("Яма на дороге", "Жолдогу чуңкур", "Pothole"), P, weight=5),
    CategoryRef("sidewalk", "roads", "roads", ("Разрушенный тротуар", "Бузулган тротуар", "Broken sidewalk"), P, weight=2),
    CategoryRef("snow_ice", "roads", "roads", ("Снег и гололёд на дороге", "Жолдогу кар жана тайгак муз", "Snow and ice on the road"), P, 5, 1.5),
    CategoryRef("traffic_light", "roads", "transport", ("Неисправный светофор", "Светофор иштебейт", "Broken traffic light"), P, 5, 1),
    CategoryRef("street_light", "lighting", "lighting", ("Не горит уличный фонарь", "Көчө чырагы күйбөйт", "Street light out"), P, weight=4),
    CategoryRef("garbage", "sanitation", "sanitation", ("Не вывозят мусор", "Таштанды чыгарылбай жатат", "Garbage not collected"), P, weight=6),
    CategoryRef("illegal_dump", "sanitation", "sanitation", ("Стихийная свалка", "Уруксатсыз таштанды үйүлгөн жер", "Illegal dump"), P, weight=3),
    CategoryRef("no_water", "water", "water", ("Нет холодной воды", "Муздак суу жок", "No cold water"), H, weight=3),
    CategoryRef("water_leak", "water", "water", ("Прорыв водопровода", "Суу түтүгү жарылды", "Water main burst"), P, 5, 2),
    CategoryRef("sewer", "water", "water", ("Засор канализации, открытый люк", "Канализация бүтөлгөн, ачык люк", "Blocked sewer or open manhole"), P, weight=2),
    CategoryRef("no_heating", "heating", "heating", ("Нет отопления", "Жылуулук жок", "No heating"), H, weight=4),
    CategoryRef("hot_water", "heating", "heating", ("Нет горячей воды", "Ысык суу жок", "No hot water"), H, weight=2),
    CategoryRef("heating_pipe", "heating", "heating", ("Утечка на теплотрассе", "Жылуулук түтүгүнөн суу агып жатат", "Heating main leak"), P, 5, 1),
    CategoryRef("roof_leak", "housing", "housing", ("Протекает крыша", "Чатыр агып жатат", "Leaking roof"), H, weight=1.5),
    CategoryRef("elevator", "housing", "housing", ("Не работает лифт", "Лифт иштебейт", "Lift out of order"), H, weight=1.5),
    CategoryRef("yard", "housing", "housing", ("Благоустройство двора", "Короону абаттандыруу", "Courtyard improvement"), P, weight=2),
    CategoryRef("tree_cutting", "greenery", "greenery", ("Незаконная вырубка деревьев", "Дарактарды мыйзамсыз кыюу", "Illegal tree felling"), P, weight=1),
    CategoryRef("park", "greenery", "greenery", ("Неухоженный парк или сквер", "Каралбаган парк же сквер", "Neglected park or square"), P, weight=1),
    CategoryRef("bus_stop", "transport", "transport", ("Остановка в плохом состоянии", "Аялдама начар абалда", "Bus stop in poor condition"), P, weight=1),
    CategoryRef("public_transport", "transport", "transport", ("Работа общественного транспорта", "Коомдук транспорттун иши", "Public transport service"), P, weight=2),
    CategoryRef("illegal_construction", "construction", "construction", ("Незаконное строительство", "Мыйзамсыз курулуш", "Illegal construction"), P, weight=1),
    CategoryRef("stray_animals", "animals", "animals", ("Бездомные животные", "Ээсиз жаныбарлар", "Stray animals"), P, weight=1.5),
    CategoryRef("noise", "environment", "ecology", ("Шум в ночное время", "Түнкү ызы-чуу", "Noise at night"), H, weight=1),
    CategoryRef("air_pollution", "environment", "ecology", ("Сжигание мусора, загрязнение воздуха", "Таштанды өрттөө, абанын булганышы", "Waste burning, air pollution"), P, weight=1.5),
    CategoryRef("neighbours", "social", "housing", ("Конфликт с соседями", "Кошуналар менен чыр-чатак", "Dispute with neighbours"), H, weight=0.5),
    CategoryRef("social_help", "social", "social", ("Социальная помощь", "Социалдык жардам", "Social assistance"), S, weight=0.7),
    CategoryRef("power_outage", "energy", "electricity", ("Отключение электричества", "Электр жарыгы өчүрүлдү", "Power outage"), H, weight=2),
    CategoryRef("gas_smell", "energy", "gas", ("Запах газа", "Газдын жыты", "Smell of gas"), P, 1, 0.5),
    CategoryRef("illegal_trade", "trade", "trade", ("Незаконная уличная торговля", "Мыйзамсыз көчө соодасы", "Illegal street trade"), P, weight=1),
    CategoryRef("illegal_parking", "transport", "parking", ("Парковка на тротуаре или газоне", "Тротуарга же газонго токтотуу", "Parking on sidewalk or lawn"), P, weight=1.5),
)  # fmt: skip


def service_code_for(city_code: str, kind: str) -> str:
    """The code of the service that handles ``kind`` in the city (with fallbacks)."""
    codes = {s.kind: s.code for s in SERVICES if s.city == city_code}
    while kind not in codes:
        kind = FALLBACK_KIND[kind]
    return codes[kind]
