/*! Frontdesk website chat widget. Hand-written, no dependencies, no build step.
 *
 * Install with the snippet from GET /api/playbooks/{id}/snippet (docs/visitor-api.md).
 * Everything the widget shows that comes from the server (bot texts, operator and visitor
 * messages, names) is put into the page as text nodes, never parsed as HTML.
 */
(function () {
  "use strict";

  var w = window;
  var d = document;
  if (w.Frontdesk && w.Frontdesk.__frontdesk) return; // loaded twice

  // ------------------------------------------------------------------------------------------
  // Config, storage

  var cfg = w.frontdeskConfig || {};
  var script = d.currentScript;
  var server = String(cfg.server || (script && script.src ? new URL(script.src).origin : location.origin)).replace(/\/+$/, "");
  var playbookId = String(cfg.playbookId || "");
  var KEY = "frontdesk:" + playbookId + ":";
  // The admin's live preview in the desktop app runs this same script with `transport`
  // answering its requests (a dry run on the server; nothing is stored): no socket, no
  // storage, and `apply` lets the app push a state (e.g. "the wait ran out").
  var preview = typeof cfg.transport === "function";

  var memory = {};
  function store(kind) {
    var s = null;
    try {
      if (preview) throw new Error("preview");
      s = w[kind];
      var probe = KEY + "probe";
      s.setItem(probe, "1");
      s.removeItem(probe);
    } catch (e) {
      s = null;
    }
    return {
      get: function (k) {
        try {
          return s ? s.getItem(KEY + k) : memory[kind + k] || null;
        } catch (e) {
          return null;
        }
      },
      set: function (k, v) {
        try {
          if (s) s.setItem(KEY + k, String(v));
          else memory[kind + k] = String(v);
        } catch (e) {
          /* full or denied: keep going without */
        }
      },
      del: function (k) {
        try {
          if (s) s.removeItem(KEY + k);
          else delete memory[kind + k];
        } catch (e) {
          /* ignore */
        }
      },
    };
  }
  var local = store("localStorage"); // token, cursor, epoch (survive reloads and navigation)
  var session = store("sessionStorage"); // panel open, greeting dismissed (this tab)

  var DEFAULT_TEXTS = {
    open_chat: "Open chat",
    close_chat: "Close chat",
    type_message: "Type a message…",
    send: "Send",
    typing: "is typing…",
    chat_ended: "The chat has ended.",
    start_again: "Start a new chat",
    reconnecting: "Reconnecting…",
    offline_banner: "You are offline. Messages will be sent when the connection is back.",
    your_answer: "Your answer",
    error_generic: "Something went wrong. Please try again.",
    dismiss: "Dismiss",
    sending: "Sending…",
    not_sent: "Not sent. Retry",
  };
  var T = Object.assign({}, DEFAULT_TEXTS);
  var widget = null; // WidgetConfig

  // ------------------------------------------------------------------------------------------
  // Public API: replaces the snippet's queue stub, replays its calls in order

  var handlers = {};
  var ready = false;
  var pendingCommands = [];

  function on(name, handler) {
    if (typeof handler !== "function") return;
    (handlers[name] = handlers[name] || []).push(handler);
  }
  function off(name, handler) {
    if (!handlers[name]) return;
    handlers[name] = handler ? handlers[name].filter(function (h) { return h !== handler; }) : [];
  }
  function emit(name, data) {
    (handlers[name] || []).slice().forEach(function (h) {
      try {
        h(data);
      } catch (e) {
        if (w.console) console.error("Frontdesk " + name + " handler failed", e);
      }
    });
  }
  function trigger(name) {
    if (!ready) {
      pendingCommands.push(name);
      return;
    }
    if (name === "open") openPanel();
    else if (name === "close") closePanel();
  }

  var stub = w.Frontdesk;
  var queued = stub && Array.isArray(stub.q) ? stub.q.slice() : [];
  w.Frontdesk = { on: on, off: off, trigger: trigger, __frontdesk: true };
  queued.forEach(function (call) {
    if (!call) return;
    if (call[0] === "on") on(call[1], call[2]);
    else if (call[0] === "off") off(call[1], call[2]);
    else if (call[0] === "trigger") trigger(call[1]);
  });

  // ------------------------------------------------------------------------------------------
  // HTTP

  var token = local.get("token");

  function dropToken() {
    token = null;
    local.del("token");
    local.del("cursor");
    local.del("epoch");
  }

  /** Any request; never throws. `status` 0 means the network failed. */
  function req(method, path, body) {
    if (preview) {
      return Promise.resolve()
        .then(function () { return cfg.transport(method, path, body); })
        .catch(function () { return { status: 0, ok: false, data: {} }; });
    }
    var headers = {};
    if (body !== undefined) headers["content-type"] = "application/json";
    var sent = token;
    if (sent) headers.authorization = "Bearer " + sent;
    return fetch(server + path, {
      method: method,
      headers: headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
      mode: "cors",
    }).then(
      function (r) {
        return r.text().then(function (text) {
          var data = null;
          try {
            data = text ? JSON.parse(text) : null;
          } catch (e) {
            data = null;
          }
          if (r.status === 401 && sent && sent === token) dropToken();
          return { status: r.status, ok: r.ok, data: data || {} };
        });
      },
      function () {
        return { status: 0, ok: false, data: {} };
      }
    );
  }

  function errorText(r) {
    return (r && r.data && typeof r.data.message === "string" && r.data.message) || T.error_generic;
  }

  function ensureToken() {
    if (token) return Promise.resolve(true);
    return req("POST", "/api/visitor/session", {
      playbook_id: playbookId,
      language: navigator.language || undefined,
    }).then(function (r) {
      if (r.ok && r.data.token) {
        token = r.data.token;
        local.set("token", token);
        local.del("cursor");
        local.del("epoch");
        return true;
      }
      throw r;
    });
  }

  function uuid() {
    if (w.crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  // ------------------------------------------------------------------------------------------
  // DOM helpers: text only

  function h(tag, attrs) {
    var e = d.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v == null || v === false) return;
        if (k === "class") e.className = v;
        else if (k === "text") e.textContent = v;
        else if (k.slice(0, 2) === "on") e.addEventListener(k.slice(2), v);
        else e.setAttribute(k, v === true ? "" : v);
      });
    }
    for (var i = 2; i < arguments.length; i++) {
      var kid = arguments[i];
      if (kid == null || kid === false) continue;
      e.appendChild(typeof kid === "string" ? d.createTextNode(kid) : kid);
    }
    return e;
  }

  function svg(paths, size) {
    var NS = "http://www.w3.org/2000/svg";
    var s = d.createElementNS(NS, "svg");
    s.setAttribute("viewBox", "0 0 24 24");
    s.setAttribute("width", size || 20);
    s.setAttribute("height", size || 20);
    s.setAttribute("aria-hidden", "true");
    s.setAttribute("focusable", "false");
    paths.forEach(function (p) {
      var el = d.createElementNS(NS, "path");
      el.setAttribute("d", p);
      s.appendChild(el);
    });
    return s;
  }
  var ICON_CLOSE = ["M6 6l12 12M18 6L6 18"];
  var ICON_SEND = ["M4 12l16-8-6 16-2.5-6.5z", "M11.5 13.5L20 4"];
  // The playbook's icon setting (S1): built-in SVGs, never emoji, which show as a box on a
  // machine without an emoji font. The names are the core's `ICONS`.
  var ICONS = {
    chat: ["M20.5 11.5a8 8 0 0 1-11.7 7.1L4 20l1.3-4.4A8 8 0 1 1 20.5 11.5z", "M8.5 11.5h.01M12.5 11.5h.01M16.5 11.5h.01"],
    headset: ["M4 15v-3a8 8 0 0 1 16 0v3", "M4 14h3.5v6H5.5A1.5 1.5 0 0 1 4 18.5z", "M20 14h-3.5v6h2a1.5 1.5 0 0 0 1.5-1.5z"],
    sparkles: ["M11 3l1.9 5.1L18 10l-5.1 1.9L11 17l-1.9-5.1L4 10l5.1-1.9z", "M18.5 14.5l.8 2.2 2.2.8-2.2.8-.8 2.2-.8-2.2-2.2-.8 2.2-.8z"],
    question: ["M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18z", "M9.6 9.2a2.5 2.5 0 1 1 3.4 2.3c-.6.3-1 .8-1 1.5v.5", "M12 16.8h.01"]
  };

  /** The playbook's icon: a built-in SVG or one or two letters; anything else (an emoji of
   *  an older playbook) is drawn as the chat icon. */
  function iconNode(icon, size) {
    if (Object.prototype.hasOwnProperty.call(ICONS, icon)) return svg(ICONS[icon], size);
    if (/^[\p{L}\p{N}]{1,2}$/u.test(icon)) return h("span", { text: icon });
    return svg(ICONS.chat, size);
  }

  // ------------------------------------------------------------------------------------------
  // Styles (the host page's CSS cannot reach into the shadow root; `all: initial` stops
  // inherited properties at the host)

  var CSS = [
    ":host{all:initial!important;display:block!important;position:static!important}",
    "*,*::before,*::after{box-sizing:border-box;margin:0;padding:0;border:0;font:inherit;color:inherit;background:none;text-transform:none;letter-spacing:normal;text-shadow:none;float:none}",
    ".fd{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,'Noto Sans',sans-serif;font-size:14px;font-weight:400;font-style:normal;line-height:1.45;color:#1d2330;text-align:left;direction:ltr;-webkit-font-smoothing:antialiased;--fd-p:#2f5bea;--fd-t:#fff}",
    "button,input{font-family:inherit;font-size:inherit;line-height:inherit;-webkit-appearance:none;appearance:none;outline:none;min-width:0}",
    "button{cursor:pointer;user-select:none}",
    "button:focus-visible,input:focus-visible{outline:2px solid var(--fd-p);outline-offset:2px}",
    "[hidden]{display:none!important}",
    ".sr{position:absolute!important;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}",
    // launcher
    ".launch{position:fixed;right:20px;bottom:20px;z-index:2147483000;width:60px;height:60px;border-radius:50%;background:var(--fd-p);color:var(--fd-t);display:flex;align-items:center;justify-content:center;font-size:26px;font-weight:600;line-height:1;box-shadow:0 6px 20px rgba(15,23,42,.28);transition:transform .15s}",
    ".launch:hover{transform:scale(1.06)}",
    ".launch:focus-visible{outline:3px solid #1d2330;outline-offset:3px}",
    ".badge{position:absolute;top:-3px;right:-3px;min-width:20px;height:20px;padding:0 5px;border-radius:10px;background:#d92d20;color:#fff;font-size:12px;font-weight:700;line-height:20px;text-align:center}",
    // greeting
    ".greet{position:fixed;right:20px;bottom:92px;z-index:2147483000;max-width:280px;display:flex;align-items:flex-start;gap:6px;padding:12px 8px 12px 14px;background:#fff;color:#1d2330;border-radius:14px 14px 4px 14px;box-shadow:0 8px 28px rgba(15,23,42,.22);animation:fdIn .2s ease-out}",
    ".greet-text{flex:1;text-align:left;font-size:14px;line-height:1.4;color:#1d2330;cursor:pointer;overflow-wrap:anywhere}",
    ".greet-x{flex:none;width:24px;height:24px;border-radius:6px;color:#5b6475;display:flex;align-items:center;justify-content:center}",
    ".greet-x:hover{background:#eef0f4}",
    ".greet-x svg,.x svg{stroke:currentColor;stroke-width:2.2;fill:none;stroke-linecap:round}",
    ".ic{display:flex;align-items:center;justify-content:center}.ic svg{stroke:currentColor;stroke-width:1.9;fill:none;stroke-linecap:round;stroke-linejoin:round}",
    // panel
    ".panel{position:fixed;right:20px;bottom:20px;z-index:2147483001;width:370px;height:560px;max-height:calc(100vh - 40px);max-width:calc(100vw - 40px);display:flex;flex-direction:column;background:#fff;border-radius:16px;overflow:hidden;box-shadow:0 12px 48px rgba(15,23,42,.3);animation:fdIn .18s ease-out}",
    "@keyframes fdIn{from{opacity:0;transform:translateY(8px)}to{opacity:1;transform:none}}",
    "@media (max-width:480px){.panel{inset:0;right:0;bottom:0;width:100%;height:100%;max-width:none;max-height:none;border-radius:0}.greet{max-width:calc(100vw - 40px)}}",
    "@media (prefers-reduced-motion:reduce){.panel,.greet{animation:none}.launch{transition:none}}",
    ".head{flex:none;display:flex;align-items:center;gap:10px;padding:12px 12px 12px 16px;background:var(--fd-p);color:var(--fd-t)}",
    ".avatar{flex:none;width:36px;height:36px;border-radius:50%;background:rgba(255,255,255,.22);display:flex;align-items:center;justify-content:center;font-size:18px;font-weight:700;line-height:1}",
    ".title{flex:1;min-width:0;font-size:16px;font-weight:650;line-height:1.25;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}",
    ".x{flex:none;width:36px;height:36px;border-radius:8px;display:flex;align-items:center;justify-content:center;color:var(--fd-t)}",
    ".x:hover{background:rgba(255,255,255,.18)}",
    ".x:focus-visible{outline:2px solid var(--fd-t);outline-offset:-2px}",
    ".banner{flex:none;padding:6px 12px;background:#fff4d6;color:#6b4a00;font-size:12.5px;text-align:center;border-bottom:1px solid #f2e2b0}",
    ".log{flex:1;min-height:0;overflow-y:auto;overscroll-behavior:contain;padding:14px 14px 6px;background:#f6f7f9;display:flex;flex-direction:column;gap:8px}",
    ".m{display:flex;flex-direction:column;max-width:84%;align-self:flex-start}",
    ".m .b{padding:9px 12px;border-radius:14px 14px 14px 4px;background:#fff;color:#1d2330;border:1px solid #e3e6eb;white-space:pre-wrap;overflow-wrap:anywhere;word-break:break-word}",
    ".m .who{font-size:12px;font-weight:600;color:#5b6475;margin:0 0 2px 4px}",
    ".m.visitor{align-self:flex-end}",
    ".m.visitor .b{background:var(--fd-p);color:var(--fd-t);border-color:transparent;border-radius:14px 14px 4px 14px}",
    ".m.operator .b{background:#e9eefc;border-color:#d6def7}",
    ".m.system{align-self:center;max-width:92%}",
    ".m.system .b{background:none;border:0;padding:2px 8px;font-size:12.5px;color:#5b6475;text-align:center;font-style:italic}",
    ".m.pending .b{opacity:.65}",
    ".m .st{font-size:11.5px;color:#5b6475;margin:2px 4px 0;text-align:right}",
    ".m .st button{color:#b42318;text-decoration:underline}",
    ".typing:empty{min-height:0;padding:0}",
    ".typing{flex:none;min-height:22px;padding:2px 16px;font-size:12.5px;color:#5b6475;background:#f6f7f9;font-style:italic;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}",
    ".foot{flex:none;border-top:1px solid #e3e6eb;background:#fff;padding:10px 12px 12px;max-height:50%;overflow-y:auto}",
    ".choices{display:flex;flex-direction:column;gap:7px}",
    ".choice{width:100%;padding:9px 14px;border-radius:10px;border:1.5px solid var(--fd-p);color:#1d2330;background:#fff;font-size:14px;font-weight:550;line-height:1.3;text-align:center}",
    ".choice:hover{background:#f1f4fd}",
    ".row{display:flex;gap:8px;align-items:center}",
    ".in{flex:1;height:40px;padding:0 12px;border-radius:10px;border:1.5px solid #cfd4dc;background:#fff;color:#1d2330;font-size:14px}",
    ".in::placeholder{color:#7b8494;opacity:1}",
    ".in:focus{border-color:var(--fd-p)}",
    ".in[aria-invalid=true]{border-color:#b42318}",
    ".send{flex:none;height:40px;min-width:40px;padding:0 14px;border-radius:10px;background:var(--fd-p);color:var(--fd-t);font-weight:600;display:flex;align-items:center;gap:6px}",
    ".send svg{stroke:currentColor;stroke-width:2;fill:none;stroke-linejoin:round;stroke-linecap:round}",
    "button:disabled{opacity:.55;cursor:default}",
    ".err{margin-top:6px;color:#b42318;font-size:12.5px}",
    ".note{color:#5b6475;font-size:13px;text-align:center;margin-bottom:8px}",
    ".again{width:100%;padding:9px 14px;border-radius:10px;background:var(--fd-p);color:var(--fd-t);font-weight:600;text-align:center}",
    ".dots{display:flex;justify-content:center;gap:5px;padding:10px}",
    ".dots i{width:7px;height:7px;border-radius:50%;background:#9aa3b2;animation:fdDot 1s infinite alternate}",
    ".dots i:nth-child(2){animation-delay:.2s}.dots i:nth-child(3){animation-delay:.4s}",
    "@keyframes fdDot{to{opacity:.25}}",
  ].join("\n");

  // ------------------------------------------------------------------------------------------
  // The widget's DOM

  var host, root, ui = {};

  function build() {
    host = d.createElement("frontdesk-widget");
    host.setAttribute("data-frontdesk", "");
    var shadow = host.attachShadow({ mode: "open" });
    // A constructed stylesheet where the browser has them: pages (and the app's preview) with
    // a strict Content-Security-Policy block an inline <style> element, not this.
    var sheet = null;
    try {
      if (shadow.adoptedStyleSheets && typeof CSSStyleSheet === "function") {
        sheet = new CSSStyleSheet();
        sheet.replaceSync(CSS);
        shadow.adoptedStyleSheets = [sheet];
      }
    } catch (e) {
      sheet = null;
    }
    if (!sheet) {
      var style = d.createElement("style");
      style.textContent = CSS;
      shadow.appendChild(style);
    }

    var a = widget.appearance || {};
    root = h("div", { class: "fd", lang: widget.language || "en" });
    if (/^#[0-9a-f]{6}$/i.test(a.primary_color || "")) root.style.setProperty("--fd-p", a.primary_color);
    if (/^#[0-9a-f]{6}$/i.test(a.text_color || "")) root.style.setProperty("--fd-t", a.text_color);
    var icon = String(a.icon || "chat");

    ui.badge = h("span", { class: "badge", "aria-hidden": "true", hidden: true });
    ui.launch = h("button", { type: "button", class: "launch", "aria-label": T.open_chat, "aria-expanded": "false", onclick: openPanel },
      h("span", { class: "ic", "aria-hidden": "true" }, iconNode(icon, 30)), ui.badge);

    ui.greet = h("div", { class: "greet", hidden: true, role: "status" },
      (ui.greetText = h("button", { type: "button", class: "greet-text", onclick: openPanel })),
      h("button", { type: "button", class: "greet-x", "aria-label": T.dismiss, onclick: function () { hideGreeting(true); } }, svg(ICON_CLOSE, 14)));

    ui.title = h("div", { class: "title", id: "fd-title" });
    ui.banner = h("div", { class: "banner", role: "status", hidden: true });
    ui.log = h("div", { class: "log", role: "log", "aria-live": "polite", "aria-labelledby": "fd-title", tabindex: "0" });
    ui.typing = h("div", { class: "typing", "aria-live": "polite" });
    ui.foot = h("div", { class: "foot" });
    ui.close = h("button", { type: "button", class: "x", "aria-label": T.close_chat, onclick: closePanel }, svg(ICON_CLOSE, 20));
    ui.panel = h("div", { class: "panel", role: "dialog", "aria-labelledby": "fd-title", hidden: true },
      h("div", { class: "head" }, h("div", { class: "avatar ic", "aria-hidden": "true" }, iconNode(icon, 22)), ui.title, ui.close),
      ui.banner, ui.log, ui.typing, ui.foot);
    ui.panel.addEventListener("keydown", function (e) {
      if (e.key === "Escape") closePanel();
    });

    root.appendChild(ui.greet);
    root.appendChild(ui.launch);
    root.appendChild(ui.panel);
    shadow.appendChild(root);
    d.body.appendChild(host);
    renderTitle();
  }

  // ------------------------------------------------------------------------------------------
  // Conversation state

  var conv = null; // ConversationView
  var msgs = []; // MessageView (+ pending, failed), in display order
  var byId = {}; // id -> message
  var els = {}; // id -> element
  var prompt = null;
  var endedFor = null; // conversation id whose end was announced
  var footKey = "";
  var phase = "idle"; // idle | starting | error
  var phaseError = "";
  var isOpen = false;
  var unread = 0;

  function resetConversation(c) {
    conv = c;
    msgs = [];
    byId = {};
    els = {};
    prompt = null;
    while (ui.log && ui.log.firstChild) ui.log.removeChild(ui.log.firstChild);
    Object.keys(outbox).forEach(function (id) { clearTimeout(outbox[id].timer); });
    outbox = {};
  }

  /** Accepts a conversation view. `authoritative` for REST answers. Returns whether applied. */
  function setConversation(c, authoritative) {
    if (!c || !c.id) return false;
    if (!conv || conv.id !== c.id) {
      var newer = !conv || conv.state === "closed" || (c.created_at || 0) > (conv.created_at || 0);
      if (!authoritative && !(newer && c.state !== "closed")) return false;
      resetConversation(c);
      return true;
    }
    if (!authoritative && (c.updated_at || 0) < (conv.updated_at || 0)) return true;
    conv = c;
    return true;
  }

  function addMessage(m, fromLive) {
    if (!m || !m.id || !conv || m.conversation_id !== conv.id) return;
    var have = byId[m.id];
    if (have) {
      if (have.pending || have.failed) confirmSent(m.id, m);
      return;
    }
    m = Object.assign({}, m);
    byId[m.id] = m;
    // Keep server order by time; pending messages of our own stay last.
    var i = msgs.length;
    while (i > 0 && (msgs[i - 1].pending || msgs[i - 1].failed || (msgs[i - 1].created_at || 0) > (m.created_at || 0))) i--;
    msgs.splice(i, 0, m);
    if (m.author === "operator" && typing.name === m.author_name) setTyping(null);
    if (fromLive && !isOpen && m.author !== "visitor") {
      unread++;
      renderBadge();
    }
  }

  function applyState(st) {
    if (!st || !st.conversation) return;
    setConversation(st.conversation, true);
    (st.messages || []).forEach(function (m) { addMessage(m, false); });
    prompt = st.prompt || null;
    render();
  }
  if (preview) cfg.apply = applyState;

  // ------------------------------------------------------------------------------------------
  // Rendering

  function renderTitle() {
    var a = (widget && widget.appearance) || {};
    ui.title.textContent = (conv && conv.display_name) || a.bot_name || "Chat";
  }

  function renderBadge() {
    ui.badge.hidden = !unread;
    ui.badge.textContent = unread > 9 ? "9+" : String(unread);
  }

  function messageEl(m) {
    var box = h("div", { class: "m " + (m.author || "bot") });
    if (m.author === "operator" && m.author_name) box.appendChild(h("div", { class: "who", text: m.author_name }));
    box.appendChild(h("div", { class: "b", text: String(m.body == null ? "" : m.body) }));
    return box;
  }

  function decorate(el, m) {
    el.classList.toggle("pending", !!m.pending);
    var st = el.querySelector(".st");
    if (st) el.removeChild(st);
    if (m.failed) {
      el.appendChild(h("div", { class: "st" },
        m.failed !== true ? m.failed + " " : "",
        h("button", { type: "button", text: T.not_sent, onclick: function () { retrySend(m.id); } })));
    } else if (m.pending) {
      el.appendChild(h("div", { class: "st", text: T.sending }));
    }
  }

  /** Brings the DOM up to date with the state; `toBottom` scrolls to the newest message. */
  function render(toBottom) {
    if (!ui.log) return;
    renderTitle();
    var log = ui.log;
    var wasAtBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 60;
    var list = msgs.slice();
    // The question of the prompt is normally the bot's last message; show it if it is not.
    if (prompt && prompt.text) {
      var lastBot = null;
      for (var i = list.length - 1; i >= 0; i--) {
        if (list[i].author === "bot") {
          lastBot = list[i];
          break;
        }
      }
      if (!lastBot || lastBot.body !== prompt.text) list.push({ id: "prompt:" + prompt.card_id, author: "bot", body: prompt.text });
    }
    var keep = {};
    list.forEach(function (m, idx) {
      keep[m.id] = true;
      var el = els[m.id];
      if (!el) el = els[m.id] = messageEl(m);
      decorate(el, m);
      if (log.children[idx] !== el) log.insertBefore(el, log.children[idx] || null);
    });
    Object.keys(els).forEach(function (id) {
      if (!keep[id]) {
        if (els[id].parentNode) els[id].parentNode.removeChild(els[id]);
        delete els[id];
      }
    });
    renderFoot();
    renderBanner();
    // Follow new messages unless the visitor scrolled up to read.
    if (wasAtBottom || toBottom === true) log.scrollTop = log.scrollHeight;
    checkEnded();
  }

  function renderBanner() {
    var text = "";
    if (!navigator.onLine) text = T.offline_banner;
    else if (reconnecting) text = T.reconnecting;
    ui.banner.textContent = text;
    ui.banner.hidden = !text;
  }

  function checkEnded() {
    if (conv && conv.state === "closed" && endedFor !== conv.id) {
      endedFor = conv.id;
      setTyping(null);
      disconnect();
      emit("conversationEnded", { qualified: conv.qualified === undefined ? null : conv.qualified });
    }
  }

  function mode() {
    if (phase === "starting") return "starting";
    if (phase === "error") return "error";
    if (!conv) return "none";
    if (conv.state === "closed") return "ended";
    if (prompt && prompt.kind === "choice") return "choice:" + prompt.card_id;
    if (prompt && prompt.kind === "text") return "text:" + prompt.card_id;
    if (conv.state === "waiting" || conv.state === "assigned") return "composer";
    return "none";
  }

  function renderFoot() {
    var key = mode();
    if (key === footKey) return;
    var hadFocus = root && root.getRootNode().activeElement && ui.foot.contains(root.getRootNode().activeElement);
    footKey = key;
    var f = ui.foot;
    while (f.firstChild) f.removeChild(f.firstChild);
    ui.input = null;
    f.hidden = key === "none";
    var focusEl = null;
    if (key === "starting") {
      f.appendChild(h("div", { class: "dots", role: "status", "aria-label": T.sending }, h("i"), h("i"), h("i")));
    } else if (key === "error") {
      f.appendChild(h("div", { class: "note", role: "alert", text: phaseError || T.error_generic }));
      f.appendChild(h("button", { type: "button", class: "again", text: T.start_again, onclick: startConversation }));
    } else if (key === "ended") {
      f.appendChild(h("div", { class: "note", role: "status", text: T.chat_ended }));
      f.appendChild((focusEl = h("button", { type: "button", class: "again", text: T.start_again, onclick: startConversation })));
    } else if (key.indexOf("choice:") === 0) {
      var p = prompt;
      var box = h("div", { class: "choices", role: "group", "aria-label": p.text || T.your_answer });
      (p.answers || []).forEach(function (label, i) {
        var b = h("button", { type: "button", class: "choice", text: String(label) });
        b.addEventListener("click", function () { answer(p, { choice: i }, box); });
        box.appendChild(b);
        if (i === 0) focusEl = b;
      });
      f.appendChild(box);
      ui.answerErr = h("div", { class: "err", role: "alert", hidden: true });
      f.appendChild(ui.answerErr);
    } else if (key.indexOf("text:") === 0) {
      f.appendChild(textForm(prompt));
      focusEl = ui.input;
    } else if (key === "composer") {
      f.appendChild(composer());
      focusEl = ui.input;
    }
    if (focusEl && isOpen && (hadFocus || key !== "ended")) {
      try {
        focusEl.focus({ preventScroll: true });
      } catch (e) {
        /* ignore */
      }
    }
  }

  var FIELD_INPUT = {
    email: { type: "email", autocomplete: "email", inputmode: "email" },
    phone: { type: "tel", autocomplete: "tel", inputmode: "tel" },
    name: { type: "text", autocomplete: "name" },
    organization: { type: "text", autocomplete: "organization" },
  };

  function textForm(p) {
    var spec = FIELD_INPUT[p.field] || { type: "text", autocomplete: "off" };
    var errId = "fd-err-" + p.card_id;
    var input = h("input", {
      class: "in",
      type: spec.type,
      id: "fd-in",
      name: p.field || "answer",
      autocomplete: spec.autocomplete,
      inputmode: spec.inputmode,
      placeholder: p.placeholder || "",
      "aria-label": p.text || T.your_answer,
      "aria-describedby": errId,
      maxlength: "200",
      spellcheck: p.field === "email" ? "false" : null,
    });
    var err = h("div", { class: "err", id: errId, role: "alert", hidden: true });
    var btn = h("button", { type: "submit", class: "send", "aria-label": T.send }, svg(ICON_SEND, 18));
    var form = h("form", { novalidate: true }, h("label", { class: "sr", for: "fd-in", text: p.text || T.your_answer }), h("div", { class: "row" }, input, btn), err);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      answer(p, { text: input.value }, form);
    });
    input.addEventListener("input", function () {
      if (input.getAttribute("aria-invalid")) {
        input.removeAttribute("aria-invalid");
        err.hidden = true;
      }
    });
    ui.input = input;
    ui.answerErr = err;
    return form;
  }

  function composer() {
    var input = h("input", {
      class: "in",
      type: "text",
      id: "fd-msg",
      placeholder: T.type_message,
      "aria-label": T.type_message,
      autocomplete: "off",
      maxlength: "4000",
    });
    var btn = h("button", { type: "submit", class: "send", "aria-label": T.send }, svg(ICON_SEND, 18));
    var form = h("form", { novalidate: true }, h("div", { class: "row" }, input, btn));
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var body = input.value.trim();
      if (!body) return;
      input.value = "";
      sendMessage(body);
    });
    input.addEventListener("input", sendTyping);
    ui.input = input;
    return form;
  }

  function setControlsDisabled(box, disabled) {
    Array.prototype.forEach.call(box.querySelectorAll("button,input"), function (el) {
      el.disabled = disabled;
    });
  }

  // ------------------------------------------------------------------------------------------
  // Answers, messages, typing

  function answer(p, value, box) {
    if (!prompt || prompt.card_id !== p.card_id) return;
    var body = Object.assign({ card_id: p.card_id, page_url: location.href }, value);
    setControlsDisabled(box, true);
    req("POST", "/api/visitor/answer", body).then(function (r) {
      if (r.ok) {
        applyState(r.data);
        if (footKey === mode()) setControlsDisabled(box, false); // same card again
        return;
      }
      setControlsDisabled(box, false);
      if (r.status === 409) return refresh();
      if (r.status === 401) return recoverSession();
      if (ui.answerErr) {
        ui.answerErr.textContent = errorText(r);
        ui.answerErr.hidden = false;
      }
      if (ui.input) {
        ui.input.setAttribute("aria-invalid", "true");
        ui.input.focus();
      }
    });
  }

  var outbox = {}; // message id -> {body, timer, inflight}

  function sendMessage(body) {
    if (!conv) return;
    var id = uuid();
    var m = { id: id, conversation_id: conv.id, author: "visitor", author_name: "", body: body, created_at: Date.now(), pending: true };
    byId[id] = m;
    msgs.push(m);
    outbox[id] = { body: body, conversation_id: conv.id };
    render(true);
    deliver(id);
  }

  function deliver(id) {
    var o = outbox[id];
    if (!o) return;
    clearTimeout(o.timer);
    if (socket && socketReady) {
      socket.send(JSON.stringify({ type: "send", conversation_id: o.conversation_id, message_id: id, body: o.body }));
      o.timer = setTimeout(function () { deliverRest(id); }, 6000);
    } else {
      deliverRest(id);
    }
  }

  function deliverRest(id) {
    var o = outbox[id];
    if (!o || o.inflight) return;
    o.inflight = true;
    req("POST", "/api/visitor/messages", { message_id: id, body: o.body }).then(function (r) {
      o.inflight = false;
      if (!outbox[id]) return;
      if (r.ok) confirmSent(id, r.data);
      else if (r.status === 0 || r.status >= 500 || r.status === 429) o.timer = setTimeout(function () { deliver(id); }, 3000);
      else failSent(id, errorText(r));
    });
  }

  function confirmSent(id, view) {
    var o = outbox[id];
    if (o) clearTimeout(o.timer);
    delete outbox[id];
    var m = byId[id];
    if (!m) return;
    if (view && view.id === id) Object.assign(m, view);
    m.pending = false;
    m.failed = false;
    render();
  }

  function failSent(id, text) {
    var o = outbox[id];
    if (o) clearTimeout(o.timer);
    var m = byId[id];
    if (m) {
      m.pending = false;
      m.failed = text || true;
      if (o) o.failed = true;
    }
    render();
  }

  function retrySend(id) {
    var m = byId[id];
    if (!m || !outbox[id]) return;
    m.failed = false;
    m.pending = true;
    outbox[id].failed = false;
    render();
    deliver(id);
  }

  var lastTypingSent = 0;
  function sendTyping() {
    var now = Date.now();
    if (!socket || !socketReady || !conv || now - lastTypingSent < 2000) return;
    lastTypingSent = now;
    socket.send(JSON.stringify({ type: "typing", conversation_id: conv.id }));
  }

  var typing = { name: null, timer: null };
  function setTyping(name) {
    clearTimeout(typing.timer);
    typing.name = name;
    if (!ui.typing) return;
    var t = T.typing;
    ui.typing.textContent = !name ? "" : /\{name\}/.test(t) ? t.replace(/\{name\}/g, name) : name + " " + t;
    if (name) typing.timer = setTimeout(function () { setTyping(null); }, 4000);
  }

  // ------------------------------------------------------------------------------------------
  // Realtime stream

  var socket = null;
  var socketReady = false;
  var attempts = 0;
  var retryTimer = null;
  var reconnecting = false;

  function wantSocket() {
    return !preview && !!(token && conv && conv.state !== "closed");
  }

  function connect() {
    clearTimeout(retryTimer);
    if (socket || !wantSocket()) return;
    var cursor = local.get("cursor");
    var resuming = /^\d+$/.test(cursor || "");
    // The epoch names the database the cursor belongs to: after a restore the server asks
    // for a resync instead of resuming from a number that now means something else.
    var epoch = local.get("epoch");
    var url = server.replace(/^http/, "ws") + "/api/visitor/stream?access_token=" + encodeURIComponent(token) +
      (resuming ? "&since=" + cursor + (epoch ? "&epoch=" + encodeURIComponent(epoch) : "") : "");
    var s;
    try {
      s = new WebSocket(url);
    } catch (e) {
      return scheduleReconnect(false);
    }
    socket = s;
    socketReady = false;
    var opened = false;
    s.onopen = function () {
      opened = true;
    };
    s.onmessage = function (e) {
      if (socket !== s) return;
      var f;
      try {
        f = JSON.parse(e.data);
      } catch (err) {
        return;
      }
      onFrame(f, s, resuming);
    };
    s.onclose = function () {
      if (socket !== s) return;
      socket = null;
      socketReady = false;
      if (wantSocket()) scheduleReconnect(opened);
    };
  }

  function disconnect() {
    clearTimeout(retryTimer);
    reconnecting = false;
    var s = socket;
    socket = null;
    socketReady = false;
    if (s) {
      try {
        s.close(1000);
      } catch (e) {
        /* ignore */
      }
    }
    if (ui.banner) renderBanner();
  }

  function scheduleReconnect(wasOpen) {
    clearTimeout(retryTimer);
    reconnecting = true;
    renderBanner();
    var delay = Math.min(10000, 500 * Math.pow(2, attempts));
    attempts++;
    delay = delay * (0.8 + Math.random() * 0.4);
    retryTimer = setTimeout(function () {
      if (wasOpen) return connect();
      // The connection was refused before it opened: was it the token?
      req("GET", "/api/visitor/conversation").then(function (r) {
        if (r.status === 401) return recoverSession();
        if (r.ok) applyState(r.data);
        else if (r.status === 404) {
          conv = conv && Object.assign({}, conv, { state: "closed" });
          render();
          return;
        }
        connect();
      });
    }, delay);
  }

  function onFrame(f, s, resuming) {
    switch (f.type) {
      case "ready":
        socketReady = true;
        attempts = 0;
        reconnecting = false;
        if (typeof f.position === "number") local.set("cursor", f.position);
        if (typeof f.epoch === "string") local.set("epoch", f.epoch);
        renderBanner();
        Object.keys(outbox).forEach(function (id) {
          if (!outbox[id].failed && !outbox[id].inflight) deliver(id);
        });
        if (!resuming) refresh(); // the stream starts at its head: catch up over REST
        break;
      case "event":
        applyEvent(f.event || {});
        if (typeof f.seq === "number") local.set("cursor", f.seq);
        break;
      case "typing":
        if (conv && f.conversation_id === conv.id && f.name) setTyping(String(f.name));
        break;
      case "ack":
        if (f.message_id) confirmSent(f.message_id, null);
        break;
      case "error":
        if (f.message_id && outbox[f.message_id]) failSent(f.message_id, f.message);
        break;
      case "resync_required":
        local.del("cursor");
        local.del("epoch");
        socket = null;
        socketReady = false;
        try {
          s.close(1000);
        } catch (e) {
          /* ignore */
        }
        refresh().then(connect);
        break;
      case "bye":
        socket = null;
        socketReady = false;
        try {
          s.close(1000);
        } catch (e) {
          /* ignore */
        }
        if (f.code === "token_expired" || f.code === "session_revoked" || f.code === "unauthorized") {
          dropToken();
          recoverSession();
        } else if (wantSocket()) scheduleReconnect(true);
        break;
    }
  }

  function applyEvent(e) {
    if (e.kind === "conversation_upsert") {
      if (setConversation(e.conversation, false)) {
        (e.messages || []).forEach(function (m) { addMessage(m, true); });
        render();
      }
    } else if (e.kind === "message") {
      addMessage(e.message, true);
      render();
    } else if (e.kind === "bot_prompt") {
      if (conv && e.conversation_id === conv.id) {
        prompt = e.prompt || null;
        render();
      }
    }
  }

  /** Reloads the open conversation over REST. */
  function refresh() {
    if (!token) return Promise.resolve();
    return req("GET", "/api/visitor/conversation").then(function (r) {
      if (r.ok) applyState(r.data);
      else if (r.status === 401) recoverSession();
      else if (r.status === 404 && conv && conv.state !== "closed") {
        // Ended while we were away.
        conv = Object.assign({}, conv, { state: "closed" });
        prompt = null;
        render();
      }
    });
  }

  /** The stored token was refused: start over with a new session if the panel is open. */
  function recoverSession() {
    dropToken();
    disconnect();
    resetConversation(null);
    if (isOpen) startConversation();
    else render();
  }

  // ------------------------------------------------------------------------------------------
  // Opening, starting, greeting

  function startConversation() {
    if (phase === "starting") return;
    phase = "starting";
    render();
    var body = { page_url: location.href, referrer: d.referrer || undefined };
    var tries = 0;
    function attempt() {
      tries++;
      return ensureToken()
        .then(function () { return req("POST", "/api/visitor/start", body); })
        .then(function (r) {
          if (r.status === 401 && tries < 2) return attempt(); // token dropped by req()
          if (!r.ok) throw r;
          phase = "idle";
          applyState(r.data);
          connect();
        });
    }
    attempt().catch(function (r) {
      phase = "error";
      phaseError = errorText(r);
      render();
    });
  }

  function openPanel() {
    if (!ready) return trigger("open");
    if (greetingShown) hideGreeting(false);
    if (!isOpen) {
      isOpen = true;
      session.set("open", "1");
      unread = 0;
      renderBadge();
      ui.panel.hidden = false;
      ui.launch.hidden = true;
      ui.launch.setAttribute("aria-expanded", "true");
      footKey = ""; // re-render to focus the right control
      render(true);
      emit("opened");
    }
    if (!conv || conv.state === "closed") {
      if (phase !== "starting") startConversation();
    } else connect();
    if (!ui.input) ui.close.focus();
  }

  function closePanel() {
    if (!ready || !isOpen) return;
    isOpen = false;
    session.del("open");
    var hadFocus = !!root.getRootNode().activeElement;
    ui.panel.hidden = true;
    ui.launch.hidden = false;
    ui.launch.setAttribute("aria-expanded", "false");
    if (hadFocus) ui.launch.focus(); // keep the keyboard user's place
    emit("closed");
  }

  var greetingShown = false;
  function showGreeting() {
    var g = widget.greeting;
    if (!g || !g.text || isOpen || token || session.get("greeting")) return;
    ui.greetText.textContent = g.text;
    ui.greet.hidden = false;
    greetingShown = true;
    emit("greetingOpened");
  }
  function hideGreeting(dismissed) {
    if (!greetingShown) return;
    greetingShown = false;
    ui.greet.hidden = true;
    session.set("greeting", dismissed ? "dismissed" : "opened");
    emit("greetingClosed");
  }

  // ------------------------------------------------------------------------------------------
  // Boot

  function whenBody() {
    return new Promise(function (resolve) {
      if (d.body) resolve();
      else d.addEventListener("DOMContentLoaded", function () { resolve(); }, { once: true });
    });
  }

  function boot() {
    if (!playbookId) {
      if (w.console) console.warn("Frontdesk: window.frontdeskConfig.playbookId is missing");
      return;
    }
    Promise.all([req("GET", "/api/widget/" + encodeURIComponent(playbookId)), whenBody()]).then(function (res) {
      var r = res[0];
      if (!r.ok) {
        if (w.console) console.warn("Frontdesk: widget config unavailable (" + (r.data.code || r.status) + ")");
        return;
      }
      widget = r.data;
      Object.keys(widget.texts || {}).forEach(function (k) {
        if (typeof widget.texts[k] === "string") T[k] = widget.texts[k];
      });
      build();
      ready = true;
      w.addEventListener("online", renderBanner);
      w.addEventListener("offline", renderBanner);
      emit("initialized");
      var reopen = session.get("open") === "1";
      var restore = token
        ? req("GET", "/api/visitor/conversation").then(function (r2) {
            if (r2.ok) {
              applyState(r2.data);
              connect();
            }
          })
        : Promise.resolve();
      restore.then(function () {
        var cmds = pendingCommands;
        pendingCommands = [];
        if (reopen && !isOpen && cmds.indexOf("close") < 0) openPanel();
        cmds.forEach(trigger);
        var g = widget.greeting;
        if (g && !isOpen) setTimeout(showGreeting, Math.max(0, Number(g.delay_ms) || 0));
      });
    });
  }

  boot();
})();
