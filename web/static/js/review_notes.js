// Progress notes page: sign a draft as edited, or amend a signed note with the reason.
// The server refuses a second signature and a draft that changed since the page was read.
import { api } from "./dom.js";

for (const form of document.querySelectorAll("form.note-form")) {
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const error = form.querySelector(".error");
    error.textContent = "";
    const { session, client, hash, action } = form.dataset;
    const text = form.elements.text.value.trim();
    const body = action === "sign" ? { text, draft_hash: hash } : { text, reason: (form.elements.reason?.value || "").trim() };
    if (!text) { error.textContent = "The note cannot be empty."; form.elements.text.focus(); return; }
    if (action === "amend" && !body.reason) { error.textContent = "Please say why the note is amended."; form.elements.reason.focus(); return; }
    const path = `/api/sessions/${encodeURIComponent(session)}/notes/${encodeURIComponent(client)}/${action}`;
    const resp = await api("POST", path, body);
    if (!resp.ok) { error.textContent = resp.body.error?.message || "The note was not saved."; return; }
    window.location.reload(); // the page shows the signed text and who signed it, from the log
  });
}
