// The history's filter form, enhanced; it works the same without this script.
// - Stat cards not ready with the page are fetched once it is shown (GET /history/figures); without
//   the script, a link asks for the page with its figures counted first.
// - Repository, branch and issue suggest values from the person's own tasks as they type
//   (GET /api/tasks/facets), within the filters already applied; offers not ready with the page are
//   asked for once it is shown.
// - Applying filters leaves empty fields out, so the URL carries only the filters that are set.
(async () => {
  const cards = document.querySelector("#stat-cards[data-src]");
  if (!cards) return;
  try {
    const answer = await fetch(cards.dataset.src, { headers: { Accept: "text/html" } });
    if (!answer.ok) throw new Error(String(answer.status));
    const fresh = new DOMParser().parseFromString(await answer.text(), "text/html").getElementById("stat-cards");
    if (!fresh) throw new Error("no cards in the answer");
    cards.replaceWith(document.adoptNode(fresh));
  } catch {
    cards.removeAttribute("aria-busy");
    for (const detail of cards.querySelectorAll(".stat-detail")) detail.textContent = "not available now";
    const more = document.createElement("p");
    more.className = "stat-more";
    more.innerHTML = '<a href="">Reload the page</a> to count them again.';
    cards.append(more);
  }
})();

(() => {
  const form = document.getElementById("history-filters");
  if (!form) return;
  // The filters the page was drawn with, unless the server refused them.
  const applied = document.getElementById("filter-problem") ? new URLSearchParams() : new URLSearchParams(location.search);
  const waiting = new Map();

  async function suggest(input) {
    const list = document.getElementById(input.getAttribute("list"));
    if (!list) return;
    const query = new URLSearchParams();
    for (const [name, value] of applied) {
      if (value && name !== input.name && name !== "cursor" && name !== "limit") query.set(name, value);
    }
    query.set("field", input.dataset.facet);
    query.set("q", input.value.trim());
    waiting.get(input)?.abort();
    const request = new AbortController();
    waiting.set(input, request);
    try {
      const answer = await fetch("/api/tasks/facets?" + query, {
        signal: request.signal, headers: { Accept: "application/json" },
      });
      if (!answer.ok) return;
      const { suggestions } = await answer.json();
      list.replaceChildren(...suggestions.map(({ value, label }) => {
        const option = document.createElement("option");
        option.value = value;
        if (label) option.textContent = label;
        return option;
      }));
    } catch {
      // A stale request was cancelled, or the network is gone: the suggestions already shown stay.
    }
  }

  // Offers that were not ready with the page: asked for now, as typing would.
  for (const input of form.querySelectorAll("input[data-facet]")) {
    const list = document.getElementById(input.getAttribute("list"));
    if (list?.hasAttribute("data-later")) suggest(input).then(() => list.removeAttribute("data-later"));
  }

  const timers = new Map();
  for (const input of form.querySelectorAll("input[data-facet]")) {
    input.addEventListener("input", () => {
      clearTimeout(timers.get(input));
      timers.set(input, setTimeout(() => suggest(input), 150));
    });
  }

  form.addEventListener("submit", () => {
    for (const field of form.elements) {
      if (field.name && field.value === "") field.disabled = true;
    }
  });
  // Coming back to the page from the back-forward cache: every field usable again.
  window.addEventListener("pageshow", () => {
    for (const field of form.elements) {
      field.disabled = false;
      field.removeAttribute("aria-busy");
    }
  });
})();
