"""The sales method's vocabulary (the S-P-A-D-C-O funnel, A/B/C cadence, M-A-N, the installed-base
matrix, the time split of a day): codes stored in the database and shown by the UI through its catalogue."""

ROLES = ("rep", "manager", "admin")

# S-P-A-D-C-O funnel (销售漏斗), in order.
FUNNEL_STAGES = ("S", "P", "A", "D", "C", "O")
# The stages' names in the method's words (METHOD.md, 2), shown beside their letters.
STAGE_NAMES = {
    "S": {"en": "Suspect", "zh-CN": "潜在客户"},
    "P": {"en": "Prospect", "zh-CN": "有意向客户"},
    "A": {"en": "Analysis", "zh-CN": "需求分析"},
    "D": {"en": "Demo / proposal", "zh-CN": "演示/提案"},
    "C": {"en": "Close", "zh-CN": "争取签单"},
    "O": {"en": "Order", "zh-CN": "订单执行"},
}
# The method's usual phrases for a visit's purpose (拜访目的) and outcome, offered as one-tap choices; any
# other text can be typed. One list for every team for now (per-team lists are a later change).
VISIT_PHRASES = {
    "visit_purpose": (
        {"en": "First call", "zh-CN": "初次拜访"},
        {"en": "Demo", "zh-CN": "产品演示"},
        {"en": "Proposal", "zh-CN": "提交提案"},
        {"en": "Follow-up", "zh-CN": "跟进"},
        {"en": "Service", "zh-CN": "服务"},
        {"en": "Replacement", "zh-CN": "换机"},
    ),
    "visit_outcome": (
        {"en": "Need confirmed", "zh-CN": "需求已明确"},
        {"en": "Decision maker met", "zh-CN": "见到决策人"},
        {"en": "Demo booked", "zh-CN": "已约演示"},
        {"en": "Proposal requested", "zh-CN": "客户要求提案"},
        {"en": "Follow-up booked", "zh-CN": "已约下次拜访"},
        {"en": "No need for now", "zh-CN": "暂无需求"},
    ),
}
OPPORTUNITY_STATUSES = ("open", "won", "lost")
OPPORTUNITY_KINDS = ("replacement", "consolidation", "new_site")
# Win/loss analysis (赢/输分析).
LOSS_REASONS = (
    "price",
    "decision_maker_absent",
    "proposal_late",
    "budget_unknown",
    "process_unknown",
    "other",
)

# A/B/C classes and their contact cadence in days.
ACCOUNT_CLASSES = ("A", "B", "C")
CADENCE_DAYS = {"A": 7, "B": 14, "C": 30}
ORG_TYPES = ("head_office", "branch", "factory")
EMPLOYEE_BANDS = ("1-49", "50-199", "200-999", "1000+")

PURCHASE_ROLES = ("decision_maker", "influencer", "person_in_charge", "operator")

# Installed base (MIF).
DEVICE_OWNERSHIP = ("ours", "competitor")
DEVICE_COLOUR = ("colour", "mono")

# The four buckets of a rep's day.
ACTIVITY_CATEGORIES = ("face_to_face", "travel", "admin", "meeting")
# The time split of a day as the reports show it: the four, and the time nothing recorded.
TIME_SPLIT = (*ACTIVITY_CATEGORIES, "unrecorded")
