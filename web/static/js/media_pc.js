// The SFU's two peer connections from the browser's side: complete ICE (no trickle), VP8 first.

// On a weak link TURN may be slow to answer: after this, send the candidates we have.
const GATHER_LIMIT_MS = 5000;

/** A connection with one transport for every m-line; no STUN/TURN unless the server gave some. */
export function newPeerConnection(iceServers) {
  return new RTCPeerConnection({ iceServers: iceServers || [], bundlePolicy: "max-bundle" });
}

/** Resolves once ICE gathering is complete (or after GATHER_LIMIT_MS). */
export function gathered(pc) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      window.clearTimeout(timer);
      pc.removeEventListener("icegatheringstatechange", check);
      resolve();
    };
    const check = () => { if (pc.iceGatheringState === "complete") done(); };
    const timer = window.setTimeout(done, GATHER_LIMIT_MS);
    pc.addEventListener("icegatheringstatechange", check);
  });
}

/** Put VP8 first: the SFU forwards without transcoding, and every browser and old phone decodes VP8. */
function preferVp8(transceiver) {
  if (!transceiver.setCodecPreferences || !RTCRtpReceiver.getCapabilities) return;
  const codecs = RTCRtpReceiver.getCapabilities("video")?.codecs || [];
  const vp8 = codecs.filter((c) => c.mimeType.toLowerCase() === "video/vp8");
  if (vp8.length === 0) return;
  try {
    transceiver.setCodecPreferences([...vp8, ...codecs.filter((c) => !vp8.includes(c))]);
  } catch {
    // An older browser refuses preferences on a sending transceiver: its own order then.
  }
}

// Simulcast (docs/sfu.md "Simulcast"): the camera goes out as three VP8 layers, 90, 180 and
// 360 lines tall, each capped. aiortc routes RTP by SSRC and drops `a=rid`, so the layers
// are declared the SSRC way: `a=ssrc-group:SIM low mid high` in the local offer (as janus.js
// does; Chromium still honours it), each with its own retransmission SSRC. Chromium sends
// three layers only from a picture of 960x540 or more (two from 640x360 or 640x480): hence
// the camera is asked for 960x540 and the top layer is scaled down to TOP_LINES.
export const TOP_LINES = 360;
export const LAYERS = [
  { down: 4, maxBitrate: 80_000 },
  { down: 2, maxBitrate: 250_000 },
  { down: 1, maxBitrate: 700_000 },
];
const THREE_LAYERS_FROM = 960 * 540; // pixels
// One layer (the top one) until this many people publish in the room, yourself included.
export const SIMULCAST_FROM = 3;

function newSsrc(taken) {
  let ssrc;
  do ssrc = 1 + Math.floor(Math.random() * 0xfffffffe); while (taken.has(ssrc));
  taken.add(ssrc);
  return ssrc;
}

/**
 * The offer with its video declared as LAYERS.length simulcast layers (SSRC form), low to
 * high; the browser's own SSRC is the lowest layer. Unchanged if it has no video SSRC.
 */
export function withSimulcast(sdp) {
  const eol = sdp.includes("\r\n") ? "\r\n" : "\n";
  const lines = sdp.split(eol);
  const at = lines.findIndex((l) => l.startsWith("m=video"));
  if (at < 0) return sdp;
  let end = lines.findIndex((l, i) => i > at && l.startsWith("m="));
  if (end < 0) end = lines.length;
  const section = lines.slice(at, end);
  if (section.some((l) => l.startsWith("a=ssrc-group:SIM"))) return sdp;
  const ssrcLine = /^a=ssrc:(\d+) (.*)$/;
  const attrs = new Map(); // ssrc -> its attribute lines ("cname:…", "msid:…")
  for (const l of section) {
    const m = ssrcLine.exec(l);
    if (m) attrs.set(m[1], [...(attrs.get(m[1]) || []), m[2]]);
  }
  if (attrs.size === 0) return sdp;
  const fid = section.find((l) => l.startsWith("a=ssrc-group:FID "));
  const [media, rtx] = fid ? fid.slice("a=ssrc-group:FID ".length).split(" ") : [attrs.keys().next().value, null];
  const own = attrs.get(media) || [];
  const taken = new Set([...attrs.keys()].map(Number));
  const layers = [{ media, rtx }];
  for (let i = 1; i < LAYERS.length; i += 1) {
    layers.push({ media: String(newSsrc(taken)), rtx: rtx ? String(newSsrc(taken)) : null });
  }
  const out = [`a=ssrc-group:SIM ${layers.map((l) => l.media).join(" ")}`];
  for (const l of layers) if (l.rtx) out.push(`a=ssrc-group:FID ${l.media} ${l.rtx}`);
  for (const l of layers) {
    for (const ssrc of [l.media, l.rtx].filter(Boolean)) {
      for (const attr of own) out.push(`a=ssrc:${ssrc} ${attr}`);
    }
  }
  const kept = section.filter((l) => !l.startsWith("a=ssrc:") && !l.startsWith("a=ssrc-group:"));
  while (kept.length > 1 && kept[kept.length - 1] === "") kept.pop();
  const tail = section.length > kept.length && section[section.length - 1] === "" ? [""] : [];
  return [...lines.slice(0, at), ...kept, ...out, ...tail, ...lines.slice(end)].join(eol);
}

/**
 * Give the simulcast layers their size and bitrate, and send only the top one when fewer
 * than SIMULCAST_FROM people publish (a 1:1 session needs no small copies) or the camera
 * gives less than 960x540. Layers in `unused` (0 = lowest; the SFU said nobody receives
 * them) are not encoded, unless that would leave none. Returns how many layers are on;
 * 0 if the browser shows no layers to set (it then sends what it chose).
 */
export async function setLayers(sender, people, unused = new Set()) {
  if (!sender?.getParameters) return 0;
  const params = sender.getParameters();
  if (!params.encodings || params.encodings.length !== LAYERS.length) return 0;
  const { width = 0, height = TOP_LINES } = sender.track?.getSettings?.() || {};
  const top = Math.max(1, height / TOP_LINES);
  // Below 960x540 Chromium would drop the top layer, not a low one: send the one full picture.
  const all = people >= SIMULCAST_FROM && width * height >= THREE_LAYERS_FROM;
  const wanted = LAYERS.map((_, i) => all || i === LAYERS.length - 1);
  const used = wanted.map((on, i) => on && !unused.has(i));
  const active = used.some(Boolean) ? used : wanted;
  params.encodings.forEach((encoding, i) => {
    encoding.scaleResolutionDownBy = top * LAYERS[i].down;
    encoding.maxBitrate = LAYERS[i].maxBitrate;
    encoding.active = active[i];
  });
  await sender.setParameters(params);
  return active.filter(Boolean).length;
}

/**
 * Offer to publish one audio and one video track (sendonly), with complete ICE; the video
 * as simulcast layers (see withSimulcast). Returns the offer's SDP and the video sender
 * (null without a camera).
 */
export async function publishingOffer(pc, stream) {
  let video = null;
  for (const kind of ["audio", "video"]) {
    const track = stream.getTracks().find((t) => t.kind === kind);
    if (!track) continue;
    const transceiver = pc.addTransceiver(track, { direction: "sendonly", streams: [stream] });
    if (kind === "video") {
      preferVp8(transceiver);
      video = transceiver.sender;
    }
  }
  const offer = await pc.createOffer();
  try {
    await pc.setLocalDescription(video ? { type: "offer", sdp: withSimulcast(offer.sdp) } : offer);
  } catch (err) {
    if (!video) throw err;
    console.warn("media: no simulcast here:", err); // a browser that refuses the SIM group: one layer
    await pc.setLocalDescription(offer);
  }
  await gathered(pc);
  return { sdp: pc.localDescription.sdp, video };
}

/**
 * Offer to publish a shared screen or window (one video track, sendonly) on its own
 * connection; the SFU forwards it as the participant `<id>~screen`. Returns the SDP.
 */
export async function screenOffer(pc, stream) {
  const track = stream.getVideoTracks()[0];
  if ("contentHint" in track) track.contentHint = "detail"; // text stays sharp, frames may drop
  preferVp8(pc.addTransceiver(track, { direction: "sendonly", streams: [stream] }));
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  return pc.localDescription.sdp;
}

/** Answer the SFU's subscribing offer, with complete ICE; returns the answer's SDP. */
export async function subscribingAnswer(pc, sdp) {
  await pc.setRemoteDescription({ type: "offer", sdp });
  await pc.setLocalDescription(await pc.createAnswer());
  await gathered(pc);
  return pc.localDescription.sdp;
}

/** Close a connection if there is one (closing twice is harmless). */
export function closeConnection(pc) {
  if (pc) pc.close();
}
