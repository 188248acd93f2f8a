// @mentions and links to a message in headless Chromium: ana types "@bo" in the composer,
// picks bob from the suggestions with the keyboard and sends; bob's unread-mentions count
// rises live on another page, his mentions page links to the message, the link opens the
// conversation at it (highlighted, marked as mentioning him), and the count clears live.
// Run by tests/api/browser.rs with CONFAB_URL set; prints `ok <step>` per step.
import { BASE, api, check, register, run, screenshots, show, step, until } from "./harness.mjs";
import { composer, live, pageHelpers } from "./chat.mjs";

const count = () => {
  const el = document.getElementById("mention-count");
  return el && { text: el.textContent.trim(), shown: el.checkVisibility() };
};

async function scenario(browser) {
  const ana = await register(browser, "ana", { helpers: pageHelpers });
  const bob = await register(browser, "bob", { helpers: pageHelpers });
  const bobId = (await api(bob, "/api/me")).id;
  const dm = await api(ana, "/api/threads", { action: "create", participantIds: [bobId] });
  show("ana", ana.page);
  show("bob", bob.page);

  await step("bob's nav starts with no unread mentions", async () => {
    await bob.page.goto(`${BASE}/people`);
    await live(bob.page, "bob");
    const shown = await bob.page.evaluate(count);
    check(shown && !shown.shown && shown.text === "0", `count: ${JSON.stringify(shown)}`);
  });

  await step("ana picks @bob from the suggestions with the keyboard and sends", async () => {
    await ana.page.goto(`${BASE}/chats/${dm.id}`);
    await live(ana.page, "ana");
    const area = composer(ana.page).locator('textarea[name="content"]');
    await area.click();
    await area.pressSequentially("hello @bo");
    await until(ana.page, "a suggestion for bob", () =>
      [...document.querySelectorAll("#mention-suggest li")].some((li) => li.dataset.username === "bob"),
    );
    await area.press("Enter");
    const value = await area.inputValue();
    check(value === "hello @bob ", `Enter chose the suggestion instead of sending: ${JSON.stringify(value)}`);
    await area.pressSequentially("are you there?");
    await area.press("Enter");
    await until(ana.page, "the message sent", () =>
      __t.copies("hello @bob are you there?").some((c) => c.id && !c.pending),
    );
  });

  await step("bob's count rises live", async () => {
    await until(bob.page, "the count to read 1", () => {
      const el = document.getElementById("mention-count");
      return el && el.checkVisibility() && el.textContent.trim() === "1";
    }, null, { describe: count });
  });

  await step("the mentions page links to the message, which opens highlighted", async () => {
    await bob.page.click("a.mentions-link");
    await bob.page.waitForURL(/\/mentions$/);
    await bob.page.click(".mention-item a.result-link");
    await bob.page.waitForURL(/\?message=/);
    const target = await until(bob.page, "the linked message highlighted", () => {
      const el = document.querySelector("article.message.permalinked");
      return el && { mine: el.classList.contains("mentions-me"), link: !!el.querySelector('a.mention[data-mention="bob"]') };
    });
    check(target.mine && target.link, `the message shows the mention: ${JSON.stringify(target)}`);
    await screenshots("mentions-permalink");
  });

  await step("opening the conversation read the mention: the count clears live", async () => {
    await until(bob.page, "the count to clear", () => document.getElementById("mention-count")?.checkVisibility() === false, null, {
      describe: count,
    });
  });

  await step("a mention sent while bob looks elsewhere rises and clears when he reads", async () => {
    await bob.page.goto(`${BASE}/search`);
    await live(bob.page, "bob");
    await api(ana, "/api/messages", { threadId: dm.id, content: "@bob once more" });
    await until(bob.page, "the count to read 1 again", () => document.getElementById("mention-count")?.checkVisibility() && document.getElementById("mention-count").textContent.trim() === "1");
    await api(bob, "/api/messages/read", { threadId: dm.id });
    await until(bob.page, "the count to clear again", () => document.getElementById("mention-count")?.checkVisibility() === false);
  });
}

await run(scenario);
