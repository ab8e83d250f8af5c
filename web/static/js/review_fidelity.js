// Fidelity pages: a supervisor's IT-IS rating of a session, or an IMR Fidelity Scale
// rating of the program. Items left empty are sent as null; the server checks
// which items are required and which apply (group items only for groups).
import { api } from "./dom.js";

for (const form of document.querySelectorAll("form.fidelity-form")) {
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const error = form.querySelector(".error");
    error.textContent = "";
    const missing = [...form.querySelectorAll("select[required]")].find((s) => !s.value);
    if (missing) { error.textContent = "Please score every item that is not marked \"if it applies\"."; missing.focus(); return; }
    const scores = new Array(Number(form.dataset.count)).fill(null);
    for (const select of form.querySelectorAll("select[name=item]")) {
      if (select.value) scores[Number(select.dataset.number) - 1] = Number(select.value);
    }
    const body = { scores, source: form.elements.source.value, comment: form.elements.comment.value.trim() || null };
    if (form.elements.period) body.period = form.elements.period.value.trim();
    const resp = await api("POST", form.dataset.url, body);
    if (!resp.ok) { error.textContent = resp.body.error?.message || "The rating was not saved."; return; }
    window.location.reload(); // the table shows the saved rating, from the store
  });
}
