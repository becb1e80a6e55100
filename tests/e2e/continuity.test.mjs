// (e) A reload mid-chat, and navigating to another page, keep the conversation.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  DEMO, withServer, newPage, gotoDemo, openChat, choose, waitForLog, headerTitle, sendFromWidget,
  visitorConversation, closeButton, launcher, widget, until, logText,
} from "./support.mjs";

test("continuity: reload and navigation keep the conversation and its messages", async () => {
  await withServer([], async ({ server, api, browser, sockets }) => {
    const admin = await api.admin();
    const bo = await api.operator(admin, "Bo Lind");
    sockets.push(await api.goOnline(bo));

    const page = await newPage(browser);
    await gotoDemo(page, server);
    await openChat(page);
    await choose(page, DEMO.talk);
    await waitForLog(page, DEMO.online);
    const conv = await api.waitInFolder(bo, "unassigned");
    await api.assign(bo, conv.id);
    await waitForLog(page, "Bo Lind joined the chat");
    await sendFromWidget(page, "First message before the reload");
    await api.send(bo, conv.id, "Operator reply before the reload");
    await waitForLog(page, "Operator reply before the reload");
    const mine = await visitorConversation(page, server);
    assert.equal(mine.conversation.id, conv.id);

    // Reload: the panel comes back open with the same conversation.
    await page.reload();
    await closeButton(page).waitFor({ state: "visible" });
    await waitForLog(page, "First message before the reload");
    await waitForLog(page, "Operator reply before the reload");
    assert.equal(await headerTitle(page), "Bo Lind");
    assert.equal((await visitorConversation(page, server)).conversation.id, conv.id);
    // No duplicates after replay + REST.
    const text = await logText(page);
    assert.equal(text.split("Operator reply before the reload").length, 2, "each message once");

    // A message sent while the page was away arrives on resume.
    await sendFromWidget(page, "After the reload");
    await api.send(bo, conv.id, "Operator after the reload");
    await waitForLog(page, "Operator after the reload");
    await until(async () => (await api.detail(bo, conv.id)).messages.some((m) => m.body === "After the reload"), "the visitor's message at the operator");

    // Navigation to another page of the site.
    await page.locator("nav").getByRole("link", { name: "Pricing" }).click();
    await page.waitForURL(server.base + "/demo/pricing");
    await closeButton(page).waitFor({ state: "visible" });
    await waitForLog(page, "Operator after the reload");
    assert.equal((await visitorConversation(page, server)).conversation.id, conv.id);
    await api.send(bo, conv.id, "Welcome to the pricing page");
    await waitForLog(page, "Welcome to the pricing page");
    await sendFromWidget(page, "Thanks, reading it now");
    await until(async () => (await api.detail(bo, conv.id)).messages.some((m) => m.body === "Thanks, reading it now"), "the message from /demo/pricing");

    // Closed panel on the next page stays closed until opened; the conversation is still there.
    await closeButton(page).click();
    await page.goto(server.base + "/demo");
    await launcher(page).waitFor({ state: "visible" });
    await api.send(bo, conv.id, "Anything else?");
    await until(async () => (await widget(page).locator(".badge").textContent()) === "1", "an unread badge on the launcher");
    await openChat(page);
    await waitForLog(page, "Anything else?");
    await waitForLog(page, "Thanks, reading it now");
    assert.deepEqual(page.consoleErrors, []);
  });
});

test("server restart: reconnecting banner, a message queued while down, resume from the cursor", async () => {
  await withServer([], async ({ server, api, browser, sockets, restart }) => {
    const admin = await api.admin();
    const cy = await api.operator(admin, "Cy Okafor");
    sockets.push(await api.goOnline(cy));

    const page = await newPage(browser);
    await gotoDemo(page, server);
    await openChat(page);
    await choose(page, DEMO.talk);
    const conv = await api.waitInFolder(cy, "unassigned");
    await api.assign(cy, conv.id);
    await waitForLog(page, "Cy Okafor joined the chat");

    const banner = widget(page).locator(".banner");
    await restart({
      downMs: 1500,
      onDown: async () => {
        await banner.filter({ hasText: "Reconnecting…" }).waitFor({ state: "visible" });
        // Written while the server is down: shown as pending, delivered later.
        await sendFromWidget(page, "Written during the outage");
        await widget(page).locator(".m.pending").filter({ hasText: "Written during the outage" }).waitFor();
      },
    });
    await banner.waitFor({ state: "hidden", timeout: 15_000 });
    await until(async () => (await api.detail(cy, conv.id)).messages.some((m) => m.body === "Written during the outage"), "the queued message at the operator", { timeout: 15_000 });
    await until(async () => (await widget(page).locator(".m.pending").count()) === 0, "the queued message confirmed");

    await api.send(cy, conv.id, "Back online");
    await waitForLog(page, "Back online");
    const text = await logText(page);
    assert.equal(text.split("Written during the outage").length, 2, "sent once");
  });
});

test("a stored token the server refuses is dropped and a new session starts", async () => {
  await withServer([], async ({ server, browser }) => {
    const page = await newPage(browser);
    await page.goto(server.base + "/demo");
    const playbookId = await page.evaluate(() => window.frontdeskConfig.playbookId);
    await page.evaluate((id) => {
      localStorage.setItem(`frontdesk:${id}:token`, "not-a-real-token");
      localStorage.setItem(`frontdesk:${id}:cursor`, "42");
    }, playbookId);
    await gotoDemo(page, server);
    await openChat(page);
    await waitForLog(page, DEMO.start);
    const stored = await page.evaluate((id) => localStorage.getItem(`frontdesk:${id}:token`), playbookId);
    assert.ok(stored && stored !== "not-a-real-token", "a new token is stored");
    assert.ok((await visitorConversation(page, server)).conversation.id);
    assert.deepEqual(page.consoleErrors, []);
  });
});

test("resync_required: a cursor the server cannot resume from reloads the state and goes live", async () => {
  await withServer([], async ({ server, api, browser, sockets }) => {
    const admin = await api.admin();
    const di = await api.operator(admin, "Di Novak");
    sockets.push(await api.goOnline(di));
    const page = await newPage(browser);
    await gotoDemo(page, server);
    await openChat(page);
    await choose(page, DEMO.talk);
    const conv = await api.waitInFolder(di, "unassigned");
    await api.assign(di, conv.id);
    await waitForLog(page, "Di Novak joined the chat");

    const playbookId = await page.evaluate(() => window.frontdeskConfig.playbookId);
    const cursorKey = `frontdesk:${playbookId}:cursor`;
    await page.evaluate((k) => localStorage.setItem(k, "999999999"), cursorKey);
    await page.reload();
    await waitForLog(page, "Di Novak joined the chat");
    // The widget drops the bad cursor and stores a real one again.
    await until(async () => {
      const c = await page.evaluate((k) => localStorage.getItem(k), cursorKey);
      return c !== null && c !== "999999999";
    }, "a new cursor after the resync");
    await api.send(di, conv.id, "Live after the resync");
    await waitForLog(page, "Live after the resync");
    const text = await logText(page);
    assert.equal(text.split("Di Novak joined the chat").length, 2, "no duplicates after the resync");
  });
});
