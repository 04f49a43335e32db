"""Fonts for Chinese output, found on this machine (never downloaded).

Chinese charts need a font with CJK glyphs; without one matplotlib draws boxes (tofu) in place
of characters, which is worse than English. Set-up installs Debian's `fonts-noto-cjk`
(scripts/system_packages.sh); this module finds it through matplotlib's font manager. Its
cache may predate the font's installation, so the system font folders are also scanned and a
CJK file found there is registered (`addfont`). When no CJK font exists at all,
`resolve_language("zh")` warns once and answers "en": the caller then writes English.
"""

from __future__ import annotations

import functools
import warnings
from pathlib import Path

from matplotlib import font_manager

from simulation.views.translations import check_language

__all__ = ["LanguageFallbackWarning", "cjk_font_family", "font_families", "resolve_language"]

# Preferred families, simplified Chinese first (the readers are in mainland China).
_CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Noto Sans CJK JP",
)
_LATIN_FAMILY = "DejaVu Sans"  # bundled with matplotlib


class LanguageFallbackWarning(UserWarning):
    """Chinese was asked for but no CJK font is installed: the output is in English."""


def _known_families() -> set[str]:
    return {f.name for f in font_manager.fontManager.ttflist}


@functools.cache
def cjk_font_family() -> str | None:
    """The name of an installed font family that has Chinese glyphs, or None."""
    known = _known_families()
    for family in _CJK_FAMILIES:
        if family in known:
            return family
    # The font manager's cache may be older than the font: register CJK files it has not seen.
    for path in font_manager.findSystemFonts():
        name = Path(path).name.lower()
        if any(tag in name for tag in ("cjk", "wqy", "sourcehansans", "notosanssc")):
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):  # an unreadable font file: skip it
                continue
    known = _known_families()
    return next((f for f in _CJK_FAMILIES if f in known), None)


def resolve_language(lang: str) -> str:
    """The language output can really be written in: `lang`, or "en" (with a
    `LanguageFallbackWarning`) when Chinese is asked for and no CJK font is installed."""
    check_language(lang)
    if lang == "zh" and cjk_font_family() is None:
        warnings.warn(
            "no Chinese (CJK) font found, so charts and report are in English; install "
            "Debian's fonts-noto-cjk (scripts/system_packages.sh does it as root) for --lang zh",
            LanguageFallbackWarning,
            stacklevel=2,
        )
        return "en"
    return lang


def font_families(lang: str) -> list[str]:
    """matplotlib's `font.family` list for `lang` (CJK first for Chinese; DejaVu Sans fills in
    glyphs the CJK font lacks)."""
    if lang == "zh":
        family = cjk_font_family()
        if family is not None:
            return [family, _LATIN_FAMILY]
    return [_LATIN_FAMILY]
