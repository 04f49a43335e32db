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
    # The interactive dashboard (`simulation app`): page text, controls, map legend.
    "app.title": {"en": "Integrated party building: try a scenario", "zh": "融合党建：情景推演"},
    "app.subtitle": {
        "en": "Choose a scenario, switch modes, move levers, run; the grey line is the same "
        "city and seed with every mode off.",
        "zh": "选择情景、开关模式、调节参数后运行；灰色虚线为同一城市、同一随机种子、不启用任何模式的基线。",
    },
    "app.scenario": {"en": "Scenario", "zh": "情景"},
    "app.modes": {"en": "Integration modes", "zh": "融合模式"},
    "app.levers": {"en": "Mechanisms and principles", "zh": "机制与原则"},
    "app.run_settings": {"en": "Run settings", "zh": "运行设置"},
    "app.run": {"en": "Run", "zh": "运行"},
    "app.pause": {"en": "Pause", "zh": "暂停"},
    "app.step": {"en": "+1 day", "zh": "前进1天"},
    "app.step30": {"en": "+30 days", "zh": "前进30天"},
    "app.reset": {"en": "Reset", "zh": "重置"},
    "app.day": {"en": "Day {day} of {horizon}", "zh": "第 {day} 天 / 共 {horizon} 天"},
    "app.this_scenario": {"en": "this scenario", "zh": "本情景"},
    "app.baseline_short": {"en": "baseline (modes off)", "zh": "基线（不启用模式）"},
    "app.difference": {"en": "difference", "zh": "差值"},
    "app.pp": {"en": "pp", "zh": "个百分点"},
    "app.so_far": {
        "en": "So far (problems that arose after the warm-up and closed):",
        "zh": "截至目前（预热期后产生且已结案的问题）：",
    },
    "app.not_yet": {
        "en": "No figures yet: the first problems after the warm-up close on day {day}.",
        "zh": "暂无数据：预热期后的首批问题在第 {day} 天结案。",
    },
    "app.not_yet_short": {"en": "first values\non day {day}", "zh": "第 {day} 天\n起有数据"},
    "app.axis_day": {"en": "day", "zh": "天"},
    "app.charts": {
        "en": "Daily: problems that arose in the 30 days before the resolution limit",
        "zh": "逐日：截至结案期限前30天内产生的问题",
    },
    "app.map": {
        "en": "Communities by needs met so far, with active alliance links",
        "zh": "各社区需求满足率（截至目前）与已运行联合体的连线",
    },
    "app.map_note": {
        "en": "Schematic: communities grouped by street, size by residents (the model has no geography)",
        "zh": "示意图：社区按街道分组，点的大小表示居民数（模型不含地理坐标）",
    },
    "app.links_legend": {"en": "active alliances (links)", "zh": "已运行的联合体（连线数）"},
    "app.no_closed": {"en": "no problem closed yet", "zh": "尚无结案问题"},
    "app.speed": {
        "en": "{ms:.1f} ms per simulated day (both runs, scale {scale:g})",
        "zh": "每模拟一天 {ms:.1f} 毫秒（两个运行合计，规模 {scale:g}）",
    },
    "app.city": {
        "en": "City simulated: {residents:,} residents in {communities} communities "
        "(scale {scale:g} of Chifeng; every organisation and alliance is kept)",
        "zh": "模拟城市：{communities} 个社区、{residents:,} 名居民（赤峰规模的 {scale:g}；组织和联合体全部保留）",
    },
    "app.changed": {
        "en": "Changed from the file: {keys}",
        "zh": "与情景文件不同：{keys}",
    },
    "app.played": {
        "en": "{days} days played in {seconds:.1f} s ({ms:.1f} ms per day, drawing included)",
        "zh": "{days} 天用时 {seconds:.1f} 秒（每天 {ms:.1f} 毫秒，含绘图）",
    },
    "app.refused": {"en": "Not applied", "zh": "未采用"},
    "app.refused_keep": {
        "en": "the run keeps the previous value",
        "zh": "运行仍使用原来的数值",
    },
    "app.restart_note": {
        "en": "Changing a setting restarts both runs from day 0.",
        "zh": "修改任何设置后，两个运行都从第 0 天重新开始。",
    },
    "app.error": {"en": "The run stopped with an error", "zh": "运行出错已停止"},
    "app.param.enabled": {"en": "on", "zh": "启用"},
    "app.param.strength": {"en": "strength", "zh": "力度"},
    "app.param.coverage": {"en": "coverage", "zh": "覆盖面"},
    "app.param.appraisal": {"en": "points and penalties", "zh": "积分考核"},
    "app.param.direct_routing": {"en": "direct routing", "zh": "直接派单"},
    "app.param.pairing": {"en": "pairing", "zh": "结对方式"},
    "app.param.party_building_first": {"en": "party building first", "zh": "党建引领"},
    "app.param.joint_activities": {"en": "joint activities", "zh": "活动共搞"},
    "app.param.matching": {"en": "supply–demand matching", "zh": "供需对接"},
    "app.param.approval_prob": {"en": "approval probability", "zh": "审批通过率"},
    "app.param.seed": {"en": "seed", "zh": "随机种子"},
    "app.param.scale": {"en": "scale (share of residents)", "zh": "规模（居民比例）"},
    "app.param.days": {"en": "days", "zh": "模拟天数"},
    "app.choice.voluntary": {"en": "voluntary, complementary", "zh": "自愿互补"},
    "app.choice.forced": {"en": "forced pairing", "zh": "拉郎配"},
    "app.choice.optimal": {"en": "optimal assignment", "zh": "最优匹配"},
    "app.choice.adhoc": {"en": "first come, first served", "zh": "先到先办"},
    "alliance.community_joint_committee": {
        "en": "community joint committee",
        "zh": "社区大党委",
    },
    "alliance.street_joint_committee": {"en": "street joint committee", "zh": "街道大工委"},
    "alliance.cross_domain": {"en": "cross-domain alliance", "zh": "跨域联合体"},
    "alliance.central_community": {"en": "central-community cluster", "zh": "中心社区联盟"},
    "alliance.commercial_joint_org": {
        "en": "commercial-district joint organisation",
        "zh": "商圈联合党组织",
    },
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
