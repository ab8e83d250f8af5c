// The leads' view of a client's relapse-prevention and stress plans, one tap away in the
// room. The plans come from the audited API (never through the live channel), for the
// session's leads only; the panel stays hidden for everyone else.
import { $, api, el } from "./dom.js";

const LEADS = new Set(["leader", "co_leader"]);

export class RoomPlan {
  constructor() {
    this.sessionId = null;
    this.clients = new Map();
    $("plan-open").addEventListener("click", () => this.open($("plan-who").value));
  }

  /** Every successful join (also after reconnecting). */
  joined(ack) {
    this.sessionId = ack.session.id;
    if (!LEADS.has(ack.you.role)) return;
    $("plan-panel").hidden = false;
    for (const p of ack.state ? ack.state.people : []) {
      if (p.role === "client") this.clients.set(p.id, p.display_name);
    }
    this.fill();
  }

  /** Every server push: keep the list of clients. */
  message(name, data) {
    if (name !== "event" || $("plan-panel").hidden) return;
    const d = data.data;
    if (data.kind === "participant.joined" && d.role === "client") this.clients.set(d.participant, d.display_name);
    else if (data.kind === "participant.renamed" && this.clients.has(d.participant)) this.clients.set(d.participant, d.display_name);
    else return;
    this.fill();
  }

  fill() {
    const select = $("plan-who");
    const chosen = select.value;
    select.replaceChildren(...[...this.clients].map(([id, name]) => el("option", { value: id }, name)));
    if (this.clients.has(chosen)) select.value = chosen;
    $("plan-open").disabled = this.clients.size === 0;
  }

  async open(participant) {
    const view = $("plan-view");
    if (!participant) return;
    const path = `/api/sessions/${encodeURIComponent(this.sessionId)}/participants/${encodeURIComponent(participant)}/plan`;
    const resp = await api("GET", path);
    if (!resp.ok) {
      view.replaceChildren(el("p", { class: "error", role: "alert" }, resp.body.error?.message || "The plan could not be loaded."));
      return;
    }
    const name = this.clients.get(participant) || "this client";
    if (!resp.body.plans.length) {
      view.replaceChildren(el("p", {}, `No plan written yet for ${name}.`));
      return;
    }
    view.replaceChildren(...resp.body.plans.map((plan) => el("section", { class: "room-plan" },
      el("h3", {}, `${plan.title} (${name}, version ${plan.version})`),
      ...plan.sections.filter((s) => s.entries.length).flatMap((s) => [
        el("h4", {}, s.heading),
        el("ul", {}, ...s.entries.map((e) => el("li", {}, e))),
      ]),
    )));
  }
}
