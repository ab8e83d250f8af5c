// The live room for staff: joins with the signed-in cookie; leaders also load the session's script.
import { $ } from "./dom.js";
import { LiveConnection } from "./live.js";
import { createMedia } from "./media.js";
import { Room } from "./room.js";
import { scriptForLeads } from "./room_script.js";
import { RoomSafety } from "./room_safety.js";
import { RoomPlan } from "./room_plan.js";
import { RoomScalesDue } from "./room_scales_due.js";

const sessionId = document.body.dataset.sessionId;
// Why a signed-in staff member cannot join, in words (the server's message otherwise).
const REFUSED = {
  forbidden: "This session is not one of yours. Ask the clinician who leads it to add you.",
  not_found: "There is no session at this address. Go back and open it from your list.",
};
const media = createMedia({ videos: $("videos"), note: $("media-note") });

const conn = new LiveConnection({ session: sessionId }, {}, {
  joined(ack) {
    $("connecting").hidden = true;
    $("conn-banner").hidden = true;
    room.enter(ack);
    safety.joined(ack);
    plans.joined(ack);
    scalesDue.joined(ack);
    leadsGetScript(ack);
  },
  refused(error) {
    $("connecting").hidden = true;
    $("conn-banner").hidden = true;
    room.leaveWith(error.code === "session_ended" ? "ended" : "refused", error.code === "session_ended" ? undefined : REFUSED[error.code] || error.message);
  },
  lost() { $("conn-banner").hidden = false; media.lost(); },
  message(name, data) { room.message(name, data); safety.message(name, data); plans.message(name, data); scalesDue.message(name, data); },
});
const room = new Room({ conn, media });
const leadsGetScript = scriptForLeads(room);
const safety = new RoomSafety({ conn });
const plans = new RoomPlan();
const scalesDue = new RoomScalesDue(room);
