"""The languages of a text, decided by the text itself (the interface language is a hint).

Each sentence gets a language: Cyrillic sentences are Russian or Kyrgyz by function words
and Kyrgyz letters; Latin sentences are English or Russian/Kyrgyz in Latin transliteration
("Dobryi den", "Salamatsyzby") by function words. A sentence without evidence takes the
language of the whole text. A mixed text reports every language it contains, and the
name rules ask for the language at each word.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from opendata.textscrub.lexicon import wordset
from opendata.textscrub.placeholders import PLACEHOLDER
from opendata.textscrub.tokens import ABBREVIATIONS

LANGS = ("ru", "ky", "en")
# Frequent function words; Kyrgyz names contain ү/ө too, so letters alone cannot decide.
_RU = wordset(
    "и в во на не что с со по я из у для это уже как нет до от за прошу мы нас наш наша "
    "но а же его её ее они он она который очень просим когда где так только меня мне мой моя "
    "мою вас вам вы ты этот эта там тут здесь зовут звоните пожалуйста здравствуйте добрый "
    "день спасибо ещё еще всё все был была было есть живу при или уже нету ничего никто "
    "сделать сделали нужно надо можно будет были ваш ваше вашей вопрос ответ обращение "
    "просьба срочно опять снова почему кто чтобы если бы ли тоже также после возле около"
)
_KY = wordset(
    "жана менен үчүн бул бир мен менин биз биздин жок бар жатат эмес деп болуп келет кечээ "
    "азыр эч ким бери жанында суранам саламатсызбы ал анын алар да дагы бирок көп абдан "
    "жатышат болот керек эле берген бергиле турам жашайм дарегим телефонум атым байланыш "
    "рахмат салам көчөсү көчөдө үйдө батир жол эки үч төрт беш күн жыл ай бүгүн эртең "
    "жардам кылып келди кетти калды деди дешти болду жатабыз барбы качан кантип эмне ошол "
    "ушул биерде жакшы жаман чоң кичине суу жарык"
)
_EN = wordset(
    "the a an and or of to in on at for with from by is are was were be been has have had "
    "it this that there i my we our you your he she they please hello hi dear thanks thank "
    "not no yes can could would should will since near after before about still very just "
    "who what when where why how call me us regards sincerely"
)
# Russian in Latin letters ("translit") and Kyrgyz in Latin letters.
_RU_LATIN = wordset(
    "i v na ne chto s so po ya iz u dlya eto uzhe kak net do ot za proshu my nas nash nasha "
    "no a zhe ego ee oni on ona ochen prosim kogda gde tak tolko menya mne moi moya moy vas "
    "vam vy ty tam tut zdes zovut zvonite pozhaluysta pozhaluista pozhalujsta zdravstvuite "
    "zdravstvuyte dobryi dobryy dobriy den spasibo eshe vse byl byla bylo est zhivu pri ili "
    "nety nichego nikto nuzhno nado mozhno budet uvazhaemyi uvazhaemaya uvazhaemyy pishite "
    "pomogite skazali zvonila zvonil uzhe nedelyu vash vashe vashei zapros obrashenie otvet "
    "rassmotren rassmotreno srochno opyat snova pochemu kto chtoby esli tozhe takzhe posle "
    "vozle okolo dom kvartira ulica ulice nomer telefon privet"
)
_KY_LATIN = wordset(
    "jana zhana menen uchun bul bir men menin biz bizdin jok zhok bar jatat zhatat emes dep "
    "bolup kelet kechee azyr ech kim beri janynda suranam salamatsyzby al anyn alar da dagy "
    "birok kop abdan jatyshat bolot kerek ele bergile turam jashaym rahmat raxmat salam "
    "kochosu kochodo uydo eki uch kun jyl ai bugun erten jardam kelgen ketti kaldy dedi "
    "deshet emi kayda kaida"
)
_WORDS = re.compile(r"[^\W\d_]+")
# Kyrgyz letters, long vowels and suffixes that Russian words do not have: genitive
# -дын/-нын, past tense -ылды/-илди, participles -ган/-ген of long words.
_KYRGYZ_SHAPE = re.compile(
    r"[өүң]|аа|оо|уу|ээ|ыы|(?:дын|дин|дун|нын|нин|нун|тын|тин|тун)$|(?:ылды|илди|улду)$"
    r"|^\w{4,}(?:ган|ген|гон)$"
)
# E-mails, web addresses and HTML tags are Latin whatever the language of the appeal.
_NOT_PROSE = re.compile(r"(?<!\S)[^\s@]+@\S+|https?://\S+|www\.\S+|<[^<>]*>|&\w+;")
_SENTENCE_END = re.compile(r"[.!?…]+(?=\s+[^\W\d_])|[!?…]+|\n+|(?<=\w)\.(?=\s*$)")


@dataclass(frozen=True, slots=True)
class Sentence:
    """A stretch of the text in one language; ``latin`` when it is typed in Latin letters."""

    start: int
    end: int
    lang: str
    latin: bool


@dataclass(frozen=True, slots=True)
class Languages:
    """What the text is written in: the main language, all of them, and per sentence."""

    primary: str
    present: tuple[str, ...]
    sentences: tuple[Sentence, ...]

    def at(self, pos: int) -> str:
        """The language of the sentence holding offset `pos`."""
        return self.sentence_at(pos).lang

    def sentence_at(self, pos: int) -> Sentence:
        """The sentence holding offset `pos` (the last one past the end)."""
        for sentence in self.sentences:
            if pos < sentence.end:
                return sentence
        return self.sentences[-1]

    @property
    def transliterated(self) -> tuple[Sentence, ...]:
        """Russian or Kyrgyz sentences typed in Latin letters."""
        return tuple(s for s in self.sentences if s.latin and s.lang != "en")


def detect_language(text: str, hint: str | None = None) -> str:
    """The main language of `text`: "ru", "ky" or "en" (used for placeholders)."""
    return detect_languages(text, hint).primary


def detect_languages(text: str, hint: str | None = None) -> Languages:
    """Languages per sentence; `hint` only breaks ties where the text gives no evidence."""
    clean = _NOT_PROSE.sub(lambda m: " " * len(m.group()), PLACEHOLDER.sub(_blank, text))
    parts = [_judge(clean, a, b) for a, b in _sentences(clean)]
    weights: Counter[str] = Counter()
    for _, _, scores, _latin, words in parts:
        if scores:
            weights[max(scores, key=scores.__getitem__)] += words
    primary = _primary(weights, parts, hint)
    sentences = tuple(
        Sentence(a, b, _decide(scores, latin, primary), latin) for a, b, scores, latin, _ in parts
    ) or (Sentence(0, len(text), primary, False),)
    present = Counter(s.lang for s in sentences if s.end > s.start)
    ordered = (primary, *sorted(present.keys() - {primary}, key=lambda k: -present[k]))
    return Languages(primary, ordered, sentences)


def _blank(m: re.Match[str]) -> str:
    return " " * len(m.group())


def _sentences(text: str) -> list[tuple[int, int]]:
    bounds, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        if m.group() == "." and _abbreviation_before(text, m.start()):
            continue  # "ул. Киевская", "ul. Ibraimova", "Т. Асанов"
        bounds.append((start, m.end()))
        start = m.end()
    bounds.append((start, len(text)))
    return [(a, b) for a, b in bounds if b > a]


def _abbreviation_before(text: str, dot: int) -> bool:
    word = re.search(r"[^\W\d_]+$", text[max(0, dot - 12) : dot])
    return word is not None and (len(word.group()) == 1 or word.group().lower() in ABBREVIATIONS)


def _judge(text: str, a: int, b: int) -> tuple[int, int, dict[str, float], bool, int]:
    """(start, end, scores per language, Latin script?, number of words) of one sentence."""
    words = _WORDS.findall(text, a, b)
    latin = sum(w.isascii() for w in words) > len(words) / 2
    low = [w.lower() for w in words]
    if latin:
        scores = {
            "en": sum(w in _EN for w in low),
            "ru": sum(w in _RU_LATIN for w in low),
            "ky": sum(w in _KY_LATIN for w in low) + sum(_looks_kyrgyz_latin(w) for w in low) / 2,
        }
    else:
        scores = {
            "ru": sum(w in _RU for w in low),
            "ky": sum(w in _KY for w in low) + sum(_looks_kyrgyz(w) for w in words) / 2,
        }
    return a, b, {k: v for k, v in scores.items() if v > 0}, latin, len(words)


def _primary(weights: Counter[str], parts: list, hint: str | None) -> str:
    if weights:
        best = max(weights.values())
        tied = [lang for lang, w in weights.items() if w == best]
        if len(tied) == 1:
            return tied[0]
        return hint if hint in tied else sorted(tied, key=LANGS.index)[0]
    latin = sum(words for *_, is_latin, words in parts if is_latin)
    cyrillic = sum(words for *_, is_latin, words in parts if not is_latin)
    if latin > cyrillic:
        return "en"
    if hint in ("ru", "ky"):
        return hint
    return "ru"


def _decide(scores: dict[str, float], latin: bool, primary: str) -> str:
    """A sentence's language: its best score, else the text's (in the sentence's script)."""
    if scores:
        best = max(scores.values())
        tied = [lang for lang, v in scores.items() if v == best]
        return primary if primary in tied else tied[0]
    if latin:
        return primary if primary == "en" else "en"
    return primary if primary != "en" else "ru"


def _looks_kyrgyz(word: str) -> bool:
    # Not capitalised words: names like "Айгүл" also appear in Russian texts.
    # ө/ү/ң and long vowels (айдоочу, уулу, унаанын) are rare in Russian words.
    if word.istitle():
        return False
    return _KYRGYZ_SHAPE.search(word.lower()) is not None


def _looks_kyrgyz_latin(word: str) -> bool:
    # Kyrgyz endings in transliteration: -dyn/-nyn (genitive), -ga/-ge (dative), -byz.
    return re.search(r"(?:dyn|nyn|tyn|byz|ysy|uu)$", word) is not None
