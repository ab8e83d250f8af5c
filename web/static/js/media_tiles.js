// The video area: your own picture, then one tile per other person, every state in words.
import { el } from "./dom.js";

// Outlines are set through the CSSOM (allowed by the page's CSP, unlike style attributes).
const SPEAKING_OUTLINE = "4px solid #000";

/** One <figure> per remote participant: a muted <video>, an <audio>, and a caption in words. */
export class Tiles {
  constructor(container, nameOf) {
    this.container = container;
    this.nameOf = nameOf;
    this.byId = new Map();
    this.speaker = null;
    this.videoOff = false;
  }

  /** Show the person's own camera first (muted: never play yourself back). */
  showSelf(stream) {
    const video = el("video", { "aria-label": "You" });
    setPlayback(video, true);
    video.srcObject = stream;
    const self = el("figure", { class: "tile self" }, video, el("figcaption", {}, "You"));
    self.style.margin = "0";
    this.container.prepend(self);
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

  /** Names may change (renames, late-learned names): relabel every tile. */
  renderAll() {
    for (const id of this.byId.keys()) this.render(id);
  }

  clear() {
    for (const id of [...this.byId.keys()]) this.remove(id);
    this.container.replaceChildren();
    this.speaker = null;
  }

  tile(participant) {
    let tile = this.byId.get(participant);
    if (tile) return tile;
    const video = el("video");
    setPlayback(video, true);
    const audio = el("audio");
    setPlayback(audio, false);
    const name = el("span", { class: "who" });
    const state = el("span", { class: "tile-state" });
    const root = el("figure", { class: "tile", "data-participant": participant },
      video, audio, el("figcaption", {}, name, " ", state));
    root.style.margin = "0";
    tile = { root, video, audio, name, state, hasVideo: false, muted: { audio: false, video: false } };
    this.byId.set(participant, tile);
    this.container.append(root);
    return tile;
  }

  render(participant) {
    const tile = this.byId.get(participant);
    if (!tile) return;
    const name = this.nameOf(participant) || "Someone";
    const speaking = this.speaker === participant;
    const words = [];
    if (speaking) words.push("speaking");
    if (tile.muted.audio) words.push("microphone off");
    if (tile.muted.video) words.push("camera off");
    else if (this.videoOff) words.push("video paused (audio only)");
    else if (!tile.hasVideo) words.push("no video");
    if (tile.name.textContent !== name) tile.name.textContent = name;
    tile.state.textContent = words.length ? `(${words.join(", ")})` : "";
    tile.video.setAttribute("aria-label", `Video of ${name}`);
    tile.video.hidden = this.videoOff || !tile.hasVideo;
    tile.root.classList.toggle("speaking", speaking);
    tile.root.style.outline = speaking ? SPEAKING_OUTLINE : "";
  }

  remove(participant) {
    const tile = this.byId.get(participant);
    if (!tile) return;
    tile.video.srcObject = null;
    tile.audio.srcObject = null;
    tile.root.remove();
    this.byId.delete(participant);
    if (this.speaker === participant) this.speaker = null;
  }
}

function setPlayback(media, muted) {
  media.autoplay = true;
  media.muted = muted;
  if (media.tagName === "VIDEO") media.playsInline = true;
}
