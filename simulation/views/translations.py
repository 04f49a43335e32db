"""The words people read, in English and Chinese: modes, mechanisms, metrics, scenarios.

The people this tool is for in Chifeng read Chinese, so every label a chart, report or the
dashboard shows comes from here, in either language. Chinese terms for the six modes and the
seven mechanisms are the source's own (seed document, "六种模式" and "七项机制", given here in
simplified characters); the rest are this project's translations.

One catalogue, looked up by a stable key (the identifiers used in files and code), so a view
never hard-codes a label and the two languages cannot drift apart: `tests` check that every
key has both.
"""

from __future__ import annotations

__all__ = ["LANGUAGES", "TERMS", "check_language", "label", "mode_label", "scenario_label"]

#: Languages every view accepts (`--lang`).
LANGUAGES: tuple[str, ...] = ("en", "zh")

#: key -> {language: text}.
TERMS: dict[str, dict[str, str]] = {
    # The six integration modes (source: 六种模式), keyed by scenario-file name.
    "mode.regional": {"en": "regional co-construction", "zh": "区域化共驻共建"},
    "mode.cross_domain": {"en": "cross-domain alliances", "zh": "跨域抱团联建共促"},
    "mode.central_community": {"en": "central community", "zh": "中心社区以强带弱"},
    "mode.dual_reporting": {"en": "dual reporting", "zh": "双报到结对互动"},
    "mode.red_commercial_street": {"en": "red commercial street", "zh": "红色商街两个覆盖"},
    "mode.smart_platform": {"en": "smart party building", "zh": "智慧党建线上互动"},
    # The seven mechanisms (source: 七项机制).
    "mechanism.linkage": {"en": "organisation linkage", "zh": "组织链接机制"},
    "mechanism.deliberation": {"en": "deliberation and decision", "zh": "议事决策机制"},
    "mechanism.activities": {"en": "joint activities", "zh": "活动共搞机制"},
    "mechanism.matching": {"en": "supply–demand matching", "zh": "供需对接机制"},
    "mechanism.guarantees": {"en": "basic guarantees", "zh": "基础保障机制"},
    "mechanism.assessment": {"en": "assessment", "zh": "考核评价机制"},
    "mechanism.dynamic_management": {"en": "dynamic management", "zh": "动态管理机制"},
    # Shipped scenarios that are not a single mode.
    "scenario.baseline": {"en": "baseline (siloed)", "zh": "基线（各自为战）"},
    "scenario.chifeng_2018": {"en": "Chifeng 2018 (all six modes)", "zh": "赤峰2018（六种模式）"},
    # Metrics (names are stable; definitions in docs/ODD.md).
    "metric.service_coverage": {"en": "service coverage", "zh": "服务覆盖率"},
    "metric.resolution_rate": {"en": "resolution rate", "zh": "问题解决率"},
    "metric.needs_met_rate": {"en": "needs met", "zh": "需求满足率"},
    "metric.mean_days_to_resolve": {"en": "mean days to resolve", "zh": "平均解决天数"},
    "metric.party_org_coverage": {"en": "party-organisation coverage", "zh": "党组织覆盖率"},
    "metric.equity_gap": {"en": "equity gap", "zh": "强弱社区差距"},
    "metric.hours_per_resolved": {
        "en": "hours per resolved problem",
        "zh": "每解决一个问题所用工时",
    },
    "metric.problems_open": {"en": "open problems", "zh": "未解决问题数"},
}


def check_language(lang: str) -> str:
    """`lang` if it is supported; otherwise a ValueError naming what is allowed."""
    if lang not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}; got {lang!r}")
    return lang


def label(key: str, lang: str = "en", default: str | None = None) -> str:
    """The text for `key` in `lang`; `default` (or the key's last part, readable) if unknown."""
    check_language(lang)
    entry = TERMS.get(key)
    if entry is not None:
        return entry[lang]
    return default if default is not None else key.rsplit(".", 1)[-1].replace("_", " ")


def mode_label(mode: str, lang: str = "en") -> str:
    """A mode's name as the source says it (zh) or its English rendering."""
    return label(f"mode.{mode}", lang)


def scenario_label(name: str, lang: str = "en") -> str:
    """A scenario's readable name: a shipped mode or scenario by its term, others as written
    (a user's own variant keeps its own name in both languages)."""
    for key in (f"scenario.{name}", f"mode.{name}"):
        if key in TERMS:
            return TERMS[key][lang]
    check_language(lang)
    return name.replace("_", " ")
