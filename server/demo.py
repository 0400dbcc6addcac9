"""A deterministic demo data set: one Shanghai sales team with eight weeks of history.

The same seed gives the same accounts, contacts, machines and opportunities; the
visit history is laid on the weeks before `today`, so every later screen (cadence,
funnel, time split, first-appointment habit) has something true to show.
"""

import random
import secrets
import uuid
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from . import clock, demo_reports, last_contact
from .auth.services import hash_password
from .cadence import cadence_days, days_since
from .changelog import recorded
from .extensions import db
from .models import (
    Account,
    Activity,
    Appointment,
    Contact,
    Device,
    Opportunity,
    StageChange,
    Team,
    User,
    Visit,
    WeeklyReview,
)
from .models.vocab import FUNNEL_STAGES, LOSS_REASONS

TZ = ZoneInfo("Asia/Shanghai")

# District name, centre latitude/longitude, spread in degrees.
DISTRICTS = [
    ("黄浦", 31.2317, 121.4846, 0.012),
    ("静安", 31.2296, 121.4481, 0.014),
    ("虹口", 31.2646, 121.5054, 0.014),
    ("徐汇", 31.1885, 121.4365, 0.018),
    ("长宁", 31.2204, 121.4243, 0.016),
    ("闵行", 31.1128, 121.3817, 0.030),
    ("浦东新", 31.2215, 121.5447, 0.035),
    ("普陀", 31.2497, 121.3972, 0.016),
    ("杨浦", 31.2595, 121.5260, 0.016),
    ("宝山", 31.4050, 121.4894, 0.030),
    ("嘉定", 31.3747, 121.2655, 0.030),
    ("松江", 31.0322, 121.2277, 0.030),
]
NAME_WORDS = [
    "华",
    "东",
    "申",
    "浦",
    "新",
    "联",
    "瑞",
    "通",
    "达",
    "恒",
    "信",
    "宏",
    "力",
    "嘉",
    "盛",
    "博",
    "源",
    "泰",
    "安",
    "德",
    "智",
    "海",
    "明",
    "天",
    "正",
    "金",
    "光",
    "科",
    "远",
    "鼎",
]
INDUSTRIES = [
    ("制造", "manufacturing"),
    ("物流", "logistics"),
    ("金融", "finance"),
    ("医疗", "healthcare"),
    ("教育", "education"),
    ("律师事务所", "legal"),
    ("设计", "design"),
    ("贸易", "trade"),
    ("软件", "software"),
    ("酒店", "hospitality"),
]
ROADS = [
    "南京西",
    "淮海中",
    "延安东",
    "四川北",
    "漕溪北",
    "天山",
    "虹桥",
    "世纪大道",
    "张杨",
    "长寿",
    "武宁",
    "国权",
    "黄兴",
    "牡丹江",
    "曹安",
    "中山北",
    "龙华中",
    "古北",
    "莘庄",
    "江场",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = ["伟", "芳", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超", "霞", "平"]
TITLES = [
    ("总经理", "decision_maker"),
    ("行政经理", "person_in_charge"),
    ("采购主管", "person_in_charge"),
    ("IT 主管", "influencer"),
    ("财务总监", "influencer"),
    ("前台", "operator"),
    ("文员", "operator"),
]
BRANDS_OURS = [("Fieldday", "FD-C3530"), ("Fieldday", "FD-M4020"), ("Fieldday", "FD-C6010")]
BRANDS_THEIRS = [
    ("Ricoh", "IM C3000"),
    ("Canon", "iR-ADV C5535"),
    ("Konica Minolta", "bizhub C360i"),
    ("Kyocera", "TASKalfa 4054ci"),
    ("Sharp", "MX-3071"),
    ("Xerox", "VersaLink C7025"),
]
PURPOSES = [
    "了解复印机使用情况与月印量",
    "介绍新款彩色机型",
    "确认预算来源与采购流程",
    "演示扫描到云端方案",
    "提交更换方案报价",
    "跟进合同签署",
    "交付后回访与培训",
    "认识决策人并确认需求",
]
OUTCOMES = [
    "客户认可方案，约定下周演示",
    "决策人不在，留下资料",
    "确认年底有预算",
    "竞争对手已报价，需要调整方案",
    "客户需求明确，进入提案阶段",
    "获得口头承诺",
]
NEXT_STEPS = ["下周二提交正式报价", "约决策人演示", "发送案例资料", "月底前再次拜访", "安排技术人员现场评估"]


def seed(password, reps=4, accounts_per_rep=160, weeks=8, rng_seed=845, today=None):
    """Write the demo data set and return counts per record type."""
    with recorded(db.session):
        return _seed(password, reps, accounts_per_rep, weeks, rng_seed, today)


def _seed(password, reps, accounts_per_rep, weeks, rng_seed, today):
    rng = random.Random(rng_seed)
    today = today or clock.today(TZ)
    # The people were there before their history: a team's report of a past period lists the reps it had then.
    taken_on = _on_books(today, weeks)
    team = Team(id=_uuid(rng), name="上海一部 Shanghai Team 1", timezone="Asia/Shanghai")
    db.session.add(team)
    db.session.flush()
    # Each user's hash has its own salt: one cracked hash tells nothing about the others.
    admin = User(
        id=_uuid(rng),
        username="admin",
        password_hash=hash_password(password),
        role="admin",
        display_name="管理员 Admin",
        created_at=taken_on,
    )
    manager = User(
        id=_uuid(rng),
        username="manager",
        password_hash=hash_password(password),
        role="manager",
        display_name="陈经理 Manager Chen",
        team_id=team.id,
        created_at=taken_on,
    )
    db.session.add_all([admin, manager])
    db.session.flush()
    team.manager_id = manager.id

    # Districts dealt out like cards; with more reps than districts, reps share a district.
    territories = [DISTRICTS[i::reps] or [DISTRICTS[i % len(DISTRICTS)]] for i in range(reps)]
    counts = {
        "users": 2,
        "accounts": 0,
        "contacts": 0,
        "devices": 0,
        "opportunities": 0,
        "visits": 0,
        "activities": 0,
        "appointments": 0,
        "route_plans": 0,
        "targets": 0,
    }
    for n, districts in enumerate(territories, start=1):
        home = districts[0]
        rep = User(
            id=_uuid(rng),
            username=f"rep{n}",
            password_hash=hash_password(password),
            role="rep",
            team_id=team.id,
            display_name=f"{rng.choice(SURNAMES)}{rng.choice(GIVEN)} rep{n}",
            start_label=f"家（{home[0]}区）",
            start_lat=round(home[1] + rng.uniform(-0.01, 0.01), 6),
            start_lng=round(home[2] + rng.uniform(-0.01, 0.01), 6),
            created_at=taken_on,
        )
        db.session.add(rep)
        db.session.flush()
        counts["users"] += 1
        accounts = _accounts(rng, rep, districts, accounts_per_rep, counts, today, weeks)
        more = demo_reports.rng_for(rng_seed, n)  # its own stream: the rest of the demo stays as it was
        visits = _history(rng, rep, accounts, today, weeks, counts, more)
        counts["route_plans"] = counts.get("route_plans", 0) + demo_reports.planned_days(
            more, rep, accounts, visits, TZ
        )
        counts["targets"] = counts.get("targets", 0) + demo_reports.targets(more, rep, manager, today, TZ)
        _appointments(rng, rep, accounts, today, counts)
        if weeks:
            _focus(rep, accounts, today, manager, counts)
        # Streams of their own again: what came before stays as it was.
        counts["visits"] += demo_reports.deal_visits(demo_reports.rng_for(rng_seed, n, "deals"), rep, TZ)
        counts["photos"] = counts.get("photos", 0) + demo_reports.photos(
            demo_reports.rng_for(rng_seed, n, "photos"), rep, visits, TZ
        )
        db.session.flush()
    db.session.commit()
    return counts


def _focus(rep, accounts, today, manager, counts):
    """Last week's review set this week's focus: an A account to see, and demos to book."""
    monday = today - timedelta(days=today.weekday())
    a_class = next((a for a in accounts if a.account_class == "A"), accounts[0])
    db.session.add(
        WeeklyReview(
            rep_id=rep.id,
            week=monday - timedelta(days=7),
            written_by=manager.id,
            written_at=_local(monday - timedelta(days=3), 17 * 60 + 30),
            focus=[
                # As a manager writes it: in the team's language, the account linked beside the words.
                {"text": "本周拜访两次，确认换机预算", "account_id": str(a_class.id)},
                {"text": "本周预约两次演示"},
            ],
        )
    )
    counts["weekly_reviews"] = counts.get("weekly_reviews", 0) + 1


# Mixed into every demo id: the data is the same for a seed, the ids differ per installation.
_INSTALLATION = secrets.randbits(128)


def _uuid(rng):
    return uuid.UUID(int=rng.getrandbits(128) ^ _INSTALLATION, version=4)


def _local(day, hh_mm):
    return datetime.combine(day, time(0), TZ) + timedelta(minutes=hh_mm)


def _on_books(today, weeks):
    """When the team and its accounts were taken on: a month before the history starts."""
    return _local(today - timedelta(weeks=weeks, days=31), 9 * 60)


def _accounts(rng, rep, districts, how_many, counts, today, weeks):
    accounts = []
    on_books = _on_books(today, weeks)
    for i in range(how_many):
        zh, lat, lng, spread = districts[i % len(districts)]
        industry_zh, industry_en = rng.choice(INDUSTRIES)
        cls = rng.choices("ABC", weights=(15, 30, 55))[0]
        org = rng.choices(("head_office", "branch", "factory"), weights=(5, 3, 2))[0]
        name = f"上海{rng.choice(NAME_WORDS)}{rng.choice(NAME_WORDS)}{industry_zh}" + (
            "有限公司" if org == "head_office" else ("分公司" if org == "branch" else "工厂")
        )
        account = Account(
            id=_uuid(rng),
            name=f"{name} {rep.username[3:]}-{i + 1:03d}",
            address=f"上海市{zh}区{rng.choice(ROADS)}路{rng.randint(1, 1999)}号",
            latitude=round(rng.gauss(lat, spread / 2), 6),
            longitude=round(rng.gauss(lng, spread / 2), 6),
            region=f"{zh}区",  # a Chinese company names its districts in Chinese
            industry=industry_en,
            employee_band=rng.choice(("1-49", "50-199", "200-999", "1000+")),
            org_type=org,
            account_class=cls,
            owner_id=rep.id,
            last_year_sales=Decimal(rng.choice((0, 0, 12000, 38000, 86000, 150000, 420000))),
            external_key=f"DEMO-{rep.username}-{i + 1:04d}",
            # On the books a month before the history starts: the cadence counts a never-visited account
            # from its creation, so the demo's unvisited accounts are overdue as a territory's would be.
            created_at=on_books,
        )
        db.session.add(account)
        accounts.append(account)
        for _ in range(rng.randint(1, 3)):
            title, role = rng.choice(TITLES)
            db.session.add(
                Contact(
                    id=_uuid(rng),
                    account_id=account.id,
                    title=title,
                    purchase_role=role,
                    name=f"{rng.choice(SURNAMES)}{rng.choice(GIVEN)}{rng.choice(GIVEN)}",
                    phone=f"1{rng.randint(30, 89)}{rng.randint(10000000, 99999999)}",
                )
            )
            counts["contacts"] += 1
        for _ in range(rng.choices((0, 1, 2, 3, 4), weights=(2, 4, 3, 2, 1))[0]):
            ours = rng.random() < 0.35
            brand, model = rng.choice(BRANDS_OURS if ours else BRANDS_THEIRS)
            db.session.add(
                Device(
                    id=_uuid(rng),
                    account_id=account.id,
                    ownership="ours" if ours else "competitor",
                    brand=brand,
                    model=model,
                    colour=rng.choice(("colour", "mono")),
                    installed_on=today - timedelta(days=rng.randint(60, 8 * 365)),
                    monthly_volume=int(rng.lognormvariate(8, 1)),
                    created_at=on_books,  # recorded with its account: the installed base of a past period has it
                )
            )
            counts["devices"] += 1
        if rng.random() < 0.35:
            _opportunity(rng, rep, account, today, weeks)
            counts["opportunities"] += 1
    counts["accounts"] += how_many
    db.session.flush()
    return accounts


def _opportunity(rng, rep, account, today, weeks):
    """An opportunity opened on a working morning of the demo's weeks, its stages spread up to today."""
    stage = rng.choices(FUNNEL_STAGES, weights=(30, 25, 15, 12, 10, 8))[0]
    lost = stage != "O" and rng.random() < 0.15
    status = "won" if stage == "O" else ("lost" if lost else "open")
    now = _local(today, 0)  # the history ends where today begins, as the visits' does
    opened = _local(today - timedelta(days=rng.randint(1, max(1, weeks * 7))), rng.randint(9 * 60, 17 * 60))
    moves = FUNNEL_STAGES.index(stage) + (status != "open")
    # Each later stage (and the close) at its own instant between the opening and today, in order.
    span = max(int((now - opened).total_seconds()) - 1, moves)
    later = sorted(rng.sample(range(1, span), moves)) if moves else []
    opp = Opportunity(
        id=_uuid(rng),
        account_id=account.id,
        owner_id=rep.id,
        stage=stage,
        status=status,
        title=rng.choice(["彩色机更换", "打印集中管理方案", "新办公室采购", "扫描归档方案"]),
        kind=rng.choice(("replacement", "consolidation", "new_site")),
        man_money=FUNNEL_STAGES.index(stage) >= 2 or rng.random() < 0.3,
        man_authority=FUNNEL_STAGES.index(stage) >= 2 or rng.random() < 0.3,
        man_need=FUNNEL_STAGES.index(stage) >= 1,
        amount=Decimal(rng.choice((28000, 45000, 68000, 120000, 260000))),
        expected_close=today + timedelta(days=rng.randint(5, 170)),
        opened_at=opened,
        loss_reason=rng.choice(LOSS_REASONS[:5]) if lost else None,
    )
    moments = [opened] + [opened + timedelta(seconds=s) for s in later]
    previous = None
    for code, moment in zip(FUNNEL_STAGES[: FUNNEL_STAGES.index(stage) + 1], moments):
        opp.stage_changes.append(
            StageChange(from_stage=previous, to_stage=code, status="open", changed_at=moment, changed_by=rep.id)
        )
        previous = code
    moment = moments[-1]
    if status != "open":
        opp.stage_changes.append(
            StageChange(from_stage=stage, to_stage=stage, status=status, changed_at=moment, changed_by=rep.id)
        )
        opp.closed_at = moment
    opp.stage_changed_at = opp.stage_changes[-1].changed_at
    db.session.add(opp)


def _history(rng, rep, accounts, today, weeks, counts, more):
    """Lay `weeks` of working days: first visit near 8:45, travel, visits, admin, meetings; some visits work a
    deal, a few found the customer out or checked in away (`more`: demo_reports' stream). Returns the visits."""
    seen, visits = {}, []
    start = today - timedelta(weeks=weeks)
    day = start
    while day < today:
        if day.weekday() < 5:
            visits += _working_day(rng, rep, accounts, day, seen, counts)
        day += timedelta(days=1)
    db.session.flush()
    demo_reports.vary_visits(more, rep, accounts, visits)
    last_contact.follow(db.session, [(visit, None) for visit in visits])  # as the visit service does
    return visits


def _working_day(rng, rep, accounts, day, seen, counts):
    """Lay one working day; return its visits."""

    def due(account):
        if account.id not in seen:
            return 999
        return days_since(seen[account.id], _local(day, 0)) - cadence_days(account.account_class)

    candidates = sorted(accounts, key=lambda a: (-due(a), rng.random()))[:12]
    chosen = rng.sample(candidates, k=rng.randint(3, 6))
    activities, visits = [], []
    clock = 8 * 60 + rng.choice((0, 10, 20))  # leaves the morning meeting / home
    if rng.random() < 0.4:
        activities.append(("meeting", clock, clock + 30))
        clock += 30
    first = 8 * 60 + 45 + rng.choice((-5, 0, 0, 0, 5, 15, 30, 50))
    activities.append(("travel", clock, max(first, clock + 15)))
    clock = max(first, clock + 15)
    for account in chosen:
        duration = rng.randint(25, 70)
        check_in, check_out = _local(day, clock), _local(day, clock + duration)
        visits.append(
            Visit(
                id=_uuid(rng),
                account_id=account.id,
                rep_id=rep.id,
                planned_start=check_in,
                purpose=rng.choice(PURPOSES),
                check_in_at=check_in,
                check_out_at=check_out,
                check_in_lat=account.latitude,
                check_in_lng=account.longitude,
                check_in_accuracy_m=rng.choice((8.0, 15.0, 35.0)),
                outcome=rng.choice(OUTCOMES),
                next_step=rng.choice(NEXT_STEPS),
            )
        )
        db.session.add(visits[-1])
        counts["visits"] += 1
        seen[account.id] = check_in
        clock += duration
        if 12 * 60 <= clock < 13 * 60 + 30 and rng.random() < 0.8:
            clock += 45  # lunch is unrecorded time
        travel = rng.randint(12, 40)
        activities.append(("travel", clock, clock + travel))
        clock += travel
    admin = rng.randint(60, 180)
    activities.append(("admin", clock, clock + admin))
    clock += admin
    if rng.random() < 0.5:
        activities.append(("meeting", clock, clock + rng.randint(30, 90)))
    for category, begin, end in activities:
        db.session.add(
            Activity(
                id=_uuid(rng),
                rep_id=rep.id,
                category=category,
                started_at=_local(day, begin),
                ended_at=_local(day, end),
            )
        )
        counts["activities"] += 1
    return visits


def _appointments(rng, rep, accounts, today, counts):
    """A couple of fixed appointments on each of the next working days, the first at 8:45."""
    day, booked = today, 0
    while booked < 3:
        day += timedelta(days=1)
        if day.weekday() >= 5:
            continue
        account = rng.choice(accounts)
        begin = 8 * 60 + 45 if booked == 0 else rng.choice((10 * 60, 14 * 60, 15 * 60 + 30))
        db.session.add(
            Appointment(
                id=_uuid(rng),
                account_id=account.id,
                rep_id=rep.id,
                starts_at=_local(day, begin),
                ends_at=_local(day, begin + 45),
                purpose=rng.choice(PURPOSES),
            )
        )
        booked += 1
        counts["appointments"] += 1
