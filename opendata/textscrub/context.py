"""Words around a candidate name that say "this is a person", "a place" or "an official".

All patterns are case-insensitive: they read the truecased working copy of the text.
"""

from __future__ import annotations

import functools
import re

from opendata.textscrub.lexicon import fold
from opendata.textscrub.tokens import Token

# Cue patterns are matched once per text; a cue "comes right before" a word when one of
# its matches ends where the word starts. A cue ends at a dot ("ул.") or a word boundary.
_WORD_END = r"(?:(?<=\.)|(?![\w]))"
# A word right before a name that introduces a private person.
_PERSON_CUE = re.compile(
    r"(?i:(?<![\w-])(?:"
    r"меня\s+зовут|мо[её]\s+имя|зовут|звать|по\s+имени|ф\.?и\.?о\.?|я|с\s+уважением"
    r"|представил(?:ся|ась)(?:\s+как)?|некий|некая|сосед\w*|гражданин\w*|гражданк\w*"
    r"|жител\w*|жилец|жильц\w*|владел\w*|хозя\w*|собственник\w*|заявител\w*|плательщик\w*"
    r"|водител\w*|мастер\w*|электрик\w*|сантехник\w*|бригадир\w*|продав\w*|управляющ\w*"
    r"|председател\w*|старш\w*\s+по\s+дому|инициатор\w*|контакт\w*|муж\w*|жена|жены|жене"
    r"|сын\w*|доч\w*|мам\w*|пап\w*|от[её]ц|отца|отцу|мать|матери|брат\w*|сестр\w*"
    r"|бабушк\w*|дедушк\w*|внук\w*|внучк\w*|воспитател\w*|учител\w*|врач\w*"
    r"|слесар\w*|монт[её]р\w*|инженер\w*|механик\w*|прораб\w*|техник\w*|диспетчер\w*"
    r"|оператор\w*|инспектор\w*|участков\w*|контр[оа]л[её]р\w*|дворник\w*|уборщи\w*"
    r"|кондуктор\w*|специалист\w*|юрист\w*|юрисконсульт\w*|исполнител\w*|ответственн\w*"
    r"|абонент\w*|свидетел\w*|пассажир\w*|уважаем\w*|дорог(?:ой|ая)|назыв\w*\s+(?:его|е[её])"
    r"|по\s+имени|кличк\w*|прозвищ\w*|подпис\w*|фамили[яю](?:\s+(?:его|е[её]))?"
    r"|уста\w*|аткаруучу\w*|аткарган|жооптуу|урматтуу|инспектору?|кожоюн\w*|ээси|арызчы\w*"
    r"|участкалык|монтёр|шофер\w*|шофёр\w*|водила"
    r"|менин\s+атым|атым|аты-ж[өо]н\w*|коңшу\w*|кошуна\w*|кызым\w*|уулум\w*|апам|атам"
    r"|апасы|атасы|күйөө\w*|аялым|агам|эжем|иним|синдим|айдоочу\w*"
    r"|my\s+name\s+is|name|i\s+am|i'm|this\s+is|call\s+me|regards|sincerely|contact"
    r"|mr\.?|mrs\.?|ms\.?|miss|dr\.?|neighbou?r\w*|daughter|son|wife|husband|friend|father|mother"
    r"|brother|sister|driver|landlord|landlady|colleague|tenant|owner|resident|electrician"
    r"|plumber|worker|foreman|janitor|cleaner|guard|seller|cashier|teacher|nurse|doctor"
    r"|engineer|mechanic|inspector|operator|dispatcher|master|technician|manager|dear"
    r"|team\s+leader|leader|officer|conductor|responsible|executor|specialist|called"
    r"|filed\s+by|signed\s+by|signed|sent\s+by|written\s+by"
    rf"){_WORD_END})[\s,:—–-]{{0,4}}"
)
# A self-introduction: the next word is a name even when typed in lower case.
_INTRO_CUE = re.compile(
    r"(?i:(?<![\w-])(?:меня\s+зовут|мо[её]\s+имя|зовут|звать|менин\s+атым|атым|аты"
    r"|my\s+name\s+is|name|named|фамилия|фамилиясы))[\s,:—–-]{1,4}"
)
# A word right before a place name: ул. Ахунбаева, проспект Чуй, школа имени Гагарина.
_PLACE_BEFORE = re.compile(
    r"(?i:(?<![\w-])(?:"
    r"ул\.?|пр\.|пр-т\.?|просп\.|пер\.|б-р\.?|мкр\.?|ж/м|пл\.|им\.|г\.|с\.|пос\."
    r"|улиц\w*|проспект\w*|переул\w*|бульвар\w*|микрорайон\w*|жилмассив\w*|массив\w*"
    r"|площад\w*|парк\w*|сквер\w*|(?<!по\s)имени|именем|в\s+честь|памятник\w*|монумент\w*"
    r"|бюст\w*|музе[йяюе]\w*|театр\w*|мемориал\w*|остановк\w*|рын\w*|базар\w*"
    r"|город\w*|район\w*|сел[оа]|пос[её]л\w*|станци\w*|метро|кафе|ресторан\w*|магазин\w*"
    r"|тц|трц|жк|тсж|осоо|оао|зао|мп|гп|угол|углу|между|пересечени\w*|перекр[её]ст\w*"
    r"|named\s+after"
    rf"){_WORD_END})\s*"
)
# English prepositions of place: "in Asanbai", "on Toktogul" (weaker: given names pass).
_PREPOSITION_BEFORE = re.compile(r"(?i:(?<![\w-])(?:in|on|at|near|along|to|from|via))\s+")
# A word right after a place name: Ахунбаев көчөсү, Chui Avenue, Ататүрк паркы.
_PLACE_WORDS = (
    r"көчө\w*|проспект\w*|бульвар\w*|кичи\s*район\w*|микрорайон\w*|район\w*|мкр"
    r"|ж/м|айыл\w*|парк\w*|аянт\w*|базар\w*|рын\w*|мектеб\w*|эстелиг\w*|атындагы\w*"
    r"|улиц\w*|street|st|avenue|ave|boulevard|blvd|road|rd|lane|square|park|bazaar|market"
    r"|mall|school|microdistrict|district|village"
)
_PLACE_AFTER = re.compile(rf"(?i:\s*(?:-\s*\d+|{_PLACE_WORDS})(?![\w]))")
_PLACE_WORD = re.compile(rf"(?i:{_PLACE_WORDS})")
# Senior officials are named in their role and stay: мэр, вице-мэр, аким, министр…
_ROLE = re.compile(
    r"(?:вице-)?мэр(?:а|у|ом|е|и|\w*ин|\w*ге|\w*дин)?|аким\w*|министр\w*|замминистра"
    r"|глав(?:а|ы|е|у|ой)|директор\w*|director|басары\w*"
    r"|губернатор\w*|президент\w*|премьер\w*|депутат\w*|спикер\w*|полпред\w*|посол|посла"
    r"|башчы\w*|(?:vice-)?mayor\w*|minister\w*|governor|president|ambassador|premier"
)
_QUOTED = re.compile(r"«[^»]{0,80}»|\"[^\"]{0,80}\"|“[^”]{0,80}”|„[^“”]{0,80}[“”]")
_CONJ = re.compile(r"\s*(?:и|менен|жана|and|&)\s*")


@functools.lru_cache(maxsize=64)
def _ends(pattern: re.Pattern[str], text: str) -> frozenset[int]:
    """Positions where matches of `pattern` end (one scan per text, not per word)."""
    return frozenset(m.end() for m in pattern.finditer(text))


def person_cue_ends(text: str) -> frozenset[int]:
    """Offsets right after each person cue in `text` (where a name would start)."""
    return _ends(_PERSON_CUE, text)


def person_cue_before(text: str, start: int) -> bool:
    """A word like "сосед", "меня зовут" or "my name is" comes right before `start`."""
    return start in _ends(_PERSON_CUE, text)


def intro_cue_before(text: str, start: int) -> bool:
    """ "меня зовут", "менин атым", "my name is" comes right before `start`."""
    return start in _ends(_INTRO_CUE, text)


# Organisation words among the place cues: a full name right after one is a person
# ("управляющая ТСЖ Кенжеева Алтынкуль Маратовна"), not the organisation's name.
_ORG_BEFORE = re.compile(
    rf"(?i:(?<![\w-])(?:тц|трц|жк|тсж|осоо|оао|зао|мп|гп|ип|кафе|ресторан\w*|магазин\w*)"
    rf"{_WORD_END})\s*"
)


def org_before(text: str, start: int) -> bool:
    """An organisation word ("ТСЖ", "ОсОО", "магазин") comes right before `start`."""
    return start in _ends(_ORG_BEFORE, text)


def place_before(text: str, start: int) -> bool:
    """A street/place word ("ул.", "проспект", "имени") comes right before `start`."""
    return start in _ends(_PLACE_BEFORE, text)


def preposition_before(text: str, start: int) -> bool:
    """An English preposition of place ("in", "on", "near") comes right before `start`."""
    return start in _ends(_PREPOSITION_BEFORE, text)


def place_after(text: str, end: int) -> bool:
    """A street/place word ("көчөсү", "Street", "паркы") or "-1" follows `end`."""
    return _PLACE_AFTER.match(text, end) is not None


def is_place_word(word: str) -> bool:
    """The word itself names a kind of place: "көчөсү", "проспект", "Street"."""
    return _PLACE_WORD.fullmatch(word) is not None


@functools.lru_cache(maxsize=4096)
def is_role(word: str) -> bool:
    """The word names a senior official's role (мэр, министр, mayor…)."""
    return _ROLE.fullmatch(fold(word)) is not None


# Organisation names built like words: Бишкекводоканал, Ошэлектро, Главархитектура, Зеленхоз.
_ORG_WORD = re.compile(
    r"бишкек[а-яёүөң]{4,}|(?:bishkek)[a-z]{4,}"
    r"|(?:[а-яёүөң]+(?:хоз|строй|энерго|электро|свет|сервис|снаб|торг|трест|пром|транс"
    r"|тепло|газ|архитектур|инспекци|надзор|банк|монтаж)|[а-яёүөң]*(?:водоканал|канал|жылуулук|тазалык))"
    r"(?:а|я|у|ю|ы|и|е|ом|ем|ой|ей|ии|ию|ка|га|ке|ге|ту|ду|дун|тун|нун|ын|ин|дын|тын|нын"
    r"|та|да|тан|дан|нан)?"
    r"|[a-z]*(?:vodokanal|zelenkhoz|svet|zhyluuluk|tazalyk|elektro|energo|servis|service)[a-z]{0,2}"
)


@functools.lru_cache(maxsize=4096)
def is_org_word(word: str) -> bool:
    """The word is built like an organisation's name (Бишкекзеленхоз, Ошэлектро)."""
    return _ORG_WORD.fullmatch(fold(word)) is not None


@functools.lru_cache(maxsize=64)
def quoted_ranges(text: str) -> tuple[tuple[int, int], ...]:
    """Spans inside quotes: names in «…» are organisations, cafés, residential complexes."""
    return tuple(m.span() for m in _QUOTED.finditer(text))


def joined_by_conjunction(text: str, left: Token, right: Token) -> bool:
    """Two words joined by "и"/"менен"/"and" (a list of streets, say)."""
    return _CONJ.fullmatch(text[left.end : right.start]) is not None


def official_nearby(tokens: list[Token], i: int, j: int, text: str) -> bool:
    """A role word stands within five words before the name (same sentence) or just after it."""
    for k in range(i - 1, max(-1, i - 6), -1):
        if is_role(tokens[k].text):
            return True
        if tokens[k].sent_start:
            break
    if j + 1 < len(tokens) and re.fullmatch(
        r"\s*[,—–-]\s*", text[tokens[j].end : tokens[j + 1].start]
    ):
        return any(is_role(t.text) for t in tokens[j + 1 : j + 4])
    return False
