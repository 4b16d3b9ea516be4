// Small enhancements; every page works without them.
document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
    return;
  }
  // One click, one submission: the button shows the form is on its way.
  for (const button of form.querySelectorAll("button[type=submit]")) {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
  }
});

// A refused form's reason is shown in its card: bring it into view and to screen readers.
document.addEventListener("DOMContentLoaded", () => {
  const problem = document.querySelector("[data-focus]");
  if (problem) {
    problem.scrollIntoView({ block: "center" });
    problem.focus({ preventScroll: true });
  }
});
