// How the room is laid out for this person: the slide small beside the faces, or large with
// the faces smaller. Each person chooses for their own screen; the choice is kept in this
// browser (no personal data: one word) so a reload keeps it.
import { $, announce } from "./dom.js";

const KEY = "imr.slideSize";
const WORDS = {
  small: ["Make the slide bigger", "The slide is small, beside the videos."],
  large: ["Make the slide smaller", "The slide is large. The videos are smaller."],
};

/** The "Make the slide bigger / smaller" button on the slide. */
export function bindSlideSize() {
  const stage = $("stage");
  const button = $("slide-size");
  const show = (size, say) => {
    stage.dataset.slide = size;
    button.textContent = WORDS[size][0];
    if (say) announce(WORDS[size][1]);
  };
  show(stored() === "large" ? "large" : "small", false);
  button.addEventListener("click", () => {
    const size = stage.dataset.slide === "large" ? "small" : "large";
    show(size, true);
    try { window.localStorage.setItem(KEY, size); } catch { /* private mode: this page only */ }
  });
}

function stored() {
  try { return window.localStorage.getItem(KEY); } catch { return null; }
}
