"""What an input field accepts, written as JSON Schema for the OpenAPI document.

The input schemas strip whitespace, treat blank optional fields as absent, refuse control
characters and (the appeal's description) count CRLF as one character, so the raw text a
client may send is not described by plain length limits. A field states its grammar here,
next to its rules (``metadata={"grammar": ...}``, or a field class's ``grammar``), and the
OpenAPI document takes it from there (portal.api.openapi). Tests check that text the
document calls valid is valid for the schemas, and the other way round.
"""

from __future__ import annotations

from typing import Any

#: Control characters, which every text field refuses (portal.schemas.fields).
CONTROL = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f"
#: Python's whitespace: what str.strip removes before any check, so allowed at either end,
#: including the control characters among it (vertical tab, form feed, \x1c–\x1f).
WS_CHARS = r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
WS = rf"[{WS_CHARS}]"
#: The same without the control characters: where a field refuses control characters
#: before it strips (portal.schemas.staff.Text), they may not stand at the ends either.
WS_WITHOUT_CONTROL = r"[\t\n\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
NOT_WS = rf"[^{CONTROL}{WS_CHARS}]"
ANY = rf"[^{CONTROL}]"
#: One character once CRLF has become LF: CRLF is one, a lone CR is one.
LINE_CHAR = rf"(?:\r\n|\r(?!\n)|[^{CONTROL}\r])"
#: Any text without control characters (every portal.schemas.fields.String).
NO_CONTROL = rf"^[^{CONTROL}]*$"
BLANK = rf"^{WS}*$"


def optional(pattern: str) -> str:
    """``^x$`` → ``^(x)?$``: the empty value is accepted too (it means "any")."""
    return f"^({pattern.removeprefix('^').removesuffix('$')})?$"


def stripped_text(
    minimum: int, maximum: int, *, crlf_as_one: bool = False, strips_first: bool = True
) -> dict[str, Any]:
    """Between ``minimum`` and ``maximum`` characters once stripped (and, with
    ``crlf_as_one``, once CRLF has become LF, as the appeal form does). ``strips_first``:
    whitespace is stripped before control characters are refused."""
    char, ws = (LINE_CHAR if crlf_as_one else ANY), (WS if strips_first else WS_WITHOUT_CONTROL)
    if minimum <= 1:  # one visible character, or more
        inner = rf"{NOT_WS}({char}{{0,{maximum - 2}}}{NOT_WS})?"
    else:
        inner = rf"{NOT_WS}{char}{{{minimum - 2},{maximum - 2}}}{NOT_WS}"
    return {"type": "string", "pattern": rf"^{ws}*{inner}{ws}*$"}


def optional_text(maximum: int, *, strips_first: bool = True) -> dict[str, Any]:
    """Empty or blank (= not given), or at most ``maximum`` characters once stripped."""
    ws = WS if strips_first else WS_WITHOUT_CONTROL
    pattern = rf"^{ws}*({NOT_WS}({ANY}{{0,{maximum - 2}}}{NOT_WS})?)?{ws}*$"
    return {"type": "string", "pattern": pattern}


def stripped_match(pattern: str, *, required: bool, strips_first: bool = True) -> dict[str, Any]:
    """Text matching ``pattern`` once stripped; when not ``required``, blank too."""
    ws = WS if strips_first else WS_WITHOUT_CONTROL
    inner = pattern.removeprefix("^").removesuffix("$")
    return {"type": "string", "pattern": rf"^{ws}*({inner}){'' if required else '?'}{ws}*$"}


def blank() -> dict[str, Any]:
    """Nothing but whitespace (a honeypot people never fill in)."""
    return {"type": "string", "pattern": BLANK}


def optional_email(maximum: int) -> dict[str, Any]:
    """An e-mail address of at most ``maximum`` characters, or blank (= not given)."""
    return {
        "anyOf": [
            {"type": "string", "format": "email", "maxLength": maximum},
            {"type": "string", "pattern": BLANK},
        ]
    }


def optional_phone() -> dict[str, Any]:
    """portal.schemas.appeal.PHONE_RE once stripped; blank means "not given"."""
    phone = r"(\+[0-9 ()\-]{5,29}[0-9()\-]|[0-9()\-][0-9 ()\-]{4,28}[0-9()\-])"
    return {"type": "string", "pattern": rf"^{WS}*{phone}?{WS}*$"}
