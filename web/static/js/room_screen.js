// Screen sharing on the page: "Share screen" (leads; anyone else a lead allowed), the share
// shown large for everyone above the tiles as "<name>'s screen", and "Stop sharing" for the
// sharer and the leads. The browser's own "Stop sharing" (the track ends) stops it too.
// Names come from the room's people, so private mode's hidden names stay hidden here.
import { $, announce, showError } from "./dom.js";

const LEADS = new Set(["leader", "co_leader"]);
const SPEAKS = new Set(["leader", "co_leader", "client", "supporter", "guest_speaker", "interpreter"]);
const SCREEN = { video: { frameRate: { ideal: 10, max: 15 } }, audio: false };

/** Wire the buttons and the media's share tracks to the room. */
export function bindScreen(room) {
  room.screen = null; // who shares now (the log's word)
  room.screenAllowed = new Set(); // besides the leads, who may share
  room.shownScreen = null; // whose share this page shows (its track arrived)
  room.startingShare = false;
  room.sharing = false; // this page sends its screen
  $("btn-screen").addEventListener("click", () => toggleShare(room));
  $("screen-stop").addEventListener("click", () => {
    const mine = room.screen === room.you.id;
    room.act("screen.stop", mine ? {} : { participant: room.screen });
  });
  room.media.onScreen((participant, track) => showShare(room, participant, track));
}

/** The share as a late joiner (or a reload) learns it. */
export function screenSnapshot(room, state) {
  room.screen = state.screen ?? null;
  room.screenAllowed = new Set(state.screen_allowed || []);
  if (!room.you || room.startingShare) return;
  const mine = room.screen === room.you.id;
  // A reloaded page has no screen to send: end the share the server still holds for us.
  if (mine && !room.sharing) room.act("screen.stop", {});
  // Our share ended while we were away (a drop logs it): release the screen here too.
  if (!mine && room.sharing) {
    room.sharing = false;
    room.media.stopScreen();
  }
}

/** Live-event handlers. */
export function screenHandlers(room) {
  return {
    "screen.started": (d) => {
      room.screen = d.participant;
      if (d.participant === room.you.id) announce("You are sharing your screen.");
    },
    "screen.stopped": (d) => {
      if (room.screen === d.participant) room.screen = null;
      if (d.participant === room.you.id) {
        room.sharing = false;
        room.media.stopScreen();
        announce(d.by === room.you.id ? "You stopped sharing your screen." : "A leader stopped your screen share.");
      } else if (room.shownScreen === d.participant) {
        announce(`${room.name(d.participant)} stopped sharing their screen.`);
      }
    },
    "screen.allowed": (d) => {
      if (d.allowed) room.screenAllowed.add(d.participant);
      else room.screenAllowed.delete(d.participant);
      if (d.participant === room.you.id) {
        announce(d.allowed ? "A leader lets you share your screen." : "You can no longer share your screen.");
      }
    },
  };
}

async function toggleShare(room) {
  if (room.screen === room.you.id) {
    room.act("screen.stop", {});
    return;
  }
  if (room.screen !== null) {
    // The server would refuse it too: say so before the browser asks which screen.
    showError("room-error", `${room.name(room.screen)} is sharing their screen. One screen at a time: it has to stop first.`);
    return;
  }
  let stream;
  try {
    stream = await navigator.mediaDevices.getDisplayMedia(SCREEN);
  } catch {
    showError("room-error", "Your screen is not shared. You can try again and pick a screen or window.");
    return;
  }
  room.startingShare = true;
  try {
    const ack = await room.act("screen.start", {});
    if (!ack.ok) {
      stream.getTracks().forEach((t) => t.stop());
      return;
    }
    room.sharing = true;
    // The browser's own "Stop sharing" bar ends the track.
    stream.getVideoTracks()[0].addEventListener("ended", () => {
      if (room.screen === room.you.id) room.act("screen.stop", {});
    });
    await room.media.shareScreen(stream);
  } catch (err) {
    console.warn("screen:", err);
    showError("room-error", "Your screen could not be sent. Please try again.");
    if (room.sharing) room.act("screen.stop", {});
  } finally {
    room.startingShare = false;
  }
}

function showShare(room, participant, track) {
  const video = $("screen-video");
  if (!track) {
    if (participant !== null && participant !== room.shownScreen) return;
    video.srcObject = null;
    room.shownScreen = null;
  } else {
    video.srcObject = new MediaStream([track]);
    video.play().catch(() => {}); // muted: allowed to play without a touch
    room.shownScreen = participant;
    announce(`${room.name(participant)} is sharing their screen.`);
  }
  renderScreen(room);
}

/** The button, the stage and its caption, from the state. */
export function renderScreen(room) {
  if (!room.you) return; // not in the room (yet, or any more): nothing of ours to show
  const me = room.you.id;
  const lead = LEADS.has(room.you.role);
  const mine = room.screen === me;
  const may = SPEAKS.has(room.you.role) && (lead || room.screenAllowed.has(me));
  const button = $("btn-screen");
  button.hidden = !(mine || (may && navigator.mediaDevices?.getDisplayMedia));
  button.firstChild.textContent = mine ? "Stop sharing " : "Share screen ";
  button.querySelector(".state").textContent = mine ? "your screen is shown" : "";
  button.setAttribute("aria-pressed", String(mine));

  const shown = room.shownScreen !== null && room.screen === room.shownScreen;
  $("screen-stage").hidden = !(shown || mine);
  $("screen-video").hidden = !shown || mine;
  const name = room.name(room.screen);
  $("screen-caption").textContent = mine ? "You are sharing your screen" : shown ? `${name}'s screen` : "";
  const stop = $("screen-stop");
  stop.hidden = !(mine || (lead && room.screen));
  stop.setAttribute("aria-label", mine ? "Stop sharing your screen" : `Stop sharing ${name}'s screen`);
}
