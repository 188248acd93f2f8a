// The live stream when it cannot connect, and with many tabs, in headless Chromium.
// 1. With bob's /events refused (a proxy that blocks event streams), his page takes the
//    slower path: it says so, still shows each new message from ana exactly once, and
//    goes back to the stream when it is let through. Behind a proxy that passes the
//    stream's headers on and holds its events back, it takes the slower path too.
// 2. Ten tabs of one browser context over plain HTTP (six connections per host): all
//    load, and each, brought to the front, shows the message ana sends then, and the
//    ones sent while it was behind, exactly once each.
// Run by tests/api/browser.rs with CONFAB_URL set; prints `ok <name>` per step.
import {
  BASE,
  api,
  check,
  expectingNetworkErrors,
  newPage,
  register,
  run,
  show,
  step,
  until,
} from "./harness.mjs";
import { live, median, pageHelpers } from "./chat.mjs";
import http from "node:http";

const TABS = 10;

/** How many elements show message `id` (0 when missing, 2 when doubled). */
const copiesOf = (page, id) => page.evaluate((id) => document.querySelectorAll(`[data-message-id="${id}"]`).length, id);

/** Waits until `page` shows each of `ids` exactly once, then checks it a moment later. */
async function onceEach(page, who, ids) {
  await until(
    page,
    `${who} to show ${ids.length} message(s) once each`,
    (ids) => ids.every((id) => document.querySelectorAll(`[data-message-id="${id}"]`).length === 1),
    ids,
    { describe: (ids) => JSON.stringify(ids.map((id) => document.querySelectorAll(`[data-message-id="${id}"]`).length)) },
  );
  for (const id of ids) {
    const n = await copiesOf(page, id);
    check(n === 1, `${who} shows message ${id} ${n} times`);
  }
}

/**
 * A proxy in front of the server that passes an event stream's headers on at once and
 * holds its events back, as a buffering proxy does; everything else goes through.
 */
function bufferingProxy() {
  const target = new URL(BASE);
  const server = http.createServer((req, res) => {
    const upstream = http.request(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode, up.headers);
        if (new URL(req.url, BASE).pathname === "/events") {
          res.flushHeaders();
          up.resume(); // read and held back
          return;
        }
        up.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    res.on("close", () => upstream.destroy());
    req.pipe(upstream);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

async function scenario(browser) {
  const ana = await register(browser, "ana", { helpers: pageHelpers });
  const bob = await register(browser, "bob", { helpers: pageHelpers });
  const bobId = (await api(bob, "/api/me")).id;
  const dm = await api(ana, "/api/threads", { action: "create", participantIds: [bobId] });
  const send = async (content) => (await api(ana, "/api/messages", { threadId: dm.id, content })).id;
  show("bob", bob.page);

  await step("with /events refused, the page says it is on the slower path", async () => {
    await expectingNetworkErrors("/events is refused on purpose", async () => {
      await bob.page.route((url) => url.pathname === "/events", (route) => route.abort("connectionrefused"));
      await bob.page.goto(`${BASE}/chats/${dm.id}`);
      await until(bob.page, "the notice of the slower path", () => {
        const el = document.getElementById("connection");
        return el && !el.hidden && el.dataset.state === "polling" && el.getAttribute("role") === "status" && el.textContent;
      }, null, { timeout: 20_000, describe: () => document.getElementById("connection")?.outerHTML });
      check(await bob.page.locator("#connection").isVisible(), "the notice is not visible");
    });
  });

  await step("on the slower path, new messages show once each", async () => {
    await expectingNetworkErrors("/events is refused on purpose", async () => {
      const ids = [];
      for (let i = 1; i <= 3; i++) {
        ids.push(await send(`through the fallback ${i}`));
        await onceEach(bob.page, "bob's page", ids);
      }
      // A few more polls must not bring any of them again.
      await bob.page.waitForTimeout(7000);
      await onceEach(bob.page, "bob's page, later", ids);
    });
  });

  await step("when /events is let through again, the page goes back to the stream", async () => {
    await expectingNetworkErrors("/events was refused", async () => {
      await bob.page.unrouteAll({ behavior: "ignoreErrors" });
      await until(bob.page, "the indicator to read live", () => __t.connection() === "live", null, {
        timeout: 25_000,
        describe: () => __t.connection(),
      });
      const id = await send("over the stream again");
      await onceEach(bob.page, "bob's page", [id]);
    });
  });

  await step("behind a proxy that holds the stream back, the page takes the slower path", async () => {
    const proxy = await bufferingProxy();
    // A browser of its own with bob's login (his own would share his open stream).
    const context = await browser.newContext({ storageState: await bob.context.storageState() });
    await context.addInitScript(pageHelpers);
    try {
      const page = await newPage({ context }, "bob-behind-proxy");
      await page.goto(`http://127.0.0.1:${proxy.address().port}/chats/${dm.id}`);
      await until(page, "the notice of the slower path", () => document.getElementById("connection")?.dataset.state === "polling", null, {
        timeout: 20_000,
        describe: () => document.getElementById("connection")?.outerHTML,
      });
      const id = await send("past the buffering proxy");
      await onceEach(page, "bob's page behind the proxy", [id]);
    } finally {
      await context.close();
      proxy.closeAllConnections();
      proxy.close();
    }
  });

  await step(`${TABS} tabs of one browser over plain HTTP all load`, async () => {
    check(BASE.startsWith("http://"), `the server is at ${BASE}, not plain HTTP`);
    // Bob's first tab already holds the stream; the others must not open one each.
    let opened = 0;
    bob.context.on("request", (r) => new URL(r.url()).pathname === "/events" && opened++);
    bob.tabs = [bob.page];
    for (let i = 1; i < TABS; i++) {
      const tab = await newPage(bob, `bob-${i}`);
      await tab.goto(`${BASE}/chats/${dm.id}`, { timeout: 10_000 });
      await tab.locator("#messages").waitFor();
      bob.tabs.push(tab);
    }
    for (const [i, tab] of bob.tabs.entries()) await live(tab, `bob's tab ${i}`);
    console.log(`streams opened by the ${TABS - 1} new tabs: ${opened}`);
    check(opened === 0, `the new tabs opened ${opened} streams of their own`);
  });

  await step("each tab brought to the front shows what was sent, once each", async () => {
    const ids = [];
    const latencies = [];
    for (const [i, tab] of bob.tabs.entries()) {
      await tab.bringToFront();
      const sentAt = Date.now();
      ids.push(await send(`for the tab in front: ${i}`));
      await onceEach(tab, `bob's tab ${i}`, ids);
      latencies.push(Date.now() - sentAt);
    }
    console.log(`latency_ms=${median(latencies)} (API send → shown on the tab in front, holder or not; ${latencies.join(", ")})`);
    for (const [i, tab] of bob.tabs.entries()) await onceEach(tab, `bob's tab ${i} at the end`, ids);
  });

  await step("closing the tab that holds the stream leaves the others live", async () => {
    await bob.tabs[0].close();
    const rest = bob.tabs.slice(1);
    const id = await send("after the first tab closed");
    for (const [i, tab] of rest.entries()) await onceEach(tab, `bob's tab ${i + 1}`, [id]);
    for (const [i, tab] of rest.entries()) await live(tab, `bob's tab ${i + 1}`);
  });

  await step("typing reaches every tab, not only the one that holds the stream", async () => {
    const typed = await ana.context.request.post(`${BASE}/api/typing`, { data: { threadId: dm.id } });
    check(typed.status() === 204, `POST /api/typing: ${typed.status()}`);
    for (const [i, tab] of bob.tabs.slice(1).entries()) {
      await until(tab, `"${ana.name} is typing…" on bob's tab ${i + 1}`, (n) => document.getElementById("typing")?.textContent === n, `${ana.name} is typing…`, {
        describe: () => document.getElementById("typing")?.textContent,
      });
    }
  });
}

await run(scenario);
