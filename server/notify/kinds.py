"""What is sent: each kind of notice, whom it is for, and its words in the user's language.

A notice is stored with its kind and figures (`params`) and put into words when it goes out (and when
the in-app list shows it), so "tomorrow" is said as of the moment the user reads it.
"""

from datetime import date

# kind -> who receives it
KINDS = {
    "plan_ready": "rep",  # the evening batch planned the rep's next day
    "plan_changed": "rep",  # a manager re-planned or re-ordered the rep's day
    "follow_up_due": "rep",  # a visit's next step is due today (its next_step_due)
    "leave_by": "rep",  # time to leave for the next stop (reminders.py; the phone shows it too while open)
    "appointment_soon": "rep",  # an appointment starts within the team's minutes (reminders.py)
    "day_summary": "manager",  # the team's daily reports at the end of the working day
    "first_visit_late": "manager",  # a rep's first visit not begun by the first-appointment time (8:45)
    "conflict_unresolved": "manager",  # a rep left an account conflict undecided on the phone (conflicts.py)
}

TEXT = {
    "zh-CN": {
        "plan_ready": ("{day}的路线已排好", "{day}：{stops} 个拜访，{leave_at} 出发"),
        "plan_ready_empty": ("{day}的路线已排好", "{day}：没有拜访"),
        "plan_changed": ("{day}的路线有变", "{by} 改了{day}的路线：{stops} 个拜访，{leave_at} 出发"),
        "plan_changed_empty": ("{day}的路线有变", "{by} 改了{day}的路线：没有拜访"),
        "follow_up_due": ("{day}要跟进", "{account}：{next_step}"),
        "follow_up_due_bare": ("{day}要跟进", "{account}：跟进拜访（{purpose}）"),
        "day_summary": ("{day}的日报", "{written}/{reps} 人写了日报，共 {visits} 个拜访"),
        "first_visit_late": ("{rep}的首个拜访晚了", "{rep}{day}的首个拜访 {at} 开始，目标 {target}"),
        "first_visit_late_none": ("{rep}的首个拜访晚了", "到 {checked} 还没有{rep}{day}的拜访，目标 {target}"),
        "leave_by": ("该出发了", "{leave_by} 前出发去第 {n} 站 {account}（{arrive} 到达）"),
        "appointment_soon": ("预约快到了", "{at} 与 {account} 有预约：{purpose}"),
        "appointment_soon_bare": ("预约快到了", "{at} 与 {account} 有预约"),
        "conflict_unresolved": (
            "{rep}有未处理的冲突",
            "{rep}有 {count} 处修改与办公室的修改冲突，最早在{since}，还没有选择保留哪一个",
        ),
        "today": "今天",
        "tomorrow": "明天",
        "date": "{month}月{day}日",
        "at_time": "{day} {time}",
    },
    "en": {
        "plan_ready": ("{Day}'s route is ready", "{Day}: {stops} stops, leave at {leave_at}"),
        "plan_ready_empty": ("{Day}'s route is ready", "{Day}: no stops"),
        "plan_changed": ("{Day}'s route changed", "{by} changed {day}'s route: {stops} stops, leave at {leave_at}"),
        "plan_changed_empty": ("{Day}'s route changed", "{by} changed {day}'s route: no stops"),
        "follow_up_due": ("Follow up {day}", "{account}: {next_step}"),
        "follow_up_due_bare": ("Follow up {day}", "{account}: follow up on the visit ({purpose})"),
        "day_summary": ("{Day}'s daily reports", "{written} of {reps} wrote their daily report; {visits} visits"),
        "first_visit_late": ("{rep}'s first visit is late", "{rep}'s first visit {day} began at {at}; target {target}"),
        "first_visit_late_none": (
            "{rep}'s first visit is late",
            "No visit of {rep}'s {day} had reached the server by {checked}; target {target}",
        ),
        "leave_by": ("Time to leave", "Leave by {leave_by} for stop {n}, {account} (arrive {arrive})."),
        "appointment_soon": ("Appointment soon", "Appointment at {at} with {account}: {purpose}"),
        "appointment_soon_bare": ("Appointment soon", "Appointment at {at} with {account}"),
        "conflict_unresolved": (
            "{rep} left a conflict unresolved",
            "{rep} has {count} edit(s) clashing with a change made in the office, the first {since}, not yet decided",
        ),
        "today": "today",
        "tomorrow": "tomorrow",
        "date": "{month}/{day}",
        "at_time": "at {time} {day}",
    },
}


def _day_word(words, day_iso, today):
    day = date.fromisoformat(day_iso)
    if day == today:
        return words["today"]
    if (day - today).days == 1:
        return words["tomorrow"]
    return words["date"].format(month=day.month, day=day.day)


def render(kind, params, locale, today):
    """(title, text) of a notice in `locale` (zh-CN unless "en"), "today"/"tomorrow" as of `today`."""
    words = TEXT["en" if locale == "en" else "zh-CN"]
    values = dict(params)
    if "date" in params:
        values["day"] = _day_word(words, params["date"], today)
        values["Day"] = values["day"][:1].upper() + values["day"][1:]
    if "since_date" in params:  # when the first open conflict was raised: its day unless it is today's
        since_day = date.fromisoformat(params["since_date"])
        on = "" if since_day == today else _day_word(words, params["since_date"], today)
        values["since"] = words["at_time"].format(day=on, time=params["since"]).strip()
    key = kind
    if kind in ("plan_ready", "plan_changed") and not params.get("stops"):
        key = f"{kind}_empty"
    if kind == "first_visit_late" and not params.get("at"):
        key = f"{kind}_none"
    if kind == "appointment_soon" and not (params.get("purpose") or "").strip():
        key = f"{kind}_bare"
    if kind == "follow_up_due" and not (params.get("next_step") or "").strip():
        key = f"{kind}_bare"
    title, text = words[key]
    return title.format(**values), text.format(**values)
