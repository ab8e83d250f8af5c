// The staff dashboard: my sessions (live, upcoming, past), create a session, invite people.
import { $, el, api, announce, showError, errorText } from "./dom.js";
import { bindWindow, clearWindow, windowBody } from "./staff_window.js";

const STATUS_WORDS = { live: "Live now", scheduled: "Upcoming", ended: "Ended" };
const ROLE_WORDS = { client: "Client", supporter: "Supporter", co_leader: "Co-leader", guest_speaker: "Guest speaker", observer: "Observer" };
const scriptTitles = Object.fromEntries([...$("new-script").options].map((o) => [o.value, o.textContent]));
const CLIENT_REF = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;
const STAFF_ROLE_WORDS = { clinician: "clinician", co_leader: "co-leader" };
const staffNames = new Map();
let mySessions = [];
let suggested = null; // {ref, plan_id}: the group's next session, offered in the script picker

/** Staff who may co-lead, as checkboxes on the create form (everyone but me). */
async function loadStaff() {
  const [me, staff] = await Promise.all([api("GET", "/api/me"), api("GET", "/api/staff")]);
  if (!me.ok || !staff.ok) return;
  for (const a of staff.body.staff) staffNames.set(a.id, a.username);
  const others = staff.body.staff.filter((a) => a.id !== me.body.id);
  $("co-leaders").replaceChildren(...others.map((a) => el("label", { class: "choice" },
    el("input", { type: "checkbox", name: "co_leader", value: a.id }), `${a.username} (${STAFF_ROLE_WORDS[a.role] || a.role})`)));
  $("co-leaders-box").hidden = others.length === 0;
}

async function loadSessions(openInvitesFor) {
  const resp = await api("GET", "/api/sessions");
  if (resp.status === 401) { window.location.assign("/login"); return; }
  if (!resp.ok) { showError("page-error", errorText(resp.body.error)); return; }
  showError("page-error", "");
  mySessions = resp.body.sessions;
  const groups = { live: [], today: [], scheduled: [], ended: [] };
  const tomorrow = new Date();
  tomorrow.setHours(24, 0, 0, 0);
  for (const s of resp.body.sessions) {
    // Not started yet and due before midnight (or overdue): today's work.
    const today = s.status === "scheduled" && s.scheduled_at / 1000 < tomorrow.getTime();
    (groups[today ? "today" : s.status] || groups.scheduled).push(s);
  }
  groups.today.sort((a, b) => a.scheduled_at - b.scheduled_at);
  groups.scheduled.sort((a, b) => a.scheduled_at - b.scheduled_at);
  groups.ended.sort((a, b) => b.scheduled_at - a.scheduled_at);
  // Links just made are shown only once: the rebuilt cards keep them (and their open panel).
  const kept = new Map([...document.querySelectorAll(".s-invites")].map((panel) =>
    [panel.id, { open: !panel.hidden, links: [...panel.querySelector(".s-new-links").childNodes] }]));
  for (const [status, list] of Object.entries(groups)) {
    $(`sessions-${status}`).replaceChildren(...list.map((s) => sessionCard(s, s.id === openInvitesFor || kept.get(`invites-${s.id}`)?.open)));
    $(`sessions-${status}-empty`).hidden = list.length > 0;
  }
  for (const [id, { links }] of kept) document.getElementById(id)?.querySelector(".s-new-links").append(...links);
}

function sessionCard(s, openInvites) {
  const card = $("session-template").content.firstElementChild.cloneNode(true);
  const q = (cls) => card.querySelector(cls);
  q(".s-title").textContent = s.title;
  q(".s-status").textContent = STATUS_WORDS[s.status] || s.status;
  q(".s-status").classList.add(s.status);
  q(".s-when").textContent = `${s.format === "group" ? "Group" : "Individual"} · ${new Date(s.scheduled_at / 1000).toLocaleString()}`;
  q(".s-script").textContent = s.script_ref ? `Script: ${scriptTitles[s.script_ref] || s.script_ref}` : "No session script";
  const coLeaders = (s.co_leader_ids || []).map((id) => staffNames.get(id) || "a colleague");
  q(".s-co-leaders").textContent = coLeaders.length ? `Co-leaders: ${coLeaders.join(", ")}` : "";
  const open = q(".s-open");
  open.href = `/room/${encodeURIComponent(s.id)}`;
  open.textContent = `Open the room: ${s.title}`;
  open.hidden = s.status === "ended";
  const review = q(".s-review");
  review.href = `/review/sessions/${encodeURIComponent(s.id)}`;
  review.textContent = `Review: ${s.title}`;
  review.hidden = s.status !== "ended";
  const toggle = q(".s-invite-toggle");
  const panel = q(".s-invites");
  const panelId = `invites-${s.id}`;
  panel.id = panelId;
  toggle.setAttribute("aria-controls", panelId);
  toggle.textContent = `Invite people to ${s.title}`;
  toggle.hidden = s.status === "ended";
  const roleId = `role-${s.id}`;
  q(".s-role").id = roleId;
  q(".s-role-label").setAttribute("for", roleId);
  const refId = `ref-${s.id}`;
  q(".s-ref").id = refId;
  q(".s-ref-label").setAttribute("for", refId);
  q(".s-ref-hint").id = `${refId}-hint`;
  q(".s-ref").setAttribute("aria-describedby", `${refId}-hint`);
  bindWindow(card, s.id);
  const showPanel = (shown) => {
    panel.hidden = !shown;
    toggle.setAttribute("aria-expanded", String(shown));
    if (shown) loadInvites(s, card);
  };
  toggle.addEventListener("click", () => showPanel(panel.hidden));
  q(".s-invite-form").addEventListener("submit", (e) => { e.preventDefault(); makeInvite(s, card); });
  if (openInvites && s.status !== "ended") showPanel(true);
  return card;
}

async function makeInvite(s, card) {
  const role = card.querySelector(".s-role").value;
  const ref = card.querySelector(".s-ref");
  const errorBox = card.querySelector(".s-invite-error");
  errorBox.textContent = "";
  const body = { role };
  if (ref.value.trim()) {
    if (!CLIENT_REF.test(ref.value.trim())) {
      errorBox.textContent = "The client record number may use letters, digits and _ . : - only, with no spaces (up to 64). Please change it.";
      ref.focus();
      return;
    }
    body.client_ref = ref.value.trim();
  }
  const times = windowBody(card);
  if (times.error) { errorBox.textContent = times.error; return; }
  Object.assign(body, times);
  const resp = await api("POST", `/api/sessions/${encodeURIComponent(s.id)}/invites`, body);
  if (!resp.ok) { errorBox.textContent = errorText(resp.body.error); return; }
  ref.value = "";
  clearWindow(card);
  const n = card.querySelectorAll(".invite-link").length + 1;
  const inputId = `link-${resp.body.invite.id}`;
  const input = el("input", { id: inputId, readonly: true, value: resp.body.link });
  const copied = el("span", { role: "status", class: "hint" });
  const copy = el("button", { type: "button", onclick: () => copyLink(input, copied) }, "Copy link");
  card.querySelector(".s-new-links").append(el("div", { class: "card" },
    el("label", { for: inputId }, `New link ${n}: ${ROLE_WORDS[role] || role}${body.client_ref ? ` (${body.client_ref})` : ""}`),
    el("p", { class: "hint" }, "Copy it now: for privacy, the link is shown only once."),
    el("div", { class: "invite-link" }, input, copy), copied));
  announce(`A link for a ${ROLE_WORDS[role] || role} is ready to copy.`);
  loadInvites(s, card);
}

async function copyLink(input, status) {
  try {
    await navigator.clipboard.writeText(input.value);
  } catch {
    input.select();
    document.execCommand("copy");
  }
  status.textContent = "Copied. Paste it into a private message to the person.";
}

async function loadInvites(s, card) {
  const list = card.querySelector(".s-invite-list");
  const resp = await api("GET", `/api/sessions/${encodeURIComponent(s.id)}/invites`);
  if (!resp.ok) { card.querySelector(".s-invite-error").textContent = errorText(resp.body.error); return; }
  list.replaceChildren(...resp.body.invites.map((inv, i) => {
    const label = `Link ${i + 1}: ${ROLE_WORDS[inv.role] || inv.role}${inv.client_ref ? ` (${inv.client_ref})` : ""}`;
    const item = el("li", { class: "person" }, el("span", { class: "name" },
      inv.revoked ? `${label} – turned off` : `${label} – works until ${new Date(inv.expires_at / 1000).toLocaleDateString()}`));
    if (!inv.revoked) {
      item.append(el("button", { type: "button", class: "secondary", onclick: () => revoke(s, card, inv, label) }, `Turn off ${label.toLowerCase()}`));
    }
    return item;
  }));
}

async function revoke(s, card, inv, label) {
  const resp = await api("DELETE", `/api/sessions/${encodeURIComponent(s.id)}/invites/${encodeURIComponent(inv.id)}`);
  if (!resp.ok) { card.querySelector(".s-invite-error").textContent = errorText(resp.body.error); return; }
  announce(`${label} is turned off.`);
  loadInvites(s, card);
}

/**
 * A group's sessions share a title. Offer the next session of the plan its latest session
 * with a script was stored with (the server says which one that is).
 */
async function offerNext() {
  const title = $("new-title").value.trim().toLowerCase();
  const select = $("new-script");
  if (suggested && select.value === suggested.ref) select.value = ""; // an earlier offer, not a choice
  suggested = null;
  $("new-script-hint").textContent = "";
  const latest = mySessions.filter((s) => s.script_ref && s.title.trim().toLowerCase() === title)
    .sort((a, b) => b.scheduled_at - a.scheduled_at)[0];
  if (!title || !latest) return;
  const resp = await api("GET", `/api/sessions/${encodeURIComponent(latest.id)}/plan`);
  const next = resp.ok ? resp.body.next_session_ref : null;
  if (!next || !(next in scriptTitles) || $("new-title").value.trim().toLowerCase() !== title) return;
  suggested = { ref: next, plan_id: resp.body.plan_id };
  if (!select.value) select.value = next;
  $("new-script-hint").textContent = `Next in this group's plan (${resp.body.title}): ${scriptTitles[next]}.`;
}

$("new-title").addEventListener("change", offerNext);

$("create-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const form = e.target;
  const title = $("new-title").value.trim();
  if (!title) { showError("create-error", "Please give the session a title."); return; }
  const body = { title, format: form.elements.format.value };
  if ($("new-when").value) body.scheduled_at = new Date($("new-when").value).getTime() * 1000;
  if ($("new-script").value) body.script_ref = $("new-script").value;
  if (suggested && body.script_ref === suggested.ref) body.plan_id = suggested.plan_id; // same plan as the group
  const coLeaders = [...document.querySelectorAll("input[name=co_leader]:checked")].map((c) => c.value);
  if (coLeaders.length) body.co_leader_ids = coLeaders;
  showError("create-error", "");
  const resp = await api("POST", "/api/sessions", body);
  if (!resp.ok) { showError("create-error", errorText(resp.body.error)); return; }
  form.reset();
  suggested = null;
  $("new-script-hint").textContent = "";
  announce(`Session "${resp.body.title}" created. You can invite people now.`);
  await loadSessions(resp.body.id);
  // The new card may be far from the form (e.g. in "Today" above it): take the person there.
  const heading = document.querySelector(`#invites-${CSS.escape(resp.body.id)}`)?.closest("li")?.querySelector(".s-title");
  if (heading) {
    heading.tabIndex = -1;
    heading.scrollIntoView({ block: "start" });
    heading.focus();
  }
});

$("sign-out").addEventListener("click", async () => {
  await api("POST", "/api/logout");
  window.location.assign("/login");
});

loadStaff().then(() => loadSessions());
