"""What several models share: names in two languages, CHECK constraints from enums."""

from __future__ import annotations

import enum

from sqlalchemy.orm import Mapped


def one_of(column: str, enum_cls: type[enum.StrEnum]) -> str:
    values = ", ".join(f"'{member.value}'" for member in enum_cls)
    return f"{column} IN ({values})"


class Localised:
    """Models with ``name_vi``/``name_en`` columns pick the name for a locale."""

    name_vi: Mapped[str]
    name_en: Mapped[str]

    def name(self, locale: str | None = "vi") -> str:
        return self.name_en if locale == "en" and self.name_en else self.name_vi
