// A guest's way in: name, device check, recording consent, waiting room, then the room.
// The join token stays in this page's address: it is read here and handed only to the socket's auth
// and to the network check's X-Join-Token header.
import { $, showOnly, showError } from "./dom.js";
import { LiveConnection } from "./live.js";
import { createMedia } from "./media.js";
import { checkDevices, checkNetwork, stopMeter } from "./precheck.js";
import { Room } from "./room.js";
import { scriptForLeads } from "./room_script.js";
import { RoomSafety } from "./room_safety.js";

const STEPS = ["step-name", "step-check", "step-consent", "step-joining", "step-waiting", "room", "gone"];
const token = decodeURIComponent(window.location.pathname.split("/").pop());
// After a reload (or a phone restoring the tab) go straight back in with the same answers.
// Only the invite id (not secret on its own) marks whose answers these are.
const inviteId = token.split(".")[0];
const SAVED = "imr-join";
const media = createMedia({ videos: $("videos"), note: $("media-note") });
let displayName = "";
let soundOnly = false; // chosen at the check: video stays off both ways from the start
let room = null;

$("name-form").addEventListener("submit", (e) => {
  e.preventDefault();
  displayName = $("display-name").value.trim();
  if (!displayName) {
    showError("name-error", "Please write a name, so the leader knows who you are.");
    return;
  }
  showError("name-error", "");
  showOnly(STEPS, "step-check");
  runCheck();
});

async function runCheck() {
  $("check-network").textContent = "Checking your internet connection…";
  const [stream, network] = await Promise.all([
    checkDevices($("preview"), $("mic-level"), $("check-camera"), $("check-mic")),
    checkNetwork(token),
  ]);
  media.useStream(stream);
  $("check-network").textContent = network;
}

$("check-retry").addEventListener("click", runCheck);
$("check-next").addEventListener("click", () => {
  soundOnly = false;
  stopMeter();
  showOnly(STEPS, "step-consent");
});
$("check-sound-only").addEventListener("click", () => {
  soundOnly = true;
  stopMeter();
  showOnly(STEPS, "step-consent");
});
$("consent-yes").addEventListener("click", () => enter(true));
$("consent-no").addEventListener("click", () => enter(false));

function savedAnswers() {
  try {
    const saved = JSON.parse(window.sessionStorage.getItem(SAVED) || "null");
    return saved && saved.invite === inviteId ? saved : null;
  } catch {
    return null;
  }
}

function enter(consent) {
  if (room) return;
  try {
    window.sessionStorage.setItem(SAVED, JSON.stringify({ invite: inviteId, name: displayName, consent, soundOnly }));
  } catch {
    // Storage may be off; the person answers again after a reload.
  }
  showError("consent-error", "");
  $("consent-yes").disabled = true;
  $("consent-no").disabled = true;
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

const saved = savedAnswers();
if (saved) {
  displayName = saved.name;
  soundOnly = Boolean(saved.soundOnly);
  showOnly(STEPS, "step-joining");
  enter(saved.consent);
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
