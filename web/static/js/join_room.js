// The room part of a guest's way in: the live channel, media and the room itself. join.js
// loads it in the background as soon as its first screen is usable, and waits for it only
// when the person joins, so a slow link shows the name form first (bench/join_page_load.py).
import { $, showOnly } from "./dom.js";
import { LiveConnection } from "./live.js";
import { createMedia } from "./media.js";
import { Room } from "./room.js";
import { scriptForLeads } from "./room_script.js";
import { RoomSafety } from "./room_safety.js";

/**
 * Join the session: token, the person's answers ({displayName, consent, soundOnly}), the
 * camera stream from the check (or null) and the page's steps.
 */
export function joinRoom({ token, displayName, consent, soundOnly, stream, steps }) {
  const STEPS = steps;
  const media = createMedia({ videos: $("videos"), note: $("media-note") });
  media.useStream(stream);
  let room = null;
  const conn = new LiveConnection({ token }, { display_name: displayName, consent }, {
    joined(ack) {
      $("conn-banner").hidden = true;
      safety.joined(ack);
      if (ack.status === "waiting") {
        if ($("step-waiting").hidden) showOnly(STEPS, "step-waiting");
        if (ack.guest_time) guestEarly(conn, ack.guest_time);
      } else {
        if ($("room").hidden) showOnly(STEPS, "room");
        room.enter(ack);
        inRoom(ack);
      }
    },
    refused(error) {
      $("conn-banner").hidden = true;
      const kind = { session_ended: "ended", removed: "removed", denied: "denied" }[error.code] || "refused";
      showOnly(STEPS, "gone");
      room.leaveWith(kind, kind === "refused" ? error.message : undefined);
    },
    lost() { $("conn-banner").hidden = false; media.lost(); safety.lost(); },
    message(name, data) {
      if (name === "admitted") showOnly(STEPS, "room");
      room.message(name, data);
      if (name === "admitted") inRoom(data);
      safety.message(name, data);
    },
  });
  const safety = new RoomSafety({ conn });
  room = new Room({ conn, media, onGone: () => showOnly(STEPS, "gone"), headers: { "X-Join-Token": token } });
  // A co-leader who came by link leads too; the server checks the link's role.
  const leadsGetScript = scriptForLeads(room, { "X-Join-Token": token });
  let soundOnlyApplied = false;
  function inRoom(welcome) {
    leadsGetScript(welcome);
    if (soundOnly && !soundOnlyApplied) {
      soundOnlyApplied = true;
      room.setAudioOnly(true);
    }
  }
  $("waiting-leave").addEventListener("click", async () => {
    await conn.call("leave", {});
    room.leaveWith("left");
  });
}

let guestTimer = null;
/** A guest speaker who came before their time: say when it starts, and go in then. */
function guestEarly(conn, startsUs) {
  const at = new Date(startsUs / 1000);
  const time = at.toLocaleTimeString([], { hour: "numeric", minute: "2-digit" });
  $("waiting-text").textContent = `Your time to speak starts at ${time}. You will come in then. The leader may let you in sooner.`;
  clearTimeout(guestTimer);
  const wait = Math.min(Math.max(0, at.getTime() - Date.now()) + 1000, 6 * 3600 * 1000);
  guestTimer = setTimeout(() => conn.join(), wait);
}
