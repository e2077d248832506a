"""What photos and videos share: the refusal of an upload, with a translated message."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar


class MediaRejected(ValueError):
    """An upload that is not acceptable: ``code`` names why, ``message`` says it translated.

    Each kind of media declares its own ``MESSAGES`` (code → lazy translated text, with
    ``%(name)s`` placeholders filled from the keyword ``params``).
    """

    MESSAGES: ClassVar[Mapping[str, object]] = {}

    def __init__(self, code: str, **params) -> None:
        super().__init__(code)
        self.code = code
        self.params = params

    @property
    def message(self) -> str:
        text = str(self.MESSAGES[self.code])
        return text % self.params if self.params else text
