// A guest's way in: name, device check, recording consent, waiting room, then the room.
// The join token stays in this page's address: it is read here and handed only to the socket's auth
// and to the network check's X-Join-Token header.
import { $, showOnly, showError } from "./dom.js";
import { checkDevices, checkNetwork, stopMeter } from "./precheck.js";

// The room's code (live channel, media, room) is not needed for the first screens: it
// loads in the background from here on and is awaited only when the person joins.
const roomCode = import("./join_room.js");

const STEPS = ["step-name", "step-check", "step-consent", "step-joining", "step-waiting", "room", "gone"];
const token = decodeURIComponent(window.location.pathname.split("/").pop());
// After a reload (or a phone restoring the tab) go straight back in with the same answers.
// Only the invite id (not secret on its own) marks whose answers these are.
const inviteId = token.split(".")[0];
const SAVED = "imr-join";
let stream = null; // the camera and microphone from the check, handed to the room
let displayName = "";
let soundOnly = false; // chosen at the check: video stays off both ways from the start
let entering = false;

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
  const [checked, network] = await Promise.all([
    checkDevices($("preview"), $("mic-level"), $("check-camera"), $("check-mic")),
    checkNetwork(token),
  ]);
  stream = checked;
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

async function enter(consent) {
  if (entering) return;
  entering = true;
  try {
    window.sessionStorage.setItem(SAVED, JSON.stringify({ invite: inviteId, name: displayName, consent, soundOnly }));
  } catch {
    // Storage may be off; the person answers again after a reload.
  }
  showError("consent-error", "");
  $("consent-yes").disabled = true;
  $("consent-no").disabled = true;
  const { joinRoom } = await roomCode;
  joinRoom({ token, displayName, consent, soundOnly, stream, steps: STEPS });
}

const saved = savedAnswers();
if (saved) {
  displayName = saved.name;
  soundOnly = Boolean(saved.soundOnly);
  showOnly(STEPS, "step-joining");
  enter(saved.consent);
}
