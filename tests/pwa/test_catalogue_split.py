"""The catalogue's two parts per language (pwa/js/i18n/): the first (en.js, zh-CN.js), which loads before any
screen draws, holds every word the shell, the login and Today can show; the rest (en.more.js, zh-CN.more.js)
loads after. A word a first-screen module names and only the rest holds would show as its key on a rep's
first screen: these tests name each such word."""

import json
import re

import pytest
from playwright.sync_api import expect

from server import words
from server.pwa import PWA_DIR
from tests.pwa.conftest import log_in, phone_context, wait_synced

pytestmark = pytest.mark.usefixtures("fixed_clock")

JS = PWA_DIR / "js"
LANGUAGES = ("en", "zh-CN")
# The screens drawn before the rest of the catalogue has loaded (js/app.js's FIRST_SCREENS).
FIRST_SCREENS = ("views/login.js", "views/today.js")
_ENTRY = re.compile(r'"((?:[^"\\]|\\.)*)"\s*:\s*"((?:[^"\\]|\\.)*)"')
_IMPORT = re.compile(r"""(?:\bfrom\s*|\bimport\s*\(\s*)["'](\.{1,2}/[^"']+\.js)["']""")
# Words reached only through has() with a fallback of their own (a field's name, the server's message): shown
# as the fallback until the rest has come, so they need not be in the first part.
_WITH_FALLBACK = re.compile(r"has\(`(msg|field)\.\$\{[^}]*\}`\)\s*\?\s*t\(`\1\.\$\{")


def part(path):
    text = path.read_text(encoding="utf-8")
    return {json.loads(f'"{key}"'): json.loads(f'"{value}"') for key, value in _ENTRY.findall(text)}


def first_modules():
    """js/app.js and every module it imports, statically or dynamically, but the other screens' (views/*
    other than the login and Today): what runs before the rest of the catalogue has loaded."""
    seen, todo = set(), ["app.js", *FIRST_SCREENS]
    while todo:
        name = todo.pop()
        if name in seen or not (JS / name).is_file():
            continue
        seen.add(name)
        folder = (JS / name).parent
        for target in _IMPORT.findall((JS / name).read_text(encoding="utf-8")):
            path = (folder / target).resolve()
            if not path.is_relative_to(JS.resolve()):  # a vendored library: no words of the app's
                continue
            resolved = path.relative_to(JS.resolve()).as_posix()
            if resolved.startswith("i18n/") or (resolved.startswith("views/") and resolved not in FIRST_SCREENS):
                continue
            todo.append(resolved)
    return sorted(seen)


def first_words(keys):
    """The keys the first-screen modules and the shell can name: each string equal to a key, and every key
    that starts as a template (`reason.${code}`) or a concatenation ("error.code." + code) does."""
    sources = [(JS / name).read_text(encoding="utf-8") for name in first_modules()]
    sources.append((PWA_DIR / "index.html").read_text(encoding="utf-8"))
    named = set()
    for source in sources:
        source = _WITH_FALLBACK.sub("", source)
        named |= {k for k in re.findall(r"""["'`]([a-z_][\w.-]*)["'`]""", source, re.IGNORECASE) if k in keys}
        prefixes = re.findall(r"`([a-z_][\w.-]*)\$\{", source, re.IGNORECASE)
        prefixes += re.findall(r"""["'`]([a-z_][\w.-]*\.)["'`]\s*\+""", source, re.IGNORECASE)
        named |= {k for k in keys for p in prefixes if k.startswith(p)}
    return named


def test_the_first_part_holds_every_word_the_first_screens_can_show():
    modules = first_modules()
    assert {"app.js", "sync.js", "ui.js", "photos.js", "map.js", "views/today.js"} <= set(modules), modules
    assert "views/accounts.js" not in modules
    for language in LANGUAGES:
        first = part(JS / "i18n" / f"{language}.js")
        rest = part(JS / "i18n" / f"{language}.more.js")
        missing = sorted(first_words(set(first) | set(rest)) - set(first))
        assert not missing, f"{language}: move these from {language}.more.js to {language}.js: {missing}"
        assert not set(first) & set(rest), sorted(set(first) & set(rest))


def test_the_parts_split_alike_in_every_language():
    firsts = [set(part(JS / "i18n" / f"{language}.js")) for language in LANGUAGES]
    rests = [set(part(JS / "i18n" / f"{language}.more.js")) for language in LANGUAGES]
    assert firsts[0] == firsts[1], sorted(firsts[0] ^ firsts[1])
    assert rests[0] == rests[1], sorted(rests[0] ^ rests[1])
    # The first part is the smaller by far: the point of the split.
    assert len(firsts[0]) * 3 < len(rests[0]), (len(firsts[0]), len(rests[0]))


def test_the_server_reads_both_parts():
    for language in LANGUAGES:
        whole = words.catalogue(language)
        assert whole == part(JS / "i18n" / f"{language}.js") | part(JS / "i18n" / f"{language}.more.js")
        assert "login.title" in whole and "code.org_type.head_office" in whole


def _catalogue_paths(page, live_server):
    paths = []
    page.on("request", lambda r: paths.append(r.url.split(live_server.url)[-1].split("?v=")[0]))
    return paths


def _catalogues(paths):
    return [p for p in paths if p.startswith("/js/i18n/")]


def test_a_chinese_rep_loads_only_chinese_words_the_rest_after_today(browser, live_server):
    """A zh-CN phone that never switches fetches neither English part; Today draws in Chinese from the first
    part, the rest follows once it has drawn, and another screen shows its own words, never a key."""
    context = phone_context(browser, live_server.url, locale="zh-CN")
    try:
        page = context.new_page()
        paths = _catalogue_paths(page, live_server)
        log_in(page, "rep1")
        assert _catalogues(paths)[0] == "/js/i18n/zh-CN.js", paths
        expect(page.get_by_role("link", name="今天", exact=True)).to_be_visible()
        wait_synced(page)
        # The rest comes in idle time after Today has drawn, unasked.
        for _ in range(100):
            if "/js/i18n/zh-CN.more.js" in paths:
                break
            page.wait_for_timeout(100)
        assert "/js/i18n/zh-CN.more.js" in paths, paths
        page.get_by_role("link", name="客户", exact=True).click()
        page.wait_for_selector("#account-list a.item")
        text = page.locator("main").inner_text()
        assert "accounts." not in text and "客户" in text, text
        assert set(_catalogues(paths)) == {"/js/i18n/zh-CN.js", "/js/i18n/zh-CN.more.js"}, paths
    finally:
        context.close()


def test_an_english_phone_speaks_english_and_a_switch_loads_the_whole_other_catalogue(context, page, live_server):
    paths = _catalogue_paths(page, live_server)
    log_in(page, "rep1")
    page.wait_for_selector("#route, #plan-today, #day-over")
    expect(page.get_by_role("link", name="Accounts", exact=True)).to_be_visible()
    assert "Today" in page.locator("main h1").inner_text()
    assert "/js/i18n/zh-CN.js" not in paths and "/js/i18n/zh-CN.more.js" not in paths, paths
    page.get_by_role("button", name="Switch language to Chinese").click()
    expect(page.get_by_role("link", name="客户", exact=True)).to_be_visible()
    assert {"/js/i18n/zh-CN.js", "/js/i18n/zh-CN.more.js"} <= set(paths), paths
    # Words of the rest in the language switched to, at once: the Accounts screen in Chinese.
    page.get_by_role("link", name="客户", exact=True).click()
    page.wait_for_selector("#account-list a.item")
    assert "accounts." not in page.locator("main").inner_text()
    assert page.evaluate("import('/js/i18n.js').then((m) => m.missingKeys())") == []


def test_a_screen_opened_before_the_rest_has_come_waits_for_its_words(context, page, live_server):
    """The rest of the catalogue held back (as on a slow line): a screen other than Today opened meanwhile
    draws only once its words have come, in words, not keys."""
    held = []
    context.route("**/js/i18n/en.more.js*", lambda route: held.append(route))
    log_in(page, "rep1")
    page.wait_for_selector("#route, #plan-today, #day-over")
    page.evaluate("location.hash = '#/accounts'")
    for _ in range(100):  # asked for (in idle time after Today, or by the screen), and held
        if held:
            break
        page.wait_for_timeout(100)
    assert held, "the rest was never asked for"
    page.wait_for_timeout(300)
    assert not page.locator("#account-list").count()  # waiting for its words
    for route in held:
        route.continue_()
    context.unroute("**/js/i18n/en.more.js*")
    page.wait_for_selector("#account-list a.item")
    text = page.locator("main").inner_text()
    assert "accounts." not in text and "Accounts" in page.locator("#tabs").inner_text(), text


def _named_anywhere(keys):
    """The keys something names: the app's modules, the shell, or the server (which reads the catalogues for
    its exports): as a string, or as the start (`reason.${code}`, "error.code." + code, f"code.{vocab}.") or the
    end (`${entity}.not_offered`) of a key built from a code."""
    sources = [p for p in JS.rglob("*.js") if "i18n" not in p.relative_to(JS).parts and "vendor" not in p.parts]
    sources += [PWA_DIR / "index.html", *(PWA_DIR.parent / "server").rglob("*.py")]
    text = "\n".join(path.read_text(encoding="utf-8") for path in sources)
    named = {k for k in re.findall(r"""["'`]([a-z_][\w.-]*)["'`]""", text, re.IGNORECASE) if k in keys}
    prefixes = re.findall(r"`([a-z_][\w.-]*)\$\{", text, re.IGNORECASE)
    prefixes += re.findall(r"""["'`]([a-z_][\w.-]*\.)["'`]\s*\+""", text, re.IGNORECASE)
    prefixes += re.findall(r"""f["']([a-z_][\w.-]*)\{""", text, re.IGNORECASE)
    suffixes = re.findall(r"\}(\.[\w.-]+)`", text)
    return named | {k for k in keys if k.startswith(tuple(prefixes)) or k.endswith(tuple(suffixes))}


def test_every_word_in_the_catalogue_is_shown_somewhere():
    keys = set(part(JS / "i18n" / "en.js")) | set(part(JS / "i18n" / "en.more.js"))
    unused = sorted(keys - _named_anywhere(keys))
    assert not unused, f"no module names these words: {unused}"


# Keys of one group that say the same in every language for a reason: each is a code the server sends (a
# field's name, an error's), or the same word in two places on one screen (a heading and its button).
SAME_WORDS_APART = {
    frozenset(pair)
    for pair in (
        ("field.external_key", "field.account_key"),
        ("field.owner", "field.owner_id"),
        ("field.team", "field.team_id"),
        ("error.code.session_ended", "error.code.token_expired"),
        ("error.code.login_required", "error.code.unauthorized"),
        ("msg.not_integer", "msg.whole_number"),
        ("login.submit", "login.title"),
        ("me.button", "me.title"),
        ("admin.must_change", "admin.temporary_password"),
        ("account.add_contact", "account.add_device"),
        ("account.add_contact", "account.add_opportunity"),
        ("account.add_device", "account.add_opportunity"),
    )
}


def test_no_two_words_of_one_group_say_the_same_in_every_language():
    """Two keys of one group (sync.last, sync.synced_at) with the same words in both languages are one word
    kept twice: the next change of wording changes one of them."""
    catalogues = [part(JS / "i18n" / f"{lang}.js") | part(JS / "i18n" / f"{lang}.more.js") for lang in LANGUAGES]
    seen, twice = {}, []
    for key in sorted(catalogues[0]):
        said = (key.rsplit(".", 1)[0], *(c[key].casefold() for c in catalogues))
        if said in seen and frozenset((seen[said], key)) not in SAME_WORDS_APART:
            twice.append((seen[said], key))
        seen.setdefault(said, key)
    assert not twice, twice
