// (f) Script payloads from visitors and operators are shown as text and never run.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  DEMO, withServer, newPage, gotoDemo, openChat, choose, answerText, waitForLog, sendFromWidget,
  headerTitle, widget, until, sleep,
} from "./support.mjs";

const IMG = `<img src=x onerror="window.__xss=1">`;
const SCRIPT = `<script>window.__xss=1</script>`;
const SVG = `<svg onload="window.__xss=1"></svg>`;

async function assertInert(page) {
  await sleep(300); // give an injected handler the chance to run
  assert.equal(await page.evaluate(() => window.__xss), undefined, "no payload ran");
  const injected = await page.evaluate(() =>
    document.querySelector("frontdesk-widget").shadowRoot.querySelectorAll(".log img, .log script, .log svg, .title img").length
  );
  assert.equal(injected, 0, "no element was created from a payload");
}

test("xss: captured name, visitor and operator messages, operator name", async () => {
  await withServer([], async ({ server, api, browser, sockets }) => {
    const admin = await api.admin();
    // An operator whose display name is a payload, if the server accepts such a name.
    let opName = `Eve ${IMG}`;
    let created = await api.call("POST", "/api/operators", admin.token, { display_name: opName, email: "eve@example.com", password: "correct horse", role: "operator" });
    if (created.status !== 201) {
      opName = "Eve";
      created = await api.call("POST", "/api/operators", admin.token, { display_name: opName, email: "eve@example.com", password: "correct horse", role: "operator" });
    }
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const eve = await api.login("eve@example.com", "correct horse");
    sockets.push(await api.goOnline(eve));

    const page = await newPage(browser);
    await gotoDemo(page, server);
    await openChat(page);

    // The qualification path captures the name: a payload as the visitor's name.
    await choose(page, DEMO.demo);
    await choose(page, DEMO.midSize);
    await waitForLog(page, DEMO.askName);
    await answerText(page, IMG);
    await waitForLog(page, DEMO.askEmail);
    await assertInert(page);
    await answerText(page, IMG); // refused as an email
    await widget(page).getByRole("alert").filter({ hasText: /\S/ }).first().waitFor();
    await answerText(page, "fox@example.com");
    await waitForLog(page, DEMO.askCompany);
    await answerText(page, SVG);
    await waitForLog(page, DEMO.qualifiedEnd);
    await assertInert(page);

    // A new conversation asks for a person: messages with payloads both ways.
    await widget(page).getByRole("button", { name: "Start a new chat" }).click();
    await until(async () => (await widget(page).getByRole("button", { name: DEMO.talk, exact: true }).count()) === 1, "the first question again");
    await choose(page, DEMO.talk);
    await waitForLog(page, DEMO.online);
    const conv = await api.waitInFolder(eve, "unassigned");
    await api.assign(eve, conv.id);
    await waitForLog(page, `${opName} joined the chat`);
    await until(async () => (await headerTitle(page)) === opName, "the operator's name, literally, in the header");

    await sendFromWidget(page, IMG);
    await sendFromWidget(page, SCRIPT);
    await api.send(eve, conv.id, SCRIPT);
    await api.send(eve, conv.id, `${SVG} and ${IMG}`);
    await waitForLog(page, `${SVG} and ${IMG}`);
    await waitForLog(page, SCRIPT);
    await assertInert(page);
    const bubbles = await widget(page).locator(".m .b").allTextContents();
    assert.ok(bubbles.filter((b) => b === IMG).length >= 1, "the visitor's payload as a text bubble");
    assert.ok(bubbles.filter((b) => b === SCRIPT).length >= 2, "the script payloads from both sides as text");
    if (opName !== "Eve") {
      const who = await widget(page).locator(".m.operator .who").first().textContent();
      assert.equal(who, opName);
    }

    // The operator sees the visitor's payloads stored verbatim.
    const detail = await api.detail(eve, conv.id);
    assert.ok(detail.messages.some((m) => m.body === IMG && m.author === "visitor"));

    // After a reload the same strings come back from REST, still as text.
    await page.reload();
    await waitForLog(page, `${SVG} and ${IMG}`);
    await assertInert(page);
  });
});
