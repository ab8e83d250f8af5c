// The video area: your own picture, then one tile per other person, every state in words.
//
// How it looks lives in imr.css (the page's CSP allows no style attributes): the container
// says how many tiles it holds (`data-layout`) and whether a role play is on (`spotlight`,
// `data-players`); tiles carry `speaking` and `player` classes.
import { el } from "./dom.js";

/** One <figure> per remote participant: a muted <video>, an <audio>, and a caption in words. */
export class Tiles {
  constructor(container, nameOf) {
    this.container = container;
    this.nameOf = nameOf;
    this.byId = new Map();
    this.self = null; // your own tile
    this.you = null; // your participant id, to find you in a role play
    this.speaker = null;
    this.videoOff = false;
    this.playing = new Map(); // participant -> role names they play now, in the play's order
    this.leaderMuted = new Map(); // participant -> kinds the leader turned off on the server
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
    const root = el("figure", { class: "tile", "data-participant": participant },
      el("div", { class: "picture" }, video), audio, el("figcaption", {}, name, " ", role, " ", state));
    tile = { root, video, audio, name, role, state, hasVideo: false, muted: { audio: false, video: false } };
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
    if (micOff) words.push("microphone off");
    if (camOff) words.push("camera off");
    else if (this.videoOff) words.push("video paused (audio only)");
    else if (!tile.hasVideo) words.push("no video");
    setText(tile.name, name);
    setText(tile.role, this.roleWords(participant));
    setText(tile.state, words.length ? `(${words.join(", ")})` : "");
    tile.video.setAttribute("aria-label", `Video of ${name}`);
    tile.video.hidden = this.videoOff || !tile.hasVideo;
    tile.root.classList.toggle("speaking", speaking);
    tile.root.classList.toggle("player", this.playing.has(participant));
    if (relayout) this.layout();
  }

  roleWords(participant) {
    const roles = this.playing.get(participant);
    return roles ? `playing: ${roles.join(", ")}` : "";
  }

  /**
   * Order the tiles (players first, in the play's order; then you; then the others as they
   * came) and tell the CSS how many there are. Moves only what is out of place.
   */
  layout() {
    const tiles = [];
    if (this.self) {
      const playing = this.you !== null && this.playing.has(this.you);
      this.self.root.classList.toggle("player", playing);
      setText(this.self.role, playing ? this.roleWords(this.you) : "");
      tiles.push({ id: this.you, root: this.self.root });
    }
    for (const [id, tile] of this.byId) tiles.push({ id, root: tile.root });
    const rank = [...this.playing.keys()];
    const players = rank.flatMap((id) => tiles.filter((t) => t.id === id));
    const order = [...players, ...tiles.filter((t) => !players.includes(t))].map((t) => t.root);
    order.forEach((root, i) => {
      if (this.container.children[i] !== root) {
        this.container.insertBefore(root, this.container.children[i] || null);
        resume(root);
      }
    });
    this.container.dataset.layout = layoutFor(order.length);
    this.container.dataset.players = players.length > 3 ? "many" : String(players.length);
    this.container.classList.toggle("spotlight", players.length > 0);
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
