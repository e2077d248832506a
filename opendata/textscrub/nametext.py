"""One text under name analysis: its tokens and what is known about each of them."""

from __future__ import annotations

from dataclasses import dataclass, field

from opendata.textscrub import context
from opendata.textscrub.lang import Languages
from opendata.textscrub.lexicon import common_word, fold, gazetteer, not_names
from opendata.textscrub.morph import proper_noun
from opendata.textscrub.shapes import NAME_SHAPES, word_shape
from opendata.textscrub.tokens import Token, is_initial, tokenize


@dataclass
class NameText:
    """The working copy of a text (truecased when it had no case) and its word tokens."""

    work: str
    caseless: bool  # the original was all lower or all upper case
    langs: Languages
    tokens: list[Token] = field(default_factory=list)
    gazetteer: dict[int, int] = field(default_factory=dict)  # token -> first token of its entry
    ner_names: set[int] = field(default_factory=set)  # tokens inside NER PER hits
    places: set[int] = field(default_factory=set)  # tokens known to be places/organisations
    _shapes: dict[int, str | None] = field(default_factory=dict)

    @classmethod
    def of(cls, work: str, caseless: bool, langs: Languages) -> NameText:
        """Tokenise `work` and mark the tokens that lie inside gazetteer names."""
        t = cls(work, caseless, langs, tokenize(work))
        t.gazetteer = _gazetteer_cover(t.tokens)
        return t

    def gap(self, a: int, b: int) -> str:
        """The characters between tokens[a] and tokens[b]."""
        return self.work[self.tokens[a].end : self.tokens[b].start]

    def lang(self, k: int) -> str:
        """The language of the sentence holding tokens[k]."""
        return self.langs.at(self.tokens[k].start)

    def shape(self, k: int) -> str | None:
        """What kind of name word tokens[k] is, if any (see `shapes.word_shape`)."""
        if k not in self._shapes:
            tok = self.tokens[k]
            russian = self.lang(k) == "ru"
            self._shapes[k] = word_shape(tok.text, russian, is_initial(tok, self.work))
        return self._shapes[k]

    def named(self, k: int) -> bool:
        """tokens[k] is a given name, surname or patronymic by its shape."""
        return self.shape(k) in NAME_SHAPES

    def capitalised(self, k: int) -> bool:
        """Capitalised like a name: not a stop word, and not an acronym (ИНН, ЦУМ, КНУ)."""
        word = self.tokens[k].text
        if not word[0].isupper() or fold(word) in not_names() or context.is_role(word):
            return False
        if context.is_org_word(word):
            return False
        shouted = len(word) > 1 and word.isupper() and not self.caseless
        return not shouted or (len(word) >= 4 and self.named(k))

    def uncommon(self, k: int) -> bool:
        """A lower-case word that may be a name: name-shaped, or unknown to the lexicons.

        Only the Russian dictionary is big enough to call an unknown word a name; in
        other languages the word needs a name's shape.
        """
        word = self.tokens[k].text
        if len(word) < 3 or fold(word) in not_names() or context.is_role(word):
            return False
        if self.named(k):
            return True
        if self.lang(k) != "ru" or word.isascii() or len(word) < 4 or common_word(word):
            return False
        return proper_noun(word) is not False

    def adjacent(self, a: int, b: int) -> bool:
        """Nothing but spaces (or an initial's dot) between tokens[a] and tokens[b]."""
        gap = self.gap(a, b)
        return gap.strip() == "" or (is_initial(self.tokens[a], self.work) and gap.strip() == ".")

    def next_to_initial(self, k: int) -> bool:
        """An initial stands right before or after tokens[k]: "Асанов Т.", "Т. Асанов"."""
        toks, work = self.tokens, self.work
        before = k > 0 and is_initial(toks[k - 1], work) and self.adjacent(k - 1, k)
        after = k + 1 < len(toks) and is_initial(toks[k + 1], work) and self.adjacent(k, k + 1)
        return before or after

    def in_gazetteer(self, k: int) -> bool:
        """tokens[k] lies inside a street, place or organisation name of the gazetteer."""
        return k in self.gazetteer

    def char_span(self, i: int, j: int) -> tuple[int, int]:
        """Character offsets of tokens[i..j], an initial's dot included."""
        end = self.tokens[j].end
        if is_initial(self.tokens[j], self.work):
            end += 1
        return self.tokens[i].start, end


def _gazetteer_cover(tokens: list[Token]) -> dict[int, int]:
    """Map each token inside a gazetteer name to the first token of that name."""
    words = [tok.text for tok in tokens]
    cover: dict[int, int] = {}
    k = 0
    while k < len(words):
        n = gazetteer().match_at(words, k)
        cover.update({m: k for m in range(k, k + n)})
        k += max(n, 1)
    return cover
