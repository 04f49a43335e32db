"""Parameter help and sources in Chinese: shown only while they translate the schema's words."""

from __future__ import annotations

import re

import pytest

from simulation.scenario import Scenario
from simulation.scenario.params import param_table
from simulation.views import param_text
from simulation.views.app.controls import MAIN_LEVERS, MODES, RUN_CONTROLS
from simulation.views.param_text_zh import ZH
from simulation.views.report.build import _CORE_ASSUMPTIONS

HAN = re.compile(r"[\u4e00-\u9fff]")
SCHEMA = {key: (doc, source) for key, _, doc, source in param_table(Scenario)}
PAGE_KEYS = [*MAIN_LEVERS, *RUN_CONTROLS, *(f"modes.{m}.enabled" for m in MODES)]
REPORT_KEYS = [
    *_CORE_ASSUMPTIONS,
    *(k for k in SCHEMA if k.startswith("modes.") and not k.endswith((".enabled", ".strength"))),
]


def test_every_help_text_on_the_page_has_a_current_chinese_translation() -> None:
    assert param_text.stale_translations(PAGE_KEYS, fields=("doc",)) == []
    for key in PAGE_KEYS:
        assert HAN.search(param_text.param_doc(key, "zh")), key


def test_every_assumption_in_the_report_has_a_current_chinese_translation() -> None:
    assert param_text.stale_translations(REPORT_KEYS) == []
    for key in REPORT_KEYS:
        assert HAN.search(param_text.param_doc(key, "zh")), key
        assert HAN.search(param_text.param_source(key, "zh")), key


def test_english_is_the_schemas_own_words() -> None:
    for key in PAGE_KEYS + REPORT_KEYS:
        assert param_text.param_doc(key, "en") == SCHEMA[key][0]
        assert param_text.param_source(key, "en") == SCHEMA[key][1]


def test_a_translation_of_old_wording_is_not_shown(monkeypatch) -> None:
    key = "modes.regional.coverage"
    entry = dict(ZH[key], doc="share of communities with a committee (old wording)")
    monkeypatch.setitem(ZH, key, entry)
    assert param_text.param_doc(key, "zh") == SCHEMA[key][0]  # the English, not the old zh
    assert key in param_text.stale_translations()
    assert param_text.stale_translations([key]) == [key]


def test_every_catalogue_entry_names_a_parameter_and_is_chinese() -> None:
    names = {k.rsplit(".", 1)[-1] for k in SCHEMA if k.startswith("modes.")}
    for key, entry in ZH.items():
        if key.startswith("modes.*."):
            assert key.rsplit(".", 1)[-1] in names, key
        else:
            assert key in SCHEMA, f"{key}: not a parameter (renamed?)"
        for field in ("doc_zh", "source_zh"):
            if field in entry:
                assert HAN.search(entry[field]), (key, field)


def test_an_unknown_key_or_language_is_refused() -> None:
    with pytest.raises(KeyError):
        param_text.param_doc("modes.regional.no_such_thing", "zh")
    with pytest.raises(ValueError, match="en, zh"):
        param_text.param_doc("run.days", "fr")
