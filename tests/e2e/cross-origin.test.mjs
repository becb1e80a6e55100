// The widget installed on another site (S6): the snippet from the admin API on a page of a
// different origin, CORS preflights, the allowed-sites check on REST and the stream.
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import {
  DEMO, withServer, newPage, gotoDemo, openChat, choose, waitForLog, waitForWidgetText, sendFromWidget, until,
} from "./support.mjs";

/** A customer's website on its own origin (another loopback port), with `snippet` in it. */
async function customerSite(snippet) {
  const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Customer site</title>
<style>* { font-family: serif } button { background: red !important }</style></head>
<body><h1>Northwind Traders</h1><p>Fine goods since 1887.</p>${snippet}</body></html>`;
  const site = http.createServer((req, res) => {
    res.writeHead(req.url === "/" ? 200 : 404, { "content-type": "text/html; charset=utf-8" });
    res.end(req.url === "/" ? page : "not found");
  });
  await new Promise((r) => site.listen(0, "127.0.0.1", r));
  const origin = `http://127.0.0.1:${site.address().port}`;
  return { origin, close: () => new Promise((r) => site.close(r)) };
}

test("cross-origin install: allowed site chats; other sites are refused with a clear message", async () => {
  await withServer([], async ({ server, api, browser, sockets }) => {
    const admin = await api.admin();
    const [playbook] = await api.ok("GET", "/api/playbooks", admin.token);
    const { snippet } = await api.ok("GET", `/api/playbooks/${playbook.id}/snippet`, admin.token);
    assert.ok(snippet.includes(server.base) && snippet.includes(playbook.id), snippet);

    const allowed = await customerSite(snippet);
    const other = await customerSite(snippet);
    try {
      await api.ok("PUT", `/api/playbooks/${playbook.id}/origins`, admin.token, { origins: [allowed.origin] });
      const gil = await api.operator(admin, "Gil Moreau");
      sockets.push(await api.goOnline(gil));

      // The preflight the browser sends before the widget's JSON POSTs.
      const pre = await fetch(server.base + "/api/visitor/session", {
        method: "OPTIONS",
        headers: { origin: allowed.origin, "access-control-request-method": "POST", "access-control-request-headers": "authorization,content-type" },
      });
      assert.ok(pre.status >= 200 && pre.status < 300, `CORS preflight answered ${pre.status}`);
      assert.ok(pre.headers.get("access-control-allow-origin"), "preflight allows the origin");

      const page = await newPage(browser);
      await gotoDemo(page, { base: allowed.origin }, "/");
      await openChat(page);
      await waitForLog(page, DEMO.start);
      await choose(page, DEMO.talk);
      await waitForLog(page, DEMO.online);
      const conv = await api.waitInFolder(gil, "unassigned");
      await api.assign(gil, conv.id);
      await waitForLog(page, "Gil Moreau joined the chat"); // over the stream, from the other origin
      await sendFromWidget(page, "Hello from Northwind");
      await until(async () => (await api.detail(gil, conv.id)).messages.some((m) => m.body === "Hello from Northwind"), "the message at the operator");
      assert.equal((await api.detail(gil, conv.id)).details.page_url, allowed.origin + "/");

      // A site that is not on the list gets the server's explanation, not a silent failure.
      const stranger = await newPage(browser);
      await gotoDemo(stranger, { base: other.origin }, "/");
      await openChat(stranger);
      await waitForWidgetText(stranger, "not allowed");
      assert.deepEqual(page.consoleErrors, []);
    } finally {
      await allowed.close();
      await other.close();
    }
  });
});
