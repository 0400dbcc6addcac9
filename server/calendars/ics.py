"""The rep's plan as iCalendar (RFC 5545) events, built with the `icalendar` library.

One VEVENT per planned stop (a stop kept for an appointment is the appointment's event) and per
appointment: a UID that stays the same across re-plans (the stop's: rep, day and account; the
appointment's: its id), the times in the team's time zone with its VTIMEZONE, the account's name
(SUMMARY), address (LOCATION) and position (GEO, WGS-84 as stored), and the visit's purpose
(DESCRIPTION). SEQUENCE rises each time what an event says changes (models/calendar.py keeps count)."""

import hashlib
import json
from datetime import timedelta

import icalendar

PRODID = "-//Fieldday//Field sales plan//EN"
DOMAIN = "fieldday"

# Why the planner put a stop in the day (route_plans/planner.py's reason codes), in the rep's language.
REASONS = {
    "en": {
        "appointment": "Appointment",
        "cadence_due": "Cadence due",
        "first_visit": "First visit",
        "opportunity": "Opportunity {stage}",
        "picked": "Picked by you",
        "pinned": "Pinned",
        "rep_added": "Added by you",
    },
    "zh-CN": {
        "appointment": "预约",
        "cadence_due": "到期拜访",
        "first_visit": "首次拜访",
        "opportunity": "商机 {stage}",
        "picked": "手动添加",
        "pinned": "已固定时间",
        "rep_added": "手动添加",
    },
}
WORDS = {
    "en": {"stop": "Stop {n} of the day", "purpose": "Purpose: {text}", "calendar": "Fieldday plan"},
    "zh-CN": {"stop": "当天第 {n}站", "purpose": "拜访目的：{text}", "calendar": "Fieldday 拜访计划"},
}


def _language(locale):
    return "en" if (locale or "").startswith("en") else "zh-CN"


def reasons_in_words(reason, locale):
    """'cadence_due,opportunity_D' -> 'Cadence due, Opportunity D' (unknown codes as they are)."""
    words = REASONS[_language(locale)]
    out = []
    for code in filter(None, (reason or "").split(",")):
        if code.startswith("opportunity_"):
            out.append(words["opportunity"].format(stage=code.rsplit("_", 1)[-1]))
        else:
            out.append(words.get(code, code.replace("_", " ")))
    return ", ".join(out)


def stop_uid(rep_id, day, account_id):
    return f"stop-{day.isoformat()}-{account_id}-{rep_id}@{DOMAIN}"


def appointment_uid(appointment_id):
    return f"appointment-{appointment_id}@{DOMAIN}"


def stop_event(plan, stop, account, locale):
    """What the feed says of a planned stop, as plain values."""
    words = WORDS[_language(locale)]
    lines = [words["stop"].format(n=stop.position + 1)]
    why = reasons_in_words(stop.reason, locale)
    if why:
        lines.append(words["purpose"].format(text=why))
    return {
        "uid": stop_uid(plan.rep_id, plan.plan_date, stop.account_id),
        "start": stop.planned_arrival,
        "end": stop.planned_arrival + timedelta(minutes=stop.service_minutes or 0),
        "summary": account.name,
        "location": account.address or "",
        "description": "\n".join(lines),
        "geo": _geo(account),
    }


def appointment_event(appointment, account, locale):
    """What the feed (and the single `.ics`) says of an appointment, as plain values."""
    words = WORDS[_language(locale)]
    lines = [words["purpose"].format(text=appointment.purpose)] if appointment.purpose else []
    if appointment.notes:
        lines.append(appointment.notes)
    return {
        "uid": appointment_uid(appointment.id),
        "start": appointment.starts_at,
        "end": appointment.ends_at,
        "summary": account.name,
        "location": account.address or "",
        "description": "\n".join(lines),
        "geo": _geo(account),
    }


def _geo(account):
    if account.latitude is None or account.longitude is None:
        return None
    return (round(account.latitude, 6), round(account.longitude, 6))


def digest(event):
    """A fingerprint of what an event says (its sequence rises when this changes)."""
    shown = {key: value.isoformat() if hasattr(value, "isoformat") else value for key, value in event.items()}
    return hashlib.sha256(json.dumps(shown, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def calendar(events, zone, locale, name=None):
    """The VCALENDAR of `events` (each with its `sequence` and `changed_at`), times in `zone` (a ZoneInfo)."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name or WORDS[_language(locale)]["calendar"])
    cal.add("x-wr-timezone", zone.key)
    for event in sorted(events, key=lambda e: (e["start"], e["uid"])):
        vevent = icalendar.Event()
        vevent.add("uid", event["uid"])
        vevent.add("dtstamp", event["changed_at"])
        vevent.add("last-modified", event["changed_at"])
        vevent.add("sequence", event["sequence"])
        vevent.add("dtstart", event["start"].astimezone(zone))
        vevent.add("dtend", event["end"].astimezone(zone))
        vevent.add("summary", event["summary"])
        if event["location"]:
            vevent.add("location", event["location"])
        if event["description"]:
            vevent.add("description", event["description"])
        if event["geo"] is not None:
            vevent.add("geo", event["geo"])
        vevent.add("transp", "OPAQUE")
        cal.add_component(vevent)
    cal.add_missing_timezones()
    return cal.to_ical()
