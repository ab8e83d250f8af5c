// Client page: a lead writes a new version of a relapse-prevention or stress plan.
// Each line of a box is one entry; the server keeps every version and refuses a
// save based on a version that is no longer the newest.
import { api } from "./dom.js";

for (const form of document.querySelectorAll("form.plan-form")) {
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const error = form.querySelector(".error");
    error.textContent = "";
    const content = {};
    for (const box of form.querySelectorAll("textarea")) {
      content[box.name] = box.value.split("\n").map((line) => line.trim()).filter(Boolean);
    }
    const { client, kind, base } = form.dataset;
    const note = form.elements.note.value.trim() || null;
    const path = `/api/clients/${encodeURIComponent(client)}/plans/${encodeURIComponent(kind)}`;
    const resp = await api("PUT", path, { content, base_version: Number(base), note });
    if (!resp.ok) { error.textContent = resp.body.error?.message || "The plan was not saved."; return; }
    window.location.reload(); // the page shows the new version, from the store
  });
}
