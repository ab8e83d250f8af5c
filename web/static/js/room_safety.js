// Safety in the room: a client's check at join, "I need help now" and what to do when the
// video drops; the leads' alerts (help, drops) and private talks. The client's place and
// numbers stay in this page's memory and go out only in `safety.confirm`; staff read them
// from the audited API or the staff-only `help` message, never from a URL.
import { $, api, el, announce } from "./dom.js";

const STAFF = new Set(["leader", "co_leader", "supervisor"]);
const LEADS = new Set(["leader", "co_leader"]);

function clock(us) {
  return new Date(us / 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

export class RoomSafety {
  /** conn: the LiveConnection; the page calls joined/message/lost from its own callbacks. */
  constructor({ conn }) {
    this.conn = conn;
    this.role = null;
    this.me = null;
    this.sessionId = null;
    this.callback = null;
    this.confirmed = false;
    this.names = new Map();
    this.roles = new Map();
    this.present = new Set();
    this.privateTalk = [];
    $("safety-form").addEventListener("submit", (e) => { e.preventDefault(); this.confirm(); });
    $("safety-same").addEventListener("change", () => {
      $("safety-location").disabled = $("safety-same").checked;
    });
    $("help-now").addEventListener("click", () => this.askForHelp());
    $("safety-open").addEventListener("click", () => this.openCheck());
    $("safety-later").addEventListener("click", () => $("safety-dialog").close());
    $("private-talk-start").addEventListener("click", () => this.startTalk($("private-talk-who").value));
    $("private-talk-end").addEventListener("click", () => this.command("private_talk.end", {}));
    document.addEventListener("keydown", (e) => {
      if (this.role === "client" && e.altKey && (e.key === "h" || e.key === "H" || e.code === "KeyH")) {
        e.preventDefault();
        this.askForHelp();
      }
    });
  }

  /** Every successful join (also after reconnecting). */
  joined(ack) {
    this.role = ack.you.role;
    this.me = ack.you.id;
    this.sessionId = ack.session.id;
    $("safety").hidden = false;
    $("safety-lost").hidden = true;
    for (const person of ack.state ? ack.state.people : []) this.remember(person);
    if (ack.state) this.talkChanged(ack.state.private_talk || []);
    if (this.role === "client") {
      $("safety-help").hidden = false;
      if (!this.confirmed) this.askCheck(ack.status !== "waiting");
    } else if (STAFF.has(this.role)) {
      $("safety-alerts").hidden = false;
      $("private-talk-controls").hidden = !LEADS.has(this.role);
      this.fillClients();
    }
  }

  /** The check in full in the waiting room; in the room, one line that opens it in a dialog. */
  askCheck(inRoom) {
    const dialog = $("safety-dialog");
    if (!inRoom) {
      $("safety-check").hidden = false;
      $("safety-prompt").hidden = true;
      return;
    }
    $("safety-prompt").hidden = false;
    if (!dialog.open) $("safety-check").hidden = true;
  }

  openCheck() {
    const dialog = $("safety-dialog");
    const check = $("safety-check");
    dialog.append(check); // the same form, so what was typed stays
    check.hidden = false;
    $("safety-later").hidden = false;
    dialog.showModal();
    $("safety-check-title").focus();
  }

  remember(person) {
    this.names.set(person.id, person.display_name);
    this.roles.set(person.id, person.role);
    if (person.status === "admitted") this.present.add(person.id);
    else this.present.delete(person.id);
  }

  nameOf(id) {
    return this.names.get(id) || "Someone";
  }

  /** Every server push. */
  message(name, data) {
    if (name === "admitted" && data && data.you) this.joined(data);
    if (name === "help") this.helpAlert(data);
    if (name !== "event") return;
    const { kind } = data;
    const d = data.data;
    if (kind === "participant.joined") this.remember({ id: d.participant, display_name: d.display_name, role: d.role, status: d.waiting ? "waiting" : "admitted" });
    if (kind === "participant.renamed") this.names.set(d.participant, d.display_name);
    if (["participant.admitted", "participant.rejoined"].includes(kind)) {
      this.present.add(d.participant);
      this.clearAlert(`drop-${d.participant}`);
    }
    if (["participant.left", "participant.dropped", "participant.removed"].includes(kind)) this.present.delete(d.participant);
    if (kind === "participant.dropped" && STAFF.has(this.role) && this.roles.get(d.participant) === "client") {
      this.dropAlert(d.participant, data.at);
    }
    if (kind === "private_talk.started") this.talkChanged(d.participants);
    if (kind === "private_talk.ended") this.talkChanged([]);
    if (STAFF.has(this.role)) this.fillClients();
  }

  /** The live connection dropped: tell a client what happens next. */
  lost() {
    if (this.role !== "client") return;
    const lost = $("safety-lost");
    lost.textContent = this.callback
      ? `We lost the video. The leader will call you at ${this.callback}. Keep your phone near you.`
      : "We lost the video. We are trying to connect again. If you need help now, call a number below.";
    lost.hidden = false;
  }

  async confirm() {
    const same = $("safety-same").checked;
    const location = $("safety-location").value.trim();
    const callback = $("safety-callback").value.trim();
    const contact = $("safety-contact").value.trim();
    if (!same && !location) return this.formError("Please say where you are today, or tick \"The same place as last time\".");
    if (!callback) return this.formError("Please write a phone number we can call.");
    const payload = same ? { same_place: true, callback } : { location, callback };
    if (contact) payload.emergency_contact = contact;
    const ack = await this.conn.call("safety.confirm", payload);
    if (!ack.ok) {
      const words = {
        emergency_contact_needed: "This is your first time. Please write someone we can call in an emergency.",
        no_earlier_place: "We do not have a place from last time. Please write where you are today.",
        invalid: "Please check the phone number: use only digits, spaces and + ( ) -.",
      }[ack.error.code];
      return this.formError(words || ack.error.message);
    }
    this.callback = callback;
    this.confirmed = true;
    $("safety-check").hidden = true;
    $("safety-prompt").hidden = true;
    if ($("safety-dialog").open) $("safety-dialog").close();
    $("safety-error").textContent = "";
    announce("Thank you. The leaders know how to reach you.");
  }

  formError(text) {
    $("safety-error").textContent = text;
  }

  async askForHelp() {
    const note = $("help-sent");
    note.hidden = false;
    note.textContent = "Sending…";
    const ack = await this.conn.call("help.request", {});
    note.textContent = ack.ok
      ? "The leaders know you need help. Only they can see this. A leader will talk with you soon."
      : "We could not reach the leaders. Please call one of the numbers below now.";
    announce(note.textContent);
  }

  // -- staff ------------------------------------------------------------------------

  helpAlert(alert) {
    const where = alert.location || "not given yet";
    const callback = alert.callback || "not given yet";
    this.showAlert(`help-${alert.participant}`, [
      el("strong", {}, `${alert.display_name} needs help now`),
      ` (${clock(alert.at)}). Where: ${where}. Call back: ${callback}.`,
      alert.emergency_contact ? ` Emergency contact: ${alert.emergency_contact}.` : "",
    ], alert.participant);
    announce(`${alert.display_name} needs help now.`);
  }

  async dropAlert(pid, at) {
    const resp = await api("GET", `/api/sessions/${encodeURIComponent(this.sessionId)}/safety/${encodeURIComponent(pid)}`);
    const callback = resp.ok ? resp.body.callback : "not given";
    const where = resp.ok ? ` Where: ${resp.body.location}.` : "";
    this.showAlert(`drop-${pid}`, [
      el("strong", {}, `${this.nameOf(pid)}'s video dropped`),
      ` at ${clock(at)}. Call back: ${callback}.${where}`,
    ], null);
  }

  showAlert(id, parts, pid) {
    this.clearAlert(id);
    const actions = [el("button", { type: "button", class: "secondary", onclick: () => this.clearAlert(id) }, "Dismiss")];
    if (pid && LEADS.has(this.role)) {
      actions.unshift(el("button", { type: "button", onclick: () => this.startTalk(pid) }, `Talk privately with ${this.nameOf(pid)}`));
    }
    $("safety-alert-list").append(el("li", { class: "notice", id: `safety-${id}` }, el("div", { role: "alert" }, ...parts, el("div", { class: "row" }, ...actions))));
  }

  clearAlert(id) {
    const old = $(`safety-${id}`);
    if (old) old.remove();
  }

  fillClients() {
    const select = $("private-talk-who");
    const chosen = select.value;
    select.replaceChildren(...[...this.present]
      .filter((id) => this.roles.get(id) === "client")
      .map((id) => el("option", { value: id, selected: id === chosen }, this.nameOf(id))));
    $("private-talk-start").disabled = select.options.length === 0 || this.privateTalk.length > 0;
  }

  async startTalk(pid) {
    if (pid) await this.command("private_talk.start", { participant: pid });
  }

  async command(event, data) {
    const ack = await this.conn.call(event, data);
    if (!ack.ok) $("room-error").textContent = ack.error.message;
  }

  talkChanged(participants) {
    this.privateTalk = participants;
    const note = $("private-talk-note");
    const inIt = participants.includes(this.me);
    const others = participants.filter((id) => id !== this.me).map((id) => this.nameOf(id));
    if (participants.length === 0) {
      note.hidden = true;
    } else if (inIt) {
      note.textContent = `Private talk with ${others.join(" and ")}. The group cannot see or hear you.`;
      note.hidden = false;
    } else {
      note.textContent = "A leader is having a private talk. The group carries on.";
      note.hidden = false;
    }
    $("private-talk-end").hidden = !(participants.length && LEADS.has(this.role));
    if (STAFF.has(this.role)) this.fillClients();
  }
}
