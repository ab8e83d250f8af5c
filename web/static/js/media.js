// Media in the live room: publish camera and microphone to the SFU, show everyone else.
//
// The SFU's signalling runs over the live channel (`media` event, docs/events.md). The rest
// of the page uses only this interface:
//
//   const media = createMedia({ call, videos, note })
//     call(event, data) -> Promise<ack>   sends on the live channel (LiveConnection.call);
//       may instead come with start()
//     videos: element that holds the tiles; note: element for plain-words status
//   media.useStream(stream)      a getUserMedia stream from the pre-join check (or null)
//   await media.start({call, welcome, nameOf})  after admission: join the SFU, publish, subscribe
//     welcome: the join/admitted answer (its `ice_servers` and `you`); nameOf(id) -> display name
//   media.signal(name, data)     live-channel pushes; only `media` ones matter here
//   media.setMicrophone(on) / media.setCamera(on)  -> the state actually in effect
//   media.setAudioOnly(on)       stop video both ways on weak links
//   media.setSpotlight(playing)  a role play's players first and larger: [[participant, [roles]], ...]
//   media.setLeaderMuted(muted)  what the leader turned off on the server: {participant: [kinds]}
//   media.setFeatured(id)        the group leader's participant id: first and large (null: none)
//   media.setSpot(id, canSpot, onSpot)  who the lead clinician shows large for everyone (null:
//     nobody); canSpot: this page offers "Large for everyone", which calls onSpot(id | null)
//   media.setInterpreters(pinned)  interpreters beside the leader: [[participant, words], ...]
//   media.onQuality(listener)    listener({level, audioOnly}) now and whenever it changes; level:
//     checking | good | weak | reconnecting | off (media_quality.js)
//   media.shareScreen(stream)   publish a getDisplayMedia stream as your screen share (after the
//     server acknowledged `screen.start`); throws with `code` when refused
//   media.stopScreen()          stop publishing the share and release the screen
//   media.onScreen(listener)    listener(participant, track | null): a share arrived or went
//     (participant is the sharer's id; the SFU names the share `<id>~screen`)
//   media.onClip(listener)      listener(clip, tracks): the recovery video's tracks (a Map of
//     kind -> track; empty when it went). The SFU names a clip `clip~<id>`.
//   media.lost()                 the live channel dropped: say "Reconnecting…" until media flows
//   media.stop()                 leave, close both connections, release camera and microphone
//
// Two connections (docs/sfu.md): `pub` (we offer, sendonly) and `sub` (the SFU offers).
// The camera goes out as three simulcast layers once 3 or more people publish (media_pc.js),
// and the page tells the SFU how large it shows each tile (`view`, media_view.js).
import { closeConnection, newPeerConnection, publishingOffer, screenOffer, setLayers, subscribingAnswer } from "./media_pc.js";
import { LinkQuality, LinkSampler, SAMPLE_MS } from "./media_quality.js";
import { Tiles } from "./media_tiles.js";
import { ViewReporter } from "./media_view.js";

const WATCH_ONLY = new Set(["observer"]); // roles that receive media but never publish
const SCREEN = "~screen"; // the SFU's id of a screen share: `<sharer>~screen`
const CLIP = "clip~"; // the SFU's id of a recovery video: `clip~<clip id>`

const RETRY_FIRST_MS = 1000;
// ICE often recovers from a short glitch by itself; past this, join again.
const DISCONNECTED_GRACE_MS = 4000;
const RETRY_MAX_MS = 30000;
// Refusals that another try will not change (unknown_event: this server runs without media).
const FINAL = new Set(["unavailable", "forbidden", "removed", "unknown_event"]);
const NO_VIDEO = "Video with other people is not available right now. You can still follow along and chat.";
const WORDS = {
  unavailable: NO_VIDEO,
  unknown_event: NO_VIDEO,
  forbidden: "Your place in this session does not use video. You can still follow along and chat.",
  muted_by_leader: "The leader has turned off your microphone. Ask the leader if you want to speak.",
};
// 960x540: Chromium's smallest picture for three simulcast layers; the layers sent are at most
// 640x360 (media_pc.js TOP_LINES).
const CAMERA = { audio: true, video: { width: { ideal: 960 }, height: { ideal: 540 }, frameRate: { ideal: 15 } } };

class MediaRefused extends Error {
  constructor(error) {
    super(error?.message || "The video connection did not work.");
    this.code = error?.code || "failed";
  }
}

/** The room's media, behind the interface above. */
class RoomMedia {
  constructor({ call, videos, note }) {
    this.call = call || null;
    this.note = note;
    this.tiles = new Tiles(videos, (id) => this.nameOf(id));
    // Tile sizes to the SFU (simulcast layer per tile); only once joined, a refusal is harmless.
    this.views = new ViewReporter(this.tiles, (publisher, width, height) => {
      if (this.joined) this.send({ type: "view", publisher, width, height }).catch(() => {});
    });
    this.tiles.onLayout = () => this.views.update();
    this.publishers = 0; // other people whose media the SFU's latest offer carries
    this.layers = 0; // simulcast layers on (0: the browser showed none to set)
    this.unusedLayers = new Set(); // our simulcast layers the SFU said nobody receives
    this.nameOf = () => null;
    this.iceServers = [];
    this.you = null;
    this.stream = null;
    this.pub = null;
    this.sub = null;
    this.videoSender = null;
    this.mids = new Map(); // mid -> participant, from the SFU's latest offer
    this.joined = false;
    this.stopped = false;
    this.audioOnly = false;
    this.generation = 0; // bumped on every (re)connect and stop: late answers are dropped
    this.offers = Promise.resolve();
    this.retryMs = RETRY_FIRST_MS;
    this.retryTimer = null;
    this.listeners = [];
    this.quality = new LinkQuality(() => this.qualityChanged());
    this.sampler = new LinkSampler();
    this.sampleTimer = null;
    this.sampling = false;
    this.screenStream = null; // the screen this page shares (getDisplayMedia), if any
    this.screenPc = null;
    this.screenListeners = [];
    this.screenShown = null; // whose share this page shows
    this.clipListeners = [];
    this.clipShown = null; // the clip whose tracks this page has
    this.clipTracks = new Map(); // kind -> track of the shown clip
  }

  say(text) { this.note.textContent = text; }

  async start({ call, welcome, nameOf } = {}) {
    if (call) this.call = call;
    if (nameOf) this.nameOf = nameOf;
    this.iceServers = welcome?.ice_servers || [];
    this.you = welcome?.you?.id || null;
    this.tiles.you = this.you;
    this.stopped = false;
    // Observers watch and listen: their camera and microphone stay off (the server refuses them).
    this.watchOnly = WATCH_ONLY.has(welcome?.you?.role);
    if (this.watchOnly && this.stream) {
      this.stream.getTracks().forEach((t) => t.stop());
      this.stream = null;
    }
    if (!this.stream && !this.watchOnly && navigator.mediaDevices?.getUserMedia) {
      const stream = await navigator.mediaDevices.getUserMedia(CAMERA).catch(() => null);
      if (this.stopped) stream?.getTracks().forEach((t) => t.stop()); // gone while asking
      else this.stream = stream;
    }
    if (this.stopped) return;
    if (!this.sampleTimer) this.sampleTimer = window.setInterval(() => this.sampleQuality(), SAMPLE_MS);
    if (this.stream) this.tiles.showSelf(this.stream, this.you);
    else if (this.watchOnly) this.say("You are watching. Your camera and microphone stay off.");
    else this.say("Your camera and microphone are not available. You can still see and hear the others, follow along and chat.");
    await this.connect();
  }

  /** Join the SFU room and publish: first time, after `restart`, or after a dropped connection. */
  async connect() {
    const generation = ++this.generation;
    this.closeConnections();
    try {
      await this.send({ type: "join" });
      this.joined = true;
      if (this.stream) await this.publish(generation);
      if (this.screenStream) await this.republishScreen(generation);
      if (generation !== this.generation) return;
      this.reapply();
      this.views.reset();
      this.sampler.reset();
      this.quality.connected();
      this.retryMs = RETRY_FIRST_MS;
      if (this.stream) this.say("");
      else if (this.watchOnly) this.say("You are watching. Your camera and microphone stay off.");
    } catch (err) {
      if (generation === this.generation) this.failed(err);
    }
  }

  async publish(generation) {
    const pc = this.pub = this.watched(newPeerConnection(this.iceServers));
    const offer = await publishingOffer(pc, this.stream);
    this.videoSender = offer.video;
    if (this.audioOnly) await this.sendOwnVideo(false);
    if (generation !== this.generation) return;
    const reply = await this.send({ type: "publish", sdp: offer.sdp });
    if (generation !== this.generation) return;
    await pc.setRemoteDescription({ type: "answer", sdp: reply.sdp });
    await this.applyLayers();
  }

  /** Simulcast in groups (media_pc.js SIMULCAST_FROM), one layer in a 1:1 session. */
  async applyLayers() {
    const sender = this.videoSender;
    if (!sender || this.pub?.signalingState !== "stable") return;
    try {
      this.layers = await setLayers(sender, this.publishers + 1, this.unusedLayers);
    } catch (err) {
      console.warn("media: layers not set:", err); // the browser keeps sending what it chose
    }
  }

  async publishScreen(generation) {
    closeConnection(this.screenPc);
    const pc = this.screenPc = newPeerConnection(this.iceServers);
    const sdp = await screenOffer(pc, this.screenStream);
    if (generation !== this.generation) return;
    const reply = await this.send({ type: "publish", source: "screen", sdp });
    if (generation === this.generation) await pc.setRemoteDescription({ type: "answer", sdp: reply.sdp });
  }

  /** After a reconnect the SFU has no share of ours: send it again, or end it here if refused. */
  async republishScreen(generation) {
    try {
      await this.publishScreen(generation);
    } catch (err) {
      if (!(err instanceof MediaRefused)) throw err;
      this.stopScreen(); // the share was stopped meanwhile
    }
  }

  async shareScreen(stream) {
    this.stopScreen(); // never two screens captured at once
    this.screenStream = stream;
    try {
      await this.publishScreen(this.generation);
    } catch (err) {
      this.stopScreen();
      throw err;
    }
  }

  stopScreen() {
    closeConnection(this.screenPc);
    this.screenPc = null;
    if (this.screenStream) this.screenStream.getTracks().forEach((t) => t.stop());
    this.screenStream = null;
  }

  /** A clip track arrived (track) or went (null; kind null: all of it). */
  clipChanged(participant, kind, track) {
    if (track) {
      if (this.clipShown !== participant) this.clipTracks = new Map();
      this.clipShown = participant;
      this.clipTracks.set(kind, track);
    } else if (this.clipShown === participant) {
      if (kind) this.clipTracks.delete(kind);
      else this.clipTracks.clear();
      if (this.clipTracks.size === 0) this.clipShown = null;
    } else {
      return;
    }
    const clip = this.clipShown ? this.clipShown.slice(CLIP.length) : participant.slice(CLIP.length);
    for (const listener of this.clipListeners) listener(clip, new Map(this.clipTracks));
  }

  screenChanged(participant, track) {
    this.screenShown = track ? participant : null;
    for (const listener of this.screenListeners) listener(participant, track);
  }

  /** A fresh SFU participant knows nothing of our choices: say them again. */
  reapply() {
    if (this.audioOnly) this.tell({ type: "audio_only", on: true });
    for (const kind of ["audio", "video"]) {
      const off = this.localTracks(kind).some((t) => !t.enabled) || (kind === "video" && this.audioOnly);
      if (off) this.tell({ type: "mute", kind, muted: true });
    }
  }

  /** Say what went wrong in words, and try again later unless trying cannot help. */
  failed(err) {
    if (this.stopped) return;
    const refused = err instanceof MediaRefused;
    if (!refused) console.warn("media:", err); // a browser error: its words are for developers
    const code = refused ? err.code : "failed";
    this.say(WORDS[code] || `${refused ? err.message : "The video connection did not work."} Trying again…`);
    if (FINAL.has(code)) this.quality.set("off");
    else {
      this.quality.lost();
      this.retryLater();
    }
  }

  retryLater() {
    if (this.retryTimer || this.stopped) return;
    this.retryTimer = window.setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
  }

  /**
   * A connection that fails, or stays disconnected past a short grace, is rebuilt. That is
   * also how media comes back after the live channel dropped: the server then closed our
   * SFU connections, which the browser only notices as silence.
   */
  watched(pc) {
    const current = () => pc === this.pub || pc === this.sub;
    const lost = () => {
      if (!current() || pc.connectionState === "connected") return;
      this.say("The video connection dropped. Reconnecting…");
      this.quality.lost();
      this.retryLater();
    };
    pc.addEventListener("connectionstatechange", () => {
      if (pc.connectionState === "failed") lost();
      else if (pc.connectionState === "disconnected") window.setTimeout(lost, DISCONNECTED_GRACE_MS);
    });
    return pc;
  }

  async send(message) {
    if (!this.call) throw new MediaRefused({ code: "unavailable" });
    const ack = await this.call("media", message);
    if (!ack.ok) throw new MediaRefused(ack.error);
    return ack;
  }

  /** Fire-and-forget messages (mute, audio only): a refusal is said in words. */
  tell(message) {
    if (!this.joined) return;
    this.send(message).catch((err) => this.say(WORDS[err.code] || err.message));
  }

  /** Send our camera again, or stop sending it: a browser error only means the setting did not take. */
  sendOwnVideo(on) {
    if (!this.videoSender) return Promise.resolve();
    const track = on ? this.localTracks("video")[0] || null : null;
    return this.videoSender.replaceTrack(track).catch((err) => {
      console.warn("media:", err);
      this.say("Your camera could not be switched. Please try again.");
    });
  }

  // -- pushes from the SFU --------------------------------------------------------------

  signal(name, data) {
    if (name !== "media" || !data || this.stopped) return;
    const handler = {
      offer: () => {
        const generation = this.generation; // an offer from before a restart or stop is stale
        this.offers = this.offers.then(() => this.answer(data, generation));
      },
      track_removed: () => {
        if (data.participant.startsWith(CLIP)) this.clipChanged(data.participant, data.kind, null);
        else if (data.participant.endsWith(SCREEN)) this.screenChanged(data.participant.slice(0, -SCREEN.length), null);
        else this.tiles.detach(data.participant, data.kind);
      },
      speaker: () => this.tiles.setSpeaker(data.participant),
      // Our own mute by the leader is told by the room (the logged media.muted event).
      muted: () => { if (data.participant !== this.you) this.tiles.setMuted(data.participant, data.kind, data.muted); },
      restart: () => this.connect(),
      link_quality: () => this.quality.sfu(data),
      // The SFU stopped (or restarted) our incoming video by itself on a too weak link: say so.
      media: () => { if (typeof data.text === "string") this.say(data.text); },
      // Nobody receives these layers of our camera now: stop encoding them (back when asked).
      layers: () => {
        this.unusedLayers = new Set(Array.isArray(data.paused) ? data.paused : []);
        this.applyLayers();
      },
      removed: () => this.stop(),
    }[data.type];
    if (handler) handler();
    this.tiles.renderAll();
  }

  async answer(offer, generation) {
    if (generation !== this.generation) return;
    try {
      if (this.sub && offer.sdp === this.lastOffer && this.sub.signalingState === "stable") {
        // The server sent its offer again: our answer was late or lost. Same answer again.
        await this.send({ type: "answer", sdp: this.lastAnswer });
        return;
      }
      this.lastOffer = offer.sdp;
      if (offer.new_pc || !this.sub) {
        closeConnection(this.sub);
        this.sub = this.watched(newPeerConnection(this.iceServers));
        this.sub.addEventListener("track", (e) => this.received(e));
      }
      this.mids = new Map(offer.tracks.map((t) => [t.mid, t.participant]));
      const sdp = await subscribingAnswer(this.sub, offer.sdp);
      if (generation !== this.generation) return;
      this.lastAnswer = sdp;
      await this.send({ type: "answer", sdp });
      const publishers = new Set(offer.tracks.map((t) => t.participant));
      this.tiles.keepOnly(publishers);
      const people = [...publishers].filter((id) => !id.endsWith(SCREEN) && id !== this.you).length;
      if (people !== this.publishers) {
        this.publishers = people;
        await this.applyLayers();
      }
      if (this.screenShown && !publishers.has(this.screenShown + SCREEN)) this.screenChanged(null, null);
      if (this.clipShown && !publishers.has(this.clipShown)) this.clipChanged(this.clipShown, null, null);
    } catch (err) {
      if (generation === this.generation) this.failed(err);
    }
  }

  received({ transceiver, track }) {
    const participant = this.mids.get(transceiver.mid);
    if (!participant) return;
    if (participant.startsWith(CLIP)) {
      this.clipChanged(participant, track.kind, track);
      return;
    }
    if (participant.endsWith(SCREEN)) {
      this.screenChanged(participant.slice(0, -SCREEN.length), track);
      return;
    }
    this.tiles.attach(participant, track.kind, track, () => this.soundBlocked());
  }

  /** The browser will not play sound before the person touches the page: ask them to. */
  soundBlocked() {
    this.say("Click or tap anywhere on the page to hear the others.");
    document.addEventListener("click", () => {
      for (const audio of this.tiles.container.querySelectorAll("audio")) audio.play().catch(() => {});
      this.say("");
    }, { once: true });
  }

  // -- connection quality ---------------------------------------------------------------

  async sampleQuality() {
    if (this.stopped || this.sampling) return;
    this.sampling = true;
    try {
      this.quality.sample(await this.sampler.measure(this.sub, this.pub));
    } catch (err) {
      console.warn("media stats:", err); // a sample missed; the next one will do
    } finally {
      this.sampling = false;
    }
  }

  onQuality(listener) {
    this.listeners.push(listener);
    listener(this.qualityState());
  }

  qualityState() { return { level: this.quality.level, audioOnly: this.audioOnly }; }

  qualityChanged() {
    const state = this.qualityState();
    for (const listener of this.listeners) listener(state);
  }

  // -- controls -------------------------------------------------------------------------

  localTracks(kind) {
    return this.stream ? this.stream.getTracks().filter((t) => t.kind === kind) : [];
  }

  setEnabled(kind, on) {
    const found = this.localTracks(kind);
    found.forEach((t) => { t.enabled = on; });
    if (found.length === 0) return false;
    this.tell({ type: "mute", kind, muted: !on });
    return on;
  }

  /** Audio only: the SFU stops sending us video, and we stop sending ours (not just black frames). */
  setAudioOnly(on) {
    this.audioOnly = on;
    this.tiles.setVideoOff(on);
    this.tell({ type: "audio_only", on });
    this.sendOwnVideo(!on);
    const camera = this.localTracks("video");
    if (camera.length) this.tell({ type: "mute", kind: "video", muted: on || !camera[0].enabled });
    this.say(on ? "Audio only: video is off both ways to save your connection." : "");
    this.qualityChanged();
  }

  closeConnections() {
    closeConnection(this.pub);
    closeConnection(this.sub);
    this.pub = this.sub = this.videoSender = null;
    this.unusedLayers = new Set(); // the next SFU connection tells its own
    this.publishers = 0;
    this.mids = new Map();
    this.tiles.keepOnly(new Set());
    this.screenChanged(null, null);
    if (this.clipShown) this.clipChanged(this.clipShown, null, null);
  }

  stop() {
    if (this.joined) this.send({ type: "leave" }).catch(() => {}); // the server also closes it when we go
    this.stopped = true;
    this.joined = false;
    this.generation += 1;
    window.clearTimeout(this.retryTimer);
    window.clearInterval(this.sampleTimer);
    this.retryTimer = this.sampleTimer = null;
    this.closeConnections();
    this.stopScreen();
    this.views.stop();
    if (this.stream) this.stream.getTracks().forEach((t) => t.stop());
    this.stream = null;
    this.tiles.clear();
  }
}

/** The room's media (see the interface at the top of this file). */
export function createMedia(options) {
  const media = new RoomMedia(options);
  return {
    useStream(given) { media.stream = given; },
    start: (opts) => media.start(opts),
    signal: (name, data) => media.signal(name, data),
    setMicrophone: (on) => media.setEnabled("audio", on),
    setCamera: (on) => media.setEnabled("video", on && !media.audioOnly),
    setAudioOnly: (on) => media.setAudioOnly(on),
    setSpotlight: (playing) => media.tiles.setSpotlight(playing),
    setLeaderMuted: (muted) => media.tiles.setLeaderMuted(muted),
    setFeatured: (participant) => media.tiles.setFeatured(participant),
    setSpot: (participant, canSpot, onSpot) => media.tiles.setSpot(participant, canSpot, onSpot),
    setInterpreters: (pinned) => media.tiles.setInterpreters(pinned),
    onQuality: (listener) => media.onQuality(listener),
    shareScreen: (stream) => media.shareScreen(stream),
    stopScreen: () => media.stopScreen(),
    onScreen: (listener) => media.screenListeners.push(listener),
    onClip: (listener) => media.clipListeners.push(listener),
    lost: () => { if (media.joined && !media.stopped) media.quality.lost(); },
    stop: () => media.stop(),
  };
}
