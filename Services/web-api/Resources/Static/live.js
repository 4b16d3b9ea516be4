// Live pages: the dashboard's feed and a task page follow Server-Sent Events. The pages are whole
// without this script; it only keeps them current. Text is always set as text; HTML comes only
// whole from the server's own templates (the agents' figures).
(() => {
  const labels = {
    queued: ["Queued", "warn"], dispatching: ["Starting", "live"], running: ["Running", "live"],
    succeeded: ["Succeeded", "ok"], failed: ["Failed", "bad"], timed_out: ["Timed out", "bad"],
    cancelled: ["Stopped", ""],
  };
  const terminal = new Set(["succeeded", "failed", "timed_out", "cancelled"]);
  const filters = {
    all: null, running: ["dispatching", "running"], queued: ["queued"], succeeded: ["succeeded"],
    failed: ["failed", "timed_out"],
  };

  // As the server writes durations: 45s, 2m 47s, 1h 05m.
  function duration(ms) {
    const total = Math.max(0, Math.round(ms / 1000));
    if (total < 60) return `${total}s`;
    if (total < 3600) return `${Math.floor(total / 60)}m ${total % 60}s`;
    const minutes = Math.floor((total % 3600) / 60);
    return `${Math.floor(total / 3600)}h ${String(minutes).padStart(2, "0")}m`;
  }

  function timing(row) {
    const created = Date.parse(row.dataset.created);
    const started = row.dataset.started ? Date.parse(row.dataset.started) : null;
    const finished = row.dataset.finished ? Date.parse(row.dataset.finished) : null;
    if (finished) return `took ${duration(finished - (started ?? created))}`;
    if (started) return `running ${duration(Date.now() - started)}`;
    return `waiting ${duration(Date.now() - created)}`;
  }

  function setChip(chip, status) {
    const [label, style] = labels[status] ?? [status, ""];
    chip.textContent = label;
    chip.className = `chip ${style}`.trim();
  }

  // Shows whether the page is live; a lost connection says so while the browser reconnects.
  function liveState(source) {
    const state = document.getElementById("live-state");
    if (!state) return;
    const text = state.querySelector(".text");
    state.hidden = false;
    source.addEventListener("open", () => { state.dataset.state = "live"; text.textContent = "Live"; });
    source.addEventListener("error", () => {
      state.dataset.state = source.readyState === EventSource.CLOSED ? "closed" : "reconnecting";
      text.textContent = source.readyState === EventSource.CLOSED ? "Not live: refresh the page" : "Reconnecting…";
    });
  }

  // As the server writes times: 29 Nov 11:50 UTC in lists, 29 Nov 2026 11:50:07 UTC on a task's timeline.
  function shortTime(iso, seconds) {
    const date = new Date(iso);
    const month = date.toLocaleString("en-US", { month: "short", timeZone: "UTC" });
    const pad = (n) => String(n).padStart(2, "0");
    const time = `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}` + (seconds ? `:${pad(date.getUTCSeconds())}` : "");
    return `${date.getUTCDate()} ${month}${seconds ? ` ${date.getUTCFullYear()}` : ""} ${time} UTC`;
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function newRow(task) {
    const row = element("li", "task-row");
    row.dataset.taskId = task.id;
    const chip = element("span", "chip");
    chip.dataset.field = "status";
    const what = element("div", "what");
    const title = element("a", "title");
    title.href = `/tasks/${task.id}`;
    title.dataset.field = "title";
    const facts = element("p", "muted small");
    const repository = element("span", "", `${task.repository}#${task.issueNumber}`);
    repository.dataset.field = "repository";
    const agent = element("code", "", task.model ? `${task.agent} · ${task.model}` : task.agent);
    agent.dataset.field = "agent";
    const requester = element("span", "", task.requester);
    requester.dataset.field = "requester";
    facts.append(repository, " · ", agent, " · @", requester);
    what.append(title, facts);
    const when = element("div", "when");
    const timingNode = element("span", "timing");
    timingNode.dataset.field = "timing";
    const phase = element("span", "muted small phase");
    phase.dataset.field = "phase";
    const created = element("time", "muted small", shortTime(task.createdAt, false));
    created.dateTime = task.createdAt;
    when.append(timingNode, phase, created);
    const pr = element("div", "pr");
    pr.dataset.field = "pr";
    row.append(chip, what, when, pr);
    row.dataset.created = task.createdAt;
    return row;
  }

  function fill(row, task) {
    row.dataset.status = task.status;
    if (task.startedAt) row.dataset.started = task.startedAt; else delete row.dataset.started;
    if (task.finishedAt) row.dataset.finished = task.finishedAt; else delete row.dataset.finished;
    setChip(row.querySelector('[data-field="status"]'), task.status);
    row.querySelector('[data-field="title"]').textContent = task.issueTitle ?? `Issue #${task.issueNumber}`;
    row.querySelector('[data-field="phase"]').textContent = terminal.has(task.status) ? "" : (task.phase ?? "");
    row.querySelector('[data-field="timing"]').textContent = timing(row);
    const pr = row.querySelector('[data-field="pr"]');
    if (task.pullRequestURL && !pr.querySelector("a")) {
      const link = element("a", "", "Pull request");
      link.href = task.pullRequestURL;
      pr.replaceChildren(link);
    }
  }

  function dashboard(feed) {
    const list = document.getElementById("task-list");
    const wanted = new Set((feed.dataset.statuses || "").split(",").filter(Boolean));
    const seen = new Map(); // task id -> newest change number applied
    const statuses = new Map(); // task id -> the status last seen
    let countsTimer = null;
    let agentsTimer = null;

    // The agents' figures, asked again a few seconds after a change that moves them, once for a burst
    // of changes. Kept as they are if the ask fails.
    function refreshAgents() {
      const panel = document.getElementById("agents");
      if (agentsTimer || !panel?.dataset.src) return;
      agentsTimer = setTimeout(async () => {
        agentsTimer = null;
        try {
          const answer = await fetch(panel.dataset.src, { headers: { Accept: "text/html" } });
          if (!answer.ok) return;
          const fresh = new DOMParser().parseFromString(await answer.text(), "text/html").getElementById("agents");
          if (fresh) document.getElementById("agents")?.replaceWith(document.adoptNode(fresh));
        } catch { /* the next change asks again */ }
      }, 3000);
    }

    // Counts come from the server (a task can leave a filter this page never showed), at most once a second.
    function refreshCounts() {
      if (countsTimer) return;
      countsTimer = setTimeout(async () => {
        countsTimer = null;
        try {
          const answer = await fetch("/api/tasks?limit=1", { headers: { Accept: "application/json" } });
          if (!answer.ok) return;
          const { counts } = await answer.json();
          for (const [name, statuses] of Object.entries(filters)) {
            const node = document.querySelector(`[data-count-for="${name}"]`);
            if (!node) continue;
            const values = statuses ?? Object.keys(counts);
            node.textContent = values.reduce((sum, status) => sum + (counts[status] ?? 0), 0);
          }
        } catch { /* the next change tries again */ }
      }, 1000);
    }

    function apply(change) {
      const { seq, task } = change;
      if ((seen.get(task.id) ?? -1) >= seq) return;
      seen.set(task.id, seq);
      // A status change moves the figures, and so does any change to an ended task (its pull request
      // opened, merged or closed); a running task's progress does not.
      if (statuses.get(task.id) !== task.status || terminal.has(task.status)) {
        statuses.set(task.id, task.status);
        refreshAgents();
      }
      let row = list.querySelector(`[data-task-id="${CSS.escape(task.id)}"]`);
      const belongs = wanted.size === 0 || wanted.has(task.status);
      if (!row) {
        // New lines join the first page only, in their place by creation time.
        if (!belongs || !("firstPage" in feed.dataset)) { refreshCounts(); return; }
        row = newRow(task);
        const later = [...list.children].find((other) => other.dataset.created < task.createdAt);
        if (later) list.insertBefore(row, later); else if (list.children.length === 0) list.append(row); else return;
        document.getElementById("feed-empty")?.remove();
      }
      fill(row, task);
      row.classList.toggle("left-filter", !belongs);
      refreshCounts();
    }

    const source = new EventSource(`${feed.dataset.stream}?since=${encodeURIComponent(feed.dataset.since)}`);
    liveState(source);
    source.addEventListener("task", (event) => apply(JSON.parse(event.data)));
    source.addEventListener("reset", () => window.location.reload());
    setInterval(() => {
      for (const row of list.querySelectorAll('.task-row:not([data-finished])')) {
        row.querySelector('[data-field="timing"]').textContent = timing(row);
      }
    }, 1000);
  }

  function taskPage(page) {
    const status = document.getElementById("task-status");
    const phase = document.getElementById("task-phase");
    const log = document.getElementById("task-log");
    const timeline = document.getElementById("task-timeline");
    let seq = -1;
    let shown = 0;
    const ran = document.getElementById("task-duration");
    if (ran?.dataset.started) {
      setInterval(() => { ran.textContent = duration(Date.now() - Date.parse(ran.dataset.started)); }, 1000);
    }

    const source = new EventSource(`${page.dataset.stream}?since=${encodeURIComponent(page.dataset.since)}`);
    liveState(source);
    source.addEventListener("task", (event) => {
      const change = JSON.parse(event.data);
      if (change.seq <= seq) return;
      seq = change.seq;
      setChip(status, change.task.status);
      status.classList.add("chip");
      if (phase) phase.textContent = change.task.phase ? `· ${change.task.phase}` : "";
      // A finished task's page has more to say (the pull request, the reason, Retry): draw it anew.
      if (terminal.has(change.task.status)) { source.close(); window.location.reload(); }
    });
    source.addEventListener("log", (event) => {
      const entry = JSON.parse(event.data);
      if (timeline) {
        const item = element("li");
        item.append(element("time", "", shortTime(entry.createdAt, true)), " ",
          element("span", "kind", entry.kind), ` ${entry.message}`);
        timeline.append(item);
      }
      if (log && entry.lines.length) {
        log.closest("section").hidden = false;
        log.append(entry.lines.join("\n") + "\n");
        shown += entry.lines.length;
        // The page keeps the newest 500 lines.
        while (shown > 500 && log.firstChild) {
          const text = log.firstChild.textContent;
          const cut = text.indexOf("\n");
          if (cut < 0 || log.childNodes.length > 1) { shown -= (text.match(/\n/g) ?? []).length; log.firstChild.remove(); }
          else { log.firstChild.textContent = text.slice(cut + 1); shown -= 1; }
        }
        log.scrollTop = log.scrollHeight;
      }
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    if (!("EventSource" in window)) return;
    const feed = document.getElementById("feed");
    if (feed?.dataset.stream) dashboard(feed);
    const page = document.getElementById("task-live");
    if (page?.dataset.stream) taskPage(page);
  });
})();
