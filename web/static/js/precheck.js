// The pre-join check: camera preview, microphone level, a simple network test.

let meterStop = null;

/** Ask for camera and microphone; show the preview and a live level meter. */
export async function checkDevices(video, meter, status) {
  stopMeter();
  if (!navigator.mediaDevices?.getUserMedia) {
    status.textContent = "This browser cannot use a camera here. You can still join.";
    return null;
  }
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
  } catch {
    status.textContent = "We could not use your camera or microphone. Check that you allowed them, or join without them.";
    return null;
  }
  video.srcObject = stream;
  status.textContent = stream.getVideoTracks().length
    ? "Your camera works."
    : "We found no camera. You can still join with sound only.";
  if (stream.getAudioTracks().length) startMeter(stream, meter);
  return stream;
}

function startMeter(stream, meter) {
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
  }, 150);
  meterStop = () => { window.clearInterval(timer); ctx.close(); };
}

/** Stop the level meter (the stream itself is kept for the room). */
export function stopMeter() {
  if (meterStop) meterStop();
  meterStop = null;
}

/** Time a few small fetches and describe the connection in plain words. */
export async function checkNetwork() {
  const times = [];
  for (let i = 0; i < 3; i += 1) {
    const started = performance.now();
    try {
      const resp = await fetch(`/api/netcheck?n=${Date.now()}-${i}`, { cache: "no-store" });
      await resp.text();
      if (!resp.ok) throw new Error(String(resp.status));
    } catch {
      return "We could not reach the server. Check your internet connection, then try again.";
    }
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const ms = times[1];
  if (ms < 400) return "Your internet connection looks good.";
  if (ms < 1500) return "Your internet connection is slow. If the picture freezes, choose \"Audio only\" in the session.";
  return "Your internet connection is very slow. Sound only may work best: choose \"Audio only\" in the session.";
}
