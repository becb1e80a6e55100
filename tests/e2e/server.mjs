// Starts the real frontdesk-server binary on 127.0.0.1:0 with a fresh data directory.
//
//   const server = await startServer(["--wait-time-secs", "2"]);
//   server.base            // "http://127.0.0.1:PORT"
//   server.adminPassword   // printed on the first run
//   await server.stop();
//
// The binary comes from $FRONTDESK_SERVER_BIN, else $CARGO_TARGET_DIR/debug/frontdesk-server
// (default: ../../target relative to this directory) (build it with `cargo build -p frontdesk-server`).

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, createWriteStream, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";

const here = dirname(fileURLToPath(import.meta.url));

export const ADMIN_EMAIL = "admin@frontdesk.local";

export function serverBinary() {
  return process.env.FRONTDESK_SERVER_BIN
    ? resolve(process.env.FRONTDESK_SERVER_BIN)
    : resolve(process.env.CARGO_TARGET_DIR || resolve(here, "../../target"), "debug/frontdesk-server");
}

/**
 * Starts a server on a fresh temporary data directory (or `data`, e.g. to restart one on the
 * same database, with `listen` its old address). Resolves once it prints its address.
 * Its stderr (the JSON log) goes to `<data>/server.log`; on a failed start the log is in the error.
 */
export async function startServer(extraArgs = [], { startTimeoutMs = 30_000, data: dataDir, listen = "127.0.0.1:0" } = {}) {
  const bin = serverBinary();
  if (!existsSync(bin)) {
    throw new Error(`server binary not found at ${bin}: run \`cargo build -p frontdesk-server\` or set FRONTDESK_SERVER_BIN`);
  }
  const data = dataDir || mkdtempSync(join(tmpdir(), "frontdesk-e2e-"));
  const logPath = join(data, "server.log");
  const log = createWriteStream(logPath, { flags: "a" });
  const child = spawn(bin, ["--listen", listen, "--data", data, ...extraArgs], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, FRONTDESK_LOG: process.env.FRONTDESK_LOG || "info" },
  });
  child.stderr.pipe(log);
  const stdoutLines = [];
  let adminPassword = null;

  const exited = new Promise((res) => child.once("exit", (code, signal) => res({ code, signal })));

  const addr = await new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`server did not print its address within ${startTimeoutMs} ms`)), startTimeoutMs);
    const rl = createInterface({ input: child.stdout });
    rl.on("line", (line) => {
      stdoutLines.push(line);
      const pw = line.trim().match(/^password:\s*(\S+)/);
      if (pw) adminPassword = pw[1];
      const m = line.match(/^frontdesk-server listening on http:\/\/(\S+)/);
      if (m) {
        clearTimeout(timer);
        res(m[1]);
      }
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      rej(new Error(`server exited early (code ${code}, signal ${signal}); stdout:\n${stdoutLines.join("\n")}\nlog: ${logPath}`));
    });
  });
  // Keep draining stdout so the server never blocks on a full pipe.
  child.stdout.resume();

  let stopped = false;
  async function stop({ keepData = !!process.env.FRONTDESK_E2E_KEEP } = {}) {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(t);
    }
    log.end();
    if (!keepData) rmSync(data, { recursive: true, force: true });
  }

  return {
    base: `http://${addr}`,
    wsBase: `ws://${addr}`,
    addr,
    adminEmail: ADMIN_EMAIL,
    adminPassword,
    data,
    logPath,
    stdout: stdoutLines,
    process: child,
    stop,
  };
}
