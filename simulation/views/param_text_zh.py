"""Chinese descriptions of scenario parameters, each with the English it translates.

Read through `simulation.views.param_text`, never directly: an entry whose English no longer
matches the schema is out of date and is not shown. `modes.*.<name>` holds a text every mode
shares (its switch, its strength). Translations are this project's.
"""

from __future__ import annotations

__all__ = ["ZH"]

#: dotted key -> {"doc", "doc_zh", and where translated, "source", "source_zh"}.
ZH: dict[str, dict[str, str]] = {
    "city.staff_hours_per_day": {
        "doc": "hours per worker per day left for residents' problems after other duties",
        "doc_zh": "每名工作人员每天在完成其他事务后可用于处理居民问题的小时数",
        "source": "calibrated: strong communities use about 90 % of their hours in the baseline "
        "('much work, few hands', brief mode 6; communities carry 100+ tasks); range 0.4-0.9 "
        "around the calibrated value",
        "source_zh": "校准值：基线中强社区约使用其工时的90%（“事多人少”，简报模式6；"
        "社区承担100多项任务）；范围0.4-0.9，围绕校准值取值",
    },
    "service.grid_discovery_hazard": {
        "doc": "daily chance a fully staffed grid finds a hidden problem",
        "doc_zh": "人员配齐的网格每天发现一个隐性问题的概率",
        "source": "calibration C/G7: 90 % found within 30 days where grids are staffed "
        "(1-exp(-30h)=0.9); range 0.055-0.1: 80-95 % found in 30 days; the 90 % is one district "
        "in 2004-05",
        "source_zh": "校准C/G7：网格人员配齐时，90%的问题在30天内被发现（1-exp(-30h)=0.9）；"
        "范围0.055-0.1，即30天内发现80-95%；90%这一数字来自2004-05年的一个区",
    },
    "city.digital_access_60_plus": {
        "doc": "share of residents aged 60+ with digital access",
        "doc_zh": "60岁及以上居民中能使用数字渠道的比例",
        "source": "assumption; range 0.2-0.5: national surveys of older users vary this much",
        "source_zh": "假设；范围0.2-0.5：全国性老年用户调查结果的差异大致在此范围",
    },
    "trust.initial": {
        "doc": "initial trust of every resident",
        "doc_zh": "每位居民的初始信任度",
        "source": "assumption; range 0.3-0.7",
        "source_zh": "假设；范围0.3-0.7",
    },
    "modes.*.enabled": {"doc": "switch the mode on", "doc_zh": "启用该模式"},
    "modes.*.strength": {
        "doc": "scale of every effect of the mode: 0 = no effect (baseline), 1 = as described",
        "doc_zh": "该模式全部作用的力度：0 = 无作用（基线），1 = 按原文描述",
        "source": "planner's lever (1 = as the source describes)",
        "source_zh": "规划者可调参数（1 = 按原文描述）",
    },
    "modes.regional.coverage": {
        "doc": "share of communities with a joint party committee (their streets get a joint "
        "working committee)",
        "doc_zh": "成立联合党委的社区比例（其所在街道同时成立联合工作委员会）",
        "source": "calibration A: all 44 streets and 291 communities",
        "source_zh": "校准A：全部44个街道和291个社区",
    },
    "modes.regional.max_units_per_committee": {
        "doc": "most units a community committee co-opts",
        "doc_zh": "一个社区联合党委最多吸纳的单位数",
        "source": "calibration A: Tienan, 27 units",
        "source_zh": "校准A：铁南，27个单位",
    },
    "modes.regional.unit_hours_per_month": {
        "doc": "hours a co-opted unit's people give to residents' problems per month (at full tie "
        "strength); a street committee's units split theirs over the street's covered "
        "communities. A unit without hours left declines a problem",
        "doc_zh": "被吸纳单位的人员每月用于处理居民问题的小时数（联系强度为满值时）；"
        "街道联合工作委员会的成员单位将其小时数分摊到本街道已覆盖的各社区。"
        "小时数用完的单位不再接手问题",
        "source": "assumption: a few hours of a unit's staff a month; range 1-12 h",
        "source_zh": "假设：单位工作人员每月投入数小时；范围1-12小时",
    },
    "modes.regional.meeting_interval_days": {
        "doc": "days between joint meetings; problems that need a unit's resources wait for the "
        "next",
        "doc_zh": "两次联席会议之间的天数；需要单位资源的问题须等到下一次联席会议",
        "source": "brief mechanism 2 (regular joint meetings); assumption: monthly; range 14-60 "
        "days",
        "source_zh": "简报机制2（定期召开联席会议）；假设：每月一次；范围14-60天",
    },
    "modes.cross_domain.n_alliances": {
        "doc": "cross-domain alliance applications filed city-wide (about 300 approved within the "
        "year)",
        "doc_zh": "全市提交的跨域联合体申请数（一年内约300个获批）",
        "source": "calibration A: 300+ (300余个) exist; 330 filed so that 300+ are approved",
        "source_zh": "校准A：现有300余个；提交330个，使获批数达到300余个",
    },
    "modes.cross_domain.partners_per_alliance": {
        "doc": "unit partners of each alliance besides its lead community",
        "doc_zh": "每个联合体除牵头社区以外的伙伴单位数",
        "source": "assumption (Herun's 26 organisations is the exception); range 2-6",
        "source_zh": "假设（和润的26个组织属于特例）；范围2-6",
    },
    "modes.cross_domain.chains_per_alliance": {
        "doc": "mean chains (categories routed to a partner) per alliance",
        "doc_zh": "每个联合体的平均链条数（转给伙伴单位处理的问题类别）",
        "source": "calibration A: nearly 1,000 chains from 300+ alliances (about 330)",
        "source_zh": "校准A：300余个联合体（约330个）形成近1,000条链条",
    },
    "modes.cross_domain.partner_hours_per_month": {
        "doc": "hours each partner's people give the alliance's problems per month (at full tie "
        "strength); a partner without hours left declines a problem",
        "doc_zh": "每个伙伴单位的人员每月用于处理联合体问题的小时数（联系强度为满值时）；"
        "小时数用完的伙伴单位不再接手问题",
        "source": "assumption: a working day a month at most; range 2-16 h",
        "source_zh": "假设：每月至多一个工作日；范围2-16小时",
    },
    "modes.central_community.centre_share": {
        "doc": "share of communities (the strongest) that become centres",
        "doc_zh": "成为中心社区的社区比例（取最强的社区）",
        "source": "assumption; calibration A: Zhenxing street has two centres; range 0.1-0.2",
        "source_zh": "假设；校准A：振兴街道有两个中心社区；范围0.1-0.2",
    },
    "modes.central_community.max_weak_per_centre": {
        "doc": "most weak communities a centre takes on",
        "doc_zh": "一个中心社区最多带动的薄弱社区数",
        "source": "calibration A: 6 and 3",
        "source_zh": "校准A：6个和3个",
    },
    "modes.central_community.capacity_share": {
        "doc": "share of a centre's daily staff hours lent to its weak communities: the centre's "
        "staff work their problems with the centre's competence, and the centre loses the hours",
        "doc_zh": "中心社区每日工作人员工时中借给所带薄弱社区的比例："
        "由中心社区工作人员以中心社区的能力处理薄弱社区的问题，中心社区相应减少这部分工时",
        "source": "assumption; range 0.1-0.4",
        "source_zh": "假设；范围0.1-0.4",
    },
    "modes.central_community.information_share": {
        "doc": "share of the centre's grid workers' time lent to its weak communities' grids "
        "(information shared is grid time shared: the centre finds less, the weak more)",
        "doc_zh": "中心社区网格员时间中借给所带薄弱社区网格的比例（共享信息即共享网格时间："
        "中心社区发现的问题减少，薄弱社区发现的问题增多）",
        "source": "assumption; range 0.1-0.5",
        "source_zh": "假设；范围0.1-0.5",
    },
    "modes.dual_reporting.appraisal": {
        "doc": "points and penalties count in the units' appraisal (keeps participation up)",
        "doc_zh": "积分与扣分计入单位考核（维持参与率）",
        "source": "brief mode 4 (points; loss of awards); calibration G6",
        "source_zh": "简报模式4（积分；取消评优资格）；校准G6",
    },
    "modes.dual_reporting.agency_pairing_coverage": {
        "doc": "share of agencies paired with a community",
        "doc_zh": "与社区结对的机关比例",
        "source": "calibration A: all 69 + 1,036 agencies paired",
        "source_zh": "校准A：全部69 + 1,036个机关均已结对",
    },
    "modes.dual_reporting.reporting_target": {
        "doc": "share of agency members reporting when participation counts in appraisal",
        "doc_zh": "参与情况计入考核时，机关党员报到的比例",
        "source": "calibration E: Xingtai, units lose eligibility under 95 %; A: 23,800 reported",
        "source_zh": "校准E：邢台，报到率低于95%的单位取消评优资格；校准A：已有23,800人报到",
    },
    "modes.dual_reporting.motivation_decay_per_month": {
        "doc": "monthly relative decay of members' participation when it does not count in "
        "appraisal",
        "doc_zh": "参与情况不计入考核时，党员参与率每月的相对衰减",
        "source": "assumption; calibration G6 and E (participation decays without appraisal); "
        "range 0.05-0.3",
        "source_zh": "假设；校准G6和E（不纳入考核则参与率下降）；范围0.05-0.3",
    },
    "modes.dual_reporting.hours_per_member_month": {
        "doc": "service hours of a reporting member per month",
        "doc_zh": "每名报到党员每月的服务小时数",
        "source": "calibration E: >= 50 h a year",
        "source_zh": "校准E：每年 >= 50小时",
    },
    "modes.dual_reporting.visit_share": {
        "doc": "share of members' hours spent visiting households (finding hidden problems)",
        "doc_zh": "党员服务时间中用于入户走访（发现隐性问题）的比例",
        "source": "assumption; range 0.2-0.6",
        "source_zh": "假设；范围0.2-0.6",
    },
    "modes.dual_reporting.residents_visited_per_hour": {
        "doc": "residents reached per visiting hour",
        "doc_zh": "每小时走访接触的居民数",
        "source": "assumption: about 3 households of 2.7 persons; range 4-12",
        "source_zh": "假设：约3户，每户2.7人；范围4-12",
    },
    "modes.dual_reporting.detection_per_visit": {
        "doc": "chance a visit finds a visited resident's hidden problem",
        "doc_zh": "一次走访发现受访居民隐性问题的概率",
        "source": "assumption; range 0.3-0.9",
        "source_zh": "假设；范围0.3-0.9",
    },
    "modes.dual_reporting.member_skill_competence": {
        "doc": "hardest problem (difficulty 0-1) a reporting member can solve in their "
        "speciality; members' hours outside visits go to their street's volunteer team of that "
        "speciality",
        "doc_zh": "报到党员在其专长领域能解决的最难问题（难度0-1）；"
        "党员入户走访以外的时间投入所在街道相应专长的志愿服务队",
        "source": "assumption (volunteer teams by speciality, brief mode 4); range 0.3-0.7",
        "source_zh": "假设（按专长组建志愿服务队，简报模式4）；范围0.3-0.7",
    },
    "modes.dual_reporting.paired_agency_hours_per_month": {
        "doc": "hours a paired agency's staff give their community's problems per month, in the "
        "categories the agency is competent in (agencies move their attention down)",
        "doc_zh": "结对机关工作人员每月用于处理结对社区问题的小时数，"
        "限于该机关有能力处理的问题类别（机关工作重心下移）",
        "source": "assumption; brief 'three improvements'; range 2-20 h",
        "source_zh": "假设；简报“三个提升”；范围2-20小时",
    },
    "modes.red_commercial_street.coverage": {
        "doc": "share of commercial districts with a joint party organisation and service station",
        "doc_zh": "成立联合党组织并设党群服务站的商圈比例",
        "source": "planner's lever; calibration A/F: Victoria business district is the "
        "source's example",
        "source_zh": "规划者可调参数；校准A/F：原文以维多利商圈为例",
    },
    "modes.red_commercial_street.station_catchment": {
        "doc": "communities served by a district's service station (the host and its nearest)",
        "doc_zh": "一个商圈党群服务站服务的社区数（所在社区及与其最近的社区）",
        "source": "assumption; range 2-5",
        "source_zh": "假设；范围2-5",
    },
    "modes.red_commercial_street.organising_hours_per_month": {
        "doc": "host community staff hours a joint organisation takes to run per month",
        "doc_zh": "联合党组织每月运转占用的所在社区工作人员小时数",
        "source": "assumption; range 8-40 h",
        "source_zh": "假设；范围8-40小时",
    },
    "modes.red_commercial_street.member_service_hours_per_month": {
        "doc": "service hours per month each party member of the district's covered enterprises "
        "and social organisations gives to the catchment's residents (the 'two coverages' reach "
        "them)",
        "doc_zh": "商圈内被覆盖的企业和社会组织中，每名党员每月为服务范围内居民提供的服务小时数"
        "（“两个覆盖”将其纳入）",
        "source": "assumption (as community members' volunteering); range 0.5-4 h",
        "source_zh": "假设（与社区党员志愿服务相同）；范围0.5-4小时",
    },
    "modes.red_commercial_street.station_hours_per_day": {
        "doc": "staff hours per day of a district's party-and-mass service station",
        "doc_zh": "商圈党群服务站每天的工作人员小时数",
        "source": "assumption: one full-time worker; range 4-16 h",
        "source_zh": "假设：一名专职工作人员；范围4-16小时",
    },
    "modes.red_commercial_street.station_outreach_share": {
        "doc": "share of the station's hours spent on outreach in the catchment (finding problems)",
        "doc_zh": "服务站工时中用于在服务范围内走访联系居民（发现问题）的比例",
        "source": "assumption; range 0.1-0.5",
        "source_zh": "假设；范围0.1-0.5",
    },
    "modes.red_commercial_street.station_contacts_per_hour": {
        "doc": "residents reached per outreach hour",
        "doc_zh": "每小时走访联系的居民数",
        "source": "assumption (as dual reporting's visits); range 4-15",
        "source_zh": "假设（同双报到走访）；范围4-15",
    },
    "modes.red_commercial_street.station_detection_per_contact": {
        "doc": "chance that reaching a resident finds their hidden problem",
        "doc_zh": "联系一名居民时发现其隐性问题的概率",
        "source": "assumption (as dual reporting's visits); range 0.3-0.9",
        "source_zh": "假设（同双报到走访）；范围0.3-0.9",
    },
    "modes.red_commercial_street.station_resource": {
        "doc": "hardest problem (difficulty 0-1) the station solves in legal, labour, "
        "civil-affairs and market matters",
        "doc_zh": "服务站在法律、劳动、民政和市场事务方面能解决的最难问题（难度0-1）",
        "source": "brief mode 5 (party, legal, labour, civil-affairs, financial services); level "
        "assumed, range 0.3-0.7",
        "source_zh": "简报模式5（党务、法律、劳动、民政、金融服务）；数值为假设，范围0.3-0.7",
    },
    "modes.red_commercial_street.station_cost_yuan_per_year": {
        "doc": "yearly cost of a service station (rent, worker, services)",
        "doc_zh": "一个党群服务站的年度费用（租金、人员、服务）",
        "source": "assumption: one worker and a room in a mall; range 50,000-200,000 yuan",
        "source_zh": "假设：一名工作人员和商场内一间用房；范围50,000-200,000元",
    },
    "modes.smart_platform.coverage": {
        "doc": "share of streets on the platform",
        "doc_zh": "接入平台的街道比例",
        "source": "planner's lever; calibration A: Xicheng street, 120 grids, is the source's "
        "example",
        "source_zh": "规划者可调参数；校准A：原文以西城街道（120个网格）为例",
    },
    "modes.smart_platform.direct_routing": {
        "doc": "escalations go straight to the competent level (with probability min(strength, "
        "1), decided per problem), skipping the street's forwarding",
        "doc_zh": "上报问题直接派给有能力处理的层级（每个问题以 min(力度, 1) 的概率决定），"
        "跳过街道转办",
        "source": "calibration A: 30+ departments, 130+ work items on one platform",
        "source_zh": "校准A：30多个部门、130多项事项接入同一平台",
    },
    "modes.smart_platform.one_click_hazard": {
        "doc": "extra daily chance that a resident who has adopted the platform reports a problem "
        "online (at full trust)",
        "doc_zh": "已使用平台的居民每天在线上报问题的额外概率（信任度为满值时）",
        "source": "assumption; calibration D (demand rises with easier channels); range 0.01-0.06",
        "source_zh": "假设；校准D（渠道越便捷，诉求越多）；范围0.01-0.06",
    },
    "modes.smart_platform.adoption_innovation": {
        "doc": "Bass innovation rate of platform adoption among residents with digital access, "
        "per year (adoption A grows by (p + q A)(1 - A) a year)",
        "doc_zh": "有数字渠道的居民中平台使用率的Bass创新系数，按年计"
        "（使用率A每年增长 (p + q A)(1 - A)）",
        "source": "Bass (1969) diffusion model; consumer durables average p = 0.03 (Sultan, "
        "Farley & Lehmann 1990) is the lower end; assumption: grid workers sign residents up; "
        "range 0.03-0.6",
        "source_zh": "Bass (1969) 扩散模型；以耐用消费品平均值 p = 0.03"
        "（Sultan, Farley & Lehmann 1990）为下限；假设：网格员帮助居民注册；范围0.03-0.6",
    },
    "modes.smart_platform.adoption_imitation": {
        "doc": "Bass imitation rate of platform adoption, per year",
        "doc_zh": "平台使用率的Bass模仿系数，按年计",
        "source": "Bass (1969); consumer durables average q = 0.38 (Sultan, Farley & Lehmann "
        "1990) is the lower end; assumption: a free app shared in neighbours' chat groups; range "
        "0.38-2",
        "source_zh": "Bass (1969)；以耐用消费品平均值 q = 0.38（Sultan, Farley & Lehmann 1990）"
        "为下限；假设：免费应用在邻里群聊中传播；范围0.38-2",
    },
    "modes.smart_platform.workflow_efficiency": {
        "doc": "share of staff hours per problem saved by online workflows",
        "doc_zh": "线上办理流程为每个问题节省的工作人员工时比例",
        "source": "assumption; brief mode 6 ('much work, few hands'); range 0.05-0.35",
        "source_zh": "假设；简报模式6（“事多人少”）；范围0.05-0.35",
    },
    "modes.smart_platform.build_yuan_per_street": {
        "doc": "one-off cost of putting a street on the platform (software share, data entry, "
        "devices)",
        "doc_zh": "一个街道接入平台的一次性费用（软件分摊、数据录入、设备）",
        "source": "assumption; range 50,000-500,000 yuan",
        "source_zh": "假设；范围50,000-500,000元",
    },
    "modes.smart_platform.operation_yuan_per_street_year": {
        "doc": "yearly cost of running the platform per street (hosting, maintenance, operators)",
        "doc_zh": "每个街道每年运行平台的费用（托管、维护、运营人员）",
        "source": "assumption; range 20,000-150,000 yuan",
        "source_zh": "假设；范围20,000-150,000元",
    },
    "principles.pairing": {
        "doc": "voluntary, complementarity-based pairing or forced pairing (拉郎配) ignoring "
        "complementarity",
        "doc_zh": "自愿、基于优势互补的结对，或不顾互补的强制结对（拉郎配）",
        "source": "brief principle 1",
        "source_zh": "简报原则1",
    },
    "principles.party_building_first": {
        "doc": "open each alliance with the launch meeting and the secretary's party lecture "
        "(ties start stronger)",
        "doc_zh": "每个联合体以启动会和书记讲党课开局（联系起点更强）",
        "source": "brief principle 2",
        "source_zh": "简报原则2",
    },
    "mechanisms.joint_activities": {
        "doc": "hold the 'five ones' joint activities",
        "doc_zh": "开展“五个一”联合活动",
        "source": "brief mechanism 3",
        "source_zh": "简报机制3",
    },
    "mechanisms.matching": {
        "doc": "supply-demand matching over the three lists: optimal assignment or ad-hoc "
        "first-come",
        "doc_zh": "按三张清单进行供需对接：最优匹配，或先到先得的临时对接",
        "source": "brief mechanism 4",
        "source_zh": "简报机制4",
    },
    "mechanisms.approval_prob": {
        "doc": "chance the level above approves an alliance application (organisation linkage)",
        "doc_zh": "上级批准联合体申请的概率（组织链接）",
        "source": "brief mechanism 1; level assumed; range 0.75-0.98",
        "source_zh": "简报机制1；数值为假设；范围0.75-0.98",
    },
    "run.seed": {
        "doc": "base seed; replication r uses seed + r",
        "doc_zh": "基础随机种子；第 r 次重复使用 种子 + r",
        "source": "assumption",
        "source_zh": "假设",
    },
    "run.scale": {
        "doc": "share of communities simulated: a stratified sample of whole communities at "
        "full density; organisations, members and alliances keep their full-city counts",
        "doc_zh": "模拟的社区比例：按分层抽取的完整社区，居民密度不变；"
        "单位、党员和联合体保持全市数量",
        "source": "design.md §3 (one resident is one row at scale 1); docs/ODD.md 'Scales'",
        "source_zh": "design.md 第3节（比例为1时每位居民一行）；docs/ODD.md“尺度”一节",
    },
    "run.days": {
        "doc": "simulated days (one step is one day)",
        "doc_zh": "模拟天数（每步一天）",
        "source": "design.md §3",
        "source_zh": "design.md 第3节",
    },
}
