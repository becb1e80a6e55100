// The session bus, as the desktop sees it: the app's tray menu (StatusNotifierItem with a
// com.canonical.dbusmenu menu, exported by libayatana-appindicator) read and clicked with
// gdbus, and the notifications the app sends, observed with dbus-monitor.

import { execFileSync, spawn } from 'node:child_process';

function gdbus(args) {
  return execFileSync('gdbus', ['call', '--session', ...args], { encoding: 'utf8', timeout: 5000 });
}

/** The app's tray menu: `{dest, path}` of its dbusmenu object, or null while not exported. */
export function findTrayMenu() {
  const names = gdbus(['--dest', 'org.freedesktop.DBus', '--object-path', '/org/freedesktop/DBus', '--method', 'org.freedesktop.DBus.ListNames']);
  for (const dest of names.match(/':\d+\.\d+'/g) || []) {
    const name = dest.slice(1, -1);
    let xml;
    try {
      xml = execFileSync('gdbus', ['introspect', '--session', '--dest', name, '--object-path', '/org/ayatana/NotificationItem'], {
        encoding: 'utf8',
        timeout: 3000,
        stdio: ['ignore', 'pipe', 'ignore'],
      });
    } catch {
      continue;
    }
    const child = xml.match(/node ([^/\s]\S*) \{/);
    if (child) return { dest: name, path: `/org/ayatana/NotificationItem/${child[1]}/Menu` };
  }
  return null;
}

/** The menu's items: `[{id, label, enabled}]`. */
export function trayItems(menu) {
  const out = gdbus(['--dest', menu.dest, '--object-path', menu.path, '--method', 'com.canonical.dbusmenu.GetLayout', '--', '0', '-1', '[]']);
  const items = [];
  for (const m of out.matchAll(/\((\d+), \{([^{}]*)\}/g)) {
    const label = m[2].match(/'label': <'([^']*)'>/);
    if (!label) continue;
    items.push({ id: Number(m[1]), label: label[1], enabled: !/'enabled': <false>/.test(m[2]) });
  }
  return items;
}

/** Clicks the item labelled `label` (it must be enabled). */
export function clickTray(menu, label) {
  const item = trayItems(menu).find((i) => i.label === label);
  if (!item) throw new Error(`no tray item "${label}" in ${JSON.stringify(trayItems(menu))}`);
  if (!item.enabled) throw new Error(`tray item "${label}" is disabled`);
  gdbus(['--dest', menu.dest, '--object-path', menu.path, '--method', 'com.canonical.dbusmenu.Event', '--', String(item.id), 'clicked', '<int32 0>', '0']);
}

/** Records every Notify call on the session bus. */
export function monitorNotifications() {
  const out = [];
  const p = spawn('dbus-monitor', ['--session', "interface='org.freedesktop.Notifications',member='Notify'"], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  p.stdout.on('data', (d) => out.push(d.toString()));
  return {
    stop: () => p.kill(),
    /** Notify calls so far: `[{summary, body}]` (app name, id, icon come first). */
    calls() {
      const text = out.join('');
      const calls = [];
      for (const block of text.split(/method call .*member=Notify/).slice(1)) {
        const strings = [...block.matchAll(/^\s+string "((?:[^"\\]|\\.)*)"/gm)].map((m) => m[1]);
        // app_name, app_icon, summary, body, then the actions' strings
        calls.push({ app: strings[0], summary: strings[2], body: strings[3] });
      }
      return calls;
    },
  };
}

