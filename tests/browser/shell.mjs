// Confab's reading view in headless Chromium at a desktop (1280×800) and a phone (390×844)
// size: the conversation list beside the conversation (one pane with a back link on the
// phone), the message pane after 200 messages (composer in view, newest message shown),
// loading older messages in place, times in the browser's zone, Markdown that renders and
// markup that stays inert, the "New" divider and the new-messages pill, confirmations, the
// edit history, and axe-core on every page in light and dark mode, with a screenshot of
// each. Run by tests/api/browser.rs with CONFAB_URL set; prints `ok <step>`, exits 1 on the
// first failure.
import { mkdir } from "node:fs/promises";
import { axeCheck } from "./axe.mjs";
import { BASE, api, check, consoleErrors, launch, newPage, register, screenshots, show, step, until } from "./harness.mjs";

const ZONE = "Asia/Kolkata"; // +05:30: a zone no server default shares
const ARTIFACTS = new URL("./artifacts/", import.meta.url);
await mkdir(ARTIFACTS, { recursive: true });
const SIZES = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } };

/** A context of `person`'s session at `size`, in `colorScheme`, in ZONE. */
async function viewAs(browser, person, size, colorScheme = "light") {
  const context = await browser.newContext({ viewport: SIZES[size], colorScheme, timezoneId: ZONE, locale: "en-GB" });
  if (person) await context.addCookies(await person.context.cookies());
  const page = await newPage({ context }, `${person?.username ?? "visitor"}-${size}-${colorScheme}`);
  page.on("dialog", (dialog) => dialog.accept());
  return { context, page };
}

const box = (page, selector) => page.locator(selector).first().boundingBox();
const visible = (page, selector) => page.locator(selector).first().isVisible();

/** Whether the element's box lies inside the viewport and inside the message pane. */
function inView(selector) {
  const el = document.querySelector(selector);
  if (!el) return false;
  const r = el.getBoundingClientRect();
  const pane = document.getElementById("messages").getBoundingClientRect();
  const inside = (outer) => r.top >= outer.top - 1 && r.bottom <= outer.bottom + 1;
  return inside({ top: 0, bottom: innerHeight }) && (el.closest("#messages") ? r.bottom > pane.top && r.top < pane.bottom : true);
}

async function scenario(browser) {
  const ana = await register(browser, "ana");
  const bob = await register(browser, "bob");
  const bobId = (await api(bob, "/api/me")).id;
  const dm = await api(ana, "/api/threads", { action: "create", participantIds: [bobId] });
  const send = (who, content) => api(who, "/api/messages", { threadId: dm.id, content });

  const MARKUP = [
    "```\nfn main() { println!(\"<b>hi</b>\"); }\n```",
    "> a quoted line\n\nand **bold**, *italic*, ~~struck~~, `inline`",
    '<img src=x onerror="window.__pwned=1"> <script>window.__pwned=1</script> [x](javascript:window.__pwned=1)',
  ];
  let edited;
  let parent;
  await step("200 messages are in the conversation (and a few with markup)", async () => {
    for (let i = 1; i <= 200; i++) {
      const m = await send(i % 10 === 0 ? bob : ana, `message ${i}`);
      if (i === 199) edited = m;
    }
    for (const text of MARKUP) await send(ana, text);
    const response = await ana.context.request.patch(`${BASE}/api/messages`, { data: { messageId: edited.id, content: "message 199, edited" } });
    check(response.ok(), `edit: ${response.status()}`);
    parent = await send(bob, "the parent message");
    await api(ana, "/api/messages", { threadId: dm.id, content: "a reply", replyToId: parent.id });
    await send(ana, "the newest message");
  });

  for (const size of Object.keys(SIZES)) {
    const { context, page } = await viewAs(browser, ana, size);
    show(`conversation-${size}`, page);
    await step(`${size}: the conversation opens at the newest message with the composer in view`, async () => {
      await page.goto(`${BASE}/chats/${dm.id}`);
      await until(page, "the newest message in view", inView, "#messages > article.message:last-of-type", {
        describe: () => document.querySelector("#messages > article.message:last-of-type")?.textContent.trim().slice(0, 80),
      });
      const newest = (await api(ana, `/api/messages?threadId=${dm.id}&limit=1`)).messages[0];
      await until(page, `the newest (${newest.content}) last`, (id) => document.querySelector("#messages > article.message:last-of-type")?.dataset.messageId === id, newest.id, {
        describe: () => document.querySelector("#messages > article.message:last-of-type")?.textContent.trim().slice(0, 80),
      });
      check(await page.evaluate(inView, "form[data-composer] textarea"), "the composer is in view");
      check(await page.evaluate(() => document.getElementById("messages").getAttribute("role")) === "log", 'the list is role="log"');
    });

    await step(`${size}: ${size === "desktop" ? "the list and the conversation side by side" : "one pane with a back link"}`, async () => {
      const list = await box(page, ".shell-list");
      const chat = await box(page, "#chat");
      check(chat && chat.width > 0, "the conversation shows");
      if (size === "desktop") {
        check(list && list.width > 0, "the list shows");
        check(list.x + list.width <= chat.x, `the list (${JSON.stringify(list)}) is left of the conversation (${JSON.stringify(chat)})`);
        check(await page.locator(`#t-${dm.id}[class~="current"]`).count() === 1, "the open conversation is marked in the list");
        check(!(await visible(page, ".back")), "no back link beside the list");
      } else {
        check(!(await visible(page, ".shell-list")), "the list is hidden on the phone");
        check(await visible(page, ".back"), "a back link to the list");
        check(chat.width <= SIZES.phone.width + 1, `the conversation fits the phone: ${chat.width}`);
        const wide = await page.evaluate(() => document.documentElement.scrollWidth);
        check(wide <= SIZES.phone.width, `nothing scrolls sideways: ${wide}`);
      }
    });

    await step(`${size}: loading older messages keeps the reader's place`, async () => {
      const before = await page.locator("#messages article.message").count();
      // The oldest message shown, and where it sits in the pane, once scrolled to the top.
      const anchor = await page.evaluate(() => {
        const list = document.getElementById("messages");
        list.scrollTop = 0;
        const first = list.querySelector("article.message");
        return { id: first.id, top: first.getBoundingClientRect().top };
      });
      await until(page, "older messages", (n) => document.querySelectorAll("#messages article.message").length > n, before);
      await page.waitForTimeout(100);
      const after = await page.evaluate((id) => document.getElementById(id).getBoundingClientRect().top, anchor.id);
      check(Math.abs(after - anchor.top) < 4, `the message that was on top moved from ${anchor.top} to ${after}`);
    });

    await step(`${size}: times carry datetime and read in the browser's zone`, async () => {
      const times = await page.evaluate(() =>
        [...document.querySelectorAll("#messages time.local-time")].map((t) => ({ iso: t.dateTime, text: t.textContent, title: t.title })),
      );
      check(times.length > 50, `${times.length} times`);
      const clock = new Intl.DateTimeFormat("en-GB", { hour: "2-digit", minute: "2-digit", timeZone: ZONE });
      for (const t of times) {
        check(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(t.iso), `datetime ${t.iso}`);
        check(t.text === clock.format(new Date(t.iso)), `${t.iso} shows as ${t.text}, not ${clock.format(new Date(t.iso))} in ${ZONE}`);
        check(t.title.includes(t.text) && !t.title.endsWith("UTC"), `the full local date on hover: ${t.title}`);
      }
      check(await page.locator("#messages .day-separator", { hasText: "Today" }).count() >= 1, "a day separator");
      check(await page.locator("#messages article.message.grouped").count() > 50, "one author's run is grouped");
    });

    if (size === "desktop") {
      await step("code blocks and quotes render; markup stays inert", async () => {
        check(await page.locator("#messages .content pre code", { hasText: 'println!("<b>hi</b>")' }).count() === 1, "a code block");
        check(await page.locator("#messages .content blockquote", { hasText: "a quoted line" }).count() === 1, "a quote");
        check(await page.locator("#messages .content del", { hasText: "struck" }).count() === 1, "strikethrough");
        const inert = await page.evaluate(() => ({
          pwned: window.__pwned ?? null,
          imgs: document.querySelectorAll("#messages .content img, #messages .content script").length,
          js: document.querySelectorAll('#messages .content a[href^="javascript"]').length,
          shown: [...document.querySelectorAll("#messages .content")].some((c) => c.textContent.includes("<img src=x onerror=")),
        }));
        check(inert.pwned === null && inert.imgs === 0 && inert.js === 0, `inert: ${JSON.stringify(inert)}`);
        check(inert.shown, "raw HTML shows as the text typed");
        const quote = page.locator("#messages .reply-quote").first();
        check((await quote.textContent()).includes("bob: the parent message"), `the reply quotes its parent: ${await quote.textContent()}`);
        check((await quote.getAttribute("href")).endsWith(`#m-${parent.id}`), "the quote links to its parent");
        await page.locator("#messages article.message", { hasText: "edited" }).locator("a.edited").click();
        await page.waitForURL(/\/history$/);
        check(await page.locator(".versions li").count() === 2, "two versions");
        check((await page.locator(".versions li").first().textContent()).includes("message 199, edited"), "newest first");
        await axeCheck(page, "the edit history");
        await page.goBack();
      });

      await step("new messages: followed at the bottom, a pill when reading above", async () => {
        await page.goto(`${BASE}/chats/${dm.id}`);
        await until(page, "live", () => document.getElementById("connection")?.dataset.state === "connected");
        await send(bob, "live at the bottom");
        await until(page, "the new message", () =>
          document.querySelector("#messages > article.message:last-of-type")?.textContent.includes("live at the bottom"),
        );
        await until(page, "the new message in view (followed)", inView, "#messages > article.message:last-of-type");
        await page.evaluate(() => (document.getElementById("messages").scrollTop = 0));
        await page.waitForTimeout(50);
        await send(bob, "while reading above");
        await until(page, "the pill", () => !document.getElementById("new-pill").hidden);
        await page.locator("#new-pill").click();
        await until(page, "the newest in view after the pill", inView, "#messages > article.message:last-of-type");
        check(await page.locator("#new-pill").isHidden(), "the pill goes away");
      });

      await step('opening with unread messages shows the "New" divider above the first', async () => {
        await page.goto(`${BASE}/chats`);
        await api(ana, "/api/messages/read", { threadId: dm.id });
        await send(bob, "unread one");
        await send(bob, "unread two");
        await page.goto(`${BASE}/chats/${dm.id}`);
        const next = await page.evaluate(() => document.getElementById("new-divider")?.nextElementSibling?.textContent ?? "");
        check(next.includes("unread one"), `the divider sits above "unread one": ${next.trim().slice(0, 60)}`);
        await until(page, "the divider in view", inView, "#new-divider");
      });

      await step("deleting asks first; declining keeps the message", async () => {
        const mine = page.locator("#messages article.message.mine", { hasText: "the newest message" });
        page.removeAllListeners("dialog");
        let asked = "";
        page.once("dialog", (d) => {
          asked = d.message();
          d.dismiss();
        });
        await mine.getByRole("button", { name: "Delete" }).click();
        await page.waitForTimeout(300);
        check(/Delete this message/.test(asked), `asked: ${asked}`);
        check(!(await mine.evaluate((el) => el.classList.contains("deleted"))), "declined: still there");
        page.once("dialog", (d) => d.accept());
        await mine.getByRole("button", { name: "Delete" }).click();
        await until(page, "the tombstone", () => !!document.querySelector("#messages article.deleted"));
        page.on("dialog", (d) => d.accept());
      });
    }
    await screenshots(`shell-${size}`);
    await context.close();
  }

  // Every page, light and dark, at both sizes: axe-core and a screenshot.
  const group = await api(ana, "/api/threads", { action: "create", name: "Project", participantIds: [bobId] });
  const fresh = await api(ana, "/api/threads", { action: "create", name: "Empty room", participantIds: [bobId] });
  const PAGES = {
    chats: "/chats",
    conversation: `/chats/${dm.id}`,
    group: `/chats/${group.id}`,
    members: `/chats/${group.id}/members`,
    "new-conversation": `/chats/${fresh.id}`,
    people: "/people",
    search: "/search?q=message",
    settings: "/settings",
    admin: "/admin",
  };
  for (const size of Object.keys(SIZES)) {
    for (const scheme of ["light", "dark"]) {
      await step(`${size} ${scheme}: no serious or critical axe violation on any page`, async () => {
        for (const [who, pages] of [
          [null, { login: "/login", register: "/register" }],
          [ana, PAGES],
        ]) {
          const { context, page } = await viewAs(browser, who, size, scheme);
          for (const [name, path] of Object.entries(pages)) {
            const response = await page.goto(`${BASE}${path}`);
            check(response.ok(), `${path}: ${response.status()}`);
            await page.evaluate(() => document.fonts.ready);
            await page.screenshot({ path: new URL(`page-${name}-${size}-${scheme}.png`, ARTIFACTS).pathname });
            await axeCheck(page, `${path} (${size}, ${scheme})`);
          }
          await context.close();
        }
      });
    }
  }

  await step("the new conversation shows an empty state", async () => {
    const { context, page } = await viewAs(browser, ana, "desktop");
    await page.goto(`${BASE}/chats/${fresh.id}`);
    check(await visible(page, "#messages .empty-state"), "an empty state");
    await context.close();
  });

  await step("no console errors", async () => {
    const errors = consoleErrors();
    check(errors.length === 0, `console errors:\n  ${errors.join("\n  ")}`);
  });
}

const browser = await launch();
try {
  await scenario(browser);
} catch (err) {
  console.error(err.stack ?? err.message);
  process.exitCode = 1;
} finally {
  await browser.close();
}
