// The live room: one view for every role; what the server confirms is what it shows.
import { $, el, announce, showError, errorText } from "./dom.js";
import { bindQuality } from "./room_quality.js";
import { DenyDialog } from "./room_deny.js";
import { MyRecords } from "./room_mine.js";
import { RoomRecords } from "./room_records.js";
import { bindCaptions, captionHandlers, renderCaptions, showCaption } from "./room_captions.js";
import { bindPrivacy, pinnedInterpreters, privacyHandlers, renderPrivacy } from "./room_privacy.js";
import { bindSessionTools, renderSessionTools } from "./room_session.js";
import { bindPhone, phoneHandlers, renderPhone } from "./room_phone.js";
import { bindGuest, guestHandlers, renderGuest } from "./room_guest.js";
import { bindScreen, renderScreen, screenHandlers, screenSnapshot } from "./room_screen.js";
import { bindTabs } from "./tabs.js";
import { bindSlideSize } from "./room_view.js";
import { Lively } from "./lively.js";
import { RoomHandouts } from "./room_handouts.js";
import { RoomClips } from "./room_clips.js";

const LEADS = new Set(["leader", "co_leader"]);
const PLAYS = /^Plays (the [^.,]+)/; // a role description naming the part, e.g. "Plays the friend."
const SPEAKS = new Set(["leader", "co_leader", "client", "supporter", "guest_speaker", "interpreter"]);
const STAFF = new Set(["leader", "co_leader", "supervisor"]);
const ROLE_WORDS = {
  leader: "leader", co_leader: "co-leader", supervisor: "supervisor", client: "client",
  supporter: "supporter", guest_speaker: "guest speaker", observer: "observer",
  interpreter: "interpreter",
};
// People who watch: the chat and raised hands are for the group, and they are told so.
const WATCHERS = {
  observer: "You are here to watch and listen. The chat and raised hands are for the group.",
  supervisor: "You are here as a supervisor, to watch and listen. The leaders run the session.",
};
const GONE = {
  ended: ["The session has ended", "Thank you for coming. You can close this page now."],
  removed: ["You were taken out of this session", "The leader has taken you out of this session. If you think this is a mistake, please call your clinician."],
  denied: ["The leader could not let you in", "The leader did not let you into this session. If you think this is a mistake, please call your clinician."],
  left: ["You left the session", "Thank you for coming. If you left by mistake, you can go back in."],
  refused: ["You cannot join right now", ""],
};

/** One live room on this page. */
export class Room {
  /** headers: how this page proves who it is to the HTTP API ({"X-Join-Token": ...} on a
   * join link; none for staff, whose cookie goes along). */
  constructor({ conn, media, onGone, headers = {} }) {
    this.conn = conn;
    this.media = media;
    this.onGone = onGone || (() => {});
    this.you = null;
    this.people = new Map();
    this.hands = [];
    this.slide = null;
    this.rolePlay = null;
    this.locked = false;
    this.recording = false;
    this.serverMuted = {}; // participant -> kinds the leader turned off for everyone
    this.spot = null; // who the lead clinician shows large for everyone
    this.seq = 0;
    this.script = { slides: [], role_plays: [] };
    this.entered = false;
    this.gone = false;
    this.mic = true;
    this.cam = true;
    this.leaderAway = false;
    this.notes = 0; // cards shown so far, for their element ids
    this.records = new RoomRecords(this);
    this.mine = new MyRecords(this);
    this.deny = new DenyDialog(this);
    this.lively = new Lively(this); // polls and celebrations
    this.headers = headers; // the leads' tools that call the HTTP API send these
    this.handouts = new RoomHandouts(this, headers);
    this.clips = new RoomClips(this, headers);
    this.bind();
    bindSlideSize();
    bindSessionTools(this);
    bindPhone(this);
    bindPrivacy(this);
    bindGuest(this);
    bindCaptions(this);
    bindScreen(this);
    bindTabs($("lead-tabs"));
    bindQuality(this);
  }

  // -- entering and leaving ---------------------------------------------------------

  /** Show the room with a join (or admitted) answer: {you, session, state}. */
  enter(welcome) {
    this.you = welcome.you;
    this.records.enter(welcome);
    $("room-title").textContent = welcome.session.title || "Live session";
    this.sessionId = welcome.session.id;
    this.applySnapshot(welcome.state);
    this.handouts.entered(welcome.session.id);
    this.clips.entered(welcome.session.id);
    const lead = LEADS.has(this.you.role);
    $("lead-panels").hidden = !lead;
    $("room-grid").classList.toggle("lead", lead);
    $("slide-controls").hidden = !lead;
    $("btn-hand").hidden = lead || !SPEAKS.has(this.you.role);
    $("chat-form").hidden = !SPEAKS.has(this.you.role);
    $("room-role").textContent = WATCHERS[this.you.role] || "";
    $("room").hidden = false;
    if (!this.entered) {
      this.entered = true;
      $("room-title").focus();
      announce("You are in the session.");
      this.media.start({ call: (event, data) => this.conn.call(event, data), welcome, nameOf: (id) => this.people.get(id)?.display_name });
    }
  }

  /** Put the room away and explain in plain words why. */
  leaveWith(kind, detail) {
    if (this.gone) return;
    this.gone = true;
    this.conn.finish();
    this.media.stop();
    const [title, text] = GONE[kind] || GONE.refused;
    $("room").hidden = true;
    $("gone-title").textContent = title;
    $("gone-text").textContent = detail || text;
    const actions = $("gone-actions");
    actions.replaceChildren();
    if (kind === "left") {
      actions.append(el("button", { type: "button", onclick: () => window.location.reload() }, "Go back in"));
    }
    if (document.body.dataset.home) {
      // Signed-in staff go back to their own start page: their sessions, or the program report.
      const report = document.body.dataset.home === "/review/program";
      actions.append(el("a", { class: "button secondary", href: report ? "/review/program" : "/staff" },
        report ? "Back to the program report" : "Back to my sessions"));
    }
    this.onGone(kind);
    $("gone").hidden = false;
    $("gone-title").focus();
  }

  // -- state --------------------------------------------------------------------------

  applySnapshot(state) {
    if (state.seq < this.seq) {
      // An event overtook this snapshot's ack: ask again rather than step back in time.
      this.conn.join();
      return;
    }
    this.people = new Map(state.people.map((p) => [p.id, { ...p }]));
    this.hands = [...state.hands];
    this.slide = state.slide;
    this.rolePlay = state.role_play;
    this.locked = state.locked;
    this.recording = state.recording;
    this.privateMode = state.private_mode;
    this.guestNames = state.guest_names;
    this.captionsOn = state.captions;
    const wasMuted = this.leaderMuted(this.you.id, "audio");
    this.serverMuted = Object.fromEntries(Object.entries(state.server_muted || {}).map(([id, kinds]) => [id, [...kinds]]));
    if (!wasMuted && this.leaderMuted(this.you.id, "audio")) {
      this.note("The leader has turned off your microphone for everyone. Ask the leader if you want to speak.", "server-audio");
    } else if (wasMuted && !this.leaderMuted(this.you.id, "audio")) {
      this.dropNote("server-audio");
    }
    this.spot = state.spotlight ?? null;
    this.mine.snapshot(state);
    screenSnapshot(this, state);
    this.seq = state.seq;
    for (const m of state.chat || []) this.addChat(m.actor, m.text, m.seq);
    this.lively.snapshot(state);
    this.handouts.snapshot(state);
    this.clips.snapshot(state);
    this.renderAll();
  }

  /** A server push on the live channel. */
  message(name, data) {
    if (name === "event") this.event(data);
    else if (name === "admitted") this.enter(data);
    else if (name === "removed") this.leaveWith("removed");
    else if (name === "denied") this.leaveWith("denied");
    else if (name === "caption") showCaption(this, data);
    else if (this.lively.message(name, data)) return;
    else this.media.signal(name, data);
  }

  event(ev) {
    if (ev.seq <= this.seq) return; // already in the snapshot we hold
    this.seq = ev.seq;
    const handler = this.handlers[ev.kind];
    if (handler) handler.call(this, ev.data, ev);
    this.mine.event(ev.kind, ev.data);
    this.records.event(ev);
    this.lively.event(ev);
    this.handouts.event(ev);
    this.clips.event(ev);
    this.renderAll();
  }

  /** Someone came into the room; guests never saw them wait, so ask for the state with their name. */
  arrived(id, words) {
    if (!this.people.has(id)) {
      this.conn.join();
      return;
    }
    this.setStatus(id, "admitted");
    announce(`${this.name(id)} ${words}.`);
  }

  name(id) {
    const person = this.people.get(id);
    if (!person && String(id).startsWith("clip~")) return "Video"; // a recovery video's words
    return person ? person.display_name : "Someone";
  }

  setStatus(id, status) {
    const person = this.people.get(id);
    if (person) person.status = status;
    this.hands = this.hands.filter((h) => h !== id || status === "admitted");
  }

  get handlers() {
    return {
      "participant.joined": (d) => {
        this.people.set(d.participant, {
          id: d.participant, role: d.role, display_name: d.display_name,
          status: d.waiting ? "waiting" : "admitted", consent: null, via: d.via,
        });
        const phone = d.via === "phone" ? " on the phone" : "";
        announce(d.waiting ? `${d.display_name} is waiting to come in${phone}.` : `${d.display_name} joined${phone}.`);
      },
      "participant.admitted": (d) => this.arrived(d.participant, "was let in"),
      "participant.rejoined": (d) => this.arrived(d.participant, "is back"),
      "participant.denied": (d) => this.setStatus(d.participant, "denied"),
      "participant.left": (d) => { this.setStatus(d.participant, "left"); },
      "participant.dropped": (d) => { this.setStatus(d.participant, "dropped"); announce(`${this.name(d.participant)} lost their connection.`); },
      "participant.removed": (d) => {
        if (d.participant === this.you.id) this.leaveWith("removed");
        else this.setStatus(d.participant, "removed");
      },
      "participant.renamed": (d) => {
        const person = this.people.get(d.participant);
        if (person) person.display_name = d.display_name;
        if (d.participant === this.you.id) this.you.display_name = d.display_name;
      },
      "slide.shown": (d, ev) => {
        this.slide = { ...d, content: ev.content };
        announce(`Slide ${d.index + 1} of ${d.count}: ${slideTitle(this.slide)}`);
      },
      "roleplay.started": (d) => { this.rolePlay = { ...d, step: 0 }; announce(`Role play started: ${d.title}`); },
      "roleplay.stepped": (d) => { if (this.rolePlay) this.rolePlay.step = d.step; },
      "roleplay.ended": () => { this.rolePlay = null; announce("The role play has ended."); },
      "hand.raised": (d) => {
        if (!this.hands.includes(d.participant)) this.hands.push(d.participant);
        announce(d.participant === this.you.id ? "Your hand is up." : `${this.name(d.participant)} raised a hand.`);
      },
      "hand.lowered": (d) => {
        this.hands = this.hands.filter((h) => h !== d.participant);
        if (d.participant === this.you.id) announce("Your hand is down.");
      },
      "consent.set": (d) => { const p = this.people.get(d.participant); if (p) p.consent = d.recording; },
      "session.locked": (d) => { this.locked = d.locked; announce(d.locked ? "The room is locked." : "The room is open."); },
      "session.ended": () => this.leaveWith("ended"),
      "recording.started": () => { this.recording = true; },
      "recording.stopped": () => { this.recording = false; },
      "chat.sent": (d, ev) => this.addChat(ev.actor, d.text, ev.seq),
      "media.muted": (d) => {
        const kinds = new Set(this.serverMuted[d.participant] || []);
        if (d.muted) kinds.add(d.kind); else kinds.delete(d.kind);
        if (kinds.size) this.serverMuted[d.participant] = [...kinds].sort();
        else delete this.serverMuted[d.participant];
        const what = d.kind === "video" ? "camera" : "microphone";
        if (d.participant === this.you.id) this.note(d.muted ? `The leader turned off your ${what} for everyone.` : `The leader turned your ${what} back on.`, `server-${d.kind}`);
      },
      "mute.requested": (d) => {
        if (d.participant === this.you.id) this.note(`The leader asks you to turn off your ${d.kind === "video" ? "camera" : "microphone"}.`, `ask-${d.kind}`);
      },
      "assignment.given": (d) => {
        if (d.participant !== this.you.id) announce(`Home practice given to ${this.name(d.participant)}.`);
      },
      "video.spotlighted": (d) => {
        this.spot = d.participant;
        announce(d.participant ? `${d.participant === this.you.id ? "You are" : `${this.name(d.participant)} is`} shown large for everyone.` : "Nobody is shown large for everyone now.");
      },
      "goal.noted": (d) => { if (d.participant !== this.you.id) announce(`Goal noted for ${this.name(d.participant)}.`); },
      ...privacyHandlers(this),
      ...guestHandlers(this),
      ...captionHandlers(this),
      ...phoneHandlers(this),
      ...screenHandlers(this),
    };
  }

  // -- rendering ----------------------------------------------------------------------

  renderAll() {
    if (!this.you || this.gone) return;
    this.renderStatus();
    this.renderSlide();
    this.handouts.render();
    this.clips.render();
    this.renderRolePlay();
    this.renderVideos();
    this.renderLeaderAway();
    this.renderMyControls();
    this.renderChatNames();
    renderPrivacy(this);
    renderGuest(this);
    renderCaptions(this);
    renderPhone(this);
    renderScreen(this);
    this.records.render();
    this.mine.render();
    if (LEADS.has(this.you.role)) this.renderLeadPanels();
  }

  renderStatus() {
    const parts = [];
    if (this.locked) parts.push("The room is locked: nobody new can come in.");
    if (this.recording) parts.push("Recording is on (only people who said yes are recorded).");
    $("room-status").textContent = parts.join(" ");
  }

  renderSlide() {
    const box = $("slide");
    const key = this.slide ? `${this.slide.deck}|${this.slide.index}` : "";
    $("slide-position").textContent = this.slide ? `Slide ${this.slide.index + 1} of ${this.slide.count}` : "";
    if (box.dataset.key === key) return;
    box.dataset.key = key;
    if (!this.slide) {
      box.replaceChildren(el("p", {}, LEADS.has(this.you.role)
        ? "No slide shown yet. Press \"Next slide\" to show the first one."
        : "No slide yet. The leader will show one soon."));
      return;
    }
    const content = this.slide.content || {};
    if (content.html) box.innerHTML = content.html; // rendered and escaped by the server
    else {
      box.replaceChildren(
        el("h2", {}, slideTitle(this.slide)),
        el("ul", {}, (content.points || []).map((p) => el("li", {}, p))),
      );
    }
  }

  renderSlideControls() {
    const count = this.slide ? this.slide.count : this.script.slides.length;
    const index = this.slide ? this.slide.index : -1;
    $("slide-prev").disabled = index <= 0;
    $("slide-next").disabled = count === 0 || index >= count - 1;
    const jump = $("slide-jump");
    const titles = this.script.slides;
    if (jump.options.length !== count) {
      jump.replaceChildren(...Array.from({ length: count }, (_, i) =>
        el("option", { value: i }, `${i + 1}. ${titles[i] ? titles[i].title : "Slide " + (i + 1)}`)));
    }
    if (index >= 0) jump.value = String(index);
  }

  renderRolePlay() {
    const rp = this.rolePlay;
    $("roleplay").hidden = !rp;
    if (!rp) return;
    $("roleplay-title").textContent = `Role play: ${rp.title}`;
    $("roleplay-scenario").textContent = rp.scenario;
    const step = rp.steps[rp.step];
    $("roleplay-step").textContent = step ? `Step ${rp.step + 1} of ${rp.steps.length}: ${step.text}` : "";
    const cast = Object.entries(rp.cast || {});
    const part = (role) => partName(rp.roles.find((r) => r.name === role) || { name: role });
    $("roleplay-cast").replaceChildren(...cast.map(([role, pid]) => el("li", {}, `${this.name(pid)} plays ${part(role)}`)));
    const mine = cast.filter(([, pid]) => pid === this.you.id).map(([role]) => {
      const found = rp.roles.find((r) => r.name === role);
      const what = found && found.description && found.description !== "-" && !PLAYS.test(found.description)
        ? ` ${found.description}` : "";
      return `${part(role)}.${what}`;
    });
    const yours = mine.length ? `Your role: you play ${mine.join(" You also play ")}` : "";
    if (yours && yours !== $("roleplay-yours").textContent) {
      // A new part for this person: bring it into sight and say it.
      $("roleplay").scrollIntoView({ block: "start" });
      announce(yours);
    }
    $("roleplay-yours").textContent = yours;
    $("roleplay-controls").hidden = !LEADS.has(this.you.role);
    $("roleplay-next").disabled = rp.step >= rp.steps.length - 1;
  }

  /** The video area follows the role play (players first and larger) and the leader's mutes. */
  renderVideos() {
    const rp = this.rolePlay;
    const playing = new Map();
    for (const role of rp ? rp.roles : []) {
      const pid = rp.cast?.[role.name];
      if (!pid) continue;
      if (!playing.has(pid)) playing.set(pid, []);
      playing.get(pid).push(partName(role));
    }
    this.media.setSpotlight([...playing]);
    this.media.setLeaderMuted(this.serverMuted);
    const leader = [...this.people.values()].find((p) => p.role === "leader" && p.status === "admitted");
    this.media.setFeatured(leader && leader.id !== this.you.id ? leader.id : null);
    const spot = this.people.get(this.spot)?.status === "admitted" ? this.spot : null;
    this.media.setSpot(spot, this.you.role === "leader", (id) => this.act("video.spotlight", { participant: id }));
    this.media.setInterpreters(pinnedInterpreters(this));
  }

  /** A card while the group leader's connection is lost (from the state, so it is back after a reload). */
  renderLeaderAway() {
    const people = [...this.people.values()];
    const away = this.you.role !== "leader"
      && !people.some((p) => p.role === "leader" && p.status === "admitted")
      && people.some((p) => p.role === "leader" && p.status === "dropped");
    if (away && !this.leaderAway) {
      this.note("The leader lost their connection. Please wait: the session goes on when they are back.", "leader-away");
      // Said once through the page's live region (a new status card alone is not always read).
      announce("Please wait: the leader's connection was lost. The session goes on when they are back.");
    }
    if (!away && this.leaderAway) this.dropNote("leader-away");
    this.leaderAway = away;
  }

  renderMyControls() {
    const up = this.hands.includes(this.you.id);
    const hand = $("btn-hand");
    hand.setAttribute("aria-pressed", String(up));
    hand.firstChild.textContent = up ? "Lower hand " : "Raise hand ";
    hand.querySelector(".state").textContent = up ? "your hand is up" : "hand down";
    // What others get counts: a microphone the leader turned off for everyone reads "off".
    setToggle($("btn-mic"), "Microphone", this.mic, this.leaderMuted(this.you.id, "audio"));
    setToggle($("btn-cam"), "Camera", this.cam, this.leaderMuted(this.you.id, "video"));
  }

  renderLeadPanels() {
    this.renderSlideControls();
    const people = [...this.people.values()];
    const waiting = people.filter((p) => p.status === "waiting");
    $("waiting-empty").hidden = waiting.length > 0;
    renderList($("waiting-list"), waiting, (p) => el("li", { class: "person" },
      el("span", { class: "name" }, `${p.display_name} (${ROLE_WORDS[p.role] || p.role}${p.via === "phone" ? ", on the phone" : ""})`),
      el("button", { type: "button", onclick: () => this.act("waiting.admit", { participant: p.id }) }, `Admit ${p.display_name}`),
      el("button", { type: "button", class: "secondary", onclick: (e) => this.deny.ask(p, e.currentTarget) }, `Deny ${p.display_name}`),
    ));
    this.deny.keepIf(waiting);
    $("hands-empty").hidden = this.hands.length > 0;
    const hands = this.hands.map((id) => ({ id, name: this.name(id) }));
    renderList($("hands-list"), hands, ({ id }, i) => el("li", { class: "person" },
      el("span", { class: "name" }, `${i + 1}. ${this.name(id)} has a hand up`),
      el("button", { type: "button", class: "secondary", onclick: () => this.act("hand.lower", { participant: id }) }, `Lower ${this.name(id)}'s hand`),
    ));
    const here = people.filter((p) => p.status === "admitted");
    // The server mutes are part of the key: the row's buttons change with them.
    renderList($("people-list"), here.map((p) => ({ ...p, muted: this.serverMuted[p.id] || [], screen: this.screenAllowed.has(p.id) })), (p) => this.personRow(p));
    this.fillClientSelects(here.filter((p) => p.role === "client"));
    this.renderRolePlayForm(here);
    $("btn-lock").textContent = this.locked ? "Unlock the room" : "Lock the room";
    $("btn-lock").setAttribute("aria-pressed", String(this.locked));
    renderSessionTools(this);
  }

  personRow(p) {
    const me = p.id === this.you.id;
    const row = el("li", { class: "person", "data-participant": p.id },
      el("span", { class: "name" }, `${p.display_name}${me ? " (you)" : ""} – ${ROLE_WORDS[p.role] || p.role}${p.via === "phone" ? ", on the phone" : ""}${p.consent === true ? ", agreed to recording" : ""}${this.leaderMuted(p.id, "audio") ? ", sound turned off for everyone" : ""}`));
    if (me) return row;
    const renameForm = el("form", { class: "row", hidden: true },
      el("label", { for: `rename-${p.id}`, class: "visually-hidden" }, `New name for ${p.display_name}`),
      el("input", { id: `rename-${p.id}`, value: p.display_name, maxlength: 60 }),
      el("button", { type: "submit" }, "Save name"));
    renameForm.addEventListener("submit", (e) => {
      e.preventDefault();
      this.act("participant.rename", { participant: p.id, display_name: renameForm.querySelector("input").value });
    });
    const ask = el("button", { type: "button", class: "secondary", onclick: () => this.act("participant.mute_request", { participant: p.id, kind: "audio" }, `Asked ${p.display_name} to mute.`) }, `Ask ${p.display_name} to mute`);
    // The lead clinician outranks co-leaders (the server refuses the rest): asking is all
    // anyone may do to the lead, and only the lead acts on a co-leader.
    if (p.role === "leader" || (p.role === "co_leader" && this.you.role !== "leader")) {
      row.append(ask);
      return row;
    }
    row.append(
      el("button", { type: "button", class: "secondary", onclick: () => { renameForm.hidden = !renameForm.hidden; } }, `Rename ${p.display_name}`),
      ask,
      el("button", { type: "button", class: "secondary", onclick: () => this.act("media.server_mute", { participant: p.id, kind: "audio", muted: !this.leaderMuted(p.id, "audio") }) },
        this.leaderMuted(p.id, "audio") ? `Let everyone hear ${p.display_name} again` : `Turn off ${p.display_name}'s sound for everyone`),
    );
    if (SPEAKS.has(p.role) && !LEADS.has(p.role)) {
      row.append(el("button", { type: "button", class: "secondary", onclick: () => this.act("screen.allow", { participant: p.id, allowed: !p.screen }) },
        p.screen ? `Stop letting ${p.display_name} share their screen` : `Let ${p.display_name} share their screen`));
    }
    if (!STAFF.has(p.role)) {
      const confirm = el("span", { class: "row", hidden: true },
        el("button", { type: "button", class: "danger", onclick: () => this.act("participant.remove", { participant: p.id }) }, `Yes, remove ${p.display_name}`),
        el("button", { type: "button", class: "secondary", onclick: () => { confirm.hidden = true; } }, "Cancel"));
      row.append(el("button", { type: "button", class: "danger", onclick: () => { confirm.hidden = false; } }, `Remove ${p.display_name}`), confirm);
    }
    row.append(renameForm);
    return row;
  }

  leaderMuted(id, kind) {
    return (this.serverMuted[id] || []).includes(kind);
  }

  fillClientSelects(clients) {
    const key = JSON.stringify(clients.map((p) => [p.id, p.display_name]));
    for (const select of document.querySelectorAll(".client-select")) {
      if (select.dataset.key === key) continue;
      select.dataset.key = key;
      const chosen = select.value;
      select.replaceChildren(...(clients.length
        ? clients.map((p) => el("option", { value: p.id }, p.display_name))
        : [el("option", { value: "" }, "No client is here yet")]));
      if (clients.some((p) => p.id === chosen)) select.value = chosen;
      select.form.querySelector("button").disabled = clients.length === 0;
    }
  }

  renderRolePlayForm(here) {
    const plays = this.script.role_plays;
    $("rp-empty").hidden = plays.length > 0;
    $("rp-form").hidden = plays.length === 0;
    const choice = $("rp-choice");
    if (choice.options.length !== plays.length) {
      choice.replaceChildren(...plays.map((rp) => el("option", { value: rp.id }, rp.title)));
    }
    const play = plays.find((rp) => rp.id === choice.value);
    const cast = $("rp-cast");
    const key = JSON.stringify([play?.id, here.map((p) => [p.id, p.display_name])]);
    if (cast.dataset.key === key) return;
    cast.dataset.key = key;
    const kept = Object.fromEntries([...cast.querySelectorAll("select")].map((s) => [s.dataset.role, s.value]));
    cast.replaceChildren(...(play ? play.roles : []).map((role, i) => {
      const select = el("select", { id: `rp-role-${i}`, "data-role": role.name },
        el("option", { value: "" }, "Nobody yet"),
        here.map((p) => el("option", { value: p.id }, p.display_name)));
      if (kept[role.name] && here.some((p) => p.id === kept[role.name])) select.value = kept[role.name];
      return el("div", {}, el("label", { for: `rp-role-${i}` }, `Who plays "${role.name}"?`), select);
    }));
  }

  /** One chat message, once, in log order (history from the snapshot and pushes overlap). */
  addChat(actor, text, seq) {
    const log = $("chat-log");
    if (log.querySelector(`li[data-seq="${seq}"]`)) return;
    const item = el("li", { "data-actor": actor, "data-seq": seq }, el("strong", {}, `${this.name(actor)}: `), text);
    const later = [...log.children].find((li) => Number(li.dataset.seq) > seq);
    log.insertBefore(item, later || null);
    log.scrollTop = log.scrollHeight;
  }

  /** Names in the chat follow renames and late-learned names (text changes are not re-announced). */
  renderChatNames() {
    for (const item of $("chat-log").querySelectorAll("li[data-actor]")) {
      const label = `${this.name(item.dataset.actor)}: `;
      const strong = item.querySelector("strong");
      if (strong.textContent !== label) strong.textContent = label;
    }
  }

  /**
   * A card for this person only, until they close it. A new card with the same `key`
   * takes the old one's place (notices do not pile up).
   */
  note(text, key) {
    if (key) this.dropNote(key);
    const textId = `note-${++this.notes}`;
    const card = el("div", { class: "notice note-card", "data-key": key || null },
      el("p", { role: "status", id: textId }, text),
      el("button", { type: "button", class: "secondary close", "aria-describedby": textId, onclick: () => {
        card.remove();
        $("room-title").focus();
      } }, "Close message"));
    $("private-notes").append(card);
  }

  /** Take away a card that no longer holds (e.g. "turn off your microphone" once it is off). */
  dropNote(key) {
    for (const card of $("private-notes").querySelectorAll(".note-card")) {
      if (card.dataset.key === key) card.remove();
    }
  }

  // -- commands -----------------------------------------------------------------------

  /** Send a command; on refusal say why in words. The UI changes only when events arrive. */
  async act(event, data, done, errorId = "room-error") {
    showError(errorId, "");
    const ack = await this.conn.call(event, data);
    if (!ack.ok) showError(errorId, errorText(ack.error));
    else if (done) announce(done);
    return ack;
  }

  bind() {
    $("slide-prev").addEventListener("click", () => this.showSlide((this.slide?.index ?? 1) - 1));
    $("slide-next").addEventListener("click", () => this.showSlide((this.slide?.index ?? -1) + 1));
    $("slide-go").addEventListener("click", () => this.showSlide(Number($("slide-jump").value)));
    $("roleplay-next").addEventListener("click", () => this.act("roleplay.step", { step: (this.rolePlay?.step ?? 0) + 1 }));
    $("roleplay-end").addEventListener("click", () => this.act("roleplay.end", {}));
    $("rp-choice").addEventListener("change", () => this.renderAll());
    $("rp-form").addEventListener("submit", (e) => { e.preventDefault(); this.startRolePlay(); });
    $("btn-hand").addEventListener("click", () => this.act(this.hands.includes(this.you.id) ? "hand.lower" : "hand.raise", {}));
    $("btn-mic").addEventListener("click", () => { this.mic = this.media.setMicrophone(!this.mic); this.afterOwnToggle("audio", this.mic); });
    $("btn-cam").addEventListener("click", () => { this.cam = this.media.setCamera(!this.cam); this.afterOwnToggle("video", this.cam); });
    $("audio-only").addEventListener("change", (e) => this.setAudioOnly(e.target.checked));
    $("btn-leave").addEventListener("click", async () => {
      const ack = await this.act("leave", {});
      if (ack.ok) this.leaveWith("left");
    });
    $("chat-form").addEventListener("submit", async (e) => {
      e.preventDefault();
      const input = $("chat-text");
      if (!input.value.trim()) return;
      const ack = await this.act("chat.send", { text: input.value }, null, "chat-error");
      if (ack.ok) input.value = "";
    });
    $("btn-lock").addEventListener("click", () => this.act("session.lock", { locked: !this.locked }));
    $("btn-end").addEventListener("click", () => { $("end-confirm").hidden = false; $("end-yes").focus(); });
    $("end-no").addEventListener("click", () => { $("end-confirm").hidden = true; });
    $("end-yes").addEventListener("click", async () => {
      const ack = await this.act("session.end", {});
      if (ack.ok) this.leaveWith("ended");
    });
  }

  /** The person turned their own microphone or camera on or off; once off, the leader's request to do so is done. */
  afterOwnToggle(kind, on) {
    if (!on) this.dropNote(`ask-${kind}`);
    this.renderMyControls();
  }

  /** "Audio only": the tick box and the weak-connection suggestion both come here. */
  setAudioOnly(on) {
    $("audio-only").checked = on;
    this.media.setAudioOnly(on);
  }

  showSlide(index) {
    return this.act("slide.show", { index });
  }

  startRolePlay() {
    const cast = {};
    for (const select of $("rp-cast").querySelectorAll("select")) {
      if (select.value) cast[select.dataset.role] = select.value;
    }
    return this.act("roleplay.start", { role_play_id: $("rp-choice").value, cast });
  }

  /** The session script (slide titles, role plays) for the leader's controls. */
  setScript(script) {
    this.script = script;
    this.renderAll();
  }
}

/**
 * A role-play part in the words people know: "the prescriber" for a role described as
 * "Plays the prescriber."; the script's "leader" is "the group leader"; else "the <name>".
 */
function partName(role) {
  const plays = PLAYS.exec(role.description || "");
  if (plays) return plays[1];
  return role.name === "leader" ? "the group leader" : `the ${role.name}`;
}

/** Rebuild a list only when what it shows changed (keeps focus and half-typed input). */
function renderList(container, items, build) {
  const key = JSON.stringify(items);
  if (container.dataset.key === key) return;
  container.dataset.key = key;
  container.replaceChildren(...items.map((item, i) => build(item, i)));
}

function slideTitle(slide) {
  return (slide.content && slide.content.title) || `Slide ${slide.index + 1}`;
}

function setToggle(button, label, on, offByLeader = false) {
  button.setAttribute("aria-pressed", String(on && !offByLeader));
  button.firstChild.textContent = `${label} `;
  button.querySelector(".state").textContent = offByLeader ? "off (the leader turned it off)" : on ? "on" : "off";
}
