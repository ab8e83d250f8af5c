// How the room is laid out for this person: the slide small beside the faces, or large with
// the faces smaller. Each person chooses for their own screen; the choice is kept in this
// browser (no personal data: one word) so a reload keeps it.
import { $, announce } from "./dom.js";

const KEY = "imr.slideSize";
const WORDS = {
  small: ["Make the slide bigger", "The slide is small, beside the videos."],
  large: ["Make the slide smaller", "The slide is large. The videos are smaller."],
};

function show(size, say) {
  $("stage").dataset.slide = size;
  $("slide-size").textContent = WORDS[size][0];
  if (say) announce(WORDS[size][1]);
}

/** The "Make the slide bigger / smaller" button on the slide. */
export function bindSlideSize() {
  show(stored() === "large" ? "large" : "small", false);
  $("slide-size").addEventListener("click", () => {
    const size = $("stage").dataset.slide === "large" ? "small" : "large";
    show(size, true);
    try { window.localStorage.setItem(KEY, size); } catch { /* private mode: this page only */ }
  });
}

/** A handout comes up large (its small print needs the room); the button still makes it
 * smaller, and the person's own stored choice is left as it was. */
export function enlargeSlide() {
  show("large", false);
}

function stored() {
  try { return window.localStorage.getItem(KEY); } catch { return null; }
}
