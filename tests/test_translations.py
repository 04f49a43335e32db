"""Every term exists in every language, and Chinese terms are Chinese."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from simulation.modes import REGISTRY
from simulation.views import translations as tr

HAN = re.compile(r"[\u4e00-\u9fff]")


def test_every_term_has_every_language_and_zh_is_chinese() -> None:
    for key, entry in tr.TERMS.items():
        assert set(entry) == set(tr.LANGUAGES), key
        assert HAN.search(entry["zh"]), f"{key}: zh text has no Chinese characters"
        assert not HAN.search(entry["en"]), f"{key}: en text has Chinese characters"


def test_every_registered_mode_has_the_source_term() -> None:
    for mode in REGISTRY:
        assert f"mode.{mode}" in tr.TERMS, mode


def test_unknown_language_is_refused_with_the_allowed_ones() -> None:
    with pytest.raises(ValueError, match="en, zh"):
        tr.label("mode.regional", "fr")


def test_a_users_own_scenario_keeps_its_name() -> None:
    assert tr.scenario_label("my_variant", "zh") == "my variant"
    assert tr.scenario_label("dual_reporting", "zh") == "双报到结对互动"


def test_every_shipped_scenarios_description_has_a_current_chinese_translation() -> None:
    from simulation.scenario import load_scenario
    from simulation.views.app.session import shipped_scenarios

    files = shipped_scenarios(Path("scenarios"))
    assert len(files) >= 8
    for name, path in files.items():
        own = load_scenario(path).description
        zh = tr.scenario_description(name, own, "zh")
        assert HAN.search(zh), f"{name}: no current translation of {own!r}"
        assert tr.scenario_description(name, own, "en") == own


def test_a_changed_or_unknown_description_is_shown_as_written() -> None:
    assert tr.scenario_description("baseline", "my own words", "zh") == "my own words"
    assert tr.scenario_description("my_variant", "mine", "zh") == "mine"
