"""What each scenario parameter means and where its value comes from, in the reader's language.

The English text is the schema's own (`param()` in `simulation.scenario`), so it can never drift
from the code. The Chinese text lives in `simulation.views.param_text_zh`, each entry with the
English it translates: when the schema's wording changes, the old translation no longer matches
and is not shown (the English is, and the key is remembered), so a reader never sees a
translation of something the model no longer says. Tests require every parameter a view shows
to have a current translation.
"""

from __future__ import annotations

from functools import cache

from simulation.views.param_text_zh import ZH
from simulation.views.translations import check_language

__all__ = ["param_doc", "param_source", "stale_translations"]

#: Keys asked for in Chinese whose translation is missing or out of date (since start-up).
_STALE: set[str] = set()


@cache
def _schema() -> dict[str, tuple[str, str]]:
    from simulation.scenario import Scenario
    from simulation.scenario.params import param_table

    return {key: (doc, source) for key, _, doc, source in param_table(Scenario)}


def _entry(key: str) -> dict[str, str] | None:
    """The catalogue entry of `key`, or of `modes.*.<name>` for a text every mode shares."""
    found = ZH.get(key)
    if found is None and key.startswith("modes."):
        found = ZH.get("modes.*." + key.rsplit(".", 1)[-1])
    return found


def _text(key: str, lang: str, field: int) -> str:
    check_language(lang)
    english = _schema()[key][field]
    if lang == "en" or not english:
        return english
    entry = _entry(key)
    name = ("doc", "source")[field]
    if entry is None or entry.get(name) != english:
        _STALE.add(key)
        return english
    return entry[f"{name}_zh"]


def param_doc(key: str, lang: str = "en") -> str:
    """What the parameter `key` (dotted) means, in `lang`; KeyError for an unknown key."""
    return _text(key, lang, 0)


def param_source(key: str, lang: str = "en") -> str:
    """Where the default of `key` comes from (source or assumption, range), in `lang`."""
    return _text(key, lang, 1)


def stale_translations(
    keys: list[str] | None = None, fields: tuple[str, ...] = ("doc", "source")
) -> list[str]:
    """Keys (all asked for in Chinese since start-up, or `keys`) lacking a current translation
    of any of `fields`."""
    if keys is None:
        return sorted(_STALE)
    out = []
    for key in keys:
        english = dict(zip(("doc", "source"), _schema()[key], strict=True))
        entry = _entry(key) or {}
        if any(english[f] and entry.get(f) != english[f] for f in fields):
            out.append(key)
    return out
