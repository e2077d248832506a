"""marshmallow input schemas shared by HTML forms, the JSON API and imports."""

from __future__ import annotations

from marshmallow import ValidationError


def error_dict(error: ValidationError) -> dict[str, list[str]]:
    """Normalise marshmallow messages to ``{field: [translated message, …]}`` for JSON/HTML."""

    def flatten(messages) -> list[str]:
        if isinstance(messages, dict):
            return [text for value in messages.values() for text in flatten(value)]
        if isinstance(messages, list | tuple):
            return [text for value in messages for text in flatten(value)]
        return [str(messages)]

    raw = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
    return {field: flatten(messages) for field, messages in raw.items()}
