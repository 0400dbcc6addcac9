// One message catalogue for every string the app shows, in English and zh-CN.
const CATALOGUE = {
  en: {
    "app.name": "Fieldday",
    "lang.switch": "中文",
    "lang.switch.label": "Switch language to Chinese",
    "tab.today": "Today", "tab.accounts": "Accounts", "tab.clock": "Day clock", "tab.tomorrow": "Tomorrow",
    "tab.team": "Team", "tab.report": "Daily report",
    "sync.offline": "Offline", "sync.syncing": "Syncing…", "sync.online": "Online",
    "sync.waiting": "{n} waiting", "sync.last": "synced {time}", "sync.never": "not synced yet",
    "sync.error": "Sync failed: {message}", "sync.login": "Log in again to send your records",
    "sync.rejected": "{n} record(s) refused by the server: {reason}", "sync.dismiss": "Dismiss",
    "sync.update": "A new version of the app is ready.", "sync.reload": "Reload",
    "login.title": "Log in", "login.username": "Username", "login.password": "Password", "login.submit": "Log in",
    "login.failed": "Login failed: {message}", "login.offline": "You are offline: logging in needs a connection.",
    "login.other_user": "Records of {user} are still waiting to sync. Log in as {user} to send them first.",
    "login.again": "Your session has ended. Log in again; nothing you recorded is lost.",
    "logout": "Log out",
    "today.title": "Today, {date}", "today.none": "No route planned for today.", "today.plan": "Plan today",
    "today.planning": "Planning…", "today.offline_plan": "Planning needs a connection; showing the last plan.",
    "today.travel": "{min} min travel", "today.leave": "Leave at {time}", "today.total_travel": "Travel {min} min in all",
    "today.navigate": "Navigate", "today.maps": "Map app", "today.visit": "Visit", "today.map": "Map of today's stops",
    "reason.appointment": "Appointment", "reason.cadence_due": "Cadence due", "reason.first_visit": "First visit",
    "reason.opportunity": "Opportunity {stage}", "reason.picked": "Picked by you", "reason.pinned": "Pinned",
    "accounts.title": "Accounts", "accounts.search": "Search name or address", "accounts.class": "Class",
    "accounts.region": "Region", "accounts.any": "Any", "accounts.overdue": "Overdue only",
    "accounts.count": "{shown} of {total}", "accounts.more": "Refine the search to see the other {n}.",
    "accounts.empty": "No accounts match.",
    "account.days": "{days} days since last contact (cadence {cadence})", "account.never": "Never visited",
    "account.overdue": "Overdue", "account.no_position": "No map position: not plannable", "account.contacts": "Contacts", "account.devices": "Installed base (MIF)",
    "account.opportunities": "Opportunities", "account.visits": "Visit history", "account.none": "None yet.",
    "account.new_visit": "New visit", "account.missing": "This account is not on this phone.",
    "device.ours": "ours", "device.competitor": "competitor", "device.volume": "{n} pages/month",
    "visit.title": "Visit: {name}", "visit.purpose": "Purpose of this visit (required)",
    "visit.purpose_needed": "Set the purpose before checking in.", "visit.opportunity": "Opportunity",
    "visit.no_opportunity": "None", "visit.check_in": "Check in", "visit.check_out": "Check out",
    "visit.checked_in": "Checked in at {time}", "visit.checked_out": "Checked out at {time}",
    "visit.gps": "GPS ±{m} m", "visit.no_gps": "No position", "visit.notes": "Notes", "visit.outcome": "Outcome",
    "visit.next_step": "Next step", "visit.stage": "Stage", "visit.man": "M-A-N",
    "visit.man_money": "Money: has budget", "visit.man_authority": "Authority: decision maker reached",
    "visit.man_need": "Need: confirmed", "visit.save": "Save", "visit.saved": "Saved on this phone.",
    "visit.unknown": "This visit is not on this phone.",
    "clock.title": "Day clock", "clock.now": "Now: {category} since {time}", "clock.idle": "Nothing running.",
    "clock.in_visit": "In a visit (face-to-face) since {time}", "clock.split": "Today's split",
    "clock.stop": "Stop", "clock.total": "Recorded", "clock.minutes": "min",
    "category.face_to_face": "Face-to-face", "category.travel": "Travel", "category.admin": "Admin",
    "category.meeting": "Meeting", "category.unrecorded": "Unrecorded",
    "tomorrow.title": "Tomorrow, {date}", "tomorrow.none": "No plan for tomorrow yet.",
    "tomorrow.replan": "Re-plan", "tomorrow.offline": "Re-planning needs a connection; the last plan stays.",
    "tomorrow.keep": "Keep", "tomorrow.pin": "Pin time", "tomorrow.dropped": "Not in the plan",
    "drop.not_worth_the_time": "Did not fit: others are worth more", "drop.no_coordinates": "No map position",
    "drop.window_outside_day": "Its time is outside the working day", "drop.mandatory": "Must be visited",
    "tomorrow.add": "Add", "tomorrow.failed": "Re-plan failed: {message}", "tomorrow.done": "Plan updated.",
    "team.title": "Team numbers", "team.period": "Period", "team.period.day": "Day", "team.period.week": "Week",
    "team.period.month": "Month", "team.period.last_month": "Last month", "team.period.custom": "Custom",
    "team.period_shown": "Showing {kind}: {from} – {to}", "team.from": "From", "team.to": "To", "team.show": "Show",
    "team.offline": "Reports need a connection.", "team.csv": "CSV", "team.team": "Team", "team.baseline": "Method baseline",
    "team.target": "Target", "team.reached": "Reached stage", "team.volume": "Volume / age (years)",
    "team.replacement": "Replacement opportunity: 5+ years, high volume", "team.ratios": "Visit-time ratios",
    "team.target_line": "Face-to-face target: {pct} % of the working day", "team.rep": "Rep", "team.days": "Days",
    "team.open_visits": "Open visits", "team.trend": "Face-to-face by week", "team.first": "First appointment by 8:45",
    "team.on_time": "On time", "team.median_first": "Median first visit", "team.activity": "Activity, plan vs actual",
    "team.visits": "Visits", "team.per_day": "Per day", "team.effective": "Face-to-face", "team.with_purpose": "With purpose",
    "team.planned": "Planned", "team.done": "Done", "team.funnel": "Funnel S-P-A-D-C-O", "team.conversion": "Conversion",
    "team.won": "Won", "team.lost": "Lost", "team.loss_reasons": "Loss reasons", "team.cadence": "Overdue A/B/C accounts",
    "team.overdue": "Overdue", "team.mif": "Installed base (MIF)", "team.mif_hint": "Tap a cell to list its accounts; filled cells are 5+ years old and high volume.",
    "team.targets": "Targets", "team.month": "Month",
    "daily.title": "Daily report", "daily.date": "Date", "daily.print": "Print", "daily.plan": "Planned stops visited: {done} of {planned}",
    "daily.first": "first visit {at} (target {target})", "daily.late": "Late", "daily.visits": "Visits",
    "daily.unplanned": "Not planned", "daily.opportunities": "Opportunities", "daily.new": "New",
    "daily.overdue": "Overdue for tomorrow", "daily.review": "Review of the day", "daily.went_well": "What went well",
    "daily.to_improve": "What to improve", "daily.comment": "Manager's comment", "daily.saved": "Saved.",
    "tab.data": "Data", "transfer.title": "Import and export", "transfer.import": "Import a CSV file",
    "transfer.kind": "What the file holds", "transfer.accounts": "Accounts", "transfer.devices": "Installed base (MIF)",
    "transfer.contacts": "Contacts", "transfer.opportunities": "Opportunities", "transfer.visits": "Visits",
    "transfer.activities": "Activities", "transfer.file": "CSV file (UTF-8 or GB18030)",
    "transfer.owner": "Owner for rows without one (username)", "transfer.dry_run": "Check only (write nothing)",
    "transfer.skip_invalid": "Write the valid rows, list the others", "transfer.upload": "Import",
    "transfer.written": "Imported.", "transfer.not_written": "Nothing was written.",
    "transfer.counts": "{rows} rows: {created} new, {updated} updated, {unchanged} unchanged, {skipped} skipped, {geocoded} geocoded",
    "transfer.row": "Row", "transfer.field": "Field", "transfer.message": "Problem", "transfer.export": "Export for the team",
    "stage.S": "S Suspect", "stage.P": "P Prospect", "stage.A": "A Approach", "stage.D": "D Demonstrate",
    "stage.C": "C Close", "stage.O": "O Order",
    "error.field": "{field}: {message}",
    "error.local": "Could not save on this phone: {message}. Nothing was sent; the records waiting are shown above.",
  },
  "zh-CN": {
    "app.name": "Fieldday",
    "lang.switch": "EN",
    "lang.switch.label": "切换为英文",
    "tab.today": "今天", "tab.accounts": "客户", "tab.clock": "时间记录", "tab.tomorrow": "明天",
    "tab.team": "团队", "tab.report": "每日报告",
    "sync.offline": "离线", "sync.syncing": "同步中…", "sync.online": "在线",
    "sync.waiting": "{n} 条待同步", "sync.last": "已同步 {time}", "sync.never": "尚未同步",
    "sync.error": "同步失败：{message}", "sync.login": "请重新登录以发送记录",
    "sync.rejected": "服务器拒收 {n} 条记录：{reason}", "sync.dismiss": "知道了",
    "sync.update": "新版本已就绪。", "sync.reload": "重新加载",
    "login.title": "登录", "login.username": "用户名", "login.password": "密码", "login.submit": "登录",
    "login.failed": "登录失败：{message}", "login.offline": "当前离线：登录需要网络。",
    "login.other_user": "{user} 的记录尚未同步。请先以 {user} 登录发送。",
    "login.again": "登录已过期，请重新登录；已记录的内容不会丢失。",
    "logout": "退出",
    "today.title": "今天 {date}", "today.none": "今天还没有路线。", "today.plan": "规划今天",
    "today.planning": "规划中…", "today.offline_plan": "规划需要网络；显示上一次的路线。",
    "today.travel": "路程 {min} 分钟", "today.leave": "{time} 出发", "today.total_travel": "总路程 {min} 分钟",
    "today.navigate": "导航", "today.maps": "地图应用", "today.visit": "拜访", "today.map": "今日拜访地图",
    "reason.appointment": "预约", "reason.cadence_due": "到期拜访", "reason.first_visit": "首次拜访",
    "reason.opportunity": "商机 {stage}", "reason.picked": "手动添加", "reason.pinned": "已固定时间",
    "accounts.title": "客户", "accounts.search": "搜索名称或地址", "accounts.class": "等级",
    "accounts.region": "区域", "accounts.any": "全部", "accounts.overdue": "仅显示逾期",
    "accounts.count": "{shown} / {total}", "accounts.more": "还有 {n} 个，请缩小搜索范围。",
    "accounts.empty": "没有符合条件的客户。",
    "account.days": "距上次接触 {days} 天（周期 {cadence} 天）", "account.never": "从未拜访",
    "account.overdue": "已逾期", "account.no_position": "缺少地图位置：无法排入路线", "account.contacts": "联系人", "account.devices": "保有机器（MIF）",
    "account.opportunities": "商机", "account.visits": "拜访记录", "account.none": "暂无。",
    "account.new_visit": "新建拜访", "account.missing": "此手机上没有该客户。",
    "device.ours": "本公司", "device.competitor": "竞争对手", "device.volume": "月印量 {n}",
    "visit.title": "拜访：{name}", "visit.purpose": "拜访目的（必填）",
    "visit.purpose_needed": "签到前请先填写拜访目的。", "visit.opportunity": "商机",
    "visit.no_opportunity": "无", "visit.check_in": "签到", "visit.check_out": "签退",
    "visit.checked_in": "{time} 已签到", "visit.checked_out": "{time} 已签退",
    "visit.gps": "定位 ±{m} 米", "visit.no_gps": "无定位", "visit.notes": "备注", "visit.outcome": "结果",
    "visit.next_step": "下一步", "visit.stage": "阶段", "visit.man": "M-A-N",
    "visit.man_money": "M 资金：有预算", "visit.man_authority": "A 权限：已接触决策者",
    "visit.man_need": "N 需求：已确认", "visit.save": "保存", "visit.saved": "已保存在手机上。",
    "visit.unknown": "此手机上没有该拜访。",
    "clock.title": "时间记录", "clock.now": "当前：{category}，自 {time}", "clock.idle": "未计时。",
    "clock.in_visit": "拜访中（面谈），自 {time}", "clock.split": "今日时间分配",
    "clock.stop": "停止", "clock.total": "已记录", "clock.minutes": "分钟",
    "category.face_to_face": "面谈", "category.travel": "路途", "category.admin": "事务",
    "category.meeting": "会议", "category.unrecorded": "未记录",
    "tomorrow.title": "明天 {date}", "tomorrow.none": "明天还没有路线。",
    "tomorrow.replan": "重新规划", "tomorrow.offline": "重新规划需要网络；保留上一次的路线。",
    "tomorrow.keep": "保留", "tomorrow.pin": "固定时间", "tomorrow.dropped": "未排入",
    "drop.not_worth_the_time": "排不下：其他拜访价值更高", "drop.no_coordinates": "缺少地图位置",
    "drop.window_outside_day": "时间不在工作时段内", "drop.mandatory": "必须拜访",
    "tomorrow.add": "加入", "tomorrow.failed": "重新规划失败：{message}", "tomorrow.done": "路线已更新。",
    "team.title": "团队数据", "team.period": "期间", "team.period.day": "日", "team.period.week": "周",
    "team.period.month": "月", "team.period.last_month": "上月", "team.period.custom": "自定义",
    "team.period_shown": "显示{kind}：{from} – {to}", "team.from": "从", "team.to": "到", "team.show": "查看",
    "team.offline": "报表需要网络。", "team.csv": "CSV", "team.team": "团队", "team.baseline": "方法基准",
    "team.target": "目标", "team.reached": "到达阶段", "team.volume": "印量 / 机龄（年）",
    "team.replacement": "换机机会：5 年以上、高印量", "team.ratios": "拜访时间比例",
    "team.target_line": "面谈目标：工作日的 {pct} %", "team.rep": "销售", "team.days": "天数",
    "team.open_visits": "未签退", "team.trend": "每周面谈比例", "team.first": "8:45 首次拜访",
    "team.on_time": "准时", "team.median_first": "首次拜访中位时间", "team.activity": "活动量、计划与实际",
    "team.visits": "拜访", "team.per_day": "每天", "team.effective": "面谈", "team.with_purpose": "有目的",
    "team.planned": "计划", "team.done": "完成", "team.funnel": "销售漏斗 S-P-A-D-C-O", "team.conversion": "转化率",
    "team.won": "赢单", "team.lost": "输单", "team.loss_reasons": "输单原因", "team.cadence": "逾期 A/B/C 客户",
    "team.overdue": "逾期", "team.mif": "保有机器（MIF）", "team.mif_hint": "点击格子查看客户；实心格为 5 年以上的高印量机器。",
    "team.targets": "销售目标", "team.month": "月份",
    "daily.title": "每日销售报告", "daily.date": "日期", "daily.print": "打印", "daily.plan": "计划拜访完成：{done} / {planned}",
    "daily.first": "首次拜访 {at}（目标 {target}）", "daily.late": "迟到", "daily.visits": "拜访",
    "daily.unplanned": "计划外", "daily.opportunities": "商机", "daily.new": "新建",
    "daily.overdue": "明天应拜访的逾期客户", "daily.review": "当天拜访工作总结", "daily.went_well": "做得好的",
    "daily.to_improve": "需改进的", "daily.comment": "经理评语", "daily.saved": "已保存。",
    "tab.data": "数据", "transfer.title": "导入与导出", "transfer.import": "导入 CSV 文件",
    "transfer.kind": "文件内容", "transfer.accounts": "客户", "transfer.devices": "保有机器（MIF）",
    "transfer.contacts": "联系人", "transfer.opportunities": "商机", "transfer.visits": "拜访",
    "transfer.activities": "活动", "transfer.file": "CSV 文件（UTF-8 或 GB18030）",
    "transfer.owner": "无负责人时的负责人（用户名）", "transfer.dry_run": "仅检查（不写入）",
    "transfer.skip_invalid": "写入有效行，列出其他行", "transfer.upload": "导入",
    "transfer.written": "已导入。", "transfer.not_written": "未写入任何内容。",
    "transfer.counts": "{rows} 行：新建 {created}，更新 {updated}，未变 {unchanged}，跳过 {skipped}，地理编码 {geocoded}",
    "transfer.row": "行", "transfer.field": "字段", "transfer.message": "问题", "transfer.export": "导出团队数据",
    "stage.S": "S 潜在", "stage.P": "P 意向", "stage.A": "A 接近", "stage.D": "D 演示",
    "stage.C": "C 成交", "stage.O": "O 订单",
    "error.field": "{field}：{message}",
    "error.local": "无法保存到手机：{message}。未发送任何内容；待同步记录见上方。",
  },
};

export const LANGUAGES = Object.keys(CATALOGUE);
let current = choose();

function choose() {
  const saved = localStorage.getItem("fieldday.lang");
  if (saved && CATALOGUE[saved]) return saved;
  const wanted = navigator.languages?.length ? navigator.languages : [navigator.language || "en"];
  for (const tag of wanted) {
    if (tag.toLowerCase().startsWith("zh")) return "zh-CN";
    if (tag.toLowerCase().startsWith("en")) return "en";
  }
  return "en";
}

export function lang() {
  return current;
}

export function setLang(value) {
  current = CATALOGUE[value] ? value : "en";
  localStorage.setItem("fieldday.lang", current);
  document.documentElement.lang = current;
}

export function t(key, params = {}) {
  const text = CATALOGUE[current][key] ?? CATALOGUE.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (params[name] ?? ""));
}

export function missingKeys() {
  const keys = (l) => new Set(Object.keys(CATALOGUE[l]));
  const [a, b] = LANGUAGES.map(keys);
  return [...a].filter((k) => !b.has(k)).concat([...b].filter((k) => !a.has(k)));
}

document.documentElement.lang = current;
