// How good the media connection is, in one word: checking, good, weak or reconnecting.
//
// Two sources (docs/web.md, "Connection quality"):
//   - the SFU's `link_quality` events (docs/sfu.md, "Weak links"): the loss this browser's
//     receiver reports on the video it gets, as the SFU sees it;
//   - this browser's own getStats() on both connections every few seconds: the share of
//     inbound video (and sound) packets lost, the round-trip time, and the frames per second
//     of video that is arriving; on the publishing side the loss the SFU reports back.
// With hysteresis, so the words do not flicker: weak at once when the SFU says so or after
// two bad samples in a row; good again only after three good samples in a row (and the SFU
// no longer saying weak).

export const SAMPLE_MS = 3000;
const WEAK_AFTER = 2;
const GOOD_AFTER = 3;
const MAX_LOSS = 0.08; // more lost than this (of at least MIN_PACKETS) is a bad sample
const MAX_SOUND_LOSS = 0.1;
const MAX_RTT_S = 0.7;
const MIN_FPS = 4; // video arriving but shown at fewer frames per second: it freezes
const MIN_PACKETS = 20;

/** The hysteresis: fed SFU events and samples, it says the level when it changes. */
export class LinkQuality {
  constructor(onChange) {
    this.onChange = onChange;
    this.level = "checking";
    this.sfuWeak = false;
    this.bad = 0; // bad samples in a row
    this.good = 0; // good samples in a row
  }

  set(level) {
    if (level === this.level) return;
    this.level = level;
    this.onChange(level);
  }

  /** The SFU's `link_quality` event. */
  sfu({ weak }) {
    this.sfuWeak = Boolean(weak);
    if (this.level === "reconnecting") return;
    if (this.sfuWeak) this.set("weak");
    else this.good = 0; // the SFU's own check has no hysteresis: wait for good samples
  }

  /** One getStats sample: {bad, flowing} (null when nothing could be measured). */
  sample(result) {
    if (!result) return;
    if (this.level === "reconnecting" && !result.flowing) return;
    if (result.bad) { this.bad += 1; this.good = 0; } else { this.good += 1; this.bad = 0; }
    const fresh = this.level === "checking" || this.level === "reconnecting";
    if (this.sfuWeak || this.bad >= WEAK_AFTER) this.set("weak");
    else if (this.good >= (fresh ? 1 : GOOD_AFTER)) this.set("good");
    else if (this.level === "reconnecting") this.set("checking"); // media flows again
  }

  /** The connection dropped: say so until media flows again. */
  lost() {
    this.bad = this.good = 0;
    this.sfuWeak = false;
    this.set("reconnecting");
  }

  /** Joined and published again: measure afresh. */
  connected() {
    this.bad = this.good = 0;
    this.sfuWeak = false;
    this.set("checking");
  }
}

/** Counters of one connection's stats report that the next sample is compared with. */
function read(report) {
  const out = { video: { lost: 0, got: 0, fps: null }, audio: { lost: 0, got: 0 }, rtt: null, upLoss: null, sent: 0 };
  const rtts = [];
  report?.forEach((s) => {
    if (s.type === "inbound-rtp" && (s.kind === "video" || s.kind === "audio")) {
      const into = out[s.kind];
      into.lost += Math.max(0, s.packetsLost || 0);
      into.got += s.packetsReceived || 0;
      if (s.kind === "video" && typeof s.framesPerSecond === "number") {
        into.fps = into.fps === null ? s.framesPerSecond : Math.min(into.fps, s.framesPerSecond);
      }
    } else if (s.type === "candidate-pair" && s.nominated && s.state === "succeeded") {
      if (typeof s.currentRoundTripTime === "number") rtts.push(s.currentRoundTripTime);
    } else if (s.type === "remote-inbound-rtp" && s.kind === "video" && typeof s.fractionLost === "number") {
      out.upLoss = Math.max(out.upLoss || 0, s.fractionLost);
    } else if (s.type === "outbound-rtp") {
      out.sent += s.packetsSent || 0;
    }
  });
  if (rtts.length) out.rtt = Math.max(...rtts);
  return out;
}

function lossBetween(before, after) {
  const got = after.got - before.got;
  const lost = Math.max(0, after.lost - before.lost);
  return got + lost >= MIN_PACKETS ? lost / (got + lost) : 0;
}

/**
 * Measures both connections every SAMPLE_MS; `measure()` returns {bad, flowing, ...}
 * compared with the previous call (null the first time or without connections).
 */
export class LinkSampler {
  constructor() {
    this.previous = null;
  }

  reset() { this.previous = null; }

  async measure(sub, pub) {
    const open = (pc) => pc && pc.connectionState === "connected";
    if (!open(sub) && !open(pub)) { this.previous = null; return null; }
    const [down, up] = await Promise.all([open(sub) ? sub.getStats() : null, open(pub) ? pub.getStats() : null]);
    const now = { down: read(down), up: read(up) };
    const before = this.previous;
    this.previous = now;
    if (!before) return null;
    const videoLoss = lossBetween(before.down.video, now.down.video);
    const soundLoss = lossBetween(before.down.audio, now.down.audio);
    const videoArriving = now.down.video.got > before.down.video.got;
    const fps = videoArriving ? now.down.video.fps : null;
    const rtt = Math.max(now.down.rtt ?? 0, now.up.rtt ?? 0);
    const upLoss = now.up.upLoss ?? 0;
    const flowing = videoArriving || now.down.audio.got > before.down.audio.got || now.up.sent > before.up.sent;
    const bad = videoLoss > MAX_LOSS || soundLoss > MAX_SOUND_LOSS || rtt > MAX_RTT_S
      || upLoss > MAX_LOSS || (fps !== null && fps < MIN_FPS);
    return { bad, flowing, videoLoss, soundLoss, rtt, upLoss, fps };
  }
}
