"""The method's codes in words, in zh-CN or English, for what the server writes for people (exports).

The words live where the app's screens take them: the stage names in models/vocab.py (the app gets them
from /api/client-settings), every other code's words in the app's catalogues (pwa/js/i18n/en.js and
zh-CN.js, keys such as `code.org_type.head_office`), which this module reads. One place per word: an
export says what the screen says.
"""

import json
import re
from functools import cache

from flask import request
from flask_jwt_extended import get_current_user

from .models.vocab import STAGE_NAMES
from .pwa import PWA_DIR
from .schemas import LANGUAGES

CATALOGUES = PWA_DIR / "js" / "i18n"
# Where a vocabulary's words are in the catalogue: `code.<vocab>.<code>` unless named here.
KEY_PREFIX = {"category": "category.", "activity_category": "category.", "mark": "score.mark."}
_ENTRY = re.compile(r'"((?:[^"\\]|\\.)*)"\s*:\s*"((?:[^"\\]|\\.)*)"')


@cache
def catalogue(language):
    """{key: text} of the app's catalogue of `language` (zh-CN or en)."""
    text = "".join((CATALOGUES / f"{language}{part}.js").read_text(encoding="utf-8") for part in ("", ".more"))
    return {json.loads(f'"{key}"'): json.loads(f'"{value}"') for key, value in _ENTRY.findall(text)}


def language(asked=None):
    """The language of what the server writes for the caller: `asked` (a `lang` parameter) when given, else the
    request's Accept-Language when it names zh or en, else the logged-in user's own setting, else zh-CN."""
    if asked in LANGUAGES:
        return asked
    header = request.accept_languages if request else None
    if header:
        best = header.best_match(["zh-CN", "zh", "en"])
        if best:
            return "en" if best == "en" else "zh-CN"
    try:
        locale = getattr(get_current_user(), "locale", None)
    except RuntimeError:  # nobody logged in
        locale = None
    return locale if locale in LANGUAGES else "zh-CN"


def word(vocab, code, lang):
    """The words for `code` of `vocab` in `lang`; the code itself when it has none (free text, an old code)."""
    if code is None or code == "":
        return ""
    if vocab == "stage":
        names = STAGE_NAMES.get(code)
        return f"{code} {names[lang]}" if names else code
    return catalogue(lang).get(f"{KEY_PREFIX.get(vocab, f'code.{vocab}.')}{code}", code)


def fold(text):
    """Text as a match ignores it: without spaces, case folded (客户 要求 = 客户要求, Branch = branch)."""
    return "".join(str(text).split()).casefold()


@cache
def _codes(vocab):
    """{folded words in either language, or the code: code} of a vocabulary."""
    found = {}
    if vocab == "stage":
        for code, names in STAGE_NAMES.items():
            found.update({fold(code): code, fold(names["en"]): code, fold(names["zh-CN"]): code})
            found.update({fold(f"{code} {names[lang]}"): code for lang in LANGUAGES})
        return found
    prefix = KEY_PREFIX.get(vocab, f"code.{vocab}.")
    for lang in LANGUAGES:
        for key, text in catalogue(lang).items():
            if key.startswith(prefix):
                code = key[len(prefix) :]
                found.setdefault(fold(text), code)
                found.setdefault(fold(code), code)
    return found


def code_for(vocab, text):
    """The code whose words (in either language) or code `text` is; None when it is neither."""
    return _codes(vocab).get(fold(text))


def read_coded(vocab, text, code):
    """The value a file gives a coded field in its words column (`text`) and its code column (`code`): the
    code, unless the words were changed to say something else (then what they say, as a code if they
    are one's words, else as written)."""
    if code and (not text or code_for(vocab, text) == code or fold(text) == fold(code)):
        return code
    if not text:
        return code
    return code_for(vocab, text) or text
