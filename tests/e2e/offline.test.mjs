// (c) Nobody online: straight to the offline flow. (d) Nobody picks the chat up in time.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  DEMO, withServer, newPage, gotoDemo, openChat, choose, answerText, waitForLog, waitForEvent,
  screenshot, widget, captured, onlyConversation, logText, until, visitorConversation,
} from "./support.mjs";

/** Name and email in the offline flow, then the qualified end; returns the conversation. */
async function completeOfflineFlow(page, api, admin, name, email) {
  await waitForLog(page, DEMO.offlineName);
  await answerText(page, name);
  await waitForLog(page, DEMO.offlineEmail);
  await answerText(page, email);
  await waitForLog(page, DEMO.offlineEnd);
  const ended = await waitForEvent(page, "conversationEnded");
  assert.deepEqual(ended.data, { qualified: true });
  const conv = await onlyConversation(api, admin);
  const { fields, followUps } = captured(await api.detail(admin, conv.id));
  assert.equal(fields.name, name);
  assert.equal(fields.email, email);
  assert.equal(followUps.length, 1, JSON.stringify(followUps));
  assert.equal(followUps[0].kind, "lead");
  assert.equal(followUps[0].title, "Callback request from the website chat");
  return conv;
}

test("offline: nobody online → offline message at once, then the capture cards", async () => {
  await withServer([], async ({ server, api, browser }) => {
    const admin = await api.admin(); // signed in, but not online
    const page = await newPage(browser);
    await gotoDemo(page, server);
    await openChat(page);
    await choose(page, DEMO.talk);
    await waitForLog(page, DEMO.offline);
    await waitForLog(page, DEMO.offlineName);
    const text = await logText(page);
    assert.ok(!text.includes(DEMO.online), "no online message when nobody is online (S4)");
    assert.equal(await widget(page).getByRole("textbox", { name: "Type a message…" }).count(), 0, "no composer in the offline flow");
    assert.equal((await visitorConversation(page, server)).conversation.state, "offline");
    await screenshot(page, "widget-offline-flow.png");
    await completeOfflineFlow(page, api, admin, "Walter Skinner", "walter@example.org");
  });
});

test("wait time expires: online message, then the offline message and flow, follow-up created", async () => {
  await withServer(["--wait-time-secs", "2"], async ({ server, api, browser, sockets }) => {
    const admin = await api.admin();
    const idle = await api.operator(admin, "Idle Ian");
    sockets.push(await api.goOnline(idle)); // online, never assigns

    const page = await newPage(browser);
    await gotoDemo(page, server);
    await openChat(page);
    await choose(page, DEMO.talk);
    await waitForLog(page, DEMO.online);
    const waiting = await api.waitInFolder(idle, "unassigned");
    assert.equal(waiting.state, "waiting");
    await until(async () => (await logText(page)).includes(DEMO.offline), "the offline message after the wait time", { timeout: 15_000 });
    const text = await logText(page);
    assert.ok(text.indexOf(DEMO.online) < text.indexOf(DEMO.offline));
    await until(async () => (await api.folder(idle, "unassigned")).length === 0, "the chat left Unassigned");
    await completeOfflineFlow(page, api, admin, "Monica Reyes", "monica@example.org");
  });
});
