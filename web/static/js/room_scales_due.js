// A short reminder for the session's leads: whose IMR Scales rating is due or overdue, for
// the clients in the room now (not those waiting or gone). The dates come from the audited
// leads-only API (never through the live channel); the card stays hidden for everyone else.
import { $, api, el } from "./dom.js";

const LEADS = new Set(["leader", "co_leader"]);

/** "IMR Scales due for Ann (last rated 95 days ago)". */
export function dueWords(name, rating) {
  const what = rating.rater === "client" ? "IMR Scales self-rating" : "IMR Scales";
  const days = rating.days_since_last;
  const last = days === null ? "never rated"
    : days === 0 ? "last rated today"
      : `last rated ${days} day${days === 1 ? "" : "s"} ago`;
  return `${what} ${rating.status} for ${name} (${last})`;
}

export class RoomScalesDue {
  constructor(room) {
    this.room = room;
    this.sessionId = null;
    this.due = new Map(); // participant -> ratings due or overdue
  }

  /** Every successful join (also after reconnecting). */
  joined(ack) {
    if (!LEADS.has(ack.you.role)) return;
    this.sessionId = ack.session.id;
    this.read();
  }

  async read() {
    const resp = await api("GET", `/api/sessions/${encodeURIComponent(this.sessionId)}/scales-due`);
    if (!resp.ok) return; // a co-leader by link has no staff sign-in
    this.due = new Map(resp.body.clients.map((c) => [c.participant, c.ratings]));
    this.render();
  }

  /** Every server push, after the Room has taken it: people come and go, ratings are made. */
  message(name, data) {
    if (!this.sessionId || (name !== "event" && name !== "admitted")) return;
    if (name === "event" && data.kind === "scale.recorded") this.read();
    else this.render();
  }

  render() {
    const here = [...this.room.people.values()]
      .filter((p) => p.role === "client" && p.status === "admitted" && this.due.has(p.id));
    const lines = here.flatMap((p) => this.due.get(p.id).map((r) => el("li", {}, dueWords(p.display_name, r))));
    $("scales-due").hidden = lines.length === 0;
    $("scales-due-list").replaceChildren(...lines);
  }
}
