// Private group mode on the page: the lead's switch, a group member's "show me" choice, and
// interpreters pinned beside the leader. The server hides other members' names and media;
// the page says in words what is going on.
import { $, announce } from "./dom.js";

const OPEN = new Set(["leader", "co_leader", "supervisor", "interpreter"]);

/** Live-event handlers: names change with the mode, so ask for the room's state again. */
export function privacyHandlers(room) {
  return {
    "privacy.mode_set": (d) => {
      room.privateMode = d.on;
      announce(d.on
        ? "Private group mode is on. Group members see only the leaders."
        : "Private group mode is off. Everyone can see each other.");
      room.conn.join();
    },
    "privacy.chosen": (d) => {
      const me = room.people.get(room.you.id);
      if (d.participant !== room.you.id) room.conn.join();
      else if (me) {
        me.shown = d.show;
        announce(d.show ? "The group can now see you." : "The group cannot see you.");
      }
    },
  };
}

/** Interpreters shown beside the leader: yours (or the group's); staff see every one. */
export function pinnedInterpreters(room) {
  const staff = OPEN.has(room.you.role) && room.you.role !== "interpreter";
  return [...room.people.values()]
    .filter((p) => p.role === "interpreter" && p.status === "admitted" && p.id !== room.you.id)
    .filter((p) => staff || !p.interprets_for || p.interprets_for === room.you.id)
    .map((p) => [p.id, `interpreter${p.language ? `, ${p.language}` : ""}`]);
}

/** The lead's switch and a group member's choice, in words. */
export function renderPrivacy(room) {
  const on = Boolean(room.privateMode);
  const button = $("btn-private");
  button.textContent = on ? "Turn off private group mode" : "Turn on private group mode";
  button.setAttribute("aria-pressed", String(on));
  $("private-state").textContent = on
    ? "Private group mode is on: group members see only the leaders and interpreters, not each other."
    : "Private group mode is off: everyone sees everyone.";
  const me = room.people.get(room.you.id);
  const member = !OPEN.has(room.you.role);
  $("privacy-choice").hidden = !(on && member);
  const shown = Boolean(me && me.shown);
  $("privacy-words").textContent = shown
    ? "Private group mode: you chose to let the group see you."
    : "Private group mode: other group members do not see your name or video.";
  $("btn-show-me").textContent = shown ? "Hide me from the group" : "Show me to the group";
  $("btn-show-me").setAttribute("aria-pressed", String(shown));
  $("initials-form").hidden = shown;
}

/** Wire the switch and the choice; the server's events change what they show. */
export function bindPrivacy(room) {
  $("btn-private").addEventListener("click", () => room.act("privacy.mode", { on: !room.privateMode }));
  $("btn-show-me").addEventListener("click", () => {
    const me = room.people.get(room.you.id);
    room.act("privacy.show_me", { show: !(me && me.shown) });
  });
  $("initials-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const initials = $("my-initials").value.trim();
    room.act("privacy.show_me", initials ? { show: false, initials } : { show: false });
  });
}
