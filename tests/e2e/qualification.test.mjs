// (a) The qualification path of the demo playbook ends in created follow-ups.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  DEMO, withServer, newPage, gotoDemo, openChat, choose, answerText, answerInput, waitForLog,
  waitForWidgetText, waitForEvent, events, screenshot, widget, captured, onlyConversation, until, logText, visitorConversation,
} from "./support.mjs";

test("qualification: demo answers, captured fields, validation, qualified end with follow-ups", async () => {
  await withServer([], async ({ server, api, browser }) => {
    const page = await newPage(browser);
    await gotoDemo(page, server);
    await waitForEvent(page, "initialized");
    await screenshot(page, "widget-closed.png");

    await openChat(page);
    await waitForLog(page, DEMO.start);
    await widget(page).getByRole("button", { name: DEMO.demo, exact: true }).waitFor();
    await screenshot(page, "widget-bot-question.png");

    await choose(page, DEMO.demo);
    await waitForLog(page, DEMO.teamSize);
    await choose(page, DEMO.midSize);
    await waitForLog(page, DEMO.askName);
    await answerText(page, "Dana Scully");
    await waitForLog(page, DEMO.askEmail);
    assert.equal(await answerInput(page).getAttribute("type"), "email", "the email question uses an email input");

    // A wrong email is refused with the server's message under the input; the card stays.
    await answerText(page, "dana at example", { expectError: true });
    const alert = widget(page).getByRole("alert").filter({ hasText: /\S/ }).first();
    const message = await alert.textContent();
    assert.match(message, /email/i, "the 422 message is shown");
    assert.equal(await answerInput(page).getAttribute("aria-invalid"), "true");
    await screenshot(page, "widget-validation-error.png");

    await answerText(page, "dana@example.com");
    await waitForLog(page, DEMO.askCompany);
    await answerText(page, "Scully & Partners");
    await waitForLog(page, DEMO.qualifiedEnd);

    const ended = await waitForEvent(page, "conversationEnded");
    assert.deepEqual(ended.data, { qualified: true });
    await waitForWidgetText(page, DEMO.chatEnded);
    const names = (await events(page)).map((e) => e.name);
    assert.ok(names.indexOf("initialized") < names.indexOf("opened"), `events in order: ${names}`);

    // The operator's side: captured fields and the deal and activity of the path.
    const admin = await api.admin();
    const conv = await onlyConversation(api, admin);
    assert.equal(conv.qualified, true);
    const detail = await api.detail(admin, conv.id);
    const { fields, followUps, details } = captured(detail);
    assert.equal(fields.name, "Dana Scully");
    assert.equal(fields.email, "dana@example.com");
    assert.equal(fields.organization, "Scully & Partners");
    const kinds = followUps.map((f) => f.kind).sort();
    assert.deepEqual(kinds, ["activity", "deal"], `follow-ups: ${JSON.stringify(followUps)}`);
    const deal = followUps.find((f) => f.kind === "deal");
    assert.equal(deal.title, "Demo request");
    assert.equal(deal.page_url, server.base + "/demo", "the page where the visitor converted is on the deal (B7)");
    assert.equal(details.page_url, server.base + "/demo");

    // A later open starts a new conversation.
    await widget(page).getByRole("button", { name: "Start a new chat" }).click();
    await until(async () => {
      const list = await api.folder(admin, "closed");
      return list.length === 1;
    }, "the first conversation still closed");
    await until(async () => {
      const text = await logText(page);
      return text.includes(DEMO.start) && !text.includes(DEMO.qualifiedEnd);
    }, "a new conversation with the first question");
    const again = await visitorConversation(page, server);
    assert.notEqual(again.conversation.id, conv.id, "a new conversation");
    assert.deepEqual(page.consoleErrors, []);
  });
});

test("disqualified path: the bot's answer, then conversationEnded {qualified: false}", async () => {
  await withServer([], async ({ server, browser }) => {
    const page = await newPage(browser);
    await gotoDemo(page, server);
    await openChat(page);
    await choose(page, "Just looking");
    await waitForLog(page, "No problem! Plans start at €15 per user and month.");
    const ended = await waitForEvent(page, "conversationEnded");
    assert.deepEqual(ended.data, { qualified: false });
    await waitForWidgetText(page, DEMO.chatEnded);
    assert.equal(await widget(page).locator("input").count(), 0, "nothing to answer after the end");
  });
});
