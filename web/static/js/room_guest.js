// Guest speakers on the page: the room is told who came, and the guest speaker sees group
// members as "Group member" until the lead clinician lets them see names. The server hides
// the names; the page says in words what is going on.
import { $, announce } from "./dom.js";

/** Live-event handlers: a guest speaker's arrival in words; names change with the lead's choice. */
export function guestHandlers(room) {
  return {
    "guest.introduced": (d) => {
      const words = d.participant === room.you.id
        ? "You join as a guest speaker. Everyone is told your name."
        : `${d.display_name} joins as a guest speaker.`;
      room.note(words, `guest-${d.participant}`);
      announce(words);
    },
    "guest.names_shown": (d) => {
      room.guestNames = d.on;
      if (room.you.role === "guest_speaker") {
        announce(d.on ? "The leader lets you see group members' names." : "Group members' names are hidden from you.");
        room.conn.join(); // the names come with the room's state
      }
    },
  };
}

/** The lead's switch, and a guest speaker's line about names. */
export function renderGuest(room) {
  const on = Boolean(room.guestNames);
  const lead = room.you.role === "leader";
  $("guest-tools").hidden = !lead;
  $("guest-names-state").textContent = on
    ? "Guest speakers see group members' names."
    : "Guest speakers see clients and supporters as \"Group member\".";
  const button = $("btn-guest-names");
  button.textContent = on ? "Hide names from guest speakers" : "Let guest speakers see names";
  button.setAttribute("aria-pressed", String(on));
  const guest = room.you.role === "guest_speaker";
  $("guest-words").hidden = !guest;
  $("guest-words").textContent = on
    ? "You are a guest speaker. The leader lets you see group members' names."
    : "You are a guest speaker. To keep the group private, you see group members as \"Group member\".";
}

/** Wire the lead's switch; the server's event changes what it shows. */
export function bindGuest(room) {
  $("btn-guest-names").addEventListener("click", () => room.act("guest.show_names", { on: !room.guestNames }));
}
