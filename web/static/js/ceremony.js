// A graduation ceremony in the live room. The lead clinician picks the graduating clients
// (Ceremony tab); each graduate is asked on their own screen first; "Show the next graduate"
// puts one certificate in front of everyone (supporters too). A "no" is never shown.
import { $, el, announce, errorText } from "./dom.js";

const LEADS = new Set(["leader", "co_leader"]);

/** The ceremony of one Room: the certificate everyone sees, a graduate's question, the lead's controls. */
export class RoomCeremony {
  constructor(room) {
    this.room = room;
    this.state = null; // {current, honoured, asked, answers} or null
    this.card = el("section", { id: "ceremony", class: "card ceremony", "aria-labelledby": "ceremony-title", hidden: true });
    $("lively").prepend(this.card);
    $("ceremony-form").addEventListener("submit", (e) => { e.preventDefault(); this.start(); });
    $("ceremony-next").addEventListener("click", () => this.send("ceremony.next", {}));
    $("ceremony-end").addEventListener("click", () => this.send("ceremony.end", {}));
  }

  snapshot(state) {
    this.state = state.ceremony ? { ...state.ceremony, answers: { ...state.ceremony.answers } } : null;
    this.render();
  }

  event(ev) {
    const d = ev.data;
    const me = this.room.you?.id;
    if (!ev.kind.startsWith("ceremony.")) {
      if (LEADS.has(this.room.you?.role)) this.renderLead(); // who is in the room changed
      return;
    }
    if (ev.kind === "ceremony.started") {
      this.state = { current: null, honoured: [], asked: [], answers: {} };
      announce("A graduation ceremony is starting.");
    } else if (!this.state) {
      return;
    } else if (ev.kind === "ceremony.asked") {
      this.state.asked.push(d.participant);
      if (d.participant === me) announce("The leader has a question for you.");
    } else if (ev.kind === "ceremony.answered") {
      this.state.answers[d.participant] = d.yes;
    } else if (ev.kind === "ceremony.honoured") {
      this.state.current = d;
      this.state.honoured.push(d.participant);
      announce(`${d.headline}: ${d.display_name} ${d.achievement}.`);
    } else if (ev.kind === "ceremony.ended") {
      this.state = null;
      announce("The ceremony has ended.");
    } else {
      return;
    }
    this.render();
  }

  render() {
    const s = this.state;
    const me = this.room.you?.id;
    const parts = [];
    if (s) {
      parts.push(el("h2", { id: "ceremony-title" }, "Graduation ceremony"));
      if (s.asked.includes(me) && !(me in s.answers)) parts.push(this.question());
      else if (s.answers[me] === true && !s.honoured.includes(me)) parts.push(el("p", {}, "Thank you. Your certificate will be shown soon."));
      parts.push(s.current ? this.certificate(s.current) : el("p", {}, "Graduates will be honoured one at a time."));
      parts.push(el("p", { id: "ceremony-error", class: "error", role: "alert" }));
    }
    this.card.hidden = !s;
    this.card.replaceChildren(...parts);
    if (LEADS.has(this.room.you?.role)) this.renderLead();
  }

  certificate(c) {
    const who = c.participant === this.room.you?.id ? `${c.display_name} (you)` : c.display_name;
    return el("div", { class: "certificate", role: "group", "aria-label": c.headline },
      el("p", { class: "certificate-headline" }, c.headline),
      el("p", { class: "certificate-name", id: "certificate-name" }, who),
      el("p", {}, c.achievement));
  }

  question() {
    const say = (yes) => this.send("ceremony.answer", { yes });
    return el("div", { class: "celebrate-ask" },
      el("p", {}, "You are graduating! May everyone here see your certificate? It is fine to say no."),
      el("div", { class: "big-choice" },
        el("button", { type: "button", id: "ceremony-yes", onclick: () => say(true) }, "Yes, show it"),
        el("button", { type: "button", id: "ceremony-no", class: "secondary", onclick: () => say(false) }, "No thanks")));
  }

  /** Leads: pick graduates (the lead clinician starts), then follow answers and honour in turn. */
  renderLead() {
    const s = this.state;
    const leader = this.room.you.role === "leader";
    $("ceremony-form").hidden = Boolean(s) || !leader;
    $("ceremony-only-leader").hidden = leader || Boolean(s);
    $("ceremony-running").hidden = !s;
    if (!s) {
      const clients = [...this.room.people.values()].filter((p) => p.role === "client" && p.status === "admitted");
      const box = $("ceremony-who");
      const key = JSON.stringify(clients.map((p) => [p.id, p.display_name]));
      if (box.dataset.key !== key) {
        box.dataset.key = key;
        box.replaceChildren(...clients.map((p) => el("li", {},
          el("input", { type: "checkbox", id: `grad-${p.id}`, value: p.id }),
          el("label", { for: `grad-${p.id}` }, p.display_name))));
      }
      $("ceremony-none").hidden = clients.length > 0;
      return;
    }
    const words = (id) => {
      if (s.honoured.includes(id)) return "shown";
      if (s.answers[id] === true) return "said yes";
      if (s.answers[id] === false) return "said no (not shown)";
      return "not answered yet";
    };
    $("ceremony-list").replaceChildren(...s.asked.map((id) => el("li", {}, `${this.room.name(id)}: ${words(id)}`)));
    $("ceremony-next").disabled = !s.asked.some((id) => s.answers[id] === true && !s.honoured.includes(id));
  }

  start() {
    const graduates = [...$("ceremony-who").querySelectorAll("input:checked")].map((box) => box.value);
    if (!graduates.length) {
      $("ceremony-lead-error").textContent = "Choose at least one graduate.";
      return;
    }
    this.send("ceremony.start", { graduates }, "ceremony-lead-error");
  }

  async send(event, data, errorId) {
    const ack = await this.room.conn.call(event, data);
    const node = $(errorId || (LEADS.has(this.room.you?.role) ? "ceremony-lead-error" : "ceremony-error"));
    if (node) node.textContent = ack.ok ? "" : errorText(ack.error);
    return ack;
  }
}
