// The video area: one tile per other person, the leader first and large, your own picture
// small; every state in words.
//
// How it looks lives in imr.css (the page's CSP allows no style attributes): the container
// says how many other people it shows (`data-layout`), whether your own small picture is
// there (`with-self`), whether one tile is shown large (`has-big`) and whether a role play is
// on (`spotlight`, `data-players`); tiles carry `speaking`, `player`, `featured` (the group
// leader) and `big` (the one shown large) classes.
//
// Which tile is large: the one this person chose ("Show large", kept on this page only),
// else the one the lead clinician shows large for everyone (`video.spotlight`), else the
// group leader (not during a role play: then the players come first).
import { el, announce } from "./dom.js";

/** One <figure> per remote participant: a muted <video>, an <audio>, and a caption in words. */
export class Tiles {
  constructor(container, nameOf) {
    this.container = container;
    this.nameOf = nameOf;
    this.byId = new Map();
    this.self = null; // your own tile
    this.you = null; // your participant id, to find you in a role play
    this.speaker = null;
    this.featured = null; // the group leader, shown first and large (never yourself)
    this.interpreters = new Map(); // interpreters shown right after the leader -> words for the caption
    this.videoOff = false;
    this.playing = new Map(); // participant -> role names they play now, in the play's order
    this.leaderMuted = new Map(); // participant -> kinds the leader turned off on the server
    this.pinned = null; // the tile this person chose to see large (only on this page)
    this.spot = null; // the person the lead clinician shows large for everyone
    this.canSpot = false; // this page is the lead clinician's: tiles offer "Large for everyone"
    this.onSpot = () => {}; // (participant | null) -> asks the server to change the spotlight
    this.onLayout = () => {}; // after every layout (media_view.js re-measures the tiles)
  }

  /** Show the person's own camera first (muted: never play yourself back). */
  showSelf(stream, you) {
    if (you) this.you = you;
    if (!this.self) {
      const video = el("video", { "aria-label": "Your own video" });
      setPlayback(video, true);
      const name = el("span", { class: "who" }, "You");
      const role = el("span", { class: "tile-role" });
      const root = el("figure", { class: "tile self" },
        el("div", { class: "picture" }, video), el("figcaption", {}, name, " ", role));
      this.self = { root, video, role };
    }
    this.self.video.srcObject = stream;
    this.container.prepend(this.self.root);
    this.layout();
  }

  /** A remote track arrived for `participant`: show (video) or play (audio) it. */
  attach(participant, kind, track, onBlocked) {
    const tile = this.tile(participant);
    const media = kind === "video" ? tile.video : tile.audio;
    media.srcObject = new MediaStream([track]);
    media.play().catch((err) => { if (err.name === "NotAllowedError") onBlocked(media); });
    if (kind === "video") tile.hasVideo = true;
    this.render(participant);
  }

  /** A remote track went away; the tile goes when it has nothing left. */
  detach(participant, kind) {
    const tile = this.byId.get(participant);
    if (!tile) return;
    const media = kind === "video" ? tile.video : tile.audio;
    media.srcObject = null;
    if (kind === "video") tile.hasVideo = false;
    if (!tile.video.srcObject && !tile.audio.srcObject) this.remove(participant);
    else this.render(participant);
  }

  /** Drop the tiles of everyone not in `participants` (they left or stopped publishing). */
  keepOnly(participants) {
    for (const id of [...this.byId.keys()]) if (!participants.has(id)) this.remove(id);
  }

  setSpeaker(participant) {
    const before = this.speaker;
    this.speaker = participant;
    if (before) this.render(before);
    if (participant) this.render(participant);
  }

  setMuted(participant, kind, muted) {
    const tile = this.byId.get(participant);
    if (!tile) return;
    tile.muted[kind] = muted;
    this.render(participant);
  }

  /** Audio only: hide everyone's (frozen) pictures and say why. */
  setVideoOff(off) {
    this.videoOff = off;
    for (const id of this.byId.keys()) this.render(id);
  }

  /**
   * A role play's players come first and larger, with their role in the caption.
   * `playing`: [[participant, [role names]], ...] in the play's order; empty when none runs.
   */
  setSpotlight(playing) {
    const next = new Map(playing);
    if (JSON.stringify([...next]) === JSON.stringify([...this.playing])) return;
    this.playing = next;
    this.renderAll();
  }

  /** The group leader's participant id (null when they are not here, or it is you). */
  setFeatured(participant) {
    if (this.featured === participant) return;
    this.featured = participant;
    this.renderAll();
  }

  /** The person the lead clinician shows large for everyone (null: nobody), and whether this page may change it. */
  setSpot(participant, canSpot, onSpot) {
    if (onSpot) this.onSpot = onSpot;
    if (this.spot === participant && this.canSpot === canSpot) return;
    this.spot = participant;
    this.canSpot = canSpot;
    this.renderAll();
  }

  /** "Show large" on a tile: this person's own choice; pressed again, back to the usual. */
  pin(participant) {
    this.pinned = this.pinned === participant ? null : participant;
    this.renderAll();
    // The large tile is first: bring it into sight (the button pressed may have been far below).
    const big = this.bigOne();
    if (big) this.byId.get(big).root.scrollIntoView({ block: "nearest" });
    const name = this.nameOf(participant) || "Someone";
    announce(this.pinned ? `${name} is shown large for you.` : `${name} is no longer shown large for you.`);
  }

  spotButton(participant) {
    return el("button", { type: "button", class: "secondary tile-button", "aria-pressed": "false", hidden: true,
      onclick: () => this.onSpot(this.spot === participant ? null : participant) }, "Large for everyone");
  }

  /** Interpreters to show beside the leader: [[participant, caption words], ...]. */
  setInterpreters(pinned) {
    const next = new Map(pinned);
    if (JSON.stringify([...next]) === JSON.stringify([...this.interpreters])) return;
    this.interpreters = next;
    this.renderAll();
  }

  /** What the leader turned off on the server (from the live state): {participant: [kinds]}. */
  setLeaderMuted(muted) {
    const next = new Map(Object.entries(muted || {}));
    if (JSON.stringify([...next]) === JSON.stringify([...this.leaderMuted])) return;
    this.leaderMuted = next;
    this.renderAll();
  }

  /** Names may change (renames, late-learned names): relabel every tile. */
  renderAll() {
    for (const id of this.byId.keys()) this.render(id, false);
    this.layout();
  }

  clear() {
    for (const id of [...this.byId.keys()]) this.remove(id);
    this.container.replaceChildren();
    this.self = null;
    this.speaker = null;
    this.layout();
  }

  tile(participant) {
    let tile = this.byId.get(participant);
    if (tile) return tile;
    const video = el("video");
    setPlayback(video, true);
    const audio = el("audio");
    setPlayback(audio, false);
    const name = el("span", { class: "who" });
    const role = el("span", { class: "tile-role" });
    const state = el("span", { class: "tile-state" });
    const pin = el("button", { type: "button", class: "secondary tile-button", "aria-pressed": "false",
      onclick: () => this.pin(participant) }, "Show large");
    const spot = this.spotButton(participant);
    const root = el("figure", { class: "tile", "data-participant": participant },
      el("div", { class: "picture" }, video), audio,
      el("figcaption", {}, name, " ", role, " ", state, el("span", { class: "tile-buttons" }, pin, spot)));
    tile = { root, video, audio, name, role, state, pin, spot, hasVideo: false, muted: { audio: false, video: false } };
    this.byId.set(participant, tile);
    this.container.append(root);
    return tile;
  }

  render(participant, relayout = true) {
    const tile = this.byId.get(participant);
    if (!tile) return;
    const name = this.nameOf(participant) || "Someone";
    const speaking = this.speaker === participant;
    const byLeader = this.leaderMuted.get(participant) || [];
    const micOff = tile.muted.audio || byLeader.includes("audio");
    const camOff = tile.muted.video || byLeader.includes("video");
    const words = [];
    if (speaking) words.push("speaking");
    if (this.spot === participant) words.push("shown large for everyone");
    if (micOff) words.push("microphone off");
    if (camOff) words.push("camera off");
    else if (this.videoOff) words.push("video paused (audio only)");
    else if (!tile.hasVideo) words.push("no video");
    setText(tile.name, name);
    setText(tile.role, this.roleWords(participant));
    setText(tile.state, words.length ? `(${words.join(", ")})` : "");
    tile.video.setAttribute("aria-label", `Video of ${name}`);
    tile.pin.setAttribute("aria-label", `Show ${name} large`);
    tile.pin.setAttribute("aria-pressed", String(this.pinned === participant));
    tile.spot.setAttribute("aria-label", `Show ${name} large for everyone`);
    tile.spot.setAttribute("aria-pressed", String(this.spot === participant));
    tile.spot.hidden = !this.canSpot;
    tile.video.hidden = this.videoOff || !tile.hasVideo;
    tile.root.classList.toggle("speaking", speaking);
    tile.root.classList.toggle("player", this.playing.has(participant));
    tile.root.classList.toggle("featured", this.featured === participant);
    if (relayout) this.layout();
  }

  roleWords(participant) {
    const roles = this.playing.get(participant);
    if (roles) return `playing: ${roles.join(", ")}`;
    return this.interpreters.get(participant) || "";
  }

  /** The tile shown large: this person's choice, else the lead's spotlight, else the group leader. */
  bigOne() {
    if (this.pinned && this.byId.has(this.pinned)) return this.pinned;
    if (this.spot && this.spot !== this.you && this.byId.has(this.spot)) return this.spot;
    if (this.playing.size === 0 && this.featured && this.byId.has(this.featured)) return this.featured;
    return null;
  }

  /**
   * Order the tiles (the large one first; then a role play's players, in the play's order;
   * then interpreters; then the others as they came; you last, small) and tell the CSS how many there are.
   * Moves only what is out of place.
   */
  layout() {
    const big = this.bigOne();
    const tiles = [];
    for (const [id, tile] of this.byId) {
      tile.root.classList.toggle("big", id === big);
      tiles.push({ id, root: tile.root });
    }
    const others = tiles.length;
    if (this.self) {
      const playing = this.you !== null && this.playing.has(this.you);
      this.self.root.classList.toggle("player", playing);
      setText(this.self.role, playing ? this.roleWords(this.you) : "");
      tiles.push({ id: this.you, root: this.self.root });
    }
    const rank = [...this.playing.keys()];
    const first = tiles.filter((t) => t.id === big);
    const players = rank.flatMap((id) => tiles.filter((t) => t.id === id && t.id !== big));
    const interpreters = tiles.filter((t) => this.interpreters.has(t.id) && t.id !== big && !players.includes(t));
    const placed = [...first, ...players, ...interpreters];
    const order = [...placed, ...tiles.filter((t) => !placed.includes(t))].map((t) => t.root);
    order.forEach((root, i) => {
      if (this.container.children[i] !== root) {
        this.container.insertBefore(root, this.container.children[i] || null);
        resume(root);
      }
    });
    // Your own picture sits small in a corner once anyone else is shown (in a role play it
    // stays among the others, so the players alone come first and larger).
    const cast = rank.filter((id) => tiles.some((t) => t.id === id)).length;
    const small = Boolean(this.self) && others > 0 && cast === 0;
    this.container.classList.toggle("with-self", small);
    this.container.dataset.layout = layoutFor(small ? others : order.length);
    this.container.dataset.players = cast > 3 ? "many" : String(cast);
    this.container.classList.toggle("spotlight", cast > 0);
    this.container.classList.toggle("has-big", big !== null && others > 1);
    this.onLayout();
  }

  remove(participant) {
    const tile = this.byId.get(participant);
    if (!tile) return;
    tile.video.srcObject = null;
    tile.audio.srcObject = null;
    tile.root.remove();
    this.byId.delete(participant);
    if (this.speaker === participant) this.speaker = null;
    this.layout();
  }
}

/** Columns come from imr.css: 1 | 2 | 3-4 | 5-6 | 7-9 | more tiles. */
function layoutFor(count) {
  if (count <= 2) return String(count);
  if (count <= 4) return "4";
  if (count <= 6) return "6";
  if (count <= 9) return "9";
  return "many";
}

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

/** A moved tile keeps playing (browsers may pause media taken out of the page). */
function resume(root) {
  for (const media of root.querySelectorAll("video, audio")) {
    if (media.srcObject && media.paused) media.play().catch(() => {});
  }
}

function setPlayback(media, muted) {
  media.autoplay = true;
  media.muted = muted;
  if (media.tagName === "VIDEO") media.playsInline = true;
}
