"""Vetting a candidate name: is it a place, an organisation, an official in role?"""

from __future__ import annotations

from opendata.textscrub import context
from opendata.textscrub.nametext import NameText
from opendata.textscrub.tokens import is_initial


def rejected(t: NameText, i: int, j: int, cued: bool) -> bool:
    """The words tokens[i..j] are a place, an official, or no name at all."""
    span = range(i, j + 1)
    shapes = [t.shape(k) for k in span]
    if all(s in ("initial", "particle") for s in shapes):
        return True
    if quoted(t, i, j) or (not cued and any(k in t.places for k in span)):
        return True  # a cue word outweighs NER's LOC/ORG label
    first = t.tokens[i]
    lead = t.tokens[_lead(t, i)]
    if _place_follows(t, j):
        return True
    if context.place_before(t.work, lead.start) and not _full_name_after_org(t, i, j):
        return True
    if context.official_nearby(t.tokens, i, j, t.work):
        return True
    named = any(t.named(k) for k in span)
    if gazetteer_name(t, i, j) and not (named and (cued or _with_initial(t, i, j))):
        return True
    if first.text.isascii() and context.preposition_before(t.work, first.start):
        return "first" not in shapes
    return not cued and i == j and _listed_with_place(t, i)


def _full_name_after_org(t: NameText, i: int, j: int) -> bool:
    """ "ТСЖ Кенжеева Алтынкуль Маратовна": a patronymic or given name + surname."""
    if not context.org_before(t.work, t.tokens[i].start):
        return False
    shapes = [t.shape(k) for k in range(i, j + 1)]
    return "patronymic" in shapes or ("first" in shapes and "surname" in shapes)


def _place_follows(t: NameText, j: int) -> bool:
    """A place word follows, maybe after one more name word ("Aaly Tokombaev St")."""
    if context.place_after(t.work, t.tokens[j].end):
        return True
    k = j + 1
    return (
        k < len(t.tokens)
        and t.adjacent(j, k)
        and t.capitalised(k)
        and (t.shape(k) == "surname" or t.in_gazetteer(k))
        and context.place_after(t.work, t.tokens[k].end)
    )


def _lead(t: NameText, i: int) -> int:
    """The first of the initials right before tokens[i] ("имени А. С. Пушкина")."""
    while i > 0 and is_initial(t.tokens[i - 1], t.work) and t.adjacent(i - 1, i):
        i -= 1
    return i


def _with_initial(t: NameText, i: int, j: int) -> bool:
    """ "Рыскулова Н.": streets put the initial first ("Ч. Айтматова"), signatures after."""
    return j > i and t.shape(j) == "initial" and t.shape(i) != "initial"


def gazetteer_name(t: NameText, i: int, j: int) -> bool:
    """All words (initials aside) lie inside one gazetteer name: "Ч. Айтматова", "Жибек"."""
    ids = {t.gazetteer.get(k) for k in range(i, j + 1) if not is_initial(t.tokens[k], t.work)}
    return len(ids) == 1 and None not in ids


def _listed_with_place(t: NameText, k: int) -> bool:
    """ "между Боконбаева и Киевской": a word joined by "и" to a place is a place."""
    before = k > 0 and context.joined_by_conjunction(t.work, t.tokens[k - 1], t.tokens[k])
    after = k + 1 < len(t.tokens) and context.joined_by_conjunction(
        t.work, t.tokens[k], t.tokens[k + 1]
    )
    return (before and is_place(t, k - 1)) or (after and is_place(t, k + 1))


def is_place(t: NameText, k: int) -> bool:
    """tokens[k] is known as a place: NER location, gazetteer, or a street word by it."""
    tok = t.tokens[k]
    return (
        k in t.places
        or t.in_gazetteer(k)
        or context.place_before(t.work, tok.start)
        or context.place_after(t.work, tok.end)
    )


def quoted(t: NameText, i: int, j: int) -> bool:
    """tokens[i..j] stand inside quotes: an organisation, a café, a housing estate."""
    a, b = t.tokens[i].start, t.tokens[j].end
    return any(qa < a and b < qb for qa, qb in context.quoted_ranges(t.work))
