"""Open311 objects as the specification's XML (``<services><service>…``, ``<errors>…``).

A list becomes a container element whose children take the singular name (``notes`` →
``note``); None becomes an empty element, booleans ``true``/``false``. Characters XML 1.0
cannot represent (control characters) are dropped, so the document always parses.
"""

from __future__ import annotations

import re
from xml.etree import ElementTree as ET

#: Characters XML 1.0 cannot carry at all (control characters, lone surrogates…).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

#: Element name of the items of a list (the root's items are named by the caller).
ITEM_NAMES = {
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
    "notes": "note",
    "answers": "answer",
}


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _fill(element: ET.Element, value) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(ET.SubElement(element, key), item)
    elif isinstance(value, list | tuple):
        child_name = ITEM_NAMES.get(element.tag, "item")
        for item in value:
            _fill(ET.SubElement(element, child_name), item)
    else:
        element.text = _text(value)


def to_xml(root: str, value, item: str | None = None) -> bytes:
    """``value`` (a dict, or a list of dicts named ``item``) under the element ``root``."""
    element = ET.Element(root)
    if isinstance(value, list):
        for entry in value:
            _fill(ET.SubElement(element, item or "item"), entry)
    else:
        _fill(element, value)
    return ET.tostring(element, encoding="utf-8", xml_declaration=True)
