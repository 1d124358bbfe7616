#!/usr/bin/env python3
"""Drives the real Casefile desktop app in a real window over WebDriver.

Starts Xvfb and tauri-driver (which starts WebKitWebDriver and the app), then
walks a user's path: create a vault, import two files (one a photo), fill a
case sheet with a perpetrator, a person and an incident, link evidence, export
a bundle, verify it in the app, lock and unlock, and switch to Arabic. On the
way, every page is checked in each of the five languages: every button, link,
checkbox and field has a non-empty accessible name (as WebKit computes it for
screen readers), and a keyboard-only pass reaches every control in order with
a visible focus ring. Then the lock is pressed during a long import: it must
win within a second, leave nothing on screen, and make every earlier preview
address fail. Saves a screenshot after each step. Standard library only; one
kept-alive connection.

With --dav-url, the walk also adds the organisation's WebDAV server as a
remote in Settings, tests it, and sends the case to it from the export wizard.
With --phase inbox, it opens the vault again, takes in the delivery waiting
on that remote and checks the receipt of the one it sent.

With --phase hostile, it instead opens a vault whose item ids were made
hostile by the harness and checks that an export refuses them by name.
"""
import argparse, base64, http.client, json, os, socket, subprocess, sys, time


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Driver:
    def __init__(self, port):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.session = None

    def req(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if data is not None else {}
        self.conn.request(method, path, body=data, headers=headers)
        resp = self.conn.getresponse()
        payload = json.loads(resp.read() or b"{}")
        if resp.status >= 400:
            raise RuntimeError(f"{method} {path}: {resp.status} {payload}")
        return payload.get("value")

    def s(self, method, path, body=None):
        return self.req(method, f"/session/{self.session}{path}", body)

    def start(self, app, env):
        caps = {"capabilities": {"alwaysMatch": {"browserName": "wry", "tauri:options": {"application": app}}}}
        self.session = self.req("POST", "/session", caps)["sessionId"]

    def find(self, css, timeout=30):
        end = time.time() + timeout
        while True:
            try:
                el = self.s("POST", "/element", {"using": "css selector", "value": css})
                return list(el.values())[0]
            except RuntimeError:
                if time.time() > end:
                    raise RuntimeError(f"element {css!r} did not appear")
                time.sleep(0.2)

    def click(self, css):
        self.s("POST", f"/element/{self.find(css)}/click", {})

    def type(self, css, text):
        el = self.find(css)
        self.s("POST", f"/element/{el}/clear", {})
        self.s("POST", f"/element/{el}/value", {"text": text})

    def js(self, script, *args):
        return self.s("POST", "/execute/sync", {"script": script, "args": list(args)})

    def text(self, css):
        return self.s("GET", f"/element/{self.find(css)}/text")

    def wait(self, script, what, timeout=60, *args):
        end = time.time() + timeout
        while not self.js(script, *args):
            if time.time() > end:
                raise RuntimeError(f"timed out waiting for {what}")
            time.sleep(0.2)

    def shot(self, folder, name):
        # Let the page paint what the last step changed.
        self.js("return new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        time.sleep(0.3)
        png = base64.b64decode(self.s("GET", "/screenshot"))
        with open(os.path.join(folder, f"{name}.png"), "wb") as f:
            f.write(png)

    def select(self, css, value):
        self.js("const s = document.querySelector(arguments[0]); s.value = arguments[1]; s.dispatchEvent(new Event('change'));", css, value)

    def relang(self, lang, ready="true"):
        """Switches the language and waits for the page drawn anew in it."""
        self.js("const m = document.querySelector('main').firstElementChild; if (m) m.dataset.old = '1';")
        self.select("#lang-select", lang)
        self.wait(f"return document.documentElement.lang === '{lang}' && !document.querySelector('main [data-old]') && !document.querySelector('main > p.muted') && ({ready})", f"the page in {lang}")

    def key(self, value):
        self.s("POST", "/actions", {"actions": [{"type": "key", "id": "kb", "actions": [
            {"type": "keyDown", "value": value}, {"type": "keyUp", "value": value}]}]})

    def elements(self, css):
        return [list(e.values())[0] for e in self.s("POST", "/elements", {"using": "css selector", "value": css})]


CONTROLS = ("button, a[href], input:not([type=hidden]), select, textarea, summary, "
            "[role=button], [tabindex]:not([tabindex='-1'])")
LANGS = ["en", "zh", "ar", "es", "ru"]
VISIBLE = ("const r = e.getBoundingClientRect(); const shut = e.closest('details:not([open])'); "
           "return r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== 'hidden' && (!shut || e.matches('summary'))")


def unnamed(d, where):
    """Every visible control's accessible name, as WebKit computes it."""
    problems = []
    for el in d.elements(CONTROLS):
        shown = d.js(f"const e = arguments[0]; {VISIBLE};", {"element-6066-11e4-a52e-4f735466cecf": el})
        if not shown:
            continue
        label = d.s("GET", f"/element/{el}/computedlabel")
        if not (label or "").strip():
            html = d.js("return arguments[0].outerHTML.slice(0, 160)", {"element-6066-11e4-a52e-4f735466cecf": el})
            problems.append(f"{where}: no accessible name: {html}")
    empty = d.js("return [...document.querySelectorAll('[data-i18n]')].filter(e => !e.textContent.trim()).map(e => e.dataset.i18n)")
    problems += [f"{where}: untranslated text {k!r}" for k in empty]
    return problems


def names_in_every_language(d, where, ready):
    """Checks the page in each language; `ready` is JS true once it is drawn."""
    problems, count = [], 0
    for lang in LANGS:
        d.relang(lang, ready)
        time.sleep(0.2)
        problems += unnamed(d, f"{where} [{lang}]")
        count += d.js(f"return [...document.querySelectorAll(arguments[0])].filter(e => {{ {VISIBLE.replace('return ', 'return (')}); }}).length", CONTROLS)
    d.relang("en", ready)
    return problems, count


def keyboard_walk(d, where):
    """Tabs through the page: every visible control is reached, in document
    order, each with a visible focus ring."""
    total = d.js(f"""const all = [...document.querySelectorAll(arguments[0])].filter(e => {{ {VISIBLE.replace('return ', 'return (')}) && !e.disabled; }});
        all.forEach((e, i) => e.dataset.kb = i); document.activeElement.blur(); window.scrollTo(0, 0); return all.length;""", CONTROLS)
    seen, order, unringed = set(), [], []
    for _ in range(total + 40):
        d.key("\ue004")
        info = d.js("""const e = document.activeElement; if (!e || e.dataset.kb === undefined) return null;
            const s = getComputedStyle(e); const ring = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== 'none';
            return [Number(e.dataset.kb), ring, e.outerHTML.slice(0, 100)];""")
        if info is None:
            continue
        i, ring, html = info
        if i in seen:
            break
        seen.add(i)
        order.append(i)
        if not ring:
            unringed.append(html)
    problems = []
    missed = total - len(seen)
    if missed > 0:
        problems.append(f"{where}: {missed} of {total} controls never reached by Tab")
    if order != sorted(order):
        problems.append(f"{where}: Tab order differs from the page's order: {order}")
    problems += [f"{where}: no visible focus ring on {h}" for h in unringed]
    return problems, len(seen)


def lock_during_import(d, a, passphrase):
    """The lock wins over a long import: within a second the window shows
    the unlock page and nothing of the vault, the import is abandoned, and a
    preview address from before the lock no longer shows anything."""
    d.click("nav button[data-page=evidence]")
    d.wait("return document.querySelector('img.thumb') && document.querySelector('img.thumb').complete", "a thumbnail")
    old_url = d.js("return document.querySelector('img.thumb').src")
    loads = "return new Promise(r => { const i = new Image(); i.onload = () => r(true); i.onerror = () => r(false); i.src = arguments[0]; })"
    assert d.js(loads, old_url), "the thumbnail loads while unlocked"
    before = d.js("return document.querySelectorAll('#items tbody tr button.link').length")
    d.click("nav button[data-page=settings]")
    d.type("#import-path", a.big_bag)
    d.click("#import-unsigned")
    d.js("[...document.querySelectorAll('#main button')].find(b => b.dataset.i18n === 'import_bundle').click()")
    d.wait("return !document.querySelector('#progress').hidden", "the import running")
    time.sleep(1.0)
    d.shot(a.shots, "11-importing")
    start = time.time()
    d.s("POST", "/actions", {"actions": [{"type": "key", "id": "kb", "actions": [
        {"type": "keyDown", "value": "\ue009"}, {"type": "keyDown", "value": "l"},
        {"type": "keyUp", "value": "l"}, {"type": "keyUp", "value": "\ue009"}]}]})
    d.wait("return document.querySelector('#unlock-pass') !== null", "the unlock page", timeout=10)
    took = time.time() - start
    shown = d.js("return document.querySelector('main').textContent")
    assert "facility" not in shown and not d.js("return document.querySelector('main img, main audio, main video')"), shown
    assert not d.js(loads, old_url), "a preview address from before the lock still shows"
    d.shot(a.shots, "12-locked-during-import")
    print(f"lock during a long import: the unlock page after {took:.2f} s")
    assert took < 1.0, f"the lock took {took:.2f} s"
    # Unlocked again: the import was abandoned, the old address stays dead.
    d.type("#unlock-pass", passphrase)
    d.click("#unlock-btn")
    d.wait("return !document.querySelector('#nav').hidden && document.querySelectorAll('#items tbody tr button.link').length > 0", "unlocked again")
    after = d.js("return document.querySelectorAll('#items tbody tr button.link').length")
    assert after == before, f"the interrupted import left {after - before} items"
    assert not d.js(loads, old_url), "the old preview address works again after unlocking"


def add_remote(d, a):
    """Settings: the organisation's WebDAV server as a remote, tested."""
    d.click("nav button[data-page=settings]")
    d.find("#remote-name")
    d.type("#remote-name", "office")
    d.type("#remote-url", a.dav_url)
    d.type("#remote-user", a.dav_user)
    d.type("#remote-secret", a.dav_pass)
    d.click("#add-remote")
    d.wait("return document.querySelector('#remotes').textContent.includes('office')", "remote added")
    assert d.js("return document.querySelector('#remote-secret').value") == "", "the secret stays in the form"
    d.js("[...document.querySelectorAll('#remotes button')].find(b => b.textContent.includes('Test')).click()")
    d.wait("return document.querySelector('#remote-result').textContent.includes('works')", "remote tested")
    assert a.dav_pass not in d.js("return document.body.innerText"), "the secret is shown"
    d.shot(a.shots, "04-remote")


def send_case(d, a):
    """The export wizard sends the case to the remote, encrypted to a partner."""
    d.click("nav button[data-page=export]")
    d.find("#export-dest")
    d.select("#export-dest", "office")
    assert d.js("return document.querySelector('#export-out').closest('.field').hidden"), "no file destination for a remote"
    assert d.text("#export-go") == "Send sealed bundle", d.text("#export-go")
    d.click("#export-go")
    d.wait("return !document.querySelector('#toast').hidden", "recipients asked for")
    assert "recipient" in d.text("#toast"), d.text("#toast")
    d.type("#export-recipients", a.send_to)
    d.click("#export-go")
    delivery = d.text("#send-delivery")
    assert len(delivery) == 32, delivery
    assert "delivered to office" in d.text("#send-summary"), d.text("#send-summary")
    assert len(d.text("#export-sha256")) == 64
    d.shot(a.shots, "04-sent")
    with open(a.sent_record, "w") as f:
        f.write(delivery)


def inbox_phase(d, a, passphrase, check_page):
    """Inbox: one delivery waits from a pinned partner; taken in, it imports
    and gets a receipt; the desktop's own delivery shows the partner's
    receipt as proof."""
    d.type("#unlock-pass", passphrase)
    d.click("#unlock-btn")
    d.wait("return !document.querySelector('#nav').hidden", "unlocked")
    before = d.js("return document.querySelectorAll('#items tbody tr button.link').length")
    d.click("nav button[data-page=inbox]")
    d.find("#inbox-look")
    check_page("inbox", "document.querySelector('#inbox-look')")
    # A value from a server is never read as a pattern or a placeholder (it
    # once could rewrite the message around it).
    spoof = d.js("return import('./js/i18n.js').then(m => m.t('inbox_refused', { d: 'X{why}', why: '$& $` {d}' }))")
    assert spoof == "Delivery X{why} is refused and left in place: $& $` {d}", spoof
    d.click("#inbox-look")
    d.wait("return document.querySelector('#inbox-count')", "the inbox listed")
    assert d.text("#inbox-count") == "1 deliveries waiting.", d.text("#inbox-count")
    # A wrong identity file first: its error must not stand beside the
    # success that follows (it once did, for six seconds).
    d.type("#inbox-identity", a.identity + ".missing")
    d.click("#inbox-import")
    d.wait("return !document.querySelector('#toast').hidden", "the wrong identity refused")
    d.type("#inbox-identity", a.identity)
    d.click("#inbox-import")
    d.wait("return document.querySelector('#inbox-taken li')", "the delivery taken in", timeout=120)
    said = d.text("#inbox-taken")
    assert 'imported, sealed by known sender "partner"; receipt written' in said, said
    assert d.js("return document.querySelector('#toast').hidden"), "an earlier error still shown: " + d.text("#toast")
    d.wait("return document.querySelector('#inbox-count') && document.querySelector('#inbox-count').textContent === 'Nothing waiting.'", "nothing left waiting")
    d.shot(a.shots, "14-inbox")
    d.click("#outbox-look")
    d.wait("return document.querySelector('#outbox li')", "the outbox listed")
    sent = d.text("#outbox")
    assert "received and verified by partner" in sent, sent
    d.shot(a.shots, "15-outbox")
    # A send killed after its first parts waits; resumed, it completes with
    # only the missing parts sent.
    d.wait("return document.querySelectorAll('#interrupted button.resume').length === 1", "the interrupted send listed")
    d.js("document.querySelector('#interrupted-h').scrollIntoView()")
    d.shot(a.shots, "16-interrupted-send")
    d.click("#interrupted button.resume")
    d.wait("return document.querySelector('#interrupted-result').textContent.includes('completed')", "the send resumed", timeout=180)
    said = d.text("#interrupted-result")
    assert "parts were already there" in said and " 0 parts were" not in said, said
    d.wait("return document.querySelectorAll('#interrupted button.resume').length === 0", "nothing left interrupted")
    d.js("document.querySelector('#interrupted-h').scrollIntoView()")
    d.shot(a.shots, "17-send-resumed")
    d.click("nav button[data-page=evidence]")
    d.wait("return document.querySelectorAll('#items tbody tr button.link').length > arguments[0]", "the partner's items listed", 30, before)
    print("inbox: one delivery taken in from a pinned partner; the sent one has the partner's receipt; an interrupted send resumed")


def hostile_phase(d, a, passphrase):
    """An item whose id is `q"],input:not([value="q` (as an earlier release
    could receive) once kept an unredacted original ticked when "send
    redacted copies" was ticked: now the export refuses the id by name and
    writes nothing."""
    d.type("#unlock-pass", passphrase)
    d.click("#unlock-btn")
    d.wait("return !document.querySelector('#nav').hidden", "unlocked")
    d.click("nav button[data-page=export]")
    d.find("#export-out")
    d.type("#export-out", a.bundle)
    d.click("#export-redacted")
    d.js("document.querySelector('#export-form button[type=submit]').click()")
    d.wait("return !document.querySelector('#toast').hidden", "the export's answer")
    said = d.text("#toast")
    assert "is not an item or case id" in said, said
    assert not os.path.exists(a.bundle), "a bundle was written"
    d.shot(a.shots, "13-hostile-id-refused")
    print("hostile id: the export was refused by name, nothing written")


# Times a navigation inside the page: from the click to the first time `ready`
# holds, watched on every change of the document (ms, as the page saw it).
OPEN_TIMED = """
const [button, ready] = arguments;
return new Promise((done) => {
  const t0 = performance.now();
  const check = () => { if (document.querySelector(ready)) { obs.disconnect(); done(performance.now() - t0); } };
  const obs = new MutationObserver(check);
  obs.observe(document.body, { childList: true, subtree: true });
  document.querySelector(button).click();
});
"""

# Scrolls the pane as a person does, after 30 still frames: 60 frames of a third of a screen each
# (the wheel), then 60 frames that drag the scroll bar down the whole list
# and 60 back up; returns each frame's time and the most rows that were ever
# in the page at once.
SCROLL_TIMED = """
const pane = document.querySelector('#items-pane');
return new Promise((done) => {
  const frames = []; let most = 0; let last = performance.now(); let n = 0;
  const drag = pane.scrollHeight / 60;
  const step = () => {
    const now = performance.now(); frames.push(now - last); last = now;
    most = Math.max(most, document.querySelectorAll('#items tr.item-row').length);
    // 30 frames of nothing first: what a frame costs here anyway.
    if (n < 30) {}
    else if (n < 90) pane.scrollTop += pane.clientHeight / 3;
    else if (n < 150) pane.scrollTop += drag;
    else if (n < 210) pane.scrollTop -= drag;
    else { done({ frames, most }); return; }
    n += 1;
    requestAnimationFrame(step);
  };
  requestAnimationFrame(step);
});
"""

# Types `word` into the search box a letter at a time, as a person does, and
# times from the last letter to the list showing the one item it names.
SEARCH_TIMED = """
const [word, id] = arguments;
const box = document.querySelector('#search');
return new Promise((done) => {
  box.focus(); box.value = '';
  let t0 = 0;
  const obs = new MutationObserver(() => {
    const rows = document.querySelectorAll('#items tr.item-row');
    if (t0 && rows.length === 1 && rows[0].dataset.id === id) { obs.disconnect(); done(performance.now() - t0); }
  });
  obs.observe(document.querySelector('#items tbody'), { childList: true });
  for (const ch of word) { box.value += ch; t0 = performance.now(); box.dispatchEvent(new Event('input')); }
});
"""


def median(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2]


def scale_phase(d, a, passphrase):
    """A vault of `--items` items and `--cases` cases: the evidence list,
    the case list and the export wizard open, the list scrolls and search
    answers while typing. Prints the times; asserts what is drawn."""
    d.type("#unlock-pass", passphrase)
    d.click("#unlock-btn")
    d.wait("return !document.querySelector('#nav').hidden", "unlocked", timeout=120)
    d.wait("return document.querySelector('#items tr.item-row')", "the evidence list after unlocking", timeout=120)
    d.click("nav button[data-page=settings]")
    d.find("#idle-minutes")
    opened = [d.js(OPEN_TIMED, "nav button[data-page=" + page + "]", ready)
              for page, ready in [("evidence", "#items tr.item-row"), ("cases", "#case-list li"),
                                  ("evidence", "#items tr.item-row")]]
    drawn = d.js("return document.querySelectorAll('#items tr.item-row').length")
    assert 0 < drawn <= 120, f"{drawn} rows drawn of {a.items}: the list is not windowed"
    assert d.js("return document.querySelector('#items').getAttribute('aria-rowcount')") == str(a.items + 1)
    said = d.text("#items-count")
    assert f"{a.items}" in said.replace(",", ""), said
    d.shot(a.shots, "20-ten-thousand-items")
    scrolled = d.js(SCROLL_TIMED)
    assert scrolled["most"] <= 120, f"{scrolled['most']} rows drawn at once while scrolling"
    # At the end of the list the last row is drawn, with its place in the whole.
    d.js("const p = document.querySelector('#items-pane'); p.scrollTop = p.scrollHeight;")
    try:
        d.wait(f"return [...document.querySelectorAll('#items tr.item-row')].some((r) => r.getAttribute('aria-rowindex') === '{a.items + 1}')",
               "the last row drawn at the end of the list", timeout=10)
    except RuntimeError:
        state = d.js("const p = document.querySelector('#items-pane'); const r = [...document.querySelectorAll('#items tr.item-row')]; "
                     "return { top: p.scrollTop, height: p.scrollHeight, view: p.clientHeight, rows: r.length, "
                     "first: r[0]?.getAttribute('aria-rowindex'), last: r.at(-1)?.getAttribute('aria-rowindex'), rowH: r[0]?.getBoundingClientRect().height, "
                     "spacers: [...document.querySelectorAll('#items tr.spacer')].map((x) => x.getBoundingClientRect().height) }")
        raise RuntimeError(f"the last row is not drawn at the end of the list: {state}")
    d.shot(a.shots, "21-end-of-the-list")
    # The keyboard keeps its place: a focused row survives the redraw a scroll makes.
    d.js("[...document.querySelectorAll('#items tr.item-row')].at(-1).querySelector('button').focus()")
    focused = d.js("return document.activeElement.closest('tr').dataset.id")
    d.js("const p = document.querySelector('#items-pane'); p.scrollTop -= 200;")
    d.js("return new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    assert d.js("return document.activeElement.closest('tr')?.dataset.id") == focused, "focus lost in a redraw"
    # The item the search must come down to, asked of the command the page uses.
    # Item n is statement-n.txt, n as wide as the largest.
    word = str(7777).zfill(len(str(a.items - 1)))
    target = d.js("return window.__TAURI_INTERNALS__.invoke('search', { query: arguments[0] }).then((f) => f.hits.filter((x) => x.kind === 'item').map((x) => x.id))", word)
    assert len(target) == 1, target
    searched = d.js(SEARCH_TIMED, word, target[0])
    assert d.js("return document.querySelectorAll('#items tr.item-row').length") == 1
    d.shot(a.shots, "22-search-while-typing")
    # A word every item holds: the list shows the best matches the search
    # returns and says more matched, instead of "5000 of 10000 items".
    d.js("const q = document.querySelector('#search'); q.value = 'statement'; q.dispatchEvent(new Event('input'));")
    d.wait(f"return document.querySelector('#items-count').textContent.replace(/,/g, '').startsWith('The best 5000 matches of {a.items} items')", "the count says more matched")
    # The case list, filtered as it is typed into.
    d.click("nav button[data-page=cases]")
    d.type("#case-filter", "case 042")
    d.wait("return document.querySelectorAll('#case-list li:not([hidden])').length === 1", "one case left by the filter")
    assert "Case 042" in d.text("#case-list li:not([hidden])")
    assert f"{a.cases}" in d.text("#case-count")
    export = d.js(OPEN_TIMED, "nav button[data-page=export]", "#export-form")
    cases = d.js("return document.querySelectorAll('#export-form select')[0].options.length")
    assert cases == a.cases, f"{cases} cases offered of {a.cases}"
    # The case with many items: all offered, filtered, cleared and ticked by what is shown.
    first = d.js("const s = document.querySelector('#export-form select'); return [...s.options].find((o) => o.text.startsWith('Case 000')).value")
    # Choosing the case already shown would fill the list again under the
    # script's feet: choose it only when another is shown.
    if d.js("return document.querySelector('#export-form select').value") != first:
        d.select("#export-form select", first)
    d.wait(f"return document.querySelectorAll('#export-items input[type=checkbox]').length === {a.linked}", "the linked items offered")
    d.type("#export-filter", "statement-00")
    d.wait("return [...document.querySelectorAll('#export-items label.check')].filter((l) => !l.hidden).length === 100", "100 items left by the filter")
    d.click("#export-clear-shown")
    assert d.text("#export-chosen").startswith(f"{a.linked - 100} of {a.linked}"), d.text("#export-chosen")
    d.click("#export-select-shown")
    assert d.text("#export-chosen").startswith(f"{a.linked} of {a.linked}"), d.text("#export-chosen")
    d.shot(a.shots, "23-export-filtered")
    still, wheel, dragged = scrolled["frames"][2:31], scrolled["frames"][31:91], scrolled["frames"][91:]
    print(f"scale: {a.items} items, {a.cases} cases; evidence list opened in {opened[0]:.0f} ms "
          f"(again {opened[2]:.0f} ms), {drawn} rows drawn; case list {opened[1]:.0f} ms; "
          f"frames (median, slowest): still {median(still):.0f}, {max(still):.0f} ms; wheel {median(wheel):.0f}, {max(wheel):.0f} ms; "
          f"scroll bar dragged {median(dragged):.0f}, {max(dragged):.0f} ms; "
          f"search answered {searched:.0f} ms after the last letter; export wizard {export:.0f} ms")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--app", required=True)
    ap.add_argument("--vault", required=True)
    ap.add_argument("--files", nargs=2)
    ap.add_argument("--bundle", required=True)
    ap.add_argument("--shots", required=True)
    ap.add_argument("--home", required=True, help="folder for the app's cache, data, config and temp files")
    ap.add_argument("--big-bag", help="a large plain BagIt bag, imported while the lock is pressed")
    ap.add_argument("--tsa-url", help="an RFC 3161 authority on 127.0.0.1, pinned in Settings")
    ap.add_argument("--tsa-ca", help="its CA certificate")
    ap.add_argument("--dav-url", help="the organisation's WebDAV server on 127.0.0.1, added as a remote")
    ap.add_argument("--dav-user")
    ap.add_argument("--dav-pass")
    ap.add_argument("--send-to", help="the age recipient the walk sends the case to")
    ap.add_argument("--sent-record", help="where the walk writes the delivery it sent")
    ap.add_argument("--identity", help="the age identity the inbox phase takes deliveries in with")
    ap.add_argument("--items", type=int, help="how many items the scale phase's vault holds")
    ap.add_argument("--cases", type=int, help="how many cases the scale phase's vault holds")
    ap.add_argument("--linked", type=int, help="how many items the scale phase's first case links")
    ap.add_argument("--phase", default="walk", choices=["walk", "inbox", "hostile", "scale"])
    a = ap.parse_args()
    os.makedirs(a.shots, exist_ok=True)
    display = f":{free_port() % 400 + 100}"
    xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", "1280x900x24", "-nolisten", "tcp"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    dirs = {k: os.path.join(a.home, k.lower()) for k in ("XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "TMPDIR")}
    for path in dirs.values():
        os.makedirs(path, exist_ok=True)
    env = dict(os.environ, DISPLAY=display, CASEFILE_VAULT=a.vault, **dirs)
    port, native = free_port(), free_port()
    log = open(os.path.join(a.shots, "tauri-driver.log"), "w")
    driver_proc = subprocess.Popen(["tauri-driver", "--port", str(port), "--native-port", str(native)], env=env, stdout=log, stderr=log)
    d = Driver(port)
    try:
        end = time.time() + 60
        while True:
            try:
                if d.req("GET", "/status").get("ready", True):
                    break
            except (OSError, RuntimeError, http.client.HTTPException):
                d.conn.close()
            if time.time() > end:
                raise RuntimeError("tauri-driver did not start")
            time.sleep(0.3)
        d.start(a.app, env)
        passphrase = "e2e passphrase for the desktop"
        if a.phase == "hostile":
            return hostile_phase(d, a, passphrase)
        if a.phase == "scale":
            return scale_phase(d, a, passphrase)
        problems, named, walked = [], 0, 0

        def check_page(where, ready, walk=True):
            nonlocal named, walked
            p, n = names_in_every_language(d, where, ready)
            problems.extend(p)
            named += n
            if walk:
                p, n = keyboard_walk(d, where)
                problems.extend(p)
                walked += n

        if a.phase == "inbox":
            inbox_phase(d, a, passphrase, check_page)
            for p in problems:
                print("ACCESSIBILITY:", p, file=sys.stderr)
            assert not problems, f"{len(problems)} accessibility problems (listed above)"
            return

        # The first screen, in every language, before anything is made.
        d.find("#create-pass")
        check_page("create a vault", "document.querySelector('#create-pass')")
        # The strength meter speaks while typing.
        d.type("#create-pass", "password")
        d.wait("return document.querySelector('#strength-text').className === 'warn'", "a weak passphrase is called weak")

        # Create the vault in Chinese; the recovery code card is shown once, in
        # that language, and must be confirmed.
        d.relang("zh", "document.querySelector('#create-pass')")
        d.type("#create-pass", passphrase)
        d.type("#create-pass2", passphrase)
        d.type("#create-collector", "E2E Collector")
        d.click("#create-btn")
        code = d.text("#recovery-code")
        assert len(code) == 39 and code.count("-") == 7, code
        # One group of the code, picked at random, must be typed back before
        # the card goes on: the number is in the label, in the page's language.
        group = d.js("return JSON.parse(document.querySelector('label[for=recovery-group]').dataset.i18nVars).group")
        assert 1 <= group <= 8, group
        assert f"第 {group} 组" in d.text("label[for=recovery-group]"), d.text("label[for=recovery-group]")
        assert len(d.text("#device-fingerprint")) == 64
        problems.extend(unnamed(d, "recovery code [zh]"))
        heading = d.text("#recovery-title")
        assert heading.strip() and "恢复" in heading, heading
        p, n = keyboard_walk(d, "recovery code")
        problems.extend(p)
        d.shot(a.shots, "01-recovery-code-zh")
        # Changing the language on this card must not lose the code shown once.
        d.select("#lang-select", "en")
        d.wait("return document.documentElement.lang === 'en' && document.querySelector('#recovery-title').textContent === 'Your recovery code'",
               "the recovery card in English")
        assert d.text("#recovery-code") == code, "the recovery code was lost when the language changed"
        assert d.text("#vault-status") != "Locked", d.text("#vault-status")
        problems.extend(unnamed(d, "recovery code [en]"))
        assert f"type group {group} of" in d.text("label[for=recovery-group]").lower(), d.text("label[for=recovery-group]")
        # A wrong group (another group of the same code) is refused with one
        # sentence naming the group asked for, and the code stays shown.
        wrong = code.split("-")[group % 8]
        d.type("#recovery-group", wrong)
        d.click("#recovery-continue")
        d.wait("return document.querySelector('#recovery-group-error').textContent !== ''", "the wrong group refused")
        assert f"not group {group}" in d.text("#recovery-group-error"), d.text("#recovery-group-error")
        assert d.text("#recovery-code") == code, "the code must stay until a group is typed back right"
        d.js("document.querySelector('#recovery-group').focus()")
        d.shot(a.shots, "01-recovery-code")
        d.select("#lang-select", "zh")
        d.wait("return document.documentElement.lang === 'zh' && document.querySelector('#recovery-code').textContent !== ''", "the card in Chinese again")
        # The refusal followed the language too.
        assert f"第 {group} 组" in d.text("#recovery-group-error"), d.text("#recovery-group-error")
        # Typed as a person would: lower case, O for zero, spaces around.
        right = code.split("-")[group - 1].lower().replace("0", "o")
        d.type("#recovery-group", f" {right} ")
        d.click("#recovery-continue")
        d.relang("en", "document.querySelector('#add-path')")

        # Import two files by path (the keyboard route beside drag and drop and the picker).
        d.find("#add-path")
        d.type("#add-path", ";".join(a.files))
        d.type("#add-source", "field visit")
        d.click("#add-path-btn")
        d.wait("return document.querySelectorAll('#items tbody tr button.link').length === 2", "two items listed")
        kinds = d.js("return [...document.querySelectorAll('#items tbody tr td:nth-child(2)')].map(td => td.textContent)")
        assert "Photo" in kinds, kinds
        d.shot(a.shots, "02-evidence")
        check_page("evidence", "document.querySelectorAll('#items tbody tr button.link').length === 2")

        # A case with a perpetrator, a consenting victim, an incident, and linked evidence.
        d.click("nav button[data-page=cases]")
        d.type("#case-title", "Detention of a lawyer (e2e)")
        d.js("document.querySelector('#new-case input[value=\"uk-global-human-rights\"]').click()")
        d.js("document.querySelector('#new-case button[type=submit]').click()")
        d.find("#perp-form")
        d.type("#perp-name", "Олег Петренко")
        d.type("#perp-translit", "Oleh Petrenko")
        d.type("#perp-position", "Chief investigator")
        d.js("document.querySelector('#perp-form button[type=submit]').click()")
        d.wait("return document.body.textContent.includes('Oleh Petrenko')", "perpetrator saved")
        d.type("#person-pseudonym", "L-1")
        d.js("document.querySelector('#person-consent').click(); document.querySelector('#person-form input[value=submission]').click(); document.querySelector('#person-form input[value=\"uk-global-human-rights\"]').click()")
        d.js("document.querySelector('#person-form button[type=submit]').click()")
        d.wait("return document.body.textContent.includes('L-1')", "person saved")
        d.type("#incident-start", "2024-05-02")
        d.type("#incident-place", "Kyiv district court")
        d.type("#incident-narrative", "Arrested at the courthouse door.")
        d.wait("return document.querySelector('#incident-form select option[value=P1]') !== null", "perpetrator in the incident form")
        d.js("const s = document.querySelectorAll('#incident-form select')[1]; s.value = 'P1'; s.dispatchEvent(new Event('change'));")
        d.js("document.querySelector('#incident-form button[type=submit]').click()")
        d.wait("return document.querySelector('#link-form select option[value=I1]') !== null", "incident saved")
        for index in range(2):
            d.js("const f = document.querySelector('#link-form'); const s = f.querySelectorAll('select'); s[0].selectedIndex = arguments[0]; s[1].value = 'I1'; f.querySelector('button[type=submit]').click();", index)
            d.wait("return document.querySelectorAll('#link-form').length === 1 && document.querySelectorAll('.entries')[3].children.length === arguments[0]", "link saved", 30, index + 1)
        d.wait("return document.querySelectorAll('#matrix tbody tr').length >= 2", "corroboration matrix")
        d.shot(a.shots, "03-case-sheet")
        check_page("case sheet", "document.querySelector('#perp-form') && document.querySelectorAll('#matrix tbody tr').length >= 2")
        d.click("nav button[data-page=cases]")
        check_page("cases", "document.querySelector('#case-list button.link')", walk=False)

        # Pin a time-stamping authority in Settings and stamp the log.
        if a.tsa_url:
            d.click("nav button[data-page=settings]")
            d.find("#authority-name")
            d.type("#authority-name", "e2e")
            d.type("#authority-url", a.tsa_url)
            d.type("#authority-ca", a.tsa_ca)
            d.click("#add-authority")
            d.wait("return document.querySelector('#authorities').textContent.includes('Test TSA CA e2e')", "authority pinned")
            d.click("#timestamp-now")
            d.wait("return document.querySelector('#stamp-result').textContent.includes('existed no later than')", "log time-stamped")
            d.shot(a.shots, "04-authorities")
        if a.dav_url:
            add_remote(d, a)

        # Export the bundle; the wizard shows its hash and where VERIFY.txt is.
        d.click("nav button[data-page=export]")
        d.find("#export-out")
        check_page("export", "document.querySelector('#export-out')")
        d.type("#export-out", a.bundle)
        d.js("document.querySelector('#export-form button[type=submit]').click()")
        sha = d.text("#export-sha256")
        assert len(sha) == 64, sha
        assert "VERIFY.txt" in d.text("#export-result")
        if a.tsa_url:
            assert "Seal time-stamped by e2e" in d.text("#export-result"), d.text("#export-result")
        d.shot(a.shots, "04-export")
        if a.dav_url:
            send_case(d, a)

        # Verify it in the app: every check passes.
        d.click("nav button[data-page=verify]")
        d.find("#verify-path")
        check_page("verify", "document.querySelector('#verify-path')")
        d.type("#verify-path", a.bundle)
        d.js("document.querySelector('#verify-form button[type=submit]').click()")
        verdict = d.text("#verify-verdict")
        fails = d.js("return document.querySelectorAll('#verify-result .checks > li.fail').length")
        passes = d.js("return document.querySelectorAll('#verify-result .checks > li.pass').length")
        state = d.js("return document.querySelector('#verify-result [data-state]').dataset.state")
        want = 8 if a.tsa_url else 7  # the time-stamps are a check of their own
        assert fails == 0 and passes == want and state == "trusted", (verdict, fails, passes, state)
        if a.tsa_url:
            assert "existed no later than" in d.text("#existed"), d.text("#verify-result")
        problems.extend(unnamed(d, "verify result"))
        d.shot(a.shots, "05-verify")
        d.click("nav button[data-page=settings]")
        check_page("settings", "document.querySelector('#check-quick')")
        d.click("#check-deep")
        d.wait("return document.querySelector('#check-report')", "the vault checked")
        assert "Intact" in d.text("#check-report"), d.text("#check-report")

        # Lock, then unlock; a wrong passphrase is refused first.
        d.click("#lock-btn")
        d.type("#unlock-pass", "not the passphrase")
        d.click("#unlock-btn")
        d.wait("return document.querySelector('#unlock-error').textContent.length > 0", "wrong passphrase message")
        d.shot(a.shots, "06-locked")
        check_page("unlock", "document.querySelector('#unlock-pass')")
        d.type("#unlock-pass", passphrase)
        d.click("#unlock-btn")
        d.wait("return !document.querySelector('#nav').hidden && document.querySelectorAll('#items tbody tr button.link').length === 2", "unlocked")

        # Arabic: right-to-left layout, Arabic labels.
        d.relang("ar", "document.querySelector('#search')")
        d.wait("return document.documentElement.dir === 'rtl'", "right-to-left")
        d.wait("return document.querySelector('#search') && document.querySelector('#search').placeholder.startsWith('ابحث')", "page re-rendered in Arabic")
        label = d.text("nav button[data-page=evidence]")
        assert label == "الأدلة", label
        nav_right = d.js("const n = document.querySelector('nav').getBoundingClientRect(); return n.left > window.innerWidth / 2")
        assert nav_right, "in Arabic the navigation must sit on the right"
        d.shot(a.shots, "07-arabic")
        d.relang("en", "document.querySelector('#search')")

        # Preview the photo (streamed from the vault over the app's own protocol),
        # see its metadata, and make a redacted copy with two typed regions.
        d.click("nav button[data-page=evidence]")
        d.wait("return [...document.querySelectorAll('#items tbody tr button.link')].some(b => b.textContent.endsWith('.jpg'))", "photo listed")
        d.js("[...document.querySelectorAll('#items tbody tr button.link')].find(b => b.textContent.endsWith('.jpg')).click()")
        d.wait("const i = document.querySelector('#preview'); return i && i.complete && i.naturalWidth > 0", "photo preview")
        facts = d.text("dl.meta")
        assert "Dimensions" in facts and "1024 × 768" in facts, facts
        for k, v in {"x": "40", "y": "60", "w": "300", "h": "200"}.items():
            d.type(f"#region-{k}", v)
        d.click("#region-add")
        d.select("#redact-mode", "blur")
        d.type("#region-x", "500")
        d.click("#region-add")
        d.wait("return document.querySelectorAll('#regions li').length === 2 && document.querySelectorAll('.stage .region.box, .stage .region.blur').length === 2", "two regions drawn")
        d.shot(a.shots, "08-redact")
        d.click("#redact-go")
        d.wait("return document.querySelector('#item-title') && document.querySelector('#item-title').textContent.endsWith('(redacted)')", "redacted copy shown")
        d.wait("const i = document.querySelector('#preview'); return i && i.complete && i.naturalWidth === 1024", "redacted preview")
        facts = d.text("dl.meta")
        assert "Derived from" in facts and "Acme" not in facts, facts
        d.shot(a.shots, "09-redacted")
        check_page("item", "document.querySelector('#preview')", walk=False)

        # Text at 200%: every page reflows, nothing scrolls sideways.
        d.js("document.documentElement.style.fontSize = '200%'")
        for page, ready in [("evidence", "#items"), ("cases", "#case-list"), ("export", "#export-out"), ("verify", "#verify-path"), ("inbox", "#main h1"), ("settings", "#check-quick")]:
            d.click(f"nav button[data-page={page}]")
            d.find(ready)
            time.sleep(0.3)
            wide = d.js("return [document.documentElement.scrollWidth, window.innerWidth]")
            if wide[0] > wide[1] + 1:
                problems.append(f"{page} at 200% text is {wide[0]} px wide in a {wide[1]} px window")
            if page == "evidence":
                d.shot(a.shots, "10-text-200")
        d.js("document.documentElement.style.fontSize = ''")

        if a.big_bag:
            lock_during_import(d, a, passphrase)

        for p in problems:
            print("ACCESSIBILITY:", p, file=sys.stderr)
        assert not problems, f"{len(problems)} accessibility problems (listed above)"
        print(f"accessible names: {named} controls across the pages in {len(LANGS)} languages, none unnamed")
        print(f"keyboard: {walked} controls reached by Tab in page order, each with a visible focus ring")
        print("desktop end-to-end: all steps passed")
    except Exception:
        # Leave a picture and the page's state of where it stopped.
        try:
            d.shot(a.shots, "zz-failure")
            print("page at failure:", d.js("return document.querySelector('main').innerHTML.slice(0, 3000)"), file=sys.stderr)
        except Exception:
            pass
        raise
    finally:
        try:
            if d.session:
                d.req("DELETE", f"/session/{d.session}")
        except Exception:
            pass
        driver_proc.terminate()
        try:
            driver_proc.wait(10)
        except subprocess.TimeoutExpired:
            driver_proc.kill()
        xvfb.terminate()


if __name__ == "__main__":
    main()
