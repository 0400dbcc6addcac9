"""The columns an import reads and an export writes, with the zh-CN and English names recognised."""

# field -> header names accepted (case and spaces ignored); the first is what exports write.
ACCOUNT_COLUMNS = {
    "external_key": ["external_key", "key", "客户编号", "编号"],
    "name": ["name", "客户名称", "名称"],
    "address": ["address", "地址"],
    "latitude": ["latitude", "lat", "纬度"],
    "longitude": ["longitude", "lng", "lon", "经度"],
    "region": ["region", "区域", "地区"],
    "industry": ["industry", "行业"],
    "employee_band": ["employee_band", "员工人数", "规模"],
    "org_type": ["org_type", "机构类型"],
    "account_class": ["class", "account_class", "客户等级", "等级"],
    "owner": ["owner", "负责人", "销售"],
    "last_year_sales": ["last_year_sales", "去年销售额"],
    "notes": ["notes", "备注"],
}
ACCOUNT_REF = {
    "account_key": ["account_key", "客户编号"],
    "account_name": ["account_name", "account", "客户名称"],
    "account_address": ["account_address", "客户地址"],
}
DEVICE_COLUMNS = {
    **ACCOUNT_REF,
    "ownership": ["ownership", "归属"],
    "brand": ["brand", "品牌"],
    "model": ["model", "型号"],
    "colour": ["colour", "color", "彩色黑白", "色彩"],
    "installed_on": ["installed_on", "安装日期"],
    "monthly_volume": ["monthly_volume", "月印量"],
    "notes": ["notes", "备注"],
}
CONTACT_COLUMNS = {
    **ACCOUNT_REF,
    "name": ["name", "姓名", "联系人"],
    "title": ["title", "职位"],
    "department": ["department", "部门"],
    "phone": ["phone", "电话"],
    "email": ["email", "邮箱"],
    "purchase_role": ["purchase_role", "采购角色"],
    "notes": ["notes", "备注"],
}
# The datum of a row's latitude/longitude (wgs84, gcj02, bd09): read by imports only; stored positions are WGS-84.
DATUM_COLUMN = {"datum": ["datum", "坐标系", "coordinate_system", "coord_type"]}
COLUMNS = {"accounts": {**ACCOUNT_COLUMNS, **DATUM_COLUMN}, "devices": DEVICE_COLUMNS, "contacts": CONTACT_COLUMNS}
REQUIRED = {"accounts": {"name"}, "devices": {"ownership", "brand"}, "contacts": {"name"}}
# The fields that hold a code of the method's vocabulary (field -> vocabulary, server/words.py): an export
# writes its words in the chosen language under the field's column and the code in `<field>_code` beside it,
# for machines; an import reads either (the words in zh-CN or English, or the code).
CODED = {
    "accounts": {"industry": "industry", "employee_band": "employee_band", "org_type": "org_type"},
    "devices": {"ownership": "ownership", "colour": "colour"},
    "contacts": {"purchase_role": "purchase_role"},
}

# Values a spreadsheet may hold in zh-CN, mapped to the stored codes.
VALUES = {
    "org_type": {"总部": "head_office", "分公司": "branch", "工厂": "factory"},
    "ownership": {"本公司": "ours", "自有": "ours", "竞争对手": "competitor", "竞品": "competitor"},
    "colour": {"彩色": "colour", "黑白": "mono", "color": "colour"},
    "purchase_role": {
        "决策者": "decision_maker",
        "影响者": "influencer",
        "负责人": "person_in_charge",
        "操作者": "operator",
    },
}


def _norm(header):
    return "".join(header.split()).lower().lstrip("\ufeff")


def code_column(field_name):
    """The column that holds a coded field's code beside its words: `industry_code`."""
    return f"{field_name}_code"


def map_header(kind, header):
    """{field: column index} for a header row (a coded field's code column under `<field>_code`); unknown
    columns are reported, not guessed."""
    lookup = {_norm(alias): field for field, aliases in COLUMNS[kind].items() for alias in aliases}
    lookup.update({_norm(code_column(f)): code_column(f) for f in CODED.get(kind, ())})
    mapping, unknown, seen = {}, [], set()
    for index, name in enumerate(header):
        field = lookup.get(_norm(name))
        if field is None:
            if name.strip():
                unknown.append(name)
        elif field not in seen:
            mapping[field] = index
            seen.add(field)
    return mapping, unknown


def _chinese_name(aliases):
    """The first Chinese name among a field's header names (None: it has none)."""
    return next((a for a in aliases if any("\u4e00" <= ch <= "\u9fff" for ch in a)), None)


def template_fields(kind):
    """The fields of an import template's columns: every field the import reads, the required ones first."""
    return sorted(COLUMNS[kind], key=lambda name: name not in REQUIRED[kind])


def template_header(kind, lang):
    """The header row of an import template in `lang` ("en" or "zh-CN"): one column per field the import
    reads, the required ones first, each under the first name of that language that `map_header` accepts."""
    return [header_name(kind, name, lang) for name in template_fields(kind)]


def header_name(kind, field_name, lang):
    """A field's column name in `lang` ("en" or "zh-CN"), one that `map_header` reads back: the template's and
    the export's."""
    aliases = COLUMNS[kind][field_name]
    return (lang == "zh-CN" and _chinese_name(aliases)) or aliases[0]


def column_names(kind, field_name):
    """How a file may name a field's column, in both languages: "name / 客户名称"."""
    aliases = COLUMNS[kind][field_name]
    return " / ".join(filter(None, [aliases[0], _chinese_name(aliases)]))
