// Private records in the live room: home practice to review, goals to update, IMR Scales
// ratings (leaders), modules marked completed, and a client's own "How am I doing?" rating. These events reach
// staff and the client concerned only; leaders also read them back from the session log,
// and read what to follow up from earlier sessions (open home practice, goals) from the
// server's follow-up route (folded from the stored logs, only for this session's leads).
import { $, el, announce, api, showError } from "./dom.js";
import { buildScale, clearScale, loadScale, readScale, scoreWords } from "./room_scale.js";

const LEADS = new Set(["leader", "co_leader"]);
const GOAL_WORDS = { noted: "just noted", in_progress: "in progress", achieved: "achieved ✓", dropped: "dropped" };

/** The records panel of one Room. */
export class RoomRecords {
  constructor(room) {
    this.room = room;
    this.seen = new Set(); // seqs already folded: the log and pushed events overlap
    this.assignments = new Map();
    this.goals = new Map();
    this.ratings = [];
    this.reviewedHere = new Set(); // ids reviewed or updated in this session (events seen)
    this.logRead = false;
    this.earlier = new Map(); // "a:<id>" / "g:<id>" -> an item from an earlier session
    this.sessionId = null;
    this.marks = [];
    this.suggestion = null; // the script's home practice {id, text}, for leads
    loadScale().then(() => {
      buildScale($("scale-items"), "lead-scale", "clinician");
      buildScale($("self-items"), "self-scale", "client");
    }, () => showError("records-error", "The IMR Scales questions could not be loaded. Reload the page to try again."));
    this.bind();
  }

  /** Clients get their own rating form; leaders read what this session already recorded. */
  enter(welcome) {
    $("self-rating").hidden = welcome.you.role !== "client";
    this.moduleOfSession(welcome.session.script_ref);
    if (LEADS.has(welcome.you.role) && !this.logRead) {
      this.logRead = true;
      this.sessionId = welcome.session.id;
      this.readLog(welcome.session.id);
      this.readEarlier();
      this.readSuggestion();
    }
  }

  /** Open home practice and goals of this session's clients from their earlier sessions. */
  async readEarlier() {
    if (!this.sessionId) return;
    const resp = await api("GET", `/api/sessions/${encodeURIComponent(this.sessionId)}/follow-up`);
    if (!resp.ok) return; // a co-leader by link has no staff sign-in
    this.earlier.clear();
    for (const c of resp.body.clients) {
      for (const a of c.assignments) {
        if (this.reviewedHere.has(a.assignment_id)) continue;
        this.earlier.set(`a:${a.assignment_id}`, { kind: "practice", id: a.assignment_id, participant: c.participant, text: a.text, when: a.given_at, review: null });
      }
      for (const g of c.goals) {
        if (this.reviewedHere.has(g.goal_id)) continue;
        this.earlier.set(`g:${g.goal_id}`, { kind: "goal", id: g.goal_id, participant: c.participant, goal: g.goal, status: g.status, note: "", when: g.noted_at });
      }
    }
    this.render();
  }

  /** The script's suggested home practice, offered in the home practice form. */
  async readSuggestion() {
    const resp = await api("GET", `/api/sessions/${encodeURIComponent(this.sessionId)}/script`);
    this.suggestion = resp.ok ? resp.body.home_practice : null;
    $("assign-suggested").hidden = !this.suggestion;
    if (this.suggestion) $("assign-suggestion").textContent = this.suggestion.text;
  }

  async readLog(sessionId) {
    const resp = await api("GET", `/api/sessions/${encodeURIComponent(sessionId)}/log`);
    if (!resp.ok) return; // a co-leader by link has no staff sign-in: pushed events still come
    for (const ev of resp.body.events) this.fold(ev, false);
    this.render();
  }

  /** A pushed event (the Room has already checked its seq). */
  event(ev) {
    this.fold(ev, true);
  }

  fold(ev, live) {
    const apply = this.folds[ev.kind];
    if (!apply || this.seen.has(ev.seq)) return;
    this.seen.add(ev.seq);
    apply.call(this, ev.data, ev, live);
  }

  get folds() {
    return {
      "assignment.given": (d) => {
        this.assignments.set(d.assignment_id, { id: d.assignment_id, participant: d.participant, text: d.text, review: null });
      },
      "participant.admitted": (d, ev, live) => {
        if (live && this.leads()) this.readEarlier(); // a client may have come by a new link
      },
      "assignment.reviewed": (d, ev, live) => {
        this.reviewedHere.add(d.assignment_id);
        if (this.earlier.delete(`a:${d.assignment_id}`) && live) {
          this.followedUp(`Saved: ${this.room.name(d.participant)}'s earlier home practice is marked ${d.done ? "done" : "not done yet"}.`);
          return; // the status line says it
        }
        const found = this.assignments.get(d.assignment_id);
        if (found) found.review = { done: d.done, note: d.note || "" };
        if (live && this.leads()) announce(`Home practice review saved for ${this.room.name(d.participant)}.`);
      },
      "goal.noted": (d) => {
        this.goals.set(d.goal_id, { id: d.goal_id, participant: d.participant, goal: d.goal, shortTerm: d.short_term || [], status: "noted", note: "" });
      },
      "goal.updated": (d, ev, live) => {
        this.reviewedHere.add(d.goal_id);
        if (this.earlier.delete(`g:${d.goal_id}`) && live) {
          this.followedUp(`Saved: progress on ${this.room.name(d.participant)}'s earlier goal.`);
          return; // the status line says it
        }
        const found = this.goals.get(d.goal_id);
        if (found) Object.assign(found, { status: d.status, note: d.note || "" });
        if (live && this.leads()) announce(`Goal progress saved for ${this.room.name(d.participant)}.`);
      },
      "scale.recorded": (d, ev, live) => {
        this.ratings.push({ seq: ev.seq, participant: d.participant, rater: d.rater, score: scoreWords(d.items) });
        if (live) this.ratingArrived(d, ev);
      },
      "module.completed": (d, ev, live) => {
        this.marks.push({ seq: ev.seq, participant: d.participant, module: d.module, reason: d.reason });
        if (live && ev.actor === this.room.you.id) {
          $("mark-reason").value = "";
          $("mark-done").textContent = `Saved: ${this.room.name(d.participant)} has completed the module.`;
        }
        this.render();
      },
    };
  }

  /** An earlier item was followed up: say so, and keep keyboard focus in the panel. */
  followedUp(words) {
    $("earlier-done").textContent = words;
    const inList = $("earlier-list").contains(document.activeElement);
    this.render();
    if (inList && !$("earlier-list").contains(document.activeElement)) $("earlier-title").focus();
  }

  ratingArrived(d, ev) {
    const me = this.room.you.id;
    if (d.participant === me && d.rater === "client") {
      showForm("self", false);
      clearScale($("self-items"));
      $("self-open").textContent = "Answer the questions again";
      $("self-done").textContent = "Thank you. Your answers are saved. Only you and your clinician see them.";
    } else if (ev.actor === me) {
      clearScale($("scale-items"));
      showForm("scale", false);
      $("scale-done").textContent = `Rating saved for ${this.room.name(d.participant)}: ${scoreWords(d.items)}.`;
    } else if (this.leads()) {
      announce(`A rating was saved for ${this.room.name(d.participant)}.`);
    }
  }

  leads() {
    return this.room.you && LEADS.has(this.room.you.role);
  }

  /** The module a lead may mark completed: this session's (its script ref less the number). */
  moduleOfSession(scriptRef) {
    const key = scriptRef ? scriptRef.replace(/\/\d+$/, "") : "";
    $("mark-module").value = key;
    $("mark-module-name").textContent = key || "none (this session has no script)";
    $("mark-form").hidden = !key;
  }

  // -- rendering ----------------------------------------------------------------------

  render() {
    if (!this.leads()) return;
    const name = (id) => this.room.name(id);
    const earlier = [...this.earlier.values()].filter((e) => this.room.people.has(e.participant));
    $("earlier-empty").hidden = earlier.length > 0;
    keyedList($("earlier-list"), earlier.map((e) => ({ ...e, who: name(e.participant) })),
      (e) => (e.kind === "practice" ? this.assignmentRow(e) : this.goalRow(e)));
    const given = [...this.assignments.values()];
    $("assign-empty").hidden = given.length > 0;
    keyedList($("assign-list"), given.map((a) => ({ ...a, who: name(a.participant) })), (a) => this.assignmentRow(a));
    const goals = [...this.goals.values()];
    $("goal-empty").hidden = goals.length > 0;
    keyedList($("goal-list"), goals.map((g) => ({ ...g, who: name(g.participant) })), (g) => this.goalRow(g));
    const ratings = this.ratings.map((r) => ({ ...r, who: name(r.participant) }));
    $("rating-empty").hidden = ratings.length > 0;
    keyedList($("rating-list"), ratings, (r) => el("li", {},
      r.rater === "client" ? `${r.who} rated themselves: ${r.score}` : `${r.who}, rated by the clinician: ${r.score}`));
    const marks = this.marks.map((m) => ({ ...m, who: name(m.participant) }));
    $("mark-empty").hidden = marks.length > 0;
    keyedList($("mark-list"), marks, (m) => el("li", {}, `${m.who}: ${m.module} completed – ${m.reason}`));
  }

  assignmentRow(a) {
    const row = el("li", { class: "record", "data-assignment": a.id },
      el("p", {}, el("strong", {}, `${a.who}: `), a.when ? `From an earlier session: ${a.text} – given ${shortDate(a.when)}` : a.text));
    if (a.review) {
      row.append(el("p", { class: "record-state" }, `Reviewed: ${a.review.done ? "done ✓" : "not done ✕"}${a.review.note ? ` – ${a.review.note}` : ""}`));
      return row;
    }
    const noteId = `review-note-${a.id}`;
    const note = el("input", { id: noteId, maxlength: 300 });
    const review = (done) => {
      const data = { participant: a.participant, assignment_id: a.id, done };
      if (note.value.trim()) data.note = note.value.trim();
      this.room.act("assignment.review", data, null, "records-error");
    };
    row.append(
      el("p", { class: "record-state" }, "Not reviewed yet"),
      el("label", { for: noteId }, "Note about how it went (optional)"), note,
      el("div", { class: "row" },
        el("button", { type: "button", onclick: () => review(true) }, `${a.who} did it`),
        el("button", { type: "button", class: "secondary", onclick: () => review(false) }, `${a.who} did not do it`)));
    return row;
  }

  goalRow(g) {
    const statusId = `goal-status-${g.id}`;
    const noteId = `goal-note-${g.id}`;
    const status = el("select", { id: statusId },
      el("option", { value: "in_progress" }, "In progress"),
      el("option", { value: "achieved" }, "Achieved"),
      el("option", { value: "dropped" }, "Dropped"));
    if (g.status !== "noted") status.value = g.status;
    const note = el("input", { id: noteId, maxlength: 300 });
    const form = el("form", {},
      el("label", { for: statusId }, "Progress"), status,
      el("label", { for: noteId }, "Note (optional)"), note,
      el("button", { type: "submit" }, `Save progress for ${g.who}`));
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const data = { participant: g.participant, goal_id: g.id, status: status.value };
      if (note.value.trim()) data.note = note.value.trim();
      this.room.act("goal.update", data, null, "records-error");
    });
    return el("li", { class: "record", "data-goal": g.id },
      el("p", {}, el("strong", {}, `${g.who}: `), g.when ? `From an earlier session: ${g.goal} – noted ${shortDate(g.when)}` : g.goal),
      ...(g.shortTerm || []).map((st) => el("p", { class: "record-state" },
        `Short-term goal: ${st.goal}${st.steps.length ? ` – steps: ${st.steps.join("; ")}` : ""}`)),
      el("p", { class: "record-state" }, `Now: ${GOAL_WORDS[g.status] || g.status}${g.note ? ` – ${g.note}` : ""}`),
      form);
  }

  // -- commands -----------------------------------------------------------------------

  bind() {
    $("assign-use").addEventListener("click", () => {
      $("assign-text").value = this.suggestion.text;
      $("assign-text").focus();
    });
    $("assign-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      const text = $("assign-text").value.trim();
      const data = { participant: $("assign-who").value, text };
      // Linked to the script's practice only when given as suggested (not rewritten).
      if (this.suggestion && text === this.suggestion.text.trim()) data.ref = this.suggestion.id;
      const ack = await this.room.act("assignment.give", data, "Home practice given.");
      if (ack.ok) $("assign-text").value = "";
    });
    $("goal-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      const data = { participant: $("goal-who").value, goal: $("goal-text").value };
      const steps = $("goal-steps").value.split("\n").map((s) => s.trim()).filter(Boolean);
      const short = $("goal-short").value.trim();
      if (steps.length && !short) {
        showError("room-error", "Please write the short-term goal these steps lead to.");
        $("goal-short").focus();
        return;
      }
      if (short) data.short_term = [{ goal: short, steps }];
      const ack = await this.room.act("goal.note", data, "Goal noted.");
      if (ack.ok) for (const id of ["goal-text", "goal-short", "goal-steps"]) $(id).value = "";
    });
    $("scale-open").addEventListener("click", () => {
      const open = $("scale-form").hidden;
      showForm("scale", open);
      if (open) $("scale-done").textContent = "";
    });
    $("scale-form").addEventListener("submit", (e) => {
      e.preventDefault();
      $("scale-done").textContent = "";
      this.sendRating($("scale-items"), "lead-scale", $("scale-who").value, "clinician", "scale-error");
    });
    $("self-open").addEventListener("click", () => {
      const open = $("self-form").hidden;
      showForm("self", open);
      if (open) { $("self-done").textContent = ""; $("self-items").querySelector("input").focus(); }
    });
    $("self-later").addEventListener("click", () => {
      showForm("self", false);
      $("self-open").focus();
    });
    $("self-form").addEventListener("submit", (e) => {
      e.preventDefault();
      this.sendRating($("self-items"), "self-scale", this.room.you.id, "client", "self-error");
    });
    $("mark-form").addEventListener("submit", (e) => {
      e.preventDefault();
      $("mark-done").textContent = "";
      const reason = $("mark-reason").value.trim();
      if (!reason) {
        showError("mark-error", "Please say why the module counts as completed.");
        $("mark-reason").focus();
        return;
      }
      const data = { participant: $("mark-who").value, module: $("mark-module").value, reason };
      this.room.act("module.complete", data, null, "mark-error");
    });
  }

  /** Check every question is answered (saying which is not), then send; the event confirms. */
  sendRating(container, prefix, participant, rater, errorId) {
    const answers = readScale(container, prefix, rater);
    if (answers.items === undefined) {
      showError(errorId, answers.text);
      container.querySelector(`input[name="${prefix}-${answers.missing}"]`)?.focus();
      return null;
    }
    return this.room.act("scale.record", { participant, rater, items: answers.items }, null, errorId);
  }
}

/** "12 Nov" from µs since the epoch. */
function shortDate(us) {
  return new Date(us / 1000).toLocaleDateString("en-GB", { day: "numeric", month: "short" });
}

/** Open or close one of the rating forms (`scale` or `self`) and its toggle button. */
function showForm(name, open) {
  $(`${name}-form`).hidden = !open;
  $(`${name}-open`).setAttribute("aria-expanded", String(open));
}

/** Rebuild a list only when what it shows changed (keeps focus and half-typed notes). */
function keyedList(container, items, build) {
  const key = JSON.stringify(items);
  if (container.dataset.key === key) return;
  container.dataset.key = key;
  container.replaceChildren(...items.map(build));
}
