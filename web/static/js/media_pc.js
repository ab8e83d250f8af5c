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

/**
 * Offer to publish one audio and one video track (sendonly), with complete ICE.
 * Returns the offer's SDP and the video sender (null without a camera).
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
  await pc.setLocalDescription(await pc.createOffer());
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
