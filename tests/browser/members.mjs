// Who is here, in headless Chromium at 1280×800: ana's group page shows its members beside
// the conversation, online first; cat, offline, opens a page and ana sees her come online
// live; "Show more" is not needed for three people.
// Run by tests/api/browser.rs with CONFAB_URL set; prints `ok <step>` per step.
import { BASE, api, check, register, run, show, step, until } from "./harness.mjs";
import { live, pageHelpers } from "./chat.mjs";

async function scenario(browser) {
  const ana = await register(browser, "ana", { helpers: pageHelpers });
  const bob = await register(browser, "bob", { helpers: pageHelpers });
  const cat = await register(browser, "cat", { helpers: pageHelpers });
  const [bobId, catId] = [(await api(bob, "/api/me")).id, (await api(cat, "/api/me")).id];
  const group = await api(ana, "/api/threads", { action: "create", name: "Crew", participantIds: [bobId, catId] });
  await cat.page.goto("about:blank");
  await ana.page.setViewportSize({ width: 1280, height: 800 });
  show("ana", ana.page);
  const dot = (id) => `#roster-panel .presence[data-presence-user="${id}"]`;

  await step("the group shows its members beside the conversation, cat offline", async () => {
    // Cat's stream closed: she is offline once the grace period is over.
    for (;;) {
      const [p] = await api(ana, `/api/chat/presence?userIds=${catId}`);
      if (p.status === "OFFLINE") break;
      await ana.page.waitForTimeout(250);
    }
    await ana.page.goto(`${BASE}/chats/${group.id}`);
    await live(ana.page, "ana");
    const panel = ana.page.locator("#roster-panel");
    check(await panel.isVisible(), "the members panel is beside the conversation");
    const names = await panel.locator(".roster-member .roster-name").allTextContents();
    check(names.length === 3, `members: ${JSON.stringify(names)}`);
    check(names.at(-1).includes("@cat"), `cat (offline) comes last: ${JSON.stringify(names)}`);
    check(!(await ana.page.locator(dot(catId)).evaluate((el) => el.classList.contains("online"))), "cat shows offline");
  });

  await step("cat comes online and ana sees it live", async () => {
    await cat.page.goto(`${BASE}/chats`);
    await live(cat.page, "cat");
    await until(ana.page, "cat's dot to turn online", (sel) => document.querySelector(sel)?.classList.contains("online"), dot(catId), {
      describe: (sel) => document.querySelector(sel)?.outerHTML ?? "no dot",
    });
  });
}

await run(scenario);
