// Polls and quick ratings in the live room. Leads ask; clients, supporters and guest
// speakers answer with big choices. The counts come from the server only to whoever may
// see them (the staff always; everyone when the lead chose it); who chose what only to staff.
import { $, el, announce, errorText } from "./dom.js";

const LEADS = new Set(["leader", "co_leader"]);
const ANSWERS = new Set(["client", "supporter", "guest_speaker"]);

/** The poll card of one Room. */
export class RoomPolls {
  constructor(room) {
    this.room = room;
    this.poll = null; // the open poll as this person may see it
    this.result = null; // the last poll closed with its counts shared
    this.tallySeq = 0;
    this.box = el("section", { id: "poll", class: "card poll", "aria-labelledby": "poll-title", hidden: true });
    $("lively").append(this.box);
  }

  get role() { return this.room.you?.role; }

  snapshot(state) {
    this.poll = state.poll ? { ...state.poll } : null;
    this.render();
  }

  get handlers() {
    return {
      "poll.opened": (d) => {
        this.poll = { ...d, answered: 0, counts: LEADS.has(this.role) || d.show_results ? d.options.map(() => 0) : null, mine: null, answers: LEADS.has(this.role) ? {} : null };
        this.result = null;
        announce(`The leader asks: ${d.question}`);
      },
      "poll.answered": (d) => {
        if (!this.poll || this.poll.poll_id !== d.poll_id) return;
        if (d.participant === this.room.you.id) this.poll.mine = d.choices;
        if (this.poll.answers) this.poll.answers[d.participant] = d.choices;
      },
      "poll.closed": (d) => {
        const asked = this.poll && this.poll.poll_id === d.poll_id ? this.poll : null;
        this.poll = null;
        this.result = d.shared && asked ? { question: asked.question, options: asked.options, counts: d.counts, answered: d.answered } : null;
        announce(d.shared ? "The question is closed. The results are on screen." : "The question is closed.");
      },
    };
  }

  event(ev) {
    const handler = this.handlers[ev.kind];
    if (!handler) return;
    handler(ev.data, ev);
    this.render();
  }

  /** The counts now (a poll.tally message; never who chose what). */
  tally(t) {
    if (!this.poll || this.poll.poll_id !== t.poll_id || t.seq < this.tallySeq) return;
    this.tallySeq = t.seq;
    this.poll.counts = t.counts;
    this.poll.answered = t.answered;
    this.render();
  }

  render() {
    const box = this.box;
    const lead = LEADS.has(this.role);
    box.hidden = !(this.poll || this.result || lead);
    if (box.hidden) return box.replaceChildren();
    const focused = box.contains(document.activeElement) ? document.activeElement.id : null;
    if (this.poll) box.replaceChildren(...this.openPoll(lead));
    else if (this.result) box.replaceChildren(...this.sharedResult(lead));
    else box.replaceChildren(...this.askForm());
    if (focused && $(focused)) $(focused).focus();
  }

  openPoll(lead) {
    const p = this.poll;
    const parts = [el("h2", { id: "poll-title" }, "Question from the leader"), el("p", { class: "poll-question" }, p.question)];
    if (ANSWERS.has(this.role)) parts.push(this.answerForm(p));
    if (p.counts) parts.push(counts(p.options, p.counts, p.answered));
    if (lead) {
      parts.push(this.whoAnswered(p));
      parts.push(el("div", { class: "row" },
        el("button", { type: "button", id: "poll-close-share", onclick: () => this.close(true) }, "Close and show the results"),
        el("button", { type: "button", id: "poll-close", class: "secondary", onclick: () => this.close(false) }, "Close without showing")));
    }
    parts.push(el("p", { id: "poll-error", class: "error", role: "alert" }));
    return parts;
  }

  answerForm(p) {
    const type = p.multiple ? "checkbox" : "radio";
    const mine = new Set(p.mine || []);
    const legend = p.multiple ? "Choose one or more answers" : "Choose one answer";
    const fields = p.options.map((option, i) => el("label", { class: "poll-choice" },
      el("input", { type, name: "poll-choice", value: i, checked: mine.has(i) }), " ", option));
    const said = p.mine ? `Your answer: ${p.mine.map((i) => p.options[i]).join(", ")}. You can change it until the question closes.` : "";
    return el("form", { id: "poll-form", onsubmit: (ev) => { ev.preventDefault(); this.answer(ev.target); } },
      el("fieldset", {}, el("legend", {}, legend), el("div", { class: "poll-choices" }, fields)),
      el("button", { type: "submit", id: "poll-send" }, p.mine ? "Change my answer" : "Send my answer"),
      el("p", { id: "poll-mine", role: "status" }, said));
  }

  whoAnswered(p) {
    const names = Object.entries(p.answers || {}).map(([pid, choices]) =>
      el("li", {}, `${this.room.name(pid)}: ${choices.map((i) => p.options[i]).join(", ")}`));
    return el("details", { class: "poll-who" },
      el("summary", {}, `Who answered (${names.length}) — only leaders see this`), el("ul", { class: "plain" }, names));
  }

  sharedResult(lead) {
    const r = this.result;
    return [
      el("h2", { id: "poll-title" }, "Results"),
      el("p", { class: "poll-question" }, r.question),
      counts(r.options, r.counts, r.answered),
      el("button", { type: "button", class: "secondary", onclick: () => { this.result = null; this.render(); } }, lead ? "Done: ask another question" : "Hide the results"),
    ];
  }

  askForm() {
    // The script arrives after the room is drawn: list its polls when the leader opens them.
    const fromScript = el("details", { id: "poll-script", ontoggle: (ev) => this.scriptPolls(ev.target) },
      el("summary", {}, "Questions from today's script"), el("ul", { class: "plain" }));
    return [
      el("h2", { id: "poll-title" }, "Ask the group a question"),
      fromScript,
      el("form", { id: "poll-ask", onsubmit: (ev) => { ev.preventDefault(); this.ask(); } },
        el("label", { for: "poll-question" }, "Question"),
        el("input", { id: "poll-question", maxlength: 300, required: true }),
        el("label", { for: "poll-options" }, "Answers, one on each line (leave empty for a rating from 1 to 5)"),
        el("textarea", { id: "poll-options", rows: 4 }),
        el("label", { class: "choice" }, el("input", { type: "checkbox", id: "poll-multiple" }), " People may pick more than one"),
        el("label", { class: "choice" }, el("input", { type: "checkbox", id: "poll-show" }), " Show the counts to everyone while it is open (never names)"),
        el("button", { type: "submit", id: "poll-ask-send" }, "Ask the group")),
      el("p", { id: "poll-error", class: "error", role: "alert" }),
    ];
  }

  scriptPolls(details) {
    if (!details.open) return;
    const polls = this.room.script.polls || [];
    const ask = async (poll) => {
      const ack = await this.room.conn.call("poll.open", { poll_ref: poll.id, show_results: $("poll-show").checked });
      if (!ack.ok) this.fail(ack.error);
    };
    details.querySelector("ul").replaceChildren(...(polls.length
      ? polls.map((poll) => el("li", {}, el("button", { type: "button", class: "secondary", onclick: () => ask(poll) }, `Ask: ${poll.question}`)))
      : [el("li", { class: "hint" }, "This session's script has no questions.")]));
  }

  async ask() {
    const options = $("poll-options").value.split("\n").map((s) => s.trim()).filter(Boolean);
    const payload = { question: $("poll-question").value, multiple: $("poll-multiple").checked, show_results: $("poll-show").checked };
    if (options.length) payload.options = options;
    const ack = await this.room.conn.call("poll.open", payload);
    if (!ack.ok) this.fail(ack.error);
  }

  async answer(form) {
    const choices = [...form.querySelectorAll("input:checked")].map((i) => Number(i.value));
    if (!choices.length) return this.fail({ message: "Please choose an answer first." });
    const ack = await this.room.conn.call("poll.answer", { poll_id: this.poll.poll_id, choices });
    if (!ack.ok) this.fail(ack.error);
    else announce("Your answer was sent.");
  }

  async close(share) {
    const ack = await this.room.conn.call("poll.close", { poll_id: this.poll.poll_id, share });
    if (!ack.ok) this.fail(ack.error);
  }

  fail(error) {
    const node = $("poll-error");
    if (node) node.textContent = errorText(error);
  }
}

/** The counts as text for everyone, with a bar drawn beside each (hidden from screen readers). */
function counts(options, numbers, answered) {
  const most = Math.max(1, ...numbers);
  const people = (n) => `${n} ${n === 1 ? "person" : "people"}`;
  return el("div", { class: "poll-counts" },
    el("p", {}, `${people(answered)} answered.`),
    el("ul", { class: "plain" }, options.map((option, i) => {
      const bar = el("span", { class: "poll-bar", "aria-hidden": "true" });
      bar.style.width = `${Math.round((numbers[i] / most) * 100)}%`; // CSSOM: allowed by the CSP
      return el("li", {}, el("span", { class: "poll-option" }, `${option}: ${people(numbers[i])}`), bar);
    })));
}
