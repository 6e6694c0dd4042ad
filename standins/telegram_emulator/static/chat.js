// Web chat for the bot playground: polls /_playground/api and renders chats like a tiny Telegram.
// Plain JS, no dependencies. Text is always inserted with textContent (never innerHTML) so bot output
// cannot inject markup into the page.
"use strict";

const api = "/_playground/api";
const state = { chats: [], users: [], chatId: null, userId: null, version: -1, seenAnswers: new Set() };
const $ = (id) => document.getElementById(id);

async function call(path, body) {
  const init = body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  };
  const response = await fetch(api + path, init);
  const data = await response.json();
  if (!response.ok) throw new Error(data.error || response.statusText);
  return data;
}

function toast(text, alert) {
  if (alert) { window.alert(text); return; }
  const el = $("toast");
  el.textContent = text;
  el.style.display = "block";
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { el.style.display = "none"; }, 2500);
}

// Offsets of Telegram entities count UTF-16 code units, which is what JS string indices are.
function renderEntities(parent, text, entities) {
  const tags = { bold: "b", italic: "i", underline: "u", strikethrough: "s", code: "code", pre: "pre",
                 spoiler: "span", text_link: "a", blockquote: "blockquote", url: "a" };
  const sorted = (entities || []).filter((e) => tags[e.type]).sort((a, b) => a.offset - b.offset);
  let pos = 0;
  for (const e of sorted) {
    if (e.offset < pos) continue; // nested entities: keep the outer one only
    parent.appendChild(document.createTextNode(text.slice(pos, e.offset)));
    const el = document.createElement(tags[e.type]);
    el.textContent = text.slice(e.offset, e.offset + e.length);
    if (e.type === "spoiler") el.className = "spoiler";
    if (e.type === "text_link" || e.type === "url") {
      el.href = e.url || el.textContent;
      el.target = "_blank";
      el.rel = "noopener";
    }
    parent.appendChild(el);
    pos = e.offset + e.length;
  }
  parent.appendChild(document.createTextNode(text.slice(pos)));
}

function renderMessage(m) {
  if (m.service) {
    const el = document.createElement("div");
    el.className = "service";
    el.textContent = m.service;
    return el;
  }
  const el = document.createElement("div");
  el.className = "msg" + (m.from_bot ? "" : " user") + (m.deleted ? " deleted" : "");
  const who = document.createElement("div");
  who.className = "who";
  who.textContent = m.from.first_name;
  el.appendChild(who);
  if (m.media_kind === "photo") {
    const img = document.createElement("img");
    img.src = m.media_url;
    img.alt = "photo";
    el.appendChild(img);
  } else if (m.media_kind) {
    const link = document.createElement("a");
    link.href = m.media_url;
    link.target = "_blank";
    link.textContent = "📎 " + (m.file_name || m.media_kind);
    el.appendChild(link);
  }
  const body = document.createElement("div");
  if (m.text !== null) renderEntities(body, m.text, m.entities);
  else if (m.caption !== null) renderEntities(body, m.caption, m.caption_entities);
  el.appendChild(body);
  if (m.buttons.length && !m.deleted) el.appendChild(renderKeyboard(m));
  const meta = document.createElement("div");
  meta.className = "meta";
  const time = new Date(m.date * 1000).toLocaleTimeString();
  meta.textContent = (m.edits ? "edited " : "") + (m.silent ? "🔕 " : "") + time;
  el.appendChild(meta);
  return el;
}

function renderKeyboard(m) {
  const kb = document.createElement("div");
  kb.className = "kb";
  for (const row of m.buttons) {
    const rowEl = document.createElement("div");
    rowEl.className = "row";
    for (const b of row) {
      let el;
      if (b.url) {
        el = document.createElement("a");
        el.href = b.url;
        el.target = "_blank";
        el.rel = "noopener";
        el.textContent = b.text + " ↗";
      } else {
        el = document.createElement("button");
        el.textContent = b.text;
        el.onclick = () => press(m.message_id, b.callback_data);
      }
      rowEl.appendChild(el);
    }
    kb.appendChild(rowEl);
  }
  return kb;
}

async function press(messageId, data) {
  try {
    await call("/press", { user_id: state.userId, chat_id: state.chatId, message_id: messageId,
                           callback_data: data });
  } catch (err) { toast(err.message); }
}

function renderChats() {
  const list = $("chats");
  list.replaceChildren();
  for (const chat of state.chats) {
    if (chat.migrated_to) continue;
    const li = document.createElement("li");
    li.className = chat.id === state.chatId ? "active" : "";
    li.textContent = chat.title;
    const sub = document.createElement("small");
    sub.textContent = chat.type + (chat.blocked ? " · bot blocked" : "") +
      (chat.bot_status === "kicked" ? " · bot removed" : "");
    li.appendChild(sub);
    li.onclick = () => { state.chatId = chat.id; state.version = -1; renderChats(); refresh(); };
    list.appendChild(li);
  }
}

function renderUsers() {
  const select = $("user");
  if (select.options.length === state.users.length) return;
  select.replaceChildren();
  for (const u of state.users) {
    const opt = document.createElement("option");
    opt.value = u.id;
    opt.textContent = u.first_name;
    select.appendChild(opt);
  }
  if (state.userId === null && state.users.length) state.userId = state.users[0].id;
  select.value = state.userId;
}

async function refresh() {
  try {
    const world = await call("/state");
    $("bot-name").textContent = "@" + world.bot.username;
    state.users = world.users;
    state.chats = world.chats;
    if (state.chatId === null && state.chats.length) state.chatId = state.chats[0].id;
    renderUsers();
    renderChats();
    if (state.chatId !== null && world.version !== state.version) {
      const data = await call("/chats/" + state.chatId + "/messages");
      state.version = world.version;
      $("header").textContent = data.chat.title;
      const log = $("log");
      const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 40;
      log.replaceChildren(...data.messages.map(renderMessage));
      if (atBottom) log.scrollTop = log.scrollHeight;
      for (const a of data.answers) {
        if (!state.seenAnswers.has(a.query_id)) {
          state.seenAnswers.add(a.query_id);
          toast(a.text, a.show_alert);
        }
      }
    }
    $("error").textContent = "";
  } catch (err) {
    $("error").textContent = "Cannot reach the playground: " + err.message;
  }
}

$("user").onchange = (e) => { state.userId = Number(e.target.value); };
$("composer").onsubmit = async (e) => {
  e.preventDefault();
  const input = $("text");
  if (!input.value.trim() || state.chatId === null) return;
  try {
    await call("/send", { user_id: state.userId, chat_id: state.chatId, text: input.value });
    input.value = "";
    refresh();
  } catch (err) { toast(err.message); }
};

refresh();
setInterval(refresh, 700);
