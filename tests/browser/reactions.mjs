// Reactions with any emoji in headless Chromium: bob opens the emoji picker under ana's
// message, searches "unicorn", picks 🦄, and the reaction shows live on ana's page; Enter
// in the search box picks the first match.
// Run by tests/api/browser.rs with CONFAB_URL set; prints `ok <step>` per step.
import { BASE, api, check, register, run, show, step, until } from "./harness.mjs";
import { axeCheck } from "./axe.mjs";
import { live, pageHelpers } from "./chat.mjs";

/** In-page: `reactionsOf(id)`, the reactions under a message as "emoji count" strings. */
function reactionHelpers() {
  window.reactionsOf = (id) => {
    const article = document.getElementById(`m-${id}`);
    return [...(article?.querySelectorAll("button.reaction:not(.add)") ?? [])].map((b) => b.textContent.replace(/\s+/g, " ").trim());
  };
}

async function scenario(browser) {
  const ana = await register(browser, "ana", { helpers: pageHelpers });
  const bob = await register(browser, "bob", { helpers: pageHelpers });
  for (const person of [ana, bob]) await person.context.addInitScript(reactionHelpers);
  const bobId = (await api(bob, "/api/me")).id;
  const dm = await api(ana, "/api/threads", { action: "create", participantIds: [bobId] });
  const message = await api(ana, "/api/messages", { threadId: dm.id, content: "pick something" });
  show("ana", ana.page);
  show("bob", bob.page);
  await ana.page.goto(`${BASE}/chats/${dm.id}`);
  await bob.page.goto(`${BASE}/chats/${dm.id}`);
  await live(ana.page, "ana");
  await live(bob.page, "bob");

  await step("bob searches the picker for a unicorn and ana sees it live", async () => {
    const article = bob.page.locator(`#m-${message.id}`);
    await article.getByRole("button", { name: "Add a reaction" }).click();
    const picker = bob.page.locator("#emoji-picker");
    await picker.waitFor();
    const search = picker.getByRole("searchbox", { name: "Search emoji" });
    check(await search.evaluate((el) => el === document.activeElement), "the search box has the focus");
    await until(bob.page, "the emoji list to load", () => document.querySelectorAll("#emoji-picker button.emoji").length > 1500);
    await search.pressSequentially("unicorn");
    const shown = await picker.locator("button.emoji:visible").allTextContents();
    check(shown.length >= 1 && shown.length < 5 && shown.includes("🦄"), `the search shows ${JSON.stringify(shown)}`);
    await picker.getByRole("button", { name: "unicorn", exact: true }).click();
    await picker.waitFor({ state: "hidden" });
    await until(ana.page, "ana's page to show 🦄 1", (id) => JSON.stringify(reactionsOf(id)) === JSON.stringify(["🦄 1"]), message.id, {
      describe: (id) => JSON.stringify(reactionsOf(id)),
    });
    await until(bob.page, "bob's page to show 🦄 1 as his", (id) => !!document.querySelector(`#m-${id} button.reaction.reacted`), message.id);
  });

  await step("Enter in the search picks the first match", async () => {
    await ana.page.locator(`#m-${message.id}`).getByRole("button", { name: "Add a reaction" }).click();
    const search = ana.page.getByRole("searchbox", { name: "Search emoji" });
    await until(ana.page, "the emoji list to load", () => document.querySelectorAll("#emoji-picker button.emoji").length > 1500);
    await search.pressSequentially("rocket");
    await search.press("Enter");
    await until(bob.page, "bob's page to show 🦄 and 🚀", (id) => reactionsOf(id).join(",") === "🦄 1,🚀 1", message.id, {
      describe: (id) => JSON.stringify(reactionsOf(id)),
    });
    const stored = await api(ana, `/api/messages?threadId=${dm.id}`);
    const emoji = stored.messages[0].reactions.map((r) => r.emoji);
    check(JSON.stringify(emoji) === JSON.stringify(["🦄", "🚀"]), `stored: ${JSON.stringify(emoji)}`);
  });

  await step("the open picker passes axe, light and dark", async () => {
    for (const colorScheme of ["light", "dark"]) {
      await bob.page.emulateMedia({ colorScheme });
      await bob.page.locator(`#m-${message.id}`).getByRole("button", { name: "Add a reaction" }).click();
      await until(bob.page, "the emoji list to load", () => document.querySelectorAll("#emoji-picker button.emoji").length > 1500);
      await bob.page.getByRole("searchbox", { name: "Search emoji" }).pressSequentially("heart");
      await axeCheck(bob.page, `the emoji picker (${colorScheme})`);
      await bob.page.locator("#emoji-picker").getByRole("button", { name: "Close" }).click();
      await bob.page.locator("#emoji-picker").waitFor({ state: "hidden" });
    }
  });
}

await run(scenario);
