// The review page: notes on lines of the diff for "Request changes", and the follow-up tasks' state
// kept current. Without it the page still merges, closes and requests changes (without line notes).
(() => {
  const form = document.getElementById("changes-form");
  const hidden = document.getElementById("changes-notes");
  const list = document.getElementById("note-list");
  const notes = [];

  function render() {
    hidden.value = JSON.stringify(notes);
    list.replaceChildren();
    notes.forEach((note, index) => {
      const item = document.createElement("li");
      const place = document.createElement("code");
      place.textContent = `${note.path}:${note.line}${note.side === "LEFT" ? " (old)" : ""}`;
      const text = document.createElement("p");
      text.textContent = note.body;
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "link";
      remove.textContent = "Remove";
      remove.setAttribute("aria-label", `Remove the note on ${place.textContent}`);
      remove.addEventListener("click", () => {
        notes.splice(index, 1);
        render();
      });
      item.append(place, text, remove);
      list.append(item);
    });
  }

  function addNote(path, line, side, body) {
    const text = body.trim();
    if (!text) return false;
    notes.push({ path, line, side, body: text });
    render();
    document.getElementById("request-changes").open = true;
    return true;
  }

  function openEditor(target) {
    const file = target.closest("[data-path]");
    const line = Number(target.getAttribute("data-line"));
    const side = target.getAttribute("data-side") || "RIGHT";
    const row = target.closest("tr");
    if (!file || !line || row.nextElementSibling?.classList.contains("note-editor")) return;
    const editor = document.createElement("tr");
    editor.className = "note-editor";
    const cell = document.createElement("td");
    cell.colSpan = 4;
    const noteForm = document.createElement("form");
    const label = document.createElement("label");
    const id = `note-${Date.now()}`;
    label.htmlFor = id;
    label.textContent = `Note on ${file.getAttribute("data-path")} line ${line}${side === "LEFT" ? " (old code)" : ""}`;
    const area = document.createElement("textarea");
    area.id = id;
    area.rows = 3;
    area.maxLength = 10000;
    const buttons = document.createElement("div");
    buttons.className = "buttons";
    const add = document.createElement("button");
    add.type = "submit";
    add.className = "primary";
    add.textContent = "Add note";
    const cancel = document.createElement("button");
    cancel.type = "button";
    cancel.textContent = "Cancel";
    buttons.append(add, cancel);
    noteForm.append(label, area, buttons);
    cell.append(noteForm);
    editor.append(cell);
    row.after(editor);
    area.focus();
    const close = () => {
      editor.remove();
      target.focus({ preventScroll: true });
    };
    cancel.addEventListener("click", close);
    noteForm.addEventListener("keydown", (event) => {
      if (event.key === "Escape") close();
    });
    noteForm.addEventListener("submit", (event) => {
      // Handled here: the page-wide handler must not disable anything for this form.
      event.preventDefault();
      event.stopPropagation();
      if (addNote(file.getAttribute("data-path"), line, side, area.value)) {
        target.classList.add("noted");
        close();
      }
    }, true);
  }

  if (form && hidden && list) {
    const hint = document.getElementById("notes-hint");
    for (const table of document.querySelectorAll("table.diff")) {
      table.addEventListener("click", (event) => {
        const target = event.target.closest("[data-line]");
        if (target && !event.target.closest(".note-editor")) openEditor(target);
      });
      table.addEventListener("keydown", (event) => {
        const target = event.target.closest?.("[data-line]");
        if (target && (event.key === "Enter" || event.key === " ")) {
          event.preventDefault();
          openEditor(target);
        }
      });
      // One tab stop per table; arrow keys move between its lines.
      const lines = [...table.querySelectorAll("[data-line]")];
      lines.forEach((line, index) => { line.tabIndex = index ? -1 : 0; });
      table.addEventListener("keydown", (event) => {
        if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
        const index = lines.indexOf(event.target);
        if (index < 0) return;
        const next = lines[index + (event.key === "ArrowDown" ? 1 : -1)];
        if (!next) return;
        event.preventDefault();
        event.target.tabIndex = -1;
        next.tabIndex = 0;
        next.focus();
      });
    }
    if (hint) hint.hidden = false;
    render();
  }

  // Follow-up tasks still running: their state, every few seconds, until they end.
  const labels = {
    queued: ["Queued", "warn"], dispatching: ["Starting", "live"], running: ["Running", "live"],
    succeeded: ["Succeeded", "ok"], failed: ["Failed", "bad"], timed_out: ["Timed out", "bad"],
    cancelled: ["Stopped", ""],
  };
  const live = [...document.querySelectorAll("[data-follow-up][data-live]")];
  if (live.length) {
    const timer = setInterval(async () => {
      for (const item of [...live]) {
        try {
          const response = await fetch(`/api/tasks/${item.getAttribute("data-follow-up")}`, { headers: { Accept: "application/json" } });
          if (!response.ok) continue;
          const task = await response.json();
          const chip = item.querySelector("[data-field=status]");
          const [text, style] = labels[task.status] || [task.status, ""];
          chip.textContent = text;
          chip.className = `chip ${style}`;
          item.setAttribute("data-status", task.status);
          if (["succeeded", "failed", "timed_out", "cancelled"].includes(task.status)) {
            item.removeAttribute("data-live");
            live.splice(live.indexOf(item), 1);
            const pushed = document.getElementById("follow-up-pushed");
            if (pushed && task.status === "succeeded") pushed.hidden = false;
          }
        } catch {
          // The next round tries again.
        }
      }
      if (!live.length) clearInterval(timer);
    }, 3000);
  }
})();
