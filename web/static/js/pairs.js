// Role-play pairs in the live room. A lead splits the clients present into pairs (a
// triad when the number is odd), with one prompt and an optional timer; each group's
// sound and video stay inside it (the server keeps them apart). Leads visit a group and
// bring everyone back; a lead's page ends the pairs when the timer runs out.
import { $, el, announce, errorText } from "./dom.js";

const LEADS = new Set(["leader", "co_leader"]);
const PRACTISE = new Set(["client", "supporter"]);

/** The pairs card of one Room. */
export class RoomPairs {
  constructor(room) {
    this.room = room;
    this.pairs = null;
    this.tick = null;
    this.box = el("section", { id: "pairs", class: "card", "aria-labelledby": "pairs-title", hidden: true });
    $("lively").append(this.box);
  }

  get lead() { return LEADS.has(this.room.you?.role); }

  snapshot(state) {
    this.pairs = state.pairs || null;
    this.render();
  }

  get handlers() {
    return {
      "pairs.started": (d) => { this.pairs = { ...d, visiting: {} }; announce(this.mine() ? `Practice in pairs: you are with ${this.partners()}.` : "Practice in pairs has started."); },
      "pairs.visited": (d) => {
        if (!this.pairs) return;
        const visiting = { ...this.pairs.visiting };
        delete visiting[d.participant];
        if (d.group) visiting[d.participant] = d.group;
        this.pairs = { ...this.pairs, visiting };
        const mine = this.mine();
        if (mine && d.group === mine.group) announce(`${this.room.name(d.participant)} joined your group.`);
      },
      "pairs.ended": () => { this.pairs = null; announce("Everyone is back in the room."); },
    };
  }

  event(ev) {
    const handler = this.handlers[ev.kind];
    if (handler) handler(ev.data, ev);
    // People coming and going change who a lead can put in pairs.
    if (handler || (this.lead && ev.kind.startsWith("participant."))) this.render();
  }

  mine() {
    const me = this.room.you.id;
    return this.pairs?.groups.find((g) => g.members.includes(me) || this.pairs.visiting[me] === g.group) || null;
  }

  partners() {
    const me = this.room.you.id;
    return (this.mine()?.members || []).filter((m) => m !== me).map((m) => this.room.name(m)).join(" and ");
  }

  render() {
    window.clearInterval(this.tick);
    const show = this.pairs || (this.lead && this.candidates().length >= 2);
    this.box.hidden = !show;
    if (!show) return this.box.replaceChildren();
    if (!this.pairs && $("pairs-form")) { // keep what the lead typed; only the count changes
      $("pairs-count").textContent = this.countText();
      return;
    }
    const focused = this.box.contains(document.activeElement) ? document.activeElement.id : null;
    this.box.replaceChildren(...(this.pairs ? this.running() : this.startForm()));
    if (focused && $(focused)) $(focused).focus();
    if (this.pairs?.ends_at) this.tick = window.setInterval(() => this.countDown(), 1000);
  }

  candidates() {
    return [...this.room.people.values()].filter((p) => p.status === "admitted" && PRACTISE.has(p.role));
  }

  countText() {
    return `${this.candidates().length} people will be put in pairs (one group of three if the number is odd).`;
  }

  startForm() {
    return [
      el("h2", { id: "pairs-title" }, "Practice in pairs"),
      el("form", { id: "pairs-form", onsubmit: (ev) => { ev.preventDefault(); this.start(); } },
        el("p", { id: "pairs-count" }, this.countText()),
        el("label", { for: "pairs-prompt" }, "What to practise"),
        el("textarea", { id: "pairs-prompt", rows: 2, maxlength: 2000 }, this.room.rolePlay?.scenario || ""),
        el("label", { for: "pairs-minutes" }, "Minutes (empty: until you bring everyone back)"),
        el("input", { id: "pairs-minutes", type: "number", min: 1, max: 60, value: 5 }),
        el("button", { type: "submit", id: "pairs-start" }, "Start the pairs")),
      el("p", { id: "pairs-error", class: "error", role: "alert" }),
    ];
  }

  running() {
    const p = this.pairs;
    const mine = this.mine();
    const parts = [el("h2", { id: "pairs-title" }, "Practice in pairs"), el("p", { id: "pairs-left", role: "timer" }, this.left())];
    if (mine && mine.members.includes(this.room.you.id)) {
      parts.push(el("p", { class: "your-role" }, `You are practising with ${this.partners()}. Only your group hears and sees you now.`));
      if (mine.prompt) parts.push(el("p", {}, `Practise: ${mine.prompt}`));
    } else if (!this.lead) {
      parts.push(el("p", {}, "The group is practising in pairs. You will be back together soon."));
    }
    if (this.lead) {
      const where = p.visiting[this.room.you.id] || "";
      parts.push(el("ul", { class: "plain" }, p.groups.map((g, i) => el("li", {},
        `Group ${i + 1}: ${g.members.map((m) => this.room.name(m)).join(", ")} `,
        where === g.group ? el("strong", {}, "(you are here) ")
          : el("button", { type: "button", class: "secondary", onclick: () => this.visit(g.group) }, `Visit group ${i + 1}`)))));
      const row = el("div", { class: "row" });
      if (where) row.append(el("button", { type: "button", class: "secondary", onclick: () => this.visit("") }, "Leave this group"));
      row.append(el("button", { type: "button", id: "pairs-end", onclick: () => this.end() }, "Bring everyone back"));
      parts.push(row, el("p", { id: "pairs-error", class: "error", role: "alert" }));
    }
    return parts;
  }

  left() {
    if (!this.pairs?.ends_at) return "";
    const seconds = Math.max(0, Math.round((this.pairs.ends_at / 1000 - Date.now()) / 1000));
    return `Time left: ${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  }

  countDown() {
    const node = $("pairs-left");
    if (node) node.textContent = this.left();
    if (this.lead && this.pairs && Date.now() >= this.pairs.ends_at / 1000) {
      window.clearInterval(this.tick);
      this.end(); // another lead may have done it first: their refusal is harmless
    }
  }

  async start() {
    const ids = this.candidates().map((p) => p.id);
    const groups = [];
    for (let i = 0; i + 1 < ids.length; i += 2) groups.push(ids.slice(i, i + 2));
    if (ids.length % 2 === 1) groups[groups.length - 1].push(ids[ids.length - 1]);
    const payload = { groups };
    const prompt = $("pairs-prompt").value.trim();
    const minutes = Number($("pairs-minutes").value);
    if (prompt) payload.prompt = prompt;
    if (minutes) payload.minutes = minutes;
    const ack = await this.room.conn.call("pairs.start", payload);
    if (!ack.ok) this.fail(ack.error);
  }

  async visit(group) {
    const ack = await this.room.conn.call("pairs.visit", { group });
    if (!ack.ok) this.fail(ack.error);
  }

  async end() {
    const ack = await this.room.conn.call("pairs.end", {});
    if (!ack.ok && ack.error.code !== "out_of_order") this.fail(ack.error);
  }

  fail(error) {
    const node = $("pairs-error");
    if (node) node.textContent = errorText(error);
  }
}
