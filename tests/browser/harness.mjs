// The browser-test harness for live.mjs: headless Chromium, one browser context per
// person, named steps (`ok <name>`, or screenshots and exit 1), console and CSP error
// collection, waits with hang guards, and the RESTART/RESTARTED handshake with
// tests/api/browser.rs.
import { mkdir } from "node:fs/promises";
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";

export const BASE = process.env.CONFAB_URL;
if (!BASE) {
  console.error("set CONFAB_URL to the server under test, e.g. http://127.0.0.1:3000");
  process.exit(2);
}

/** How long a wait may take before the test calls it a hang (not a speed check). */
export const PATIENCE = 10_000;
const ARTIFACTS = new URL("./artifacts/", import.meta.url);

const errors = [];
/** Why failed requests are expected right now (offline, restart, injected failure). */
let noisy = null;
const NETWORK_NOISE = /Failed to load resource|net::ERR_|Failed to fetch|NetworkError|network error/i;

export async function expectingNetworkErrors(reason, body) {
  noisy = reason;
  try {
    return await body();
  } finally {
    noisy = null;
  }
}

function record(label, text) {
  if (noisy && NETWORK_NOISE.test(text)) return;
  errors.push(`${label}${noisy ? ` (while ${noisy})` : ""}: ${text}`);
}

export function consoleErrors() {
  return [...errors];
}

/** The pages screenshots are taken of, by label. */
const shown = new Map();

export function show(label, page) {
  shown.set(label, page);
  page.on("close", () => shown.get(label) === page && shown.delete(label));
}

export async function launch() {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** What happened to each page's live-stream requests, by label, for failure reports. */
const streamLog = new Map();
const started = Date.now();

function watchStreams(page, label) {
  const lines = [];
  streamLog.set(label, lines);
  const note = (text) => lines.push(`${((Date.now() - started) / 1000).toFixed(2)} s ${text}`);
  const isStream = (request) => new URL(request.url()).pathname === "/events";
  page.on("request", (r) => isStream(r) && note(`GET ${new URL(r.url()).search}`));
  page.on("response", (r) => isStream(r.request()) && note(`→ ${r.status()} ${r.headers()["content-type"] ?? ""}`));
  page.on("requestfailed", (r) => isStream(r) && note(`→ failed: ${r.failure()?.errorText}`));
}

/** A new tab of `person`, watched for console errors. */
export async function newPage(person, label) {
  const page = await person.context.newPage();
  page.setDefaultTimeout(PATIENCE);
  watchStreams(page, label);
  page.on("console", (msg) => {
    if (msg.type() === "error") record(label, msg.text());
  });
  page.on("pageerror", (err) => record(label, `uncaught ${err.name}: ${err.message}`));
  return page;
}

/**
 * Registers `username` through the /register page, in a browser context of their own;
 * `helpers` runs in each of their pages before the page's scripts.
 */
export async function register(browser, username, { helpers, password = "correct horse battery" } = {}) {
  const context = await browser.newContext();
  if (helpers) await context.addInitScript(helpers);
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) =>
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"}`),
    );
  });
  const person = { username, context };
  const page = await newPage(person, username);
  await page.goto(`${BASE}/register`);
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="password"]', password);
  await page.getByRole("button", { name: "Register", exact: true }).click();
  await page.waitForURL(/\/chats$/);
  person.page = page;
  person.name = (await page.locator(".nav-user").textContent()).trim();
  return person;
}

/** The JSON API as `person` (their session cookie). */
export async function api(person, path, data) {
  const response = data
    ? await person.context.request.post(`${BASE}${path}`, { data })
    : await person.context.request.get(`${BASE}${path}`);
  if (!response.ok()) throw new Error(`${path}: ${response.status()} ${await response.text()}`);
  return response.json();
}

export async function screenshots(prefix) {
  await mkdir(ARTIFACTS, { recursive: true });
  for (const [label, page] of shown) {
    if (page.isClosed()) continue;
    // The viewport only: a full-page shot resizes it, which scrolls the message list to the top.
    await page
      .screenshot({ path: new URL(`${prefix}-${label}.png`, ARTIFACTS).pathname })
      .catch((e) => console.error(`screenshot of ${label} failed: ${e.message}`));
  }
}

/** Runs one named scenario step: `ok <name>`, or screenshots and a thrown error. */
export async function step(name, body) {
  const started = Date.now();
  try {
    await body();
  } catch (err) {
    console.log(`not ok ${name}`);
    for (const [label, lines] of streamLog) console.log(`${label}'s /events requests:\n  ${lines.join("\n  ") || "none"}`);
    await screenshots("failure");
    throw err;
  }
  console.log(`ok ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

export function check(condition, message) {
  if (!condition) throw new Error(message);
}

/**
 * Waits until `predicate` (run in the page) returns something truthy, and returns it.
 * `what` names the awaited state for the failure message; `describe` (run in the page)
 * reports what the page showed instead.
 */
export async function until(page, what, predicate, arg, { timeout = PATIENCE, describe } = {}) {
  try {
    const handle = await page.waitForFunction(predicate, arg, { timeout });
    return await handle.jsonValue();
  } catch (err) {
    if (err.name !== "TimeoutError") throw err;
    const seen = describe ? await page.evaluate(describe, arg).catch((e) => `(${e.message})`) : "";
    throw new Error(`timed out after ${timeout / 1000} s waiting for ${what}${seen ? `; the page showed: ${seen}` : ""}`);
  }
}

let stdinLines;

/** Asks the Rust side to restart the server (same port and database) and waits for it. */
export async function restartServer() {
  stdinLines ??= createInterface({ input: process.stdin })[Symbol.asyncIterator]();
  console.log("RESTART");
  for (;;) {
    const { value, done } = await stdinLines.next();
    if (done) throw new Error("stdin closed before RESTARTED");
    if (value.trim() === "RESTARTED") return;
  }
}

/**
 * Runs `scenario(browser)` in a fresh headless Chromium, then checks that no page logged a
 * console error or CSP violation (`ok no console errors`); exits 1 on the first failure.
 */
export async function run(scenario) {
  const browser = await launch();
  let failed = false;
  try {
    await scenario(browser);
    await step("no console errors or CSP violations", async () => {
      check(errors.length === 0, `the pages logged errors:\n  ${errors.join("\n  ")}`);
    });
    console.log("ok no console errors");
  } catch (err) {
    failed = true;
    console.error(`FAILED: ${err.stack ?? err}`);
  } finally {
    await browser.close().catch(() => {});
  }
  process.exit(failed ? 1 : 0);
}
