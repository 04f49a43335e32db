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

__all__ = [
    "LANGUAGES",
    "PHRASES",
    "TERMS",
    "check_language",
    "label",
    "missing_phrases",
    "mode_label",
    "phrase",
    "scenario_description",
    "scenario_label",
]

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
    "metric.hours_total": {"en": "staff and member hours", "zh": "总工时"},
    "metric.cost_yuan": {"en": "cost (yuan)", "zh": "成本（元）"},
    # Metric titles of charts.
    "metric_long.service_coverage": {
        "en": "Service coverage (share of problems taken up)",
        "zh": "服务覆盖率（被受理问题的占比）",
    },
    "metric_long.resolution_rate": {
        "en": "Resolution rate (taken-up problems resolved ≤ 30 days)",
        "zh": "问题解决率（受理问题中30天内解决的占比）",
    },
    "metric_long.needs_met_rate": {
        "en": "Needs met (all problems resolved ≤ 30 days)",
        "zh": "需求满足率（全部问题中30天内解决的占比）",
    },
    "metric_long.mean_days_to_resolve": {"en": "Mean days to resolve", "zh": "平均解决天数"},
    "metric_long.party_org_coverage": {
        "en": "Party-organisation coverage (firms and social orgs)",
        "zh": "党组织覆盖率（非公企业和社会组织）",
    },
    "metric_long.equity_gap": {
        "en": "Equity gap (strongest − weakest quarter of communities)",
        "zh": "强弱差距（最强与最弱四分之一社区之差）",
    },
    "metric_long.hours_per_resolved": {
        "en": "Staff and member hours per resolved problem",
        "zh": "每解决一个问题所用的工作人员和党员工时",
    },
    "metric_long.problems_open": {"en": "Open problems", "zh": "未解决问题数"},
    "metric_long.hours_total": {
        "en": "Staff and member hours in total",
        "zh": "总工时（工作人员和党员）",
    },
    "metric_long.cost_yuan": {"en": "Cost (yuan)", "zh": "成本（元）"},
    # Shipped scenarios in words (the scenario files' descriptions; a user's own scenario is
    # described by its file's text in both languages).
    "description.baseline": {
        "en": "Chifeng 2018 at full scale, siloed: every integration mode off. The reference "
        "every scenario is compared against.",
        "zh": "赤峰2018（全市规模），各自为战：所有融合模式关闭。其他情景都与它比较。",
    },
    "description.regional": {
        "en": "Baseline plus regional co-construction: joint committees in all 44 streets and "
        "291 communities co-opt local units, whose resources are reachable at monthly joint "
        "meetings.",
        "zh": "基线加区域化共驻共建：44 个街道和 291 个社区成立联合党委（大党委），吸纳驻区单位，"
        "其资源在每月联席会议上可用。",
    },
    "description.cross_domain": {
        "en": "Baseline plus cross-domain alliances: 300 complementarity-based alliances with "
        "about 1,000 chains routing problems to partners.",
        "zh": "基线加跨域抱团联建共促：按优势互补组建 300 个联盟、约 1,000 条链条，把问题转给伙伴单位。",
    },
    "description.central_community": {
        "en": "Baseline plus central communities: strong centres share competence, hours and "
        "information with neighbouring weak old communities.",
        "zh": "基线加中心社区以强带弱：强社区作为中心，与相邻的薄弱老旧社区共享能力、工时和信息。",
    },
    "description.dual_reporting": {
        "en": "Baseline plus dual reporting: every agency paired with a community, agency "
        "members serving in their home communities under points-based appraisal.",
        "zh": "基线加双报到结对互动：每个机关单位与一个社区结对，党员回居住社区服务，实行积分考核。",
    },
    "description.red_commercial_street": {
        "en": "Baseline plus red commercial streets: joint party organisations cover the firms "
        "of every commercial district, with a service station for the district and its "
        "neighbours.",
        "zh": "基线加红色商街两个覆盖：联合党组织覆盖每个商圈的企业，并为商圈及周边设立服务站。",
    },
    "description.smart_platform": {
        "en": "Baseline plus the smart platform in every street: one-click reporting for "
        "residents with digital access, direct routing, online workflows.",
        "zh": "基线加智慧党建线上互动：每个街道接入平台，有数字渠道的居民一键上报，问题直达主管部门，线上办理。",
    },
    "description.chifeng_2018": {
        "en": "Chifeng 2018 with all six integration modes as the source describes them: 44 + "
        "291 joint committees, 300+ cross-domain alliances, central communities, 1,105 agencies "
        "and 23,800 members reporting, red commercial streets and the smart platform.",
        "zh": "赤峰2018，按原始材料的描述同时实施六种融合模式：44 个街道和 291 个社区联合党委、"
        "300 余个跨域联合体、中心社区、1,105 个机关单位和 23,800 名党员报到、红色商街和智慧党建平台。",
    },
    # What the model leaves out (docs/ODD.md, section 9), for the report.
    "leaves_out.geography": {
        "en": "Geography: streets and communities have numbers, not places; nearness is by number.",
        "zh": "地理：街道和社区只有编号，没有位置；“相邻”按编号定义。",
    },
    "leaves_out.capacity": {
        "en": "Limits on streets: they solve whatever is within their competence at once, with "
        "no hours counted. Agencies' departments are pooled per category; party members' own "
        "volunteer hours come on top of what their employers give.",
        "zh": "街道不受工时限制：能力范围内的问题当即办结。机关部门按类别合并计算工时；"
        "党员个人的志愿服务时间另计，不占用其单位投入的工时。",
    },
    "leaves_out.hours_source": {
        "en": "Where alliance hours come from: an agency's hours for its committees, alliances "
        "or paired community are taken from its department's hours for escalations, which is "
        "why cross-domain alliances, whose partners are mostly agencies, can lower needs met "
        "(docs/ODD.md 7.13). If those hours are extra, the modes do more.",
        "zh": "联合体工时的来源：机关投入联合党委、跨域联合体或结对社区的工时，从其部门处理上报问题的"
        "工时中扣除；跨域联合体的伙伴单位多为机关，因此可能降低需求满足率（docs/ODD.md 7.13）。"
        "若这些工时是额外投入，各模式的作用会更大。",
    },
    "leaves_out.satisfaction": {
        "en": "Residents' satisfaction: the model has trust, not satisfaction; latent demand does "
        "not change with policy.",
        "zh": "居民满意度：模型只有信任，没有满意度；潜在需求不随政策变化。",
    },
    "leaves_out.platform": {
        "en": "Members and units claiming tasks on the smart platform; the intake's triage is "
        "perfect.",
        "zh": "党员和单位在智慧平台上认领任务；受理分拣被假定为完全准确。",
    },
    "leaves_out.mechanisms": {
        "en": "Most of the deliberation mechanism (only meeting cadence) and any use of assessment "
        "scores; budgets do not bind at the defaults.",
        "zh": "议事决策机制大部分内容（只有会议周期）以及考核分数的使用；默认参数下经费不构成约束。",
    },
    "leaves_out.people": {
        "en": "Motivation, income and careers of members and staff; participation follows the "
        "appraisal switch.",
        "zh": "党员和工作人员的动机、收入与职业发展；参与程度只随考核开关变化。",
    },
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

#: Sentences and phrases of charts and the report, keyed by their English text (which is also
#: the English output): English phrase -> Chinese. `{name}` fields are filled in after lookup.
PHRASES: dict[str, str] = {
    # units and directions
    "pp": "百分点",
    "days": "天",
    "hours": "小时",
    "problems": "个问题",
    "higher is better": "越高越好",
    "lower is better": "越低越好",
    "direction not defined": "无优劣方向",
    "no data": "无数据",
    "no replications": "无重复运行",
    "n = {count} replication per scenario": "每个情景重复运行 {count} 次",
    "n = {count} replications per scenario": "每个情景重复运行 {count} 次",
    "value": "数值",
    "Scenario": "情景",
    "Simulated day": "模拟天数",
    "Mean": "均值",
    "mean {value}": "均值 {value}",
    # difference chart
    "Better than baseline": "优于基线",
    "Worse than baseline": "劣于基线",
    "Filled: significant (Holm p < {alpha})": "实心：显著（Holm 校正 p < {alpha}）",
    "Hollow: not significant": "空心：不显著",
    "Bar: 95 % paired CI (simulation noise only)": "横线：95% 配对置信区间（仅模拟噪声）",
    "Shaded: better side": "阴影：更好的一侧",
    "Thick pale bar: with assumptions": "粗浅色条：含假设不确定性",
    "better →": "更好 →",
    "← better": "← 更好",
    "{baseline} = 0; difference": "{baseline} = 0；差值",
    "Difference to {baseline} (95 % paired CI; filled = significant after Holm)": (
        "与{baseline}的差值（95% 配对置信区间；实心 = Holm 校正后显著）"
    ),
    "only {baseline}: nothing to compare": "只有{baseline}：无可比较",
    "Each row: scenario − {baseline}, paired by replication (common random numbers); "
    "{reps}. Rate differences in percentage points (pp). {kinds} Holm correction per "
    "metric across all scenarios compared with the baseline; the intervals are not "
    "adjusted, so an interval just clear of 0 can still be hollow. Numbers at the "
    "right: difference [95 % CI]; bold = significant.": (
        "每行：情景 − {baseline}，按重复运行配对（共同随机数）；{reps}。比率之差以百分点表示。"
        "{kinds}每个指标对所有与基线比较的情景做 Holm 校正；区间本身未校正，因此刚好不含 0 "
        "的区间仍可能是空心。右侧数字：差值 [95% 置信区间]；粗体 = 显著。"
    ),
    "Thin bar: 95 % CI from simulation noise only; thick pale bar: 95 % interval with the "
    "uncertainty of the model's assumptions as well.": (
        "细线：仅含模拟噪声的 95% 置信区间；粗浅色条：同时计入模型假设不确定性的 95% 区间。"
    ),
    "Intervals show simulation noise only (not uncertainty in the model's assumptions).": (
        "区间只反映模拟噪声（不含模型假设的不确定性）。"
    ),
    # means chart
    "Mean per scenario (dot) with 95 % confidence interval (bar)": (
        "各情景均值（点）及 95% 置信区间（横线）"
    ),
    "{baseline} (status quo) in grey: dashed line = its mean, grey band = its 95 % CI. "
    "Student-t intervals across replications; {reps}. Rates in percent; the equity gap "
    "in percentage points (pp). Numbers at the right: mean [95 % CI]. Overlapping "
    "intervals do not mean 'no difference': the difference chart compares each "
    "scenario with the baseline replication by replication, which is more precise.": (
        "{baseline}（现状）为灰色：虚线 = 其均值，灰带 = 其 95% 置信区间。区间为跨重复运行的 "
        "Student-t 区间；{reps}。比率以百分数表示，强弱差距以百分点表示。右侧数字：均值 "
        "[95% 置信区间]。区间重叠不等于“没有差异”：差值图按重复运行逐一与基线配对比较，更精确。"
    ),
    # ranking chart
    "Probability of being the best scenario: {metric}": "成为最优情景的概率：{metric}",
    "{direction}; bootstrap over replications (the same resample for every scenario, ties "
    "shared)": "{direction}；对重复运行做自助法（所有情景用同一重抽样，并列平分）",
    "Probability of having the best mean (%)": "均值最优的概率（%）",
    "Under each name: mean with 95 % CI (Student-t). A high probability with overlapping "
    "intervals still means the leaders are close.": (
        "名称下方：均值及 95% 置信区间（Student-t）。即使概率很高，若区间重叠，领先者仍然接近。"
    ),
    "Upper bar: simulation noise only; lower pale bar: with the uncertainty of the model's "
    "assumptions as well.": "上方条：仅模拟噪声；下方浅色条：同时计入模型假设的不确定性。",
    "Simulation noise only (not uncertainty in the model's assumptions).": (
        "仅反映模拟噪声（不含模型假设的不确定性）。"
    ),
    # time series
    "Over time: mean across replications (line) and 95 % CI of the mean (band)": (
        "随时间变化：跨重复运行的均值（线）及均值的 95% 置信区间（带）"
    ),
    "Band: 95 % CI of the mean": "带：均值的 95% 置信区间",
    " across {n} replications": "（{n} 次重复运行）",
    "Each day shows the metric over the problems that arose in the 30 days ending 30 days "
    "earlier, whose fate is known by then (blank until such a cohort exists). Line = "
    "mean{reps}; band = Student-t 95 % CI of that mean (how precisely the mean is known, not "
    "how much single runs vary: see the spread chart). Rates in percent, the equity gap in "
    "percentage points (pp).": (
        "每天的数值针对 30 天前结束的 30 天内出现的问题（届时其结果已知；在此之前为空白）。"
        "线 = 均值{reps}；带 = 该均值的 Student-t 95% 置信区间（表示均值的精确程度，而非单次"
        "运行的波动：见离散图）。比率以百分数表示，强弱差距以百分点表示。"
    ),
    # spread chart
    "{metric} over time: single runs vary (pale band), their mean is known more precisely "
    "(dark band)": "{metric}随时间变化：单次运行有波动（浅色带），其均值更精确（深色带）",
    "Pale band: run-to-run spread ({lo}th–{hi}th percentile of single runs)": (
        "浅色带：运行间离散（单次运行的第 {lo}–{hi} 百分位）"
    ),
    "Dark band: 95 % CI of the mean": "深色带：均值的 95% 置信区间",
    "Line: mean across replications": "线：跨重复运行的均值",
    "Dashed: {baseline} mean": "虚线：{baseline}均值",
    "{direction}. {reps} replications per scenario. The spread says what one run (one year in "
    "one city) could look like; the confidence interval says how well the simulation pins down "
    "the expected value and narrows with more replications. Both show simulation noise only.": (
        "{direction}。每个情景重复运行 {reps} 次。离散带表示单次运行（一个城市的一年）可能的样子；"
        "置信区间表示模拟对期望值的把握程度，随重复次数增加而变窄。两者都只反映模拟噪声。"
    ),
    # community map
    "Who is left behind: needs met in each community": "谁被落下了：各社区的需求满足率",
    "weakest quarter {weak:.0f} %, strongest {strong:.0f} %": (
        "最弱四分之一 {weak:.0f}%，最强四分之一 {strong:.0f}%"
    ),
    "Needs met in the community (%)": "社区需求满足率（%）",
    "strongest quarter of communities": "最强的四分之一社区",
    "weakest quarter of communities": "最弱的四分之一社区",
    "other communities": "其他社区",
    "Positions are schematic: the model has streets and communities, not coordinates; each "
    "cluster is one street.": "位置为示意：模型只有街道和社区，没有坐标；每一簇为一个街道。",
    "Dots: the communities of the first replication's city (shared by every scenario), "
    "coloured by the share of their problems resolved within 30 days. Percentages in the titles "
    "pool all replications. {where} Below full scale only a sample of whole communities is "
    "simulated; grey rings are the others. Read the pattern, not one dot.": (
        "点：第一次重复运行中城市的各个社区（所有情景相同），颜色为其问题在 30 天内解决的占比。"
        "标题中的百分比汇总了全部重复运行。{where}低于全市规模时只模拟部分完整社区的抽样；"
        "灰色圆圈为未模拟的社区。请看整体格局，而非单个点。"
    ),
    "not simulated at this scale": "此规模下未模拟",
    # cost against effect
    "What each scenario buys, and at what cost, compared with {baseline}": (
        "与{baseline}相比：各情景带来什么效果，花费多少"
    ),
    "Difference in {cost}": "{cost}之差",
    "Difference in {effect}": "{effect}之差",
    "better, dearer": "更好，更贵",
    "better, cheaper": "更好，更省",
    "worse, cheaper": "更差，更省",
    "worse, dearer": "更差，更贵",
    "Each point: scenario − {baseline}, paired by replication; bars are 95 % CIs in both "
    "directions (simulation noise only). {direction} for the effect; lower cost is cheaper. "
    "n = {n} pairs.": (
        "每个点：情景 − {baseline}，按重复运行配对；横竖线为两个方向的 95% 置信区间（仅模拟噪声）。"
        "效果{direction}；成本越低越省。共 {n} 对。"
    ),
    "Money only (budgets, platform, stations); the hours people give are in costs.csv "
    "(dual reporting costs members' hours, not money).": (
        "仅计资金（经费、平台、服务站）；人员投入的工时见 costs.csv（双报到的成本是党员工时而非资金）。"
    ),
    # sweeps
    "Which parameters move each output: Sobol indices with 95 % intervals": (
        "哪些参数影响各项结果：Sobol 指数及 95% 区间"
    ),
    "share of the output's variance": "占结果方差的比例",
    "total order (ST): alone and with others": "总效应（ST）：单独及与其他参数交互",
    "first order (S1): alone": "一阶效应（S1）：单独",
    "Bars: 95 % bootstrap intervals. ST well above S1 means the parameter acts through "
    "interactions with others. Estimates beyond [0, 1] or with wide intervals mean the design "
    "is too small: read them as a ranking.": (
        "横线：95% 自助法区间。ST 明显高于 S1 表示该参数通过与其他参数的交互起作用。"
        "估计值超出 [0, 1] 或区间很宽说明设计规模太小：只宜作排序参考。"
    ),
    "How each output responds to its most influential parameters": "各项结果对最有影响的参数的响应",
    "Grey dots: design points (mean over their replications; the other parameters vary too, "
    "which is the scatter). Orange: mean in bins of the parameter, the response curve. "
    "Parameters chosen by total Sobol index.": (
        "灰点：设计点（其重复运行的均值；其他参数同时变化，因此有散布）。橙色：按该参数分组的均值，"
        "即响应曲线。参数按 Sobol 总效应指数选取。"
    ),
    # the report
    "Integration modes compared: decision report": "融合党建模式比较：决策报告",
    "Study {study}: {n} scenarios, {reps} paired replications each, {scale} of the city's "
    "population, {days} simulated days.": (
        "研究 {study}：{n} 个情景，各 {reps} 次配对重复运行，模拟城市人口的 {scale}，共 {days} 天。"
    ),
    "The question": "问题",
    "Compared with {baseline}, which integration modes raise service coverage (the share of "
    "residents' problems that any channel takes up) and the resolution rate (the share of those "
    "resolved within {limit} days), and by how much? Needs met combines the two: the share of "
    "all problems resolved in time.": (
        "与{baseline}相比，哪些融合模式能提高服务覆盖率（居民问题被任一渠道受理的比例）和问题解决率"
        "（受理问题中 {limit} 天内解决的比例），提高多少？需求满足率综合两者：全部问题中按时解决的比例。"
    ),
    "The scenarios": "情景",
    "What it does": "内容",
    "Integration modes on": "启用的融合模式",
    "none": "无",
    "The answer in one table": "一张表看结论",
    "Paired difference to {baseline} in percentage points, with its 95 % interval. Bold: "
    "significant after Holm's correction across scenarios.": (
        "与{baseline}的配对差值（百分点）及其 95% 区间。粗体：经 Holm 多重比较校正后显著。"
    ),
    "Grey interval: simulation noise only. Brown interval: with the uncertainty of the model's "
    "assumptions as well; the verdict column says whether the conclusion survives it.": (
        "灰色区间：仅模拟噪声。棕色区间：同时计入模型假设的不确定性；“是否稳健”一栏说明结论能否经受住这种不确定性。"
    ),
    "In words": "结论",
    "Robust to assumptions?": "对假设是否稳健？",
    "raises {metric} by {lo}–{hi} points": "{metric}提高 {lo}–{hi} 个百分点",
    "lowers {metric} by {lo}–{hi} points": "{metric}降低 {lo}–{hi} 个百分点",
    "raises {metric} by about {x} points": "{metric}提高约 {x} 个百分点",
    "lowers {metric} by about {x} points": "{metric}降低约 {x} 个百分点",
    "no detectable effect on {metric}": "对{metric}没有可检测的影响",
    "The charts": "图表",
    "Which scenarios change what, compared with the baseline, beyond the noise?": (
        "与基线相比，哪些情景在噪声之外改变了什么？"
    ),
    "At what level does each scenario stand?": "各情景处于什么水平？",
    "How much do single runs vary over the year, and how well is the mean known?": (
        "单次运行在一年中波动多大？均值有多精确？"
    ),
    "Who is left behind: which communities have their needs met?": "谁被落下了：哪些社区的需求得到满足？",
    "What does each scenario buy, and at what cost?": "各情景带来什么效果，花费多少？",
    "Which scenario is most likely the best?": "哪个情景最可能最优？",
    "Do effects build up, level off or fade over the year?": "效果在一年中是逐步增强、趋于平稳还是减弱？",
    "Main assumptions and their sources": "主要假设及其来源",
    "Values as used in this study. 'calibration X' is row X of the project's calibration table "
    "(public figures); 'assumption' marks a modelling choice. Every parameter: "
    "docs/parameters.md.": (
        "数值为本研究所用。“校准X”指项目校准表（公开数据）第 X 行；“假设”表示建模假设。"
        "全部参数见 docs/parameters.md。"
    ),
    "Parameter": "参数",
    "The city and its services": "城市与公共服务",
    "Value": "取值",
    "Meaning": "含义",
    "Source": "来源",
    "What the model leaves out": "模型没有包含的内容",
    "The full list is in docs/ODD.md, section 9. The model compares scenarios on common random "
    "numbers; it is not a forecast of Chifeng's statistics.": (
        "完整列表见 docs/ODD.md 第 9 节。本模型在共同随机数下比较情景，不是对赤峰统计数据的预测。"
    ),
    "Provenance": "来源与可复现性",
    "Package version": "软件包版本",
    "Python, Mesa": "Python、Mesa",
    "Seeds": "随机种子",
    "base seed {seed}; replication r uses seed + r ({seeds})": (
        "基础种子 {seed}；第 r 次重复运行使用种子 + r（{seeds}）"
    ),
    "Run": "运行",
    "Parameter hash (SHA-256)": "参数哈希（SHA-256）",
    "Files (SHA-256)": "文件（SHA-256）",
    "Reproduce: the same package version, scenario files and seeds give the same numbers "
    "(manifest.json of the study has every parameter).": (
        "复现：相同的软件包版本、情景文件和种子得到相同的数字（研究目录中的 manifest.json 记录了全部参数）。"
    ),
}

#: English phrases asked for in another language and not found (tests require none).
_MISSING: set[str] = set()


def phrase(text: str, lang: str = "en") -> str:
    """`text` (an English phrase of `PHRASES`) in `lang`.

    An unknown phrase comes back in English and is remembered (`missing_phrases`), so a view
    never fails for want of a translation but the test suite sees every gap.
    """
    check_language(lang)
    if lang == "en":
        return text
    found = PHRASES.get(text)
    if found is None:
        _MISSING.add(text)
        return text
    return found


def missing_phrases() -> set[str]:
    """English phrases requested in Chinese that the catalogue lacks (since start-up)."""
    return set(_MISSING)


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


def scenario_description(name: str, own: str, lang: str = "en") -> str:
    """A scenario's description in `lang`: the catalogue's translation of a shipped scenario
    while its file still says what the catalogue translates (`own`), else the file's text."""
    check_language(lang)
    entry = TERMS.get(f"description.{name}")
    if lang == "en" or entry is None or entry["en"] != own:
        return own
    return entry[lang]


def scenario_label(name: str, lang: str = "en") -> str:
    """A scenario's readable name: a shipped mode or scenario by its term, others as written
    (a user's own variant keeps its own name in both languages)."""
    for key in (f"scenario.{name}", f"mode.{name}"):
        if key in TERMS:
            return TERMS[key][lang]
    check_language(lang)
    return name.replace("_", " ")
