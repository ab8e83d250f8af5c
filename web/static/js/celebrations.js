// Celebrations in the live room. When a lead marks a module completed or a goal achieved,
// leads get a "celebrate with the group?" button; the client is asked and only their yes
// shows the celebration to everyone. Calm on purpose: no flashing, and no motion at all
// when the person's system asks for reduced motion (see imr.css).
import { $, el, announce, errorText } from "./dom.js";

const LEADS = new Set(["leader", "co_leader"]);
const SHOWN_MS = 15000;

/** Celebration offers, answers and the banner of one Room. */
export class RoomCelebrations {
  constructor(room) {
    this.room = room;
    this.offers = new Map(); // celebration id -> offer waiting for this client's answer
    this.ready = new Map(); // for leads: "m:<pid>:<module>" / "g:<pid>:<goal>" -> what may be celebrated
    this.box = el("section", { id: "celebrate", class: "card", "aria-labelledby": "celebrate-title", hidden: true });
    this.banner = el("div", { id: "celebration", class: "celebration", role: "status", hidden: true });
    $("lively").append(this.banner, this.box);
    this.timer = null;
  }

  snapshot(state) {
    this.offers = new Map((state.celebration_offers || []).map((o) => [o.celebration_id, o]));
    this.render();
  }

  get handlers() {
    return {
      "module.completed": (d) => this.readyFor(`m:${d.participant}:${d.module}`, { participant: d.participant, module: d.module, text: `completed the module ${d.module}` }),
      "goal.updated": (d) => { if (d.status === "achieved") this.readyFor(`g:${d.participant}:${d.goal_id}`, { participant: d.participant, goal_id: d.goal_id, text: "reached a goal" }); },
      "celebration.offered": (d) => {
        if (d.participant === this.room.you.id) { this.offers.set(d.celebration_id, d); announce("The leader has a question for you."); }
      },
      "celebration.answered": (d) => {
        this.offers.delete(d.celebration_id);
        if (d.yes) this.show(d);
        else if (LEADS.has(this.room.you.role)) announce(`${this.room.name(d.participant)} said no thanks to a celebration.`);
      },
    };
  }

  event(ev) {
    const handler = this.handlers[ev.kind];
    if (!handler) return;
    handler(ev.data, ev);
    this.render();
  }

  readyFor(key, item) {
    if (LEADS.has(this.room.you.role)) this.ready.set(key, item);
  }

  /** The celebration everyone sees: words first, a calm glow only if motion is welcome. */
  show(d) {
    const who = d.participant === this.room.you.id ? "you" : this.room.name(d.participant);
    const what = d.what === "module" ? `completed ${d.title}` : `reached ${d.title}`;
    const line = who === "you" ? `Well done! You ${what}.` : `Well done, ${who}! ${who} ${what}.`;
    this.banner.replaceChildren(
      el("span", { class: "celebration-star", "aria-hidden": "true" }, "★"),
      el("p", { id: "celebration-text" }, line),
      el("button", { type: "button", class: "secondary", onclick: () => this.hide() }, "Close"));
    this.banner.hidden = false;
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => this.hide(), SHOWN_MS);
  }

  hide() {
    this.banner.hidden = true;
  }

  render() {
    const parts = [];
    for (const offer of this.offers.values()) parts.push(this.question(offer));
    if (LEADS.has(this.room.you?.role)) {
      for (const [key, item] of this.ready) parts.push(this.offerButton(key, item));
    }
    this.box.hidden = parts.length === 0;
    this.box.replaceChildren(...(parts.length ? [el("h2", { id: "celebrate-title" }, "Celebrate"), ...parts, el("p", { id: "celebrate-error", class: "error", role: "alert" })] : []));
  }

  question(offer) {
    const what = offer.what === "module" ? `you completed ${offer.title}` : `you reached ${offer.title}`;
    const say = (yes) => this.answer(offer.celebration_id, yes);
    return el("div", { class: "celebrate-ask" },
      el("p", {}, `Good news: ${what}. May the group celebrate this with you? It is fine to say no.`),
      el("div", { class: "big-choice" },
        el("button", { type: "button", id: "celebrate-yes", onclick: () => say(true) }, "Yes, celebrate"),
        el("button", { type: "button", id: "celebrate-no", class: "secondary", onclick: () => say(false) }, "No thanks")));
  }

  offerButton(key, item) {
    const ask = async () => {
      const { text, ...payload } = item;
      const ack = await this.room.conn.call("celebration.offer", payload);
      if (!ack.ok) return this.fail(ack.error);
      this.ready.delete(key);
      announce(`${this.room.name(item.participant)} is asked if the group may celebrate.`);
      this.render();
    };
    return el("p", {}, `${this.room.name(item.participant)} ${item.text}. `,
      el("button", { type: "button", class: "secondary", onclick: ask }, `Ask ${this.room.name(item.participant)} to celebrate with the group`));
  }

  async answer(id, yes) {
    const ack = await this.room.conn.call("celebration.answer", { celebration_id: id, yes });
    if (!ack.ok) return this.fail(ack.error);
    this.offers.delete(id);
    this.render();
  }

  fail(error) {
    const node = $("celebrate-error");
    if (node) node.textContent = errorText(error);
  }
}
