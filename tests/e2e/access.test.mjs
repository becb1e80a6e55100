// (g) An operator cannot act as an admin.
import { test } from "node:test";
import assert from "node:assert/strict";
import { withServer, newPage, gotoDemo } from "./support.mjs";

test("access: operator tokens are refused for admin actions", async () => {
  await withServer([], async ({ server, api, browser }) => {
    // The demo page works for anyone.
    const page = await newPage(browser);
    await gotoDemo(page, server);

    const admin = await api.admin();
    const op = await api.operator(admin, "Oscar");
    const playbooks = await api.call("GET", "/api/playbooks", admin.token);
    assert.equal(playbooks.status, 200, JSON.stringify(playbooks.body));

    const create = await api.call("POST", "/api/playbooks", op.token, { template: "chat_with_your_leads", language: "en" });
    assert.equal(create.status, 403, JSON.stringify(create.body));
    assert.equal(create.body.code, "admin_only");
    assert.equal(typeof create.body.message, "string");

    const newOperator = await api.call("POST", "/api/operators", op.token, { display_name: "Mallory", email: "mallory@example.com", password: "correct horse", role: "admin" });
    assert.equal(newOperator.status, 403, JSON.stringify(newOperator.body));
    assert.equal(newOperator.body.code, "admin_only");

    // Nor can a visitor token, nor no token at all.
    const html = await (await fetch(server.base + "/demo")).text();
    const playbookId = html.match(/playbookId:\s*"([0-9a-f-]{36})"/)[1];
    const visitor = await api.call("POST", "/api/visitor/session", null, { playbook_id: playbookId });
    assert.equal(visitor.status, 201, JSON.stringify(visitor.body));
    const asVisitor = await api.call("POST", "/api/playbooks", visitor.body.token, { template: "chat_with_your_leads", language: "en" });
    assert.ok([401, 403].includes(asVisitor.status), JSON.stringify(asVisitor));
    const anonymous = await api.call("POST", "/api/playbooks", null, { template: "chat_with_your_leads", language: "en" });
    assert.equal(anonymous.status, 401, JSON.stringify(anonymous.body));
  });
});
