#!/usr/bin/env python3
"""Drives the real Casefile desktop app in a real window over WebDriver.

Starts Xvfb and tauri-driver (which starts WebKitWebDriver and the app), then
walks a user's path: create a vault, import two files (one a photo), fill a
case sheet with a perpetrator, a person and an incident, link evidence, export
a bundle, verify it in the app, lock and unlock, and switch to Arabic. Saves a
screenshot after each step. Standard library only; one kept-alive connection.
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--app", required=True)
    ap.add_argument("--vault", required=True)
    ap.add_argument("--files", nargs=2, required=True)
    ap.add_argument("--bundle", required=True)
    ap.add_argument("--shots", required=True)
    ap.add_argument("--home", required=True, help="folder for the app's cache, data, config and temp files")
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

        # Create the vault; the recovery code is shown once and must be confirmed.
        d.type("#create-pass", passphrase)
        d.type("#create-pass2", passphrase)
        d.type("#create-collector", "E2E Collector")
        d.click("#create-btn")
        code = d.text("#recovery-code")
        assert len(code) == 39 and code.count("-") == 7, code
        assert d.js("return document.querySelector('#recovery-continue').disabled"), "continue must wait for confirmation"
        d.shot(a.shots, "01-recovery-code")
        d.click("#recovery-confirm")
        d.click("#recovery-continue")

        # Import two files by path (the keyboard route beside drag and drop and the picker).
        d.find("#add-path")
        d.type("#add-path", ";".join(a.files))
        d.type("#add-source", "field visit")
        d.click("#add-path-btn")
        d.wait("return document.querySelectorAll('#items tbody tr button.link').length === 2", "two items listed")
        kinds = d.js("return [...document.querySelectorAll('#items tbody tr td:nth-child(2)')].map(td => td.textContent)")
        assert "Photo" in kinds, kinds
        d.shot(a.shots, "02-evidence")

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

        # Export the bundle; the wizard shows its hash and where VERIFY.txt is.
        d.click("nav button[data-page=export]")
        d.type("#export-out", a.bundle)
        d.js("document.querySelector('#export-form button[type=submit]').click()")
        sha = d.text("#export-sha256")
        assert len(sha) == 64, sha
        assert "VERIFY.txt" in d.text("#export-result")
        d.shot(a.shots, "04-export")

        # Verify it in the app: every check passes.
        d.click("nav button[data-page=verify]")
        d.type("#verify-path", a.bundle)
        d.js("document.querySelector('#verify-form button[type=submit]').click()")
        verdict = d.text("#verify-verdict")
        fails = d.js("return document.querySelectorAll('#verify-result .checks > li.fail').length")
        passes = d.js("return document.querySelectorAll('#verify-result .checks > li.pass').length")
        assert fails == 0 and passes == 6, (verdict, fails, passes)
        d.shot(a.shots, "05-verify")

        # Lock, then unlock; a wrong passphrase is refused first.
        d.click("#lock-btn")
        d.type("#unlock-pass", "not the passphrase")
        d.click("#unlock-btn")
        d.wait("return document.querySelector('#unlock-error').textContent.length > 0", "wrong passphrase message")
        d.shot(a.shots, "06-locked")
        d.type("#unlock-pass", passphrase)
        d.click("#unlock-btn")
        d.wait("return !document.querySelector('#nav').hidden && document.querySelectorAll('#items tbody tr button.link').length === 2", "unlocked")

        # Arabic: right-to-left layout, Arabic labels.
        d.select("#lang-select", "ar")
        d.wait("return document.documentElement.dir === 'rtl'", "right-to-left")
        d.wait("return document.querySelector('#search') && document.querySelector('#search').placeholder.startsWith('ابحث')", "page re-rendered in Arabic")
        label = d.text("nav button[data-page=evidence]")
        assert label == "الأدلة", label
        nav_right = d.js("const n = document.querySelector('nav').getBoundingClientRect(); return n.left > window.innerWidth / 2")
        assert nav_right, "in Arabic the navigation must sit on the right"
        d.shot(a.shots, "07-arabic")
        d.select("#lang-select", "en")

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
