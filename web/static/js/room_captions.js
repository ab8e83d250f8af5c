// Live captions on the page: the lead's switch, and a caption area everyone can read.
// Captions arrive as `caption` messages (text only); names come from the room's people,
// so private group mode shows "Group member" here too.
import { $, el, announce } from "./dom.js";

const KEPT_LINES = 4;

/** Live-event handler for the switch. */
export function captionHandlers(room) {
  return {
    "captions.set": (d) => {
      room.captionsOn = d.on;
      announce(d.on ? "Captions are on." : "Captions are off.");
    },
  };
}

/** A caption came: show it under the video, newest last, a few lines kept. */
export function showCaption(room, caption) {
  const list = $("caption-lines");
  list.append(el("li", { "data-actor": caption.participant }, el("strong", {}, `${room.name(caption.participant)}: `), caption.text));
  while (list.children.length > KEPT_LINES) list.firstElementChild.remove();
}

export function renderCaptions(room) {
  const on = Boolean(room.captionsOn);
  $("captions").hidden = !on;
  const button = $("btn-captions");
  button.textContent = on ? "Turn off captions" : "Turn on captions";
  button.setAttribute("aria-pressed", String(on));
  for (const item of $("caption-lines").querySelectorAll("li[data-actor]")) {
    const label = `${room.name(item.dataset.actor)}: `;
    const strong = item.querySelector("strong");
    if (strong.textContent !== label) strong.textContent = label;
  }
}

export function bindCaptions(room) {
  $("btn-captions").addEventListener("click", () => room.act("captions.set", { on: !room.captionsOn }));
}
