"""Demo news of the mayor's office (added once by ``portal seed-demo``)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Connection, func, insert, select

from portal.models import NewsItem

#: (days before today, title and text in ru, ky, en)
ITEMS = (
    (1, ("Начата посадка деревьев в парках", "Парктарда дарак отургузуу башталды",
         "Tree planting has begun in the parks"),
     ("По предложениям жителей в парках высадят **1 200** карагачей и клёнов.",
      "Тургундардын сунуштары боюнча парктарга **1 200** карагач жана клён отургузулат.",
      "Following residents' proposals, **1,200** elms and maples will be planted in the parks.")),
    (6, ("График вывоза мусора на зиму", "Кышкы таштанды ташуу графиги",
         "Winter rubbish collection schedule"),
     ("С 1 декабря мусор вывозят:\n\n- в центре — ежедневно;\n- в жилмассивах — через день.",
      "1-декабрдан баштап таштанды:\n\n- борбордо — күн сайын;\n- конуштарда — күн аралатып.",
      "From 1 December rubbish is collected:\n\n- in the centre daily;\n- in the outer districts every other day.")),
    (15, ("Отопительный сезон начался", "Жылытуу мезгили башталды", "The heating season has started"),
     ("Если в квартире холодно, сообщите об этом на портале: ответ — в установленный срок.",
      "Батириңиз муздак болсо, порталга билдириңиз: жооп белгиленген мөөнөттө берилет.",
      "If your flat is cold, report it on the portal: the answer comes within the legal deadline.")),
)  # fmt: skip


def seed_news(conn: Connection, today: date) -> int:
    """Add the demo news when there is none yet; how many items were added."""
    if conn.scalar(select(func.count()).select_from(NewsItem.__table__)):
        return 0
    rows = []
    for days, titles, bodies in ITEMS:
        at = datetime.combine(today - timedelta(days=days), time(4, 0), tzinfo=UTC)
        row = {"published_at": at, "updated_at": at}
        for lang, title, body in zip(("ru", "ky", "en"), titles, bodies, strict=True):
            row |= {f"title_{lang}": title, f"body_{lang}": body}
        rows.append(row)
    conn.execute(insert(NewsItem.__table__), rows)
    return len(rows)
