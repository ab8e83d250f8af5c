// The live room for staff: joins with the signed-in cookie; leaders also load the session's script.
import { $, api } from "./dom.js";
import { LiveConnection } from "./live.js";
import { createMedia } from "./media.js";
import { Room } from "./room.js";

const sessionId = document.body.dataset.sessionId;
const media = createMedia({ videos: $("videos"), note: $("media-note") });
let scriptLoaded = false;

const conn = new LiveConnection({ session: sessionId }, {}, {
  joined(ack) {
    $("connecting").hidden = true;
    $("conn-banner").hidden = true;
    room.enter(ack);
    if (!scriptLoaded && (ack.you.role === "leader" || ack.you.role === "co_leader")) {
      scriptLoaded = true;
      loadScript();
    }
  },
  refused(error) {
    $("connecting").hidden = true;
    $("conn-banner").hidden = true;
    room.leaveWith(error.code === "session_ended" ? "ended" : "refused", error.code === "session_ended" ? undefined : error.message);
  },
  lost() { $("conn-banner").hidden = false; media.lost(); },
  message(name, data) { room.message(name, data); },
});
const room = new Room({ conn, media });

async function loadScript() {
  const resp = await api("GET", `/api/sessions/${encodeURIComponent(sessionId)}/script`);
  if (resp.ok) room.setScript(resp.body);
  else $("room-error").textContent = "The session script could not be loaded; slides can still be moved with Next and Previous.";
}
