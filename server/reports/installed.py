"""The installed base (MIF): monthly volume band x machine age, ours and competitors'."""

from collections import defaultdict

from sqlalchemy import select

from ..extensions import db
from ..models import (
    Account,
    Device,
)
from .asof import as_of as accounts_as_of
from .reads import period_end

VOLUME_BANDS = (("<1K", 0), ("1-3K", 1000), ("3-5K", 3000), ("5-10K", 5000), ("10-20K", 10000), ("20K+", 20000))
AGE_BANDS = ("<1", "1-2", "2-3", "3-4", "4-5", "5+")
HIGH_VOLUME = {"5-10K", "10-20K", "20K+"}


def volume_band(volume):
    band = VOLUME_BANDS[0][0]
    for name, floor in VOLUME_BANDS:
        if (volume or 0) >= floor:
            band = name
    return band


def age_band(installed_on, as_of):
    if installed_on is None:
        return "unknown"
    years = (as_of - installed_on).days / 365.25
    return AGE_BANDS[min(max(int(years), 0), 5)]


def installed_base(scope):
    """The MIF matrix: monthly volume band x machine age, ours and competitors', with each cell's accounts."""
    end = period_end(scope)
    as_of = end.astimezone(scope.tz).date()
    devices = db.session.execute(
        select(Device.ownership, Device.monthly_volume, Device.installed_on, Device.account_id, Account.name)
        .join(Account, Account.id == Device.account_id)
        # The machines at the accounts the reps held then, recorded by then: one recorded since is in no past period.
        .where(accounts_as_of(scope, end).held, Device.created_at <= end)
    ).all()
    cells = defaultdict(lambda: {"devices": 0, "accounts": set()})
    names = {}
    for ownership, volume, installed_on, account_id, name in devices:
        cell = cells[(ownership, volume_band(volume), age_band(installed_on, as_of))]
        cell["devices"] += 1
        cell["accounts"].add(str(account_id))
        names[str(account_id)] = name
    rows = []
    for (ownership, vband, aband), cell in sorted(cells.items()):
        rows.append(
            {
                "ownership": ownership,
                "volume_band": vband,
                "age_band": aband,
                "devices": cell["devices"],
                "accounts": len(cell["accounts"]),
                "account_ids": sorted(cell["accounts"]),
                "account_names": [names[i] for i in sorted(cell["accounts"])],
                "replacement_opportunity": aband == "5+" and vband in HIGH_VOLUME,
            }
        )
    return {
        "rows": rows,
        "volume_bands": [b for b, _ in VOLUME_BANDS],
        "age_bands": [*AGE_BANDS, "unknown"],
        "as_of": as_of.isoformat(),
        "team": {"devices": sum(r["devices"] for r in rows)},
    }
