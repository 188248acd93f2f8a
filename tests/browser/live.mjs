// Confab's live pages in headless Chromium: two people (ana and bob, each in their own
// browser context) chat while the script checks what each page shows without a reload —
// new messages (and the send→appear latency), no duplicates, typing, unread badges and
// ordering, the connection indicator, the offline outbox, failed sends with Retry, catching
// up after a server restart, presence, and a clean console. Run by tests/api/browser.rs
// (`cargo test --test api browser -- --nocapture`) with CONFAB_URL set; prints `ok <step>`
// per step and exits 1 on the first failure (screenshots in tests/browser/artifacts).
import {
  BASE,
  api,
  check,
  consoleErrors,
  expectingNetworkErrors,
  launch,
  newPage,
  register,
  restartServer,
  screenshots,
  show,
  step,
  until,
} from "./harness.mjs";
import {
  composer,
  deliveredOnce,
  live,
  median,
  onceOnServer,
  pageHelpers,
  sendByClick,
  sendByEnter,
  stored,
  storedOnServer,
} from "./chat.mjs";

async function scenario(browser) {
  const ana = await register(browser, "ana", { helpers: pageHelpers });
  const bob = await register(browser, "bob", { helpers: pageHelpers });
  show("ana", ana.page);
  show("bob-list", bob.page);
  let dm;
  let bobChat;
  const A = () => ({ page: ana.page, who: "ana" });
  const B = () => ({ page: bobChat, who: "bob" });

  await step("the connection indicator reads live once connected", async () => {
    await live(ana.page, "ana");
    await live(bob.page, "bob");
  });

  await step("the unread badge rises on the other's list and the conversation moves to the top", async () => {
    await ana.page.goto(`${BASE}/people`);
    await ana.page.locator("li.person", { hasText: "@bob" }).getByRole("button", { name: "Message" }).click();
    await ana.page.waitForURL(/\/chats\/[0-9a-f-]+$/);
    dm = await ana.page.locator("#messages").getAttribute("data-thread-id");
    await live(ana.page, "ana");
    // Activity in General first, so the conversation has somewhere to move up from.
    const general = (await api(ana, "/api/threads")).find((t) => t.kind === "open");
    await api(ana, "/api/messages", { threadId: general.id, content: "good morning, General" });
    await until(bob.page, "General at the top of bob's list", (id) => __t.item(id).first === `t-${id}`, general.id, {
      describe: (id) => JSON.stringify(__t.item(id)),
    });
    for (const [n, text] of [[1, "hi bob"], [2, "are you there?"]]) {
      await sendByClick(ana.page, text);
      await until(
        bob.page,
        `the conversation on top of bob's list, once, with ${n} unread`,
        ([id, n]) => {
          const item = __t.item(id);
          return item.first === `t-${id}` && item.copies === 1 && item.unread === String(n);
        },
        [dm, n],
        { describe: ([id]) => JSON.stringify(__t.item(id)) },
      );
    }
    await screenshots("1-unread");
  });

  await step("opening the conversation clears its unread badge", async () => {
    bobChat = await newPage(bob, "bob-chat");
    show("bob-chat", bobChat);
    await bobChat.goto(`${BASE}/chats/${dm}`);
    await until(
      bob.page,
      "the badge gone from bob's list",
      (id) => __t.item(id).copies === 1 && __t.item(id).unread === null,
      dm,
      { describe: (id) => JSON.stringify(__t.item(id)) },
    );
    await live(bobChat, "bob");
  });

  const sent = ["hi bob", "are you there?"];
  await step("a message appears on the other's open conversation without a reload", async () => {
    await bobChat.evaluate(() => {
      window.__seenAt = {};
      const note = () => {
        for (const m of __t.shown()) if (m.text && !(m.text in __seenAt)) __seenAt[m.text] = Date.now();
      };
      note();
      new MutationObserver(note).observe(document.getElementById("messages"), { childList: true, subtree: true });
    });
    await ana.page.evaluate(() => {
      window.__optimistic = {};
      new MutationObserver(() => {
        for (const a of document.querySelectorAll("#messages article.pending")) {
          __optimistic[a.querySelector(".content")?.textContent.trim()] = true;
        }
      }).observe(document.getElementById("messages"), { childList: true });
    });
    const latencies = [];
    for (let i = 1; i <= 5; i++) {
      const text = `live message ${i}`;
      const sentAt = await sendByClick(ana.page, text);
      const seenAt = await until(bobChat, `"${text}" on bob's page`, (t) => window.__seenAt[t], text);
      latencies.push(seenAt - sentAt);
      sent.push(text);
    }
    console.log(
      `latency_ms=${median(latencies)} (send click on ana's page → shown on bob's; median of ${latencies.length}: ${latencies.join(", ")})`,
    );
    await screenshots("2-live");
  });

  await step("each message appears exactly once on both pages", async () => {
    await deliveredOnce(A(), B(), sent);
    const liveTexts = sent.filter((t) => t.startsWith("live message"));
    const missed = await ana.page.evaluate((ts) => ts.filter((t) => !window.__optimistic[t]), liveTexts);
    check(missed.length === 0, `ana's page showed no pending copy of ${JSON.stringify(missed)} while sending`);
  });

  await step("typing shows on the other's page and goes away when the message arrives", async () => {
    await composer(bobChat).locator('textarea[name="content"]').pressSequentially("on my way", { delay: 20 });
    const notice = `${bob.name} is typing…`;
    await until(ana.page, `"${notice}" on ana's page`, (n) => document.getElementById("typing")?.textContent === n, notice, {
      describe: () => document.getElementById("typing")?.textContent,
    });
    await screenshots("3-typing");
    await composer(bobChat).locator('textarea[name="content"]').press("Enter");
    // Read the notice the moment the message shows (its own timer would need seconds).
    const typing = await until(
      ana.page,
      `bob's message on ana's page`,
      () => __t.copies("on my way").length > 0 && { text: document.getElementById("typing")?.textContent },
    );
    check(typing.text === "", `ana's page still says "${typing.text}" after bob's message arrived`);
    await deliveredOnce(B(), A(), ["on my way"]);
    sent.push("on my way");
  });

  await step("messages sent offline wait as pending and are delivered once each, in order, when back", async () => {
    const texts = ["written offline 1", "written offline 2"];
    await expectingNetworkErrors("offline", async () => {
      await ana.context.setOffline(true);
      await until(ana.page, `ana's indicator to read "offline"`, () => __t.connection() === "offline", null, {
        describe: () => __t.connection(),
      });
      for (const text of texts) await sendByEnter(ana.page, text);
      const pending = await until(
        ana.page,
        "both messages pending, waiting for the connection",
        (ts) => {
          const copies = ts.map((t) => __t.copies(t));
          return copies.every((c) => c.length === 1 && c[0].pending && c[0].state === "queued" && c[0].clientId) && copies.map((c) => c[0]);
        },
        texts,
        { describe: (ts) => __t.summary(ts) },
      );
      check((await ana.page.evaluate(() => __t.connection())) === "offline", "ana's indicator left offline while offline");
      await screenshots("4-offline");
      await ana.context.setOffline(false);
      await deliveredOnce(A(), B(), texts);
      await live(ana.page, "ana");
      const final = await ana.page.evaluate((ts) => ts.map((t) => __t.copies(t)[0].clientId), texts);
      check(
        final.every((c, i) => c === pending[i].clientId),
        `the delivered messages lost their clientIds: ${JSON.stringify(final)} vs ${JSON.stringify(pending)}`,
      );
      for (const [i, text] of texts.entries()) await onceOnServer(bob, dm, text, pending[i].clientId);
    });
    sent.push(...texts);
  });

  await step("a failed send is marked failed with Retry, and Retry delivers it once", async () => {
    const text = "this one fails first";
    const pattern = "**/chats/*/messages";
    let failures = 0;
    const failOnce = (route) =>
      route.request().method() === "POST" && failures++ === 0
        ? route.fulfill({ status: 500, contentType: "text/html", body: "<p>injected failure</p>" })
        : route.fallback();
    await expectingNetworkErrors("a send fails on purpose", async () => {
      await ana.page.route(pattern, failOnce);
      await sendByClick(ana.page, text);
      const [failed] = await until(
        ana.page,
        "the message marked failed with a Retry button",
        (t) => __t.copies(t).length === 1 && __t.copies(t)[0].failed && __t.copies(t)[0].retry && __t.copies(t),
        text,
        { describe: (t) => __t.summary([t]) },
      );
      check(failed.pending, "the failed message is no longer marked pending");
      check(/injected failure/.test(failed.status), `the failure reads "${failed.status}"`);
      check((await storedOnServer(bob, dm, text)).length === 0, "the failed send was stored");
      await screenshots("5-failed");
      await ana.page.unroute(pattern, failOnce);
      await ana.page.locator("#messages article.failed").getByRole("button", { name: "Retry" }).click();
      await deliveredOnce(A(), B(), [text]);
      await onceOnServer(bob, dm, text, failed.clientId);
    });
    sent.push(text);
  });

  await step("after a server restart both pages catch up without a reload", async () => {
    const texts = ["after the restart 1", "after the restart 2"];
    const pages = [[ana.page, "ana"], [bobChat, "bob"], [bob.page, "bob's list"]];
    for (const [page] of pages) await page.evaluate(() => (window.__noReload = 1));
    // Bob's browser reconnects only once ana's messages are stored: it must replay them.
    // (His tabs share one stream, held by one of them; the others catch up from it.)
    let release;
    const released = new Promise((resolve) => (release = resolve));
    const events = (url) => url.pathname === "/events";
    const hold = async (route) => {
      await released;
      await route.continue().catch(() => {});
    };
    await expectingNetworkErrors("the server restarts", async () => {
      await bob.context.route(events, hold);
      await restartServer();
      await until(bobChat, `bob's indicator to read "reconnecting…"`, () => __t.connection() === "reconnecting…", null, {
        describe: () => __t.connection(),
      });
      for (const text of texts) await sendByClick(ana.page, text);
      await stored(ana.page, "ana", texts);
      const early = await bobChat.evaluate((ts) => ts.flatMap((t) => __t.copies(t)), texts);
      check(early.length === 0, "bob's page got the messages before it reconnected");
      release();
      await bob.context.unroute(events, hold);
      await deliveredOnce(A(), B(), texts);
      for (const [page, who] of pages) {
        await live(page, who);
        check((await page.evaluate(() => window.__noReload)) === 1, `${who}'s page reloaded`);
      }
    });
    sent.push(...texts);
    await deliveredOnce(A(), B(), sent);
    await screenshots("6-restart");
  });

  await step("a page whose scripts come late and whose first connections fail still goes live", async () => {
    // A browser of its own (with ana's login): in ana's, the tab would share her stream.
    const context = await browser.newContext({ storageState: await ana.context.storageState() });
    await context.addInitScript(pageHelpers);
    const page = await newPage({ context }, "ana-retry");
    show("ana-retry", page);
    // The stream extension arriving after htmx has started must not leave the page without a stream.
    const extension = "**/assets/vendor/hx-sse.min.js";
    await page.route(extension, async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      await route.continue();
    });
    await page.addInitScript(() => {
      window.__states = [];
      document.addEventListener("DOMContentLoaded", () => {
        const el = document.getElementById("connection");
        new MutationObserver(() => __states.push(el.textContent)).observe(el, { childList: true, characterData: true, subtree: true });
      });
    });
    const events = (url) => url.pathname === "/events";
    let tries = 0;
    // An error page first (with a stream element of its own, which must not be swapped in),
    // then no answer at all, then the server.
    const failTwice = (route) => {
      tries++;
      if (tries === 1) {
        return route.fulfill({ status: 503, contentType: "text/html", body: '<div id="live" hx-sse:connect="/events"></div>busy' });
      }
      return tries === 2 ? route.abort("connectionrefused") : route.fallback();
    };
    await expectingNetworkErrors("the first connections fail on purpose", async () => {
      await page.route(events, failTwice);
      await page.goto(`${BASE}/chats/${dm}`);
      await live(page, "ana's new page");
    });
    const states = await page.evaluate(() => __states);
    check(states.includes("reconnecting…"), `the indicator went ${JSON.stringify(states)}, never "reconnecting…"`);
    const text = "seen by a page that connected late";
    await sendByClick(bobChat, text);
    await stored(page, "ana's new page", [text]);
    await deliveredOnce(B(), A(), [text]);
    sent.push(text);
    check(tries === 3, `the page asked for its stream ${tries} times, not 3 (two failures, then one stream)`);
    await page.unroute(events, failTwice);
    await page.unroute(extension);
    await context.close();
  });

  await step("presence: the other shows online while their page is open, then last seen", async () => {
    await until(ana.page, "bob shown online", () => __t.presence()?.online, null, {
      describe: () => JSON.stringify(__t.presence()),
    });
    const shown = await ana.page.evaluate(() => __t.presence());
    check(shown.text === "online", `bob's presence reads "${shown.text}"`);
    await bobChat.close();
    await bob.page.close();
    await until(
      ana.page,
      'bob shown "last seen …" after his pages closed',
      () => __t.presence() && !__t.presence().online && __t.presence().text.startsWith("last seen"),
      null,
      { timeout: 15_000, describe: () => JSON.stringify(__t.presence()) },
    );
    await screenshots("7-presence");
  });

  await step("no console errors or CSP violations", async () => {
    const errors = consoleErrors();
    check(errors.length === 0, `the pages logged errors:\n  ${errors.join("\n  ")}`);
  });
}

const browser = await launch();
let failed = false;
try {
  await scenario(browser);
} catch (err) {
  failed = true;
  console.error(`FAILED: ${err.stack ?? err}`);
  const errors = consoleErrors();
  if (errors.length) console.error(`console errors so far:\n  ${errors.join("\n  ")}`);
} finally {
  await browser.close().catch(() => {});
}
process.exit(failed ? 1 : 0);
