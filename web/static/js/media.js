// Media in the live room. Today: local camera and microphone only.
//
// The SFU's signalling runs over the live channel; wiring it in means filling in
// start(), signal() and stop() below. The rest of the page uses only this interface:
//
//   const media = createMedia({ call, videos, note })
//     call(event, data) -> Promise<ack>   sends on the live channel (LiveConnection.call)
//     videos: element that holds <video> tiles; note: element for plain-words status
//   media.useStream(stream)      a getUserMedia stream from the pre-join check (or null)
//   await media.start()          after admission: show (later: publish and subscribe)
//   media.signal(name, data)     live-channel pushes meant for media (offers, answers, ...)
//   media.setMicrophone(on) / media.setCamera(on)  -> the state actually in effect
//   media.setAudioOnly(on)       stop video both ways on weak links
//   media.stop()                 release camera and microphone

/** The room's media, behind the interface above. */
export function createMedia({ videos, note }) {
  let stream = null;
  let audioOnly = false;

  const tracks = (kind) => (stream ? stream.getTracks().filter((t) => t.kind === kind) : []);
  const setEnabled = (kind, on) => {
    const found = tracks(kind);
    found.forEach((t) => { t.enabled = on; });
    return found.length > 0 ? on : false;
  };

  return {
    useStream(given) { stream = given; },
    async start() {
      if (!stream && navigator.mediaDevices?.getUserMedia) {
        stream = await navigator.mediaDevices
          .getUserMedia({ audio: true, video: true })
          .catch(() => null);
      }
      if (!stream) {
        note.textContent = "Your camera and microphone are not available. You can still follow along and chat.";
        return;
      }
      const self = document.createElement("video");
      self.muted = true;
      self.autoplay = true;
      self.playsInline = true;
      self.setAttribute("aria-label", "You");
      self.srcObject = stream;
      videos.replaceChildren(self);
      note.textContent = "Other people's video will appear here.";
    },
    signal() {},
    setMicrophone(on) { return setEnabled("audio", on); },
    setCamera(on) { return setEnabled("video", on && !audioOnly); },
    setAudioOnly(on) {
      audioOnly = on;
      setEnabled("video", !on);
      note.textContent = on ? "Audio only: video is off to save your connection." : "";
    },
    stop() {
      if (stream) stream.getTracks().forEach((t) => t.stop());
      stream = null;
      videos.replaceChildren();
    },
  };
}
