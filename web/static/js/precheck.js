// The pre-join check: camera preview, microphone level, a network test (delay and speed).

let meterStop = null;

/** Ask for camera and microphone; show the preview, a live level meter, and say what works. */
export async function checkDevices(video, meter, status, micWords) {
  stopMeter();
  if (!navigator.mediaDevices?.getUserMedia) {
    status.textContent = "This browser cannot use a camera here. You can still join.";
    micWords.textContent = "";
    return null;
  }
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: { ideal: 960 }, height: { ideal: 540 }, frameRate: { ideal: 15 } } });
  } catch {
    status.textContent = "We could not use your camera or microphone. Check that you allowed them, or join without them.";
    micWords.textContent = "";
    return null;
  }
  video.srcObject = stream;
  status.textContent = stream.getVideoTracks().length
    ? "Your camera works."
    : "We found no camera. You can still join with sound only.";
  if (stream.getAudioTracks().length) startMeter(stream, meter, micWords);
  else micWords.textContent = "We found no microphone. You can still join and use the chat.";
  return stream;
}

function startMeter(stream, meter, micWords) {
  micWords.textContent = "Say something, so we can check your microphone.";
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!Ctx) return;
  const ctx = new Ctx();
  const analyser = ctx.createAnalyser();
  analyser.fftSize = 512;
  ctx.createMediaStreamSource(stream).connect(analyser);
  const samples = new Uint8Array(analyser.fftSize);
  const timer = window.setInterval(() => {
    analyser.getByteTimeDomainData(samples);
    let peak = 0;
    for (const s of samples) peak = Math.max(peak, Math.abs(s - 128) / 128);
    meter.value = peak;
    meter.textContent = peak > 0.05 ? "sound heard" : "no sound";
    if (peak > 0.05) micWords.textContent = "We can hear you. Your microphone works.";
  }, 150);
  meterStop = () => { window.clearInterval(timer); ctx.close(); };
}

/** Stop the level meter (the stream itself is kept for the room). */
export function stopMeter() {
  if (meterStop) meterStop();
  meterStop = null;
}

const LARGE_BYTES = 200 * 1024;
const WEAK_KBIT = 300;
// Waiting longer than this for the large download already means under WEAK_KBIT;
// stopping there keeps the check short on the weakest links.
const LARGE_LIMIT_MS = (LARGE_BYTES * 8) / WEAK_KBIT + 200;
const AUDIO_ONLY = "choose \"Audio only\" in the session: you will still hear everyone, and they will hear you.";

/** Fetch one uncacheable check payload; its time in ms, or null if it failed or ran out of time.
 * The join link's token goes in a header (the server serves checks only to link holders and staff). */
async function timedFetch(path, limitMs, token) {
  const abort = new AbortController();
  const timer = window.setTimeout(() => abort.abort(), limitMs);
  const started = performance.now();
  try {
    const headers = token ? { "X-Join-Token": token } : {};
    const resp = await fetch(`${path}?n=${Date.now()}-${Math.random()}`, { cache: "no-store", signal: abort.signal, headers });
    await resp.text();
    if (!resp.ok) throw new Error(String(resp.status));
    return performance.now() - started;
  } catch {
    return abort.signal.aborted ? Infinity : null;
  } finally {
    window.clearTimeout(timer);
  }
}

/** Measure latency (three small fetches) and throughput (one ~200 KB fetch). */
export async function measureNetwork(token) {
  const times = [];
  for (let i = 0; i < 3; i += 1) {
    const ms = await timedFetch("/api/netcheck", 10_000, token);
    if (ms === null) return null;
    times.push(ms);
  }
  times.sort((a, b) => a - b);
  const latencyMs = times[1];
  if (!Number.isFinite(latencyMs)) return { latencyMs, kbit: 0 };
  const largeMs = await timedFetch("/api/netcheck/large", LARGE_LIMIT_MS + latencyMs, token);
  if (largeMs === null) return null;
  // The time beyond one round trip is the transfer itself.
  const transferMs = Math.max(largeMs - latencyMs, 1);
  return { latencyMs, kbit: Number.isFinite(largeMs) ? (LARGE_BYTES * 8) / transferMs : 0 };
}

/** Describe the connection in plain words, advising "Audio only" when it is weak. */
export async function checkNetwork(token) {
  const found = await measureNetwork(token);
  if (!found) return "We could not reach the server. Check your internet connection, then try again.";
  const { latencyMs, kbit } = found;
  if (kbit < WEAK_KBIT || latencyMs >= 1500) {
    return `Your internet connection is weak, so video may freeze. We suggest sound only: ${AUDIO_ONLY}`;
  }
  if (kbit < 1000 || latencyMs >= 400) {
    return `Your internet connection is slow. If the picture freezes, ${AUDIO_ONLY}`;
  }
  return "Your internet connection looks good.";
}
