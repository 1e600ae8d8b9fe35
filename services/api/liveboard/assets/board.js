// The live board: signs in through the REST API, follows one project over /ws/v1/ and keeps a
// board of its tasks current from the events (docs/websocket.md describes the protocol).
"use strict";

(() => {
  const API = "/api/v1";
  const SOCKET_URL = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws/v1/`;
  const PING_EVERY_MS = 25000;
  const PONG_WITHIN_MS = 10000;
  const MAX_BACKOFF_MS = 30000;
  const MAX_LOGGED_EVENTS = 200;
  const MAX_TASK_PAGES = 10;
  // A fresh token is sent this long before the socket's token expires (the server closes the
  // socket with 4401 at the expiry otherwise).
  const REAUTH_BEFORE_EXPIRY_MS = 30000;
  const PRIORITIES = { 1: "low", 2: "medium", 3: "high", 4: "urgent" };
  // Close codes of the protocol.
  const SERVICE_RESTART = 1012;
  const RESYNC = 4008;
  const UNAUTHENTICATED = 4401;

  const state = {
    access: null,
    refresh: null,
    project: null,
    socket: null,
    tasks: new Map(),
    loading: false,
    pending: [],
    attempt: 0,
    // Whether the current socket has asked for its subscription (a re-authentication answers
    // `authenticated` again and must not subscribe twice).
    following: false,
    timers: { ping: null, pong: null, reconnect: null, reauth: null },
  };

  const byId = (id) => document.getElementById(id);

  function setStatus(name, text) {
    const status = byId("status");
    status.dataset.state = name;
    status.textContent = text || name;
  }

  // -- REST ------------------------------------------------------------------------------------

  async function request(path, options = {}, retried = false) {
    const headers = { Accept: "application/json", ...(options.headers || {}) };
    if (options.body) headers["Content-Type"] = "application/json";
    if (state.access && !options.anonymous) headers.Authorization = `Bearer ${state.access}`;
    const response = await fetch(path.startsWith("http") ? path : API + path, { ...options, headers });
    if (response.status === 401 && !retried && !options.anonymous && state.refresh) {
      await refreshTokens();
      return request(path, options, true);
    }
    const body = response.status === 204 ? null : await response.json();
    if (!response.ok) {
      const message = body && body.error ? body.error.message : `HTTP ${response.status}`;
      throw new Error(message);
    }
    return body;
  }

  async function signIn(username, password) {
    const tokens = await request("/auth/token/", {
      method: "POST",
      anonymous: true,
      body: JSON.stringify({ username, password }),
    });
    state.access = tokens.access;
    state.refresh = tokens.refresh;
  }

  async function refreshTokens() {
    const tokens = await request("/auth/token/refresh/", {
      method: "POST",
      anonymous: true,
      body: JSON.stringify({ refresh: state.refresh }),
    });
    state.access = tokens.access;
    state.refresh = tokens.refresh;
  }

  // Milliseconds since the epoch at which an access token expires (its `exp` claim). The token
  // is only read, never trusted: the server checks it.
  function expiresAt(token) {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(payload)).exp * 1000;
  }

  async function loadProjects() {
    const page = await request("/projects/?page_size=100");
    const select = byId("project");
    select.replaceChildren();
    for (const project of page.results) {
      const option = document.createElement("option");
      option.value = String(project.id);
      option.textContent = project.name;
      select.append(option);
    }
    byId("picker").hidden = false;
  }

  // The board as the REST API has it now; events that arrive meanwhile are applied after it.
  async function loadTasks() {
    state.loading = true;
    try {
      const tasks = new Map();
      let url = `/tasks/?project=${state.project}&page_size=100&ordering=id`;
      for (let page = 0; url && page < MAX_TASK_PAGES; page += 1) {
        const body = await request(url);
        for (const task of body.results) tasks.set(task.id, task);
        url = body.next;
      }
      state.tasks = tasks;
      renderBoard();
    } finally {
      state.loading = false;
    }
    const pending = state.pending.splice(0);
    for (const event of pending) await applyEvent(event);
  }

  async function refetchTask(id) {
    try {
      state.tasks.set(id, await request(`/tasks/${id}/`));
    } catch (error) {
      state.tasks.delete(id);
    }
    renderBoard();
  }

  // -- the board -------------------------------------------------------------------------------

  function renderBoard(changedId) {
    const lists = {};
    for (const column of document.querySelectorAll("#board .column")) {
      lists[column.dataset.status] = column.querySelector("ul");
      lists[column.dataset.status].replaceChildren();
    }
    const ordered = [...state.tasks.values()].sort((a, b) => a.id - b.id);
    for (const task of ordered) {
      const item = document.createElement("li");
      item.className = task.id === changedId ? "card changed" : "card";
      item.dataset.taskId = String(task.id);
      item.dataset.version = String(task.version);
      const title = document.createElement("span");
      title.className = "title";
      title.textContent = task.title;
      const meta = document.createElement("small");
      meta.textContent = `#${task.id} · ${task.priority} · v${task.version}`;
      item.append(title, meta);
      (lists[task.status] || lists.todo).append(item);
    }
  }

  function logEvent(event) {
    const item = document.createElement("li");
    item.dataset.type = event.type;
    item.dataset.stream = event.stream;
    item.dataset.version = String(event.version);
    item.dataset.requestId = event.request_id || "";
    item.textContent =
      `${event.occurred_at} ${event.type} ${event.stream} v${event.version}` +
      (event.request_id ? ` (request ${event.request_id})` : "");
    const list = byId("events");
    list.prepend(item);
    while (list.children.length > MAX_LOGGED_EVENTS) list.lastElementChild.remove();
  }

  async function applyEvent(event) {
    if (state.loading) {
      state.pending.push(event);
      return;
    }
    logEvent(event);
    const [kind, number] = event.stream.split("-");
    if (kind !== "task") return;
    const id = Number(number);
    const data = event.data || {};
    const task = state.tasks.get(id);
    if (event.type === "TaskCreated") {
      if (!task) {
        state.tasks.set(id, {
          id,
          title: data.title,
          status: data.status,
          priority: PRIORITIES[data.priority] || data.priority,
          version: event.version,
        });
      }
      renderBoard(id);
      return;
    }
    if (!task || event.version <= task.version) return; // unknown here, or already applied
    if (event.version > task.version + 1) {
      await refetchTask(id); // a version in between never arrived: take the task as it is now
      return;
    }
    task.version = event.version;
    if (event.type === "TaskDeleted") state.tasks.delete(id);
    if (event.type === "TaskRenamed") task.title = data.title;
    if (event.type === "TaskStatusChanged") task.status = data.status;
    if (event.type === "TaskPrioritized") task.priority = PRIORITIES[data.priority] || data.priority;
    renderBoard(id);
  }

  // -- the socket ------------------------------------------------------------------------------

  function send(message) {
    if (state.socket && state.socket.readyState === WebSocket.OPEN) {
      state.socket.send(JSON.stringify(message));
    }
  }

  function clearTimers() {
    for (const name of Object.keys(state.timers)) {
      clearTimeout(state.timers[name]);
      state.timers[name] = null;
    }
  }

  function schedulePing() {
    clearTimeout(state.timers.ping);
    state.timers.ping = setTimeout(() => {
      send({ type: "ping" });
      // No pong in time: the connection is dead even if the browser has not noticed yet.
      state.timers.pong = setTimeout(() => state.socket && state.socket.close(), PONG_WITHIN_MS);
      schedulePing();
    }, PING_EVERY_MS);
  }

  // Before the socket's token expires: refresh the tokens and send the new access token on the
  // open socket (the server answers `authenticated` and moves the socket's expiry).
  function scheduleReauth() {
    clearTimeout(state.timers.reauth);
    const delay = Math.max(0, expiresAt(state.access) - Date.now() - REAUTH_BEFORE_EXPIRY_MS);
    state.timers.reauth = setTimeout(async () => {
      try {
        await refreshTokens();
      } catch (error) {
        setStatus("signed-out", "signed out: sign in again");
        return; // the server closes the socket at the expiry
      }
      send({ type: "auth", token: state.access });
    }, delay);
  }

  function connect() {
    clearTimers();
    state.following = false;
    setStatus("connecting", "connecting…");
    const socket = new WebSocket(SOCKET_URL);
    state.socket = socket;
    socket.addEventListener("open", () => send({ type: "auth", token: state.access }));
    socket.addEventListener("message", (message) => onMessage(JSON.parse(message.data)));
    socket.addEventListener("close", (closed) => {
      if (state.socket === socket) onClose(closed.code);
    });
  }

  async function onMessage(message) {
    switch (message.type) {
      case "authenticated":
        scheduleReauth();
        if (!state.following) {
          state.following = true;
          send({ type: "subscribe", project: state.project });
        }
        break;
      case "subscribed":
        state.attempt = 0;
        schedulePing();
        setStatus("live", "live");
        // Catch up: whatever changed while the socket was away is in the REST API.
        await loadTasks();
        byId("board").hidden = false;
        byId("log").hidden = false;
        break;
      case "event":
        await applyEvent(message.event);
        break;
      case "pong":
        clearTimeout(state.timers.pong);
        break;
      case "unsubscribed":
        setStatus("ended", `ended: ${message.reason || "unsubscribed"}`);
        break;
      case "error":
        setStatus("error", `error: ${message.code}`);
        break;
      default:
        break;
    }
  }

  async function onClose(code) {
    clearTimers();
    state.socket = null;
    if (byId("status").dataset.state === "ended") return;
    let delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** state.attempt);
    if (code === UNAUTHENTICATED) {
      try {
        await refreshTokens();
      } catch (error) {
        setStatus("signed-out", "signed out: sign in again");
        return;
      }
      delay = 0;
    } else if (code === SERVICE_RESTART || code === RESYNC) {
      delay = 500; // the server asked for it; reconnecting catches up through loadTasks()
    }
    state.attempt += 1;
    setStatus("reconnecting", `reconnecting (close ${code})`);
    // Jitter spreads the reconnects of many clients after a restart.
    state.timers.reconnect = setTimeout(connect, delay + Math.random() * 1000);
  }

  // -- wiring ----------------------------------------------------------------------------------

  byId("login").addEventListener("submit", async (submitted) => {
    submitted.preventDefault();
    byId("login-error").textContent = "";
    try {
      await signIn(byId("username").value, byId("password").value);
      await loadProjects();
      byId("login").hidden = true;
      setStatus("signed-in", "signed in");
    } catch (error) {
      byId("login-error").textContent = error.message;
    }
  });

  byId("follow").addEventListener("click", () => {
    state.project = Number(byId("project").value);
    state.tasks = new Map();
    byId("events").replaceChildren();
    if (state.socket) {
      const previous = state.socket;
      state.socket = null;
      previous.close(1000);
    }
    connect();
  });
})();
