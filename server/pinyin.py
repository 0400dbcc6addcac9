"""An account name's search keys in pinyin, so the phone finds 浦嘉办公 by `pujia` or `pj` offline.

Computed here (pypinyin, pinned) and synced as the account's read-only fields `name_pinyin` and
`name_initials`, rather than on the phone: the phone's library (pinyin-pro 3.29.4) would add 142 KB
gzipped (324 KB) to a shell of 203 KB gzipped and spend ~0.13 ms a name each time the search index is
built (650 ms for 5,000 accounts on a server core, a few seconds on a phone); the keys cost ~44 bytes an
account in the sync. Letters and digits in the name are kept as they are (lower case)."""

from pypinyin import Style, lazy_pinyin


def _keep(piece):
    return "".join(c for c in piece.lower() if c.isalnum())


def pinyin_keys(name):
    """(full pinyin without tones, initials) of a name, both lower case without spaces or punctuation."""
    name = name or ""
    full = "".join(_keep(p) for p in lazy_pinyin(name, style=Style.NORMAL))
    initials = "".join(_keep(p) for p in lazy_pinyin(name, style=Style.FIRST_LETTER))
    return full, initials
