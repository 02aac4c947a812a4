// A small W3C WebDriver client over Node's fetch: sessions, elements, clicks, typing, waits and
// screenshots. Enough to drive the real Lanyard window through tauri-driver + WebKitWebDriver
// without pulling a test framework and its dependency tree into the repo.
import { writeFile } from "node:fs/promises";

const ELEMENT = "element-6066-11e4-a52e-4f735466cecc";
/** An element reference's id: W3C's key, or the only key of older drivers' answers. */
const refId = (ref) => ref[ELEMENT] ?? ref.ELEMENT ?? Object.values(ref)[0];

export class WebDriverError extends Error {}

async function request(base, method, path, body) {
  const res = await fetch(base + path, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json().catch(() => ({}));
  if (!res.ok) {
    const v = json.value ?? {};
    throw new WebDriverError(`${method} ${path}: ${res.status} ${v.error ?? ""} ${v.message ?? ""}`.trim());
  }
  return json.value;
}

export class Session {
  constructor(base, id) {
    this.base = base;
    this.id = id;
  }

  static async create(base, capabilities) {
    const value = await request(base, "POST", "/session", { capabilities: { alwaysMatch: capabilities } });
    return new Session(base, value.sessionId);
  }

  cmd(method, path, body) {
    return request(this.base, method, `/session/${this.id}${path}`, body);
  }

  async delete() {
    await this.cmd("DELETE", "").catch(() => {});
  }

  /** Every element matching a CSS selector, now. */
  async findAll(css) {
    const found = await this.cmd("POST", "/elements", { using: "css selector", value: css });
    return found.map((e) => new Element(this, refId(e)));
  }

  /** The first element matching `css`, waiting up to `timeout` ms for it to appear. */
  async find(css, timeout = 10_000) {
    let last;
    const until = Date.now() + timeout;
    do {
      const all = await this.findAll(css);
      if (all.length > 0) return all[0];
      last = `no element matches ${css}`;
      await sleep(100);
    } while (Date.now() < until);
    throw new WebDriverError(`${last} after ${timeout} ms`);
  }

  /**
   * Clicks the first element matching `css`. The view re-renders whenever the engine answers, so
   * an element found a moment ago may be gone; a stale reference means the click never happened,
   * and the element is looked up again.
   */
  async click(css, timeout = 10_000) {
    const until = Date.now() + timeout;
    for (;;) {
      try {
        return await (await this.find(css, timeout)).click();
      } catch (err) {
        if (!(err instanceof WebDriverError && err.message.includes("stale element")) || Date.now() > until) throw err;
        await sleep(50);
      }
    }
  }

  /** Waits until `check()` returns a truthy value and returns it; `what` names it in the error. */
  async waitFor(what, check, timeout = 15_000) {
    const until = Date.now() + timeout;
    let lastError;
    while (Date.now() < until) {
      try {
        const value = await check();
        if (value) return value;
      } catch (err) {
        lastError = err;
      }
      await sleep(100);
    }
    throw new WebDriverError(`timed out after ${timeout} ms waiting for ${what}${lastError ? `: ${lastError.message}` : ""}`);
  }

  execute(script, args = []) {
    return this.cmd("POST", "/execute/sync", { script, args });
  }

  /** Saves a PNG of the window, after letting the web view paint the latest DOM. */
  async screenshot(path) {
    await this.cmd("POST", "/execute/async", {
      script: "const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(done, 50)));",
      args: [],
    });
    const png = await this.cmd("GET", "/screenshot");
    await writeFile(path, Buffer.from(png, "base64"));
  }
}

export class Element {
  constructor(session, id) {
    this.session = session;
    this.id = id;
  }
  cmd(method, path, body) {
    return this.session.cmd(method, `/element/${this.id}${path}`, body);
  }
  click() {
    return this.cmd("POST", "/click", {});
  }
  async type(text) {
    await this.cmd("POST", "/clear", {});
    return this.cmd("POST", "/value", { text });
  }
  text() {
    return this.cmd("GET", "/text");
  }
  attribute(name) {
    return this.cmd("GET", `/attribute/${encodeURIComponent(name)}`);
  }
  /** A DOM property, such as an input's current `value`. */
  property(name) {
    return this.cmd("GET", `/property/${encodeURIComponent(name)}`);
  }
  async find(css) {
    const e = await this.cmd("POST", "/element", { using: "css selector", value: css });
    return new Element(this.session, refId(e));
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
