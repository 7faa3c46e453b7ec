// The sandbox page: one Telegram-like chat per persona, kept live by server-sent events.
// Message HTML comes from the server already made safe (Telegram's tags only); everything
// else is put on the page as text.
"use strict";

const view = {
  personas: [],
  chats: {},          // persona key -> {messages: [...], keyboard}
  unread: {},         // persona key -> count
  keyboardHidden: {}, // persona key -> true after a one-time keyboard was used
  active: null,
  bot: {username: "", name: "Loyalty"},
};

const $ = (id) => document.getElementById(id);

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function persona(key) {
  return view.personas.find((item) => item.key === key);
}

// Talking to the sandbox

async function post(path, body, form) {
  const options = {method: "POST"};
  if (form) {
    options.body = form;
  } else {
    options.headers = {"Content-Type": "application/json"};
    options.body = JSON.stringify(body || {});
  }
  try {
    const response = await fetch(path, options);
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) {
      toast(answer.error || `${response.status} ${response.statusText}`, "error");
      return null;
    }
    return answer;
  } catch (error) {
    toast(`The sandbox is not answering: ${error.message}`, "error");
    return null;
  }
}

function act(action, body, form) {
  return post(`/api/personas/${view.active}/${action}`, body, form);
}

function sendText(text) {
  if (text.trim()) act("text", {text});
}

function isBotLink(url) {
  const name = view.bot.username.toLowerCase();
  try {
    const parsed = new URL(url);
    return ["t.me", "telegram.me", "telegram.dog"].includes(parsed.hostname)
      && parsed.pathname.replace(/\//g, "").toLowerCase() === name;
  } catch {
    return false;
  }
}

function openUrl(url) {
  if (isBotLink(url)) {
    act("link", {url});
  } else {
    window.open(url, "_blank", "noopener,noreferrer");
  }
}

// Live events

function connect() {
  const source = new EventSource("/api/events");
  source.addEventListener("open", () => $("connection").classList.add("live"));
  source.addEventListener("error", () => $("connection").classList.remove("live"));
  source.addEventListener("snapshot", (event) => {
    const state = JSON.parse(event.data);
    view.personas = state.personas;
    view.bot = state.bot;
    view.chats = state.chats;
    const wanted = decodeURIComponent(location.hash.slice(1));
    if (!view.active || !persona(view.active)) {
      view.active = persona(wanted) ? wanted : view.personas[0].key;
    }
    showClock(state.clock);
    renderPersonas();
    renderCustomers();
    renderChat();
    document.body.dataset.ready = "1";
  });
  source.addEventListener("message", (event) => {
    const change = JSON.parse(event.data);
    const chat = view.chats[change.persona] || (view.chats[change.persona] = {messages: []});
    const index = chat.messages.findIndex((item) => item.id === change.message.id);
    const isNew = index < 0;
    if (isNew) chat.messages.push(change.message);
    else chat.messages[index] = change.message;
    if (JSON.stringify(chat.keyboard) !== JSON.stringify(change.keyboard)) {
      view.keyboardHidden[change.persona] = false;
    }
    chat.keyboard = change.keyboard;
    if (change.persona === view.active) {
      upsertMessage(change.message);
      renderKeyboard();
    } else if (isNew && !change.message.out) {
      view.unread[change.persona] = (view.unread[change.persona] || 0) + 1;
      renderPersonas();
    }
  });
  source.addEventListener("delete", (event) => {
    const change = JSON.parse(event.data);
    const chat = view.chats[change.persona];
    if (!chat) return;
    chat.messages = chat.messages.filter((item) => item.id !== change.id);
    if (change.persona === view.active) renderChat();
  });
  source.addEventListener("toast", (event) => {
    const change = JSON.parse(event.data);
    if (change.persona === view.active) toast(change.text, change.alert ? "alert" : "");
  });
  source.addEventListener("clock", (event) => showClock(JSON.parse(event.data).clock));
}

// Rendering

function avatar(item) {
  const colors = {customer: "#e17076", staff: "#7bc862", owner: "#a695e7"};
  const node = element("span", "avatar", item.name.slice(0, 1));
  node.style.background = colors[item.role] || "#6ec9cb";
  return node;
}

function renderPersonas() {
  const nav = $("personas");
  nav.replaceChildren();
  for (const item of view.personas) {
    const button = element("button", "persona");
    button.type = "button";
    button.dataset.key = item.key;
    button.title = `Act as ${item.label}`;
    if (item.key === view.active) button.classList.add("active");
    button.append(avatar(item), element("span", "label", item.label));
    const count = view.unread[item.key];
    if (count) button.append(element("span", "badge", String(count)));
    button.addEventListener("click", () => switchPersona(item.key));
    nav.append(button);
  }
}

function renderCustomers() {
  const select = $("customer");
  const chosen = select.value;
  select.replaceChildren();
  for (const item of view.personas.filter((p) => p.role === "customer")) {
    const option = element("option", "", item.label);
    option.value = item.key;
    select.append(option);
  }
  if (chosen) select.value = chosen;
}

async function switchPersona(key) {
  view.active = key;
  view.unread[key] = 0;
  history.replaceState(null, "", `#${key}`);
  renderPersonas();
  renderChat();
  const response = await fetch(`/api/personas/${key}/chat`);
  if (response.ok && view.active === key) {
    const chat = await response.json();
    view.chats[key] = {messages: chat.messages, keyboard: chat.keyboard};
    renderChat();
  }
  $("text").focus();
}

function renderChat() {
  const me = persona(view.active);
  if (!me) return;
  $("bot-name").textContent = view.bot.name;
  $("chat-subtitle").textContent = `@${view.bot.username} · you are ${me.label}`;
  $("staff-tools").hidden = !["staff", "owner"].includes(me.role);
  const list = $("messages");
  list.replaceChildren();
  const chat = view.chats[view.active] || {messages: []};
  if (!chat.messages.length) {
    const empty = element("div", "empty");
    empty.append(element("div", "", `${me.name} has not talked to the bot yet.`));
    const start = element("button", "", "START");
    start.type = "button";
    start.addEventListener("click", () => sendText("/start"));
    empty.append(start);
    list.append(empty);
  }
  for (const message of chat.messages) upsertMessage(message, true);
  renderKeyboard();
  list.scrollTop = list.scrollHeight;
}

function lastDay(list, before) {
  let node = before ? before.previousElementSibling : list.lastElementChild;
  while (node && !node.dataset.day) node = node.previousElementSibling;
  return node ? node.dataset.day : null;
}

function upsertMessage(message, bulk) {
  const list = $("messages");
  const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 120;
  const node = messageElement(message);
  const existing = list.querySelector(`.msg[data-id="${message.id}"]`);
  if (existing) {
    existing.replaceWith(node);
    return;
  }
  list.querySelector(".empty")?.remove();
  if (lastDay(list) !== message.day) {
    const separator = element("div", "day", message.day);
    list.append(separator);
  }
  list.append(node);
  if (!bulk && (nearBottom || message.out)) list.scrollTop = list.scrollHeight;
}

function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function messageElement(message) {
  const node = element("div", message.out ? "msg out" : "msg in");
  node.dataset.id = message.id;
  node.dataset.day = message.day;
  const bubble = element("div", "bubble");
  if (message.photo) {
    bubble.classList.add("has-photo");
    const image = element("img", "photo");
    image.src = message.photo.url;
    image.alt = "photo";
    image.width = message.photo.width;
    image.height = message.photo.height;
    image.addEventListener("click", () => window.open(message.photo.url, "_blank", "noopener"));
    bubble.append(image);
  }
  if (message.document) {
    const link = element("a", "document");
    link.href = message.document.url;
    link.download = message.document.name;
    const details = element("span", "doc-details");
    details.append(
      element("div", "doc-name", message.document.name),
      element("div", "doc-size", `${formatSize(message.document.size)} · download`),
    );
    link.append(element("span", "doc-icon", "⬇"), details);
    bubble.append(link);
  }
  if (message.contact) {
    const card = element("div", "contact");
    card.append(
      element("span", "doc-icon", "📱"),
      element("span", "", `${message.contact.name} ${message.contact.phone}`),
    );
    bubble.append(card);
  }
  if (message.html) {
    const text = element("div", "text");
    text.innerHTML = message.html; // safe: built by the server from entities, text escaped
    bubble.append(text);
  }
  const meta = element("span", "meta", (message.edited ? "edited " : "") + message.time);
  bubble.append(meta);
  node.append(bubble);
  if (message.buttons.length) node.append(inlineKeyboard(message));
  return node;
}

function inlineKeyboard(message) {
  const keyboard = element("div", "inline-keyboard");
  for (const row of message.buttons) {
    const line = element("div", "row");
    for (const item of row) {
      const button = element("button", item.url ? "link" : "", item.text);
      button.type = "button";
      if (item.data !== undefined) {
        button.addEventListener("click", () => act("press", {message_id: message.id, data: item.data}));
      } else if (item.url) {
        button.title = item.url;
        button.addEventListener("click", () => openUrl(item.url));
      } else {
        button.disabled = true;
      }
      line.append(button);
    }
    keyboard.append(line);
  }
  return keyboard;
}

function renderKeyboard() {
  const chat = view.chats[view.active] || {};
  const keyboard = chat.keyboard;
  const panel = $("keyboard");
  const hidden = !keyboard || view.keyboardHidden[view.active];
  panel.hidden = hidden;
  $("keyboard-toggle").hidden = !keyboard || !hidden;
  $("text").placeholder = (keyboard && keyboard.placeholder) || "Message";
  panel.replaceChildren();
  if (!keyboard) return;
  for (const row of keyboard.rows) {
    const line = element("div", "row");
    for (const item of row) {
      const button = element("button", "", item.text);
      button.type = "button";
      button.addEventListener("click", () => {
        if (item.contact) act("contact");
        else sendText(item.text);
        if (keyboard.one_time) {
          view.keyboardHidden[view.active] = true;
          renderKeyboard();
        }
      });
      line.append(button);
    }
    panel.append(line);
  }
}

function showClock(clock) {
  $("clock-text").textContent = `🕒 ${clock.text}`;
  $("clock-text").title = `The bot's clock (${clock.timezone})`;
}

function toast(text, kind) {
  const node = element("div", `toast ${kind || ""}`, text);
  if (kind === "alert") {
    const ok = element("button", "", "OK");
    ok.type = "button";
    ok.addEventListener("click", () => node.remove());
    node.append(ok);
  } else {
    setTimeout(() => node.remove(), kind === "error" ? 6000 : 3000);
  }
  $("toasts").append(node);
}

// Controls

$("composer").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = $("text");
  sendText(input.value);
  input.value = "";
});

$("photo-input").addEventListener("change", (event) => {
  const [file] = event.target.files;
  event.target.value = "";
  if (!file) return;
  const form = new FormData();
  form.append("photo", file);
  const caption = $("text").value.trim();
  if (caption) form.append("caption", caption);
  $("text").value = "";
  act("photo", null, form);
});

$("keyboard-toggle").addEventListener("click", () => {
  view.keyboardHidden[view.active] = false;
  renderKeyboard();
});

$("messages").addEventListener("click", (event) => {
  const spoiler = event.target.closest("tg-spoiler");
  if (spoiler) {
    spoiler.classList.add("shown");
    return;
  }
  const link = event.target.closest(".text a[href]");
  if (link) {
    event.preventDefault();
    openUrl(link.getAttribute("href"));
  }
});

$("scan").addEventListener("click", () => act("scan", {customer: $("customer").value}));
$("open-card").addEventListener("click", () => act("open-card", {customer: $("customer").value}));

for (const [id, step] of [["plus-day", "day"], ["plus-month", "month"]]) {
  $(id).addEventListener("click", async () => {
    const buttons = [$("plus-day"), $("plus-month")];
    buttons.forEach((button) => { button.disabled = true; });
    const answer = await post("/api/clock", {step});
    buttons.forEach((button) => { button.disabled = false; });
    if (answer) {
      showClock(answer.clock);
      toast(`🕒 ${answer.clock.text}: scheduled jobs ran, ${answer.messages} message(s) sent`);
    }
  });
}

connect();
