"""The app's one template tag (pwa/js/ui.js `html`), in Chromium: every value is escaped, templates
nest as they are without any marker, and a template is markup only where it is assigned as HTML."""

import pytest

from tests.pwa.conftest import log_in, phone_context, wait_synced

# Nothing here depends on the date: the module runs at one fixed instant (see `fixed_clock`).
pytestmark = pytest.mark.usefixtures("fixed_clock")


def test_templates_escape_values_and_nest_without_a_marker(browser, live_server):
    context = phone_context(browser, live_server.url)
    try:
        page = context.new_page()
        page.goto("/")
        out = page.evaluate("""async () => {
            const { html } = await import("/js/ui.js");
            const evil = '<img src=x onerror="window.owned=1">';
            const item = (text) => html`<li>${text}</li>`;
            const list = html`<ul>${[item(evil), item("a & b"), "<b>plain</b>"]}</ul>`;
            const box = document.createElement("div");
            const flags = html`${true ? html`checked` : ""} ${false ? html`disabled` : ""}`;
            box.innerHTML = html`<p title="${evil}">${evil}</p>${list}<input ${flags}>`;
            return { value: html`<b>${evil}</b>`.toString(), nested: String(list), text: html`x`.text,
                     items: [...box.querySelectorAll("li")].map((li) => li.textContent),
                     imgs: box.querySelectorAll("img").length,
                     title: box.querySelector("p").title, checked: box.querySelector("input").checked,
                     disabled: box.querySelector("input").disabled, owned: window.owned ?? null };
        }""")
    finally:
        context.close()
    assert out["value"] == "<b>&lt;img src=x onerror=&quot;window.owned=1&quot;&gt;</b>"
    assert out["nested"] == (
        "<ul><li>&lt;img src=x onerror=&quot;window.owned=1&quot;&gt;</li><li>a &amp; b</li>"
        "&lt;b&gt;plain&lt;/b&gt;</ul>"
    )
    assert out["items"] == ['<img src=x onerror="window.owned=1">', "a & b"]
    assert out["imgs"] == 0 and out["owned"] is None and out["title"] == '<img src=x onerror="window.owned=1">'
    assert out["checked"] is True and out["disabled"] is False
    assert out["text"] is None  # the markup is not readable as a property: views nest templates instead


def test_a_fault_is_labelled_by_what_failed(browser, live_server):
    """The banner says which part failed: this screen's code (saved records are safe), the server (its
    words, in the phone's language), or the phone's storage (nothing was sent)."""
    context = phone_context(browser, live_server.url)
    try:
        page = context.new_page()
        log_in(page, "rep1")
        wait_synced(page)
        banner = page.locator(".banner.error")

        def fault(script, words):
            page.evaluate(script)
            page.wait_for_function(
                "(words) => document.querySelector('.banner.error')?.textContent.includes(words)", arg=words
            )
            return banner.inner_text()

        text = fault("() => { Promise.reject(new TypeError('stops is undefined')); }", "stops is undefined")
        assert "This screen ran into a fault: stops is undefined" in text and "Nothing was sent" not in text
        text = fault(
            """async () => { const { ApiError } = await import("/js/api.js");
            Promise.reject(new ApiError(409, { error: { code: "version_conflict", message: "stale" } })); }""",
            "Someone else",
        )
        assert "Someone else changed this meanwhile" in text and "fault" not in text
        text = fault(
            "() => { Promise.reject(new DOMException('The quota has been exceeded.', 'QuotaExceededError')); }", "quota"
        )
        assert "Could not save on this phone: The quota has been exceeded." in text
    finally:
        context.close()
