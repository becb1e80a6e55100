// (b) Live chat with an operator online: handoff, join, messages both ways, typing.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  DEMO, withServer, newPage, gotoDemo, openChat, choose, waitForLog, waitForWidgetText, headerTitle,
  sendFromWidget, screenshot, widget, until, waitForEvent,
} from "./support.mjs";

test("livechat: Unassigned, assign, joined, messages both ways, typing both ways", async () => {
  await withServer([], async ({ server, api, browser, sockets }) => {
    const admin = await api.admin();
    const anna = await api.operator(admin, "Anna Berg");
    const annaWs = await api.goOnline(anna);
    sockets.push(annaWs);

    const page = await newPage(browser);
    await gotoDemo(page, server);
    await openChat(page);
    await waitForLog(page, DEMO.start);
    assert.equal(await headerTitle(page), "Frontdesk Bot", "the bot's name before an operator joins");

    await choose(page, DEMO.talk);
    await waitForLog(page, DEMO.online);
    // Waiting: the visitor may already write.
    await sendFromWidget(page, "Hi, I have a question about SSO.");

    const conv = await api.waitInFolder(anna, "unassigned");
    assert.equal(conv.state, "waiting");
    await api.assign(anna, conv.id);

    await waitForLog(page, "Anna Berg joined the chat");
    await until(async () => (await headerTitle(page)) === "Anna Berg", "the operator's name in the header (S9)");

    // Visitor → operator (the message written while waiting arrived too).
    await sendFromWidget(page, "Is SSO in the Team plan?");
    await until(async () => {
      const d = await api.detail(anna, conv.id);
      const bodies = d.messages.map((m) => m.body);
      return bodies.includes("Hi, I have a question about SSO.") && bodies.includes("Is SSO in the Team plan?");
    }, "both visitor messages at the operator");
    // The widget marks them sent (ack), not pending.
    await until(async () => (await widget(page).locator(".m.pending").count()) === 0, "no pending messages");

    // Operator typing → "Anna Berg is typing…" in the widget.
    annaWs.send({ type: "typing", conversation_id: conv.id });
    await waitForWidgetText(page, "Anna Berg is typing…");

    // Operator → visitor, with the author's name.
    await api.send(anna, conv.id, "SSO is part of Enterprise; happy to set up a call.");
    await waitForLog(page, "SSO is part of Enterprise; happy to set up a call.");
    const op = widget(page).locator(".m.operator").last();
    assert.equal(await op.locator(".who").textContent(), "Anna Berg");
    // The typing line goes away when the operator's message arrives.
    await until(async () => !(await widget(page).locator(".typing").textContent()), "typing indicator cleared");

    // Visitor typing reaches the operator's stream, throttled to one frame per 2 s.
    const typingFrames = () => annaWs.frames.filter((f) => f.type === "typing" && f.conversation_id === conv.id);
    const before = typingFrames().length;
    const composer = widget(page).getByRole("textbox", { name: "Type a message…" });
    await composer.pressSequentially("Sounds good, thanks a lot", { delay: 100 }); // 25 keys in 2.5 s
    await until(() => typingFrames().length > before, "the visitor's typing frame at the operator");
    const sent = typingFrames().length - before;
    assert.ok(sent <= 2, `typing is throttled (${sent} frames for 25 keystrokes in 2.5 s)`);
    assert.equal(typingFrames().at(-1).name, "Visitor");
    await composer.press("Enter");
    await waitForLog(page, "Sounds good, thanks a lot");

    await screenshot(page, "widget-operator-joined.png");

    // The operator closes the chat: the widget says so and reports the end.
    await api.ok("POST", `/api/conversations/${conv.id}/close`, anna.token, undefined, [200]);
    await waitForWidgetText(page, DEMO.chatEnded);
    const ended = await waitForEvent(page, "conversationEnded");
    assert.deepEqual(ended.data, { qualified: null });
    assert.equal(await widget(page).getByRole("textbox", { name: "Type a message…" }).count(), 0, "no composer after the end");
    assert.deepEqual(page.consoleErrors, []);
  });
});
