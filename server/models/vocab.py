"""The sales method's vocabulary (the S-P-A-D-C-O funnel, A/B/C cadence, M-A-N, the installed-base
matrix, the time split of a day): codes stored in the database and shown by the UI through its catalogue."""

ROLES = ("rep", "manager", "admin")

# S-P-A-D-C-O funnel (销售漏斗), in order.
FUNNEL_STAGES = ("S", "P", "A", "D", "C", "O")
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

