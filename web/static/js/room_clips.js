// Recovery videos on the page: the clip shown large for everyone as "Video: <title>" (its
// picture and sound come through the media server as `clip~<id>`; audio-only people get
// the sound and the caption), and for leads a Clips panel (the session's videos, Play) and
// controls under the video (Pause / Go on, a position slider, Stop).
import { $, el, announce, api, showError, errorText } from "./dom.js";

const LEADS = new Set(["leader", "co_leader"]);

function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

export class RoomClips {
  constructor(room, headers = {}) {
    this.room = room;
    this.headers = headers;
    this.current = null; // {clip, title, duration, playing, position, at (ms)} or null
    this.list = [];
    this.loaded = false;
    this.tracks = new Map();
    $("clip-pause").addEventListener("click", () => {
      if (this.current) this.room.act(this.playing() ? "clip.pause" : "clip.resume", {});
    });
    $("clip-stop").addEventListener("click", () => this.room.act("clip.stop", {}));
    $("clip-seek").addEventListener("change", (e) => {
      this.room.act("clip.seek", { seconds: Number(e.target.value) });
    });
    $("clip-form").addEventListener("submit", (e) => { e.preventDefault(); this.upload(); });
    room.media.onClip((clip, tracks) => this.showTracks(clip, tracks));
    this.timer = window.setInterval(() => this.tick(), 1000);
  }

  get lead() {
    return LEADS.has(this.room.you?.role);
  }

  playing() {
    return Boolean(this.current?.playing) && this.position() < this.current.duration;
  }

  position() {
    const c = this.current;
    if (!c) return 0;
    const went = c.playing ? (Date.now() - c.at) / 1000 : 0;
    return Math.min(c.duration, c.position + went);
  }

  snapshot(state) {
    this.current = state.clip ? { ...state.clip, at: Date.now() } : null;
  }

  event(ev) {
    const d = ev.data;
    const c = this.current;
    if (ev.kind === "clip.started") {
      this.current = { clip: d.clip, title: d.title, duration: d.duration, playing: true, position: 0, at: Date.now() };
      announce(`Video: ${d.title}. It is playing.`);
    } else if (!c || c.clip !== d.clip) {
      return;
    } else if (ev.kind === "clip.paused") {
      Object.assign(c, { playing: false, position: d.position, at: Date.now() });
      announce("The video is paused.");
    } else if (ev.kind === "clip.resumed") {
      Object.assign(c, { playing: true, position: d.position, at: Date.now() });
      announce("The video goes on.");
    } else if (ev.kind === "clip.sought") {
      Object.assign(c, { position: d.position, at: Date.now() });
    } else if (ev.kind === "clip.stopped") {
      this.current = null;
      announce("The video has stopped.");
    }
  }

  entered(sessionId) {
    this.sessionId = sessionId;
    if (this.lead && !this.loaded) {
      this.loaded = true;
      this.load();
    }
  }

  path() {
    return `/api/sessions/${encodeURIComponent(this.sessionId)}/clips`;
  }

  async load() {
    const resp = await api("GET", this.path(), undefined, this.headers);
    if (resp.ok) this.list = resp.body.clips;
    else showError("clip-error", errorText(resp.body.error));
    this.render();
  }

  showTracks(clip, tracks) {
    this.tracks = tracks;
    const video = $("clip-video");
    if (tracks.size === 0) {
      video.srcObject = null;
    } else {
      video.srcObject = new MediaStream([...tracks.values()]);
      video.play().catch(() => {
        // The browser plays sound only after a touch on the page.
        announce("Click or tap anywhere on the page to hear the video.");
        document.addEventListener("click", () => video.play().catch(() => {}), { once: true });
      });
    }
    this.render();
  }

  tick() {
    if (this.current) this.renderPosition();
  }

  renderPosition() {
    const c = this.current;
    const seek = $("clip-seek");
    seek.max = String(Math.round(c.duration));
    if (document.activeElement !== seek) seek.value = String(Math.round(this.position()));
    $("clip-time").textContent = `${clock(this.position())} of ${clock(c.duration)}`;
    seek.setAttribute("aria-valuetext", `${clock(this.position())} of ${clock(c.duration)}`);
  }

  render() {
    const c = this.current;
    $("clip-stage").hidden = !c;
    $("clip-video").hidden = !c || !this.tracks.has("video");
    $("clip-caption").textContent = c ? `Video: ${c.title}` : "";
    $("clip-controls").hidden = !(c && this.lead);
    if (c) {
      const pause = $("clip-pause");
      pause.textContent = this.playing() ? "Pause the video" : "Play the video on";
      this.renderPosition();
    }
    if (!this.lead) return;
    const list = $("clip-list");
    const key = JSON.stringify(this.list);
    if (list.dataset.key === key) return;
    list.dataset.key = key;
    list.replaceChildren(
      ...this.list.map((clip) =>
        el("li", {},
          el("span", {}, `${clip.title} (${clock(clip.duration)}) `),
          el("button", { type: "button", onclick: () => this.room.act("clip.play", { clip: clip.id }, undefined, "clip-error") },
            `Play ${clip.title} for everyone`))),
    );
    $("clip-empty").hidden = this.list.length > 0;
  }

  /** Upload a WebM or MP4 video for this session; the server checks it before keeping it. */
  async upload() {
    const file = $("clip-file").files[0];
    showError("clip-error", "");
    if (!file) {
      showError("clip-error", "Choose a WebM or MP4 video first.");
      return;
    }
    const form = new FormData();
    form.append("title", $("clip-name").value);
    form.append("file", file);
    $("clip-progress").textContent = "Uploading the video…";
    let resp;
    try {
      resp = await fetch(this.path(), { method: "POST", body: form, headers: this.headers, credentials: "same-origin" });
    } catch {
      $("clip-progress").textContent = "";
      showError("clip-error", "We could not reach the server. Please check your internet connection.");
      return;
    }
    const body = await resp.json().catch(() => ({}));
    $("clip-progress").textContent = "";
    if (resp.status !== 201) {
      showError("clip-error", errorText(body.error));
      return;
    }
    this.list.push(body.clip);
    $("clip-progress").textContent = `Uploaded: ${body.clip.title}.`;
    $("clip-form").reset();
    this.render();
  }
}
