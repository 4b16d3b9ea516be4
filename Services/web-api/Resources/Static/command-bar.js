// The command bar: ⌘K / Ctrl+K on any signed-in page opens the dispatch form of /dispatch in a
// dialog; on /dispatch itself it brings the form into focus. The same code makes the form live on
// both: issues load when the repository changes, the chosen issue is previewed (as text, never as
// HTML), templates and recent commands fill the form in place. Without this script the form still
// works: it posts, and "Show issues" and the templates reload it from the server.
(() => {
  "use strict";

  const isMac = /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);
  let dialog = null;

  function signedIn() {
    return document.querySelector(".sidebar") !== null;
  }

  async function getJSON(url) {
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.message || `Porter answered ${response.status}.`);
    return body;
  }

  function repositoryPath(value) {
    const [owner, name] = value.split("/");
    return `${encodeURIComponent(owner || "")}/${encodeURIComponent(name || "")}`;
  }

  // MARK: the form

  function enhance(form) {
    if (form.dataset.enhanced) return;
    form.dataset.enhanced = "true";
    const field = (name) => form.elements.namedItem(name);
    const repository = field("repository");
    const issue = field("issue");
    const note = form.querySelector("#dispatch-issue-note");
    const preview = form.querySelector("#dispatch-preview");
    const newIssue = form.querySelector("[data-new-issue]");
    const agent = field("agent");
    const hint = form.querySelector("#dispatch-agent-hint");
    const submit = form.querySelector("#dispatch-submit");
    let previewRequest = 0;
    let issuesRequest = 0;

    for (const button of form.querySelectorAll("[data-refresh]")) button.hidden = true;

    function showNewIssue() {
      const chosen = issue.value === "new";
      newIssue.hidden = !chosen;
      field("title").required = chosen;
      return chosen;
    }

    function option(value, label) {
      const element = document.createElement("option");
      element.value = value;
      element.textContent = label;
      return element;
    }

    async function loadIssues(select) {
      const request = ++issuesRequest;
      const keep = select || "";
      const first = issue.options[0];
      const last = issue.querySelector("option[value=new]");
      issue.replaceChildren(first, last);
      issue.value = "";
      note.textContent = "Loading the open issues…";
      showPreview(null);
      showNewIssue();
      try {
        const { issues } = await getJSON(`/api/github/issues/${repositoryPath(repository.value)}`);
        if (request !== issuesRequest) return;
        for (const found of issues) issue.insertBefore(option(String(found.number), `#${found.number} · ${found.title}`), last);
        note.textContent = issues.length ? "The repository's open issues, newest first, or a new one." : "No open issues: open a new one.";
      } catch (error) {
        if (request !== issuesRequest) return;
        note.textContent = `The issues could not be loaded: ${error.message}`;
      }
      if (keep && keep !== "new" && !Array.from(issue.options).some((o) => o.value === keep)) {
        issue.insertBefore(option(keep, `#${keep}`), last);
      }
      issue.value = keep;
      issueChanged();
    }

    function showPreview(found) {
      preview.replaceChildren();
      preview.hidden = !found;
      if (!found) return;
      const title = document.createElement("p");
      title.className = "preview-title";
      const link = document.createElement("a");
      link.href = found.url;
      link.textContent = `#${found.number}`;
      const strong = document.createElement("strong");
      strong.textContent = found.title;
      const by = document.createElement("span");
      by.className = "muted";
      by.textContent = ` by @${found.author}${found.state === "open" ? "" : ` · ${found.state}`}`;
      title.append(link, " ", strong, by);
      const body = document.createElement("div");
      body.className = "preview-body";
      if (found.body) {
        body.textContent = found.body;
      } else {
        const none = document.createElement("span");
        none.className = "muted";
        none.textContent = "No description.";
        body.append(none);
      }
      preview.append(title, body);
    }

    async function issueChanged() {
      const request = ++previewRequest;
      if (showNewIssue() || !/^\d+$/.test(issue.value)) {
        showPreview(null);
        return;
      }
      preview.hidden = false;
      preview.textContent = "Loading the issue…";
      try {
        const found = await getJSON(`/api/github/issues/${repositoryPath(repository.value)}/${issue.value}`);
        if (request === previewRequest) showPreview(found);
      } catch (error) {
        if (request === previewRequest) preview.textContent = `The issue could not be loaded: ${error.message}`;
      }
    }

    function agentChanged() {
      const chosen = agent.options[agent.selectedIndex];
      hint.textContent = chosen ? chosen.dataset.hint || "" : "";
    }

    function setRadio(name, value) {
      for (const input of form.querySelectorAll(`input[name=${name}]`)) input.checked = input.value === value;
    }

    function setSelect(select, value) {
      if (!Array.from(select.options).some((o) => o.value === value)) select.append(option(value, value));
      select.value = value;
    }

    function refill(data) {
      const sameRepository = repository.value === data.repository;
      setSelect(repository, data.repository);
      field("agent").value = Array.from(agent.options).some((o) => o.value === data.agent) ? data.agent : "";
      field("model").value = data.model || "";
      field("priority").value = data.priority || "normal";
      setRadio("pr", data.pr === "ready" ? "ready" : "draft");
      field("base").value = data.base || "";
      field("instructions").value = data.instructions || "";
      agentChanged();
      if (sameRepository && Array.from(issue.options).some((o) => o.value === data.issue)) {
        issue.value = data.issue;
        issueChanged();
      } else {
        loadIssues(data.issue);
      }
      issue.focus();
    }

    repository.addEventListener("change", () => loadIssues(""));
    issue.addEventListener("change", () => {
      issueChanged();
      if (issue.value === "new") field("title").focus();
    });
    agent.addEventListener("change", agentChanged);

    for (const button of form.querySelectorAll("[data-template]")) {
      button.addEventListener("click", (event) => {
        event.preventDefault();
        const instructions = field("instructions");
        instructions.value = button.dataset.instructions;
        field("priority").value = button.dataset.priority;
        for (const other of form.querySelectorAll("[data-template]")) other.setAttribute("aria-pressed", String(other === button));
        instructions.focus();
        instructions.setSelectionRange(instructions.value.length, instructions.value.length);
      });
    }

    // Enter in a text field submits through the form's first submit button, which is the hidden
    // "Show issues": send it to "Start task" instead.
    form.addEventListener("submit", (event) => {
      if (event.submitter && event.submitter.hasAttribute("data-refresh")) {
        event.preventDefault();
        event.stopPropagation();
        form.requestSubmit(submit);
      }
    });

    const scope = form.closest("[data-command-scope]") || document;
    for (const link of scope.querySelectorAll("[data-recent]")) {
      link.addEventListener("click", (event) => {
        if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
        event.preventDefault();
        refill(link.dataset);
      });
    }

    showNewIssue();
    agentChanged();
  }

  // MARK: the dialog

  function buildDialog() {
    dialog = document.createElement("dialog");
    dialog.className = "command-bar";
    dialog.setAttribute("aria-labelledby", "command-bar-title");
    dialog.dataset.commandScope = "true";
    const head = document.createElement("div");
    head.className = "command-bar-head";
    const title = document.createElement("h2");
    title.id = "command-bar-title";
    title.textContent = "New task";
    const close = document.createElement("button");
    close.type = "button";
    close.className = "link";
    close.textContent = "Close";
    close.setAttribute("aria-label", "Close the command bar");
    close.addEventListener("click", () => dialog.close());
    head.append(title, close);
    const body = document.createElement("div");
    body.className = "command-bar-body";
    dialog.append(head, body);
    // A click on the backdrop (the dialog itself, outside its content) closes it.
    dialog.addEventListener("click", (event) => {
      if (event.target === dialog) dialog.close();
    });
    document.body.append(dialog);
    return body;
  }

  async function openCommandBar() {
    const pageForm = document.querySelector("main [data-dispatch-form]");
    if (pageForm) {
      (pageForm.elements.namedItem("issue") || pageForm.elements[0]).focus();
      return;
    }
    const body = dialog ? dialog.querySelector(".command-bar-body") : buildDialog();
    if (dialog.open) return;
    body.replaceChildren(Object.assign(document.createElement("p"), { className: "muted", textContent: "Loading…" }));
    dialog.showModal();
    try {
      const response = await fetch("/dispatch", { credentials: "same-origin" });
      if (!response.ok) throw new Error(`Porter answered ${response.status}.`);
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const content = page.querySelector(".dispatch");
      if (!content) throw new Error("the page had no form.");
      body.replaceChildren(document.importNode(content, true));
      const form = body.querySelector("[data-dispatch-form]");
      if (form) {
        enhance(form);
        (form.elements.namedItem("issue") || form.elements.namedItem("repository")).focus();
      } else {
        const link = body.querySelector("a");
        if (link) link.focus();
      }
    } catch (error) {
      const failed = document.createElement("p");
      failed.className = "banner error";
      failed.setAttribute("role", "alert");
      failed.textContent = `The form could not be loaded: ${error.message} `;
      const link = Object.assign(document.createElement("a"), { href: "/dispatch", textContent: "Open the New task page" });
      failed.append(link);
      body.replaceChildren(failed);
    }
  }

  document.addEventListener("keydown", (event) => {
    if (!(event.metaKey || event.ctrlKey) || event.altKey || event.shiftKey || event.key.toLowerCase() !== "k") return;
    if (!signedIn()) return;
    event.preventDefault();
    openCommandBar();
  });

  document.addEventListener("DOMContentLoaded", () => {
    if (!signedIn()) return;
    for (const link of document.querySelectorAll("nav a[href='/dispatch']")) {
      const shortcut = document.createElement("kbd");
      shortcut.className = "shortcut";
      shortcut.textContent = isMac ? "⌘K" : "Ctrl K";
      shortcut.setAttribute("aria-hidden", "true");
      link.append(shortcut);
      link.setAttribute("aria-keyshortcuts", isMac ? "Meta+K" : "Control+K");
    }
    const form = document.querySelector("main [data-dispatch-form]");
    if (form) enhance(form);
  });
})();
