"""Every string a person can read is translated into Russian, Kyrgyz and English.

Messages are extracted from portal/**.py and templates/**.html with Babel's own extraction
API (the same keywords the catalogs are built with) and looked up in the merged catalogs of
every area under portal/translations/<area>/<lang>/LC_MESSAGES/messages.po, the way
Flask-Babel merges them at run time. The compiled .mo files must match their .po files,
because the application reads only the .mo files.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "portal" / "translations"
LANGUAGES = ("ru", "ky", "en")
KEYWORDS = {
    **DEFAULT_KEYWORDS,
    "_l": None,
    "lazy_gettext": None,
    "lazy_ngettext": (1, 2),
}
METHOD_MAP = [("portal/**.py", "python"), ("templates/**.html", "jinja2")]


def extracted_messages() -> dict[str | tuple[str, ...], set[str]]:
    """msgid (or (singular, plural)) -> the files that use it."""
    messages: dict = defaultdict(set)
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), METHOD_MAP, keywords=KEYWORDS, strip_comment_tags=True
    ):
        if not message or (isinstance(message, tuple) and not message[0]):
            continue
        if isinstance(message, tuple):
            message = tuple(part for part in message if part)
            if len(message) == 1:
                message = message[0]
        messages[message].add(f"{filename}:{lineno}")
    return messages


def po_files(lang: str) -> list[Path]:
    return sorted(TRANSLATIONS.glob(f"*/{lang}/LC_MESSAGES/messages.po"))


def merged_catalog(lang: str) -> dict[str, tuple[str, ...]]:
    """Non-empty, non-fuzzy translations of every area (singular msgid -> forms)."""
    merged: dict[str, tuple[str, ...]] = {}
    for path in po_files(lang):
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=lang)
        for message in catalog:
            if not message.id or message.fuzzy:
                continue
            forms = message.string if isinstance(message.string, tuple) else (message.string,)
            if all(forms):
                key = message.id[0] if isinstance(message.id, tuple) else message.id
                merged[key] = tuple(forms)
    return merged


@pytest.fixture(scope="module")
def messages():
    found = extracted_messages()
    assert len(found) > 100, "extraction found suspiciously few messages"
    return found


def test_extraction_sees_python_and_template_strings(messages):
    where = {location.split(":")[0] for locations in messages.values() for location in locations}
    assert any(path.endswith(".html") for path in where)
    assert any(path.startswith("portal/") and path.endswith(".py") for path in where)
    assert "Extremely unsatisfactory" in messages  # lazy_gettext in portal/labels.py
    assert "Report a problem" in messages  # a template string


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_has_a_translation(messages, lang):
    assert po_files(lang), f"no {lang} catalog at all"
    catalog = merged_catalog(lang)
    missing = []
    for message, locations in sorted(messages.items(), key=lambda item: str(item[0])):
        key = message[0] if isinstance(message, tuple) else message
        if key not in catalog:
            missing.append(f"{sorted(locations)[0]}: {key!r}")
    assert not missing, f"{len(missing)} messages lack a {lang} translation:\n" + "\n".join(missing)


@pytest.mark.parametrize("lang", ("ru", "ky"))
def test_translations_keep_their_placeholders(lang):
    """A translation that drops %(name)s breaks formatting at run time."""
    import re

    broken = []
    for path in po_files(lang):
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=lang)
        for message in catalog:
            if not message.id or not message.string:
                continue
            source = message.id[0] if isinstance(message.id, tuple) else message.id
            forms = message.string if isinstance(message.string, tuple) else (message.string,)
            wanted = set(re.findall(r"%\(\w+\)[sd]", source))
            for form in forms:
                if form and set(re.findall(r"%\(\w+\)[sd]", form)) != wanted:
                    broken.append(f"{path.relative_to(ROOT)}: {source!r} -> {form!r}")
    assert not broken, "\n".join(broken)


@pytest.mark.parametrize(
    "po_path",
    sorted(TRANSLATIONS.glob("*/*/LC_MESSAGES/messages.po")),
    ids=lambda p: f"{p.parts[-4]}-{p.parts[-3]}",
)
def test_compiled_catalog_matches_its_source(po_path):
    mo_path = po_path.with_suffix(".mo")
    assert mo_path.exists(), f"{mo_path.relative_to(ROOT)} is missing: run pybabel compile"
    lang = po_path.parts[-3]
    with po_path.open("rb") as handle:
        source = read_po(handle, locale=lang)
    with mo_path.open("rb") as handle:
        compiled = read_mo(handle)

    def translations(catalog, skip_fuzzy: bool) -> dict:
        pairs = {}
        for message in catalog:
            if not message.id or (skip_fuzzy and message.fuzzy):
                continue
            key = tuple(message.id) if isinstance(message.id, list | tuple) else message.id
            value = message.string
            value = tuple(value) if isinstance(value, list | tuple) else (value,)
            if all(value):
                pairs[key] = value
        return pairs

    assert translations(compiled, False) == translations(source, True), (
        f"{mo_path.relative_to(ROOT)} is out of date: run pybabel compile -d "
        f"{po_path.parents[2].relative_to(ROOT)}"
    )


@pytest.mark.parametrize("lang", ("ru", "ky"))
def test_areas_agree_on_shared_messages(lang):
    """Flask-Babel merges the areas in folder order, so a message translated differently in
    two areas shows one or the other depending on a folder name: translate it once."""
    seen: dict[str, dict[str, tuple]] = defaultdict(dict)
    for path in po_files(lang):
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=lang)
        for message in catalog:
            if message.id and message.string and not message.fuzzy:
                key = message.id[0] if isinstance(message.id, tuple) else message.id
                string = message.string if isinstance(message.string, tuple) else (message.string,)
                seen[key][path.parts[-4]] = string
    conflicts = [
        f"{key!r}: " + "; ".join(f"{area}={value[0]!r}" for area, value in sorted(areas.items()))
        for key, areas in sorted(seen.items())
        if len(set(areas.values())) > 1
    ]
    assert not conflicts, "\n".join(conflicts)
