// The tab title's unread count and the keyboard in headless Chromium: bob's /chats tab
// title rises to "(1)" when ana writes and clears live when he reads; Ctrl+K opens the
// quick switcher and Enter opens the chosen conversation; Up in bob's empty composer opens
// his last message for editing and Esc cancels.
// Run by tests/api/browser.rs with CONFAB_URL set; prints `ok <step>` per step.
import { BASE, api, check, register, run, show, step, until } from "./harness.mjs";
import { composer, live, pageHelpers, stored } from "./chat.mjs";

async function scenario(browser) {
  const ana = await register(browser, "ana", { helpers: pageHelpers });
  const bob = await register(browser, "bob", { helpers: pageHelpers });
  const bobId = (await api(bob, "/api/me")).id;
  const dm = await api(ana, "/api/threads", { action: "create", participantIds: [bobId] });
  const room = await api(ana, "/api/threads", { action: "create", name: "Roadmap", participantIds: [bobId] });
  show("bob", bob.page);

  await step("bob's title rises with an unread message and clears when he reads", async () => {
    await bob.page.goto(`${BASE}/chats`);
    await live(bob.page, "bob");
    check((await bob.page.title()) === "Chats · Confab", `title: ${await bob.page.title()}`);
    await api(ana, "/api/messages", { threadId: dm.id, content: "are you there?" });
    await until(bob.page, 'the title "(1) Chats · Confab"', () => document.title === "(1) Chats · Confab", null, {
      describe: () => document.title,
    });
    await api(bob, "/api/messages/read", { threadId: dm.id });
    await until(bob.page, "the title to clear", () => document.title === "Chats · Confab", null, { describe: () => document.title });
  });

  await step("Ctrl+K opens the quick switcher and Enter opens the chosen conversation", async () => {
    await bob.page.goto(`${BASE}/chats/${dm.id}`);
    await live(bob.page, "bob");
    await bob.page.keyboard.press("Control+k");
    const input = bob.page.locator("#quick-switcher input");
    await input.waitFor();
    await input.pressSequentially("road");
    await until(bob.page, "one match, Roadmap", () => {
      const items = [...document.querySelectorAll("#quick-switcher li[role=option]")];
      return items.length === 1 && items[0].textContent.includes("Roadmap");
    });
    await input.press("Enter");
    await bob.page.waitForURL(new RegExp(`/chats/${room.id}$`));
  });

  await step("Up in the empty composer edits bob's last message; Esc cancels", async () => {
    await live(bob.page, "bob");
    const area = composer(bob.page).locator('textarea[name="content"]');
    await area.fill("first draft");
    await area.press("Enter");
    await stored(bob.page, "bob", ["first draft"]);
    await area.click();
    await area.press("ArrowUp");
    const edit = bob.page.locator("#messages form.edit-form textarea");
    await edit.waitFor();
    check((await edit.inputValue()) === "first draft", `the edit form holds ${await edit.inputValue()}`);
    check(await edit.evaluate((el) => el === document.activeElement), "the edit box has the focus");
    await edit.press("Escape");
    await bob.page.waitForURL(new RegExp(`/chats/${room.id}$`));
    await bob.page.locator("#messages form.edit-form").waitFor({ state: "detached" });
  });
}

await run(scenario);
