// A client's own home practice and goals of this session, in one card that lasts: it is
// rebuilt from the live snapshot (so a reload brings it back) and kept up to date by the
// private events the server sends to that client. The person may close it; something new
// opens it again.
import { $, el, announce } from "./dom.js";

const GOAL_WORDS = { in_progress: "in progress", achieved: "reached ✓", dropped: "stopped" };

export class MyRecords {
  constructor(room) {
    this.room = room;
    this.practice = new Map(); // assignment id -> {text, done}
    this.goals = new Map(); // goal id -> {goal, steps, status}
    this.closed = false;
    this.shownKey = "";
    $("mine-close").addEventListener("click", () => {
      this.closed = true;
      this.render();
      $("room-title").focus();
    });
  }

  mine() {
    return this.room.you && this.room.you.role === "client";
  }

  /** The snapshot holds this client's own practice and goals (the fold of the log). */
  snapshot(state) {
    if (!this.mine()) return;
    const me = this.room.you.id;
    this.practice = new Map((state.practice || []).filter((p) => p.participant === me)
      .map((p) => [p.assignment_id, { text: p.text, done: p.done ?? null }]));
    this.goals = new Map((state.goals || []).filter((g) => g.participant === me)
      .map((g) => [g.goal_id, { goal: g.goal, steps: g.steps || [], status: g.status }]));
  }

  /** A pushed event; true when it was about this client's own records. */
  event(kind, d) {
    if (!this.mine() || d.participant !== this.room.you.id) return false;
    if (kind === "assignment.given") {
      this.practice.set(d.assignment_id, { text: d.text, done: null });
      this.reopen(`New home practice for you: ${d.text}`);
    } else if (kind === "assignment.reviewed") {
      const found = this.practice.get(d.assignment_id);
      if (found) found.done = d.done;
    } else if (kind === "goal.noted") {
      const steps = (d.short_term || []).flatMap((s) => [s.goal, ...(s.steps || [])]);
      this.goals.set(d.goal_id, { goal: d.goal, steps, status: "in_progress" });
      this.reopen(`Your goal is written down: ${d.goal}`);
    } else if (kind === "goal.updated") {
      const found = this.goals.get(d.goal_id);
      if (found) found.status = d.status;
    } else {
      return false;
    }
    return true;
  }

  reopen(words) {
    this.closed = false;
    announce(words);
  }

  render() {
    const card = $("my-records");
    const any = this.practice.size > 0 || this.goals.size > 0;
    card.hidden = !this.mine() || !any || this.closed;
    if (card.hidden) return;
    const key = JSON.stringify([[...this.practice], [...this.goals]]);
    if (key === this.shownKey) return;
    this.shownKey = key;
    $("mine-practice-title").hidden = this.practice.size === 0;
    $("mine-practice").replaceChildren(...[...this.practice.values()].map((p) => el("li", {},
      p.text, p.done === null ? "" : el("span", { class: "record-state" }, p.done ? " (done ✓)" : " (not done yet)"))));
    $("mine-goals-title").hidden = this.goals.size === 0;
    $("mine-goals").replaceChildren(...[...this.goals.values()].map((g) => el("li", {},
      el("strong", {}, g.goal),
      g.status !== "in_progress" && GOAL_WORDS[g.status] ? ` (${GOAL_WORDS[g.status]})` : "",
      g.steps.length ? el("ul", {}, g.steps.map((s) => el("li", {}, s))) : "")));
  }
}
