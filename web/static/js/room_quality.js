// The room's connection-quality line and the calm "sound only" suggestion (docs/web.md).
//
// The line is words plus a shape, never colour alone, in a polite live region whose text
// changes only when the level does. When the connection is weak and video is still on, a
// suggestion offers "Audio only" (the same path as the "Audio only" tick box); "No thanks"
// hides it for a while. Nothing is ever switched on by itself.
import { $ } from "./dom.js";

const SNOOZE_MS = 10 * 60 * 1000;
// level -> [shape, words]; with audio only on, good and weak say so instead.
const WORDS = {
  checking: ["…", "Connection: checking…"],
  good: ["✓", "Connection: good"],
  weak: ["!", "Connection: weak — video may freeze"],
  reconnecting: ["↻", "Connection: trying again…"],  // the banner above says "Reconnecting"
};
const SOUND_ONLY = {
  good: "Connection: good — sound only is on",
  weak: "Connection: weak — sound only is on",
};

/** Show the media's connection quality in `room`'s page and offer audio only when it is weak. */
export function bindQuality(room) {
  let state = { level: "checking", audioOnly: false };
  let snoozedUntil = 0;
  let snoozeTimer = null;

  const render = () => {
    const line = $("conn-quality");
    const off = state.level === "off";
    line.hidden = off;
    if (!off) {
      const [shape, plain] = WORDS[state.level] || WORDS.checking;
      const words = (state.audioOnly && SOUND_ONLY[state.level]) || plain;
      line.dataset.level = state.level;
      $("conn-quality-icon").textContent = shape;
      // Only a real change touches the live region, so only changes are announced.
      if ($("conn-quality-text").textContent !== words) $("conn-quality-text").textContent = words;
    }
    $("conn-suggest").hidden = !(state.level === "weak" && !state.audioOnly && Date.now() >= snoozedUntil);
  };

  room.media.onQuality((next) => {
    state = next;
    render();
  });
  $("conn-suggest-yes").addEventListener("click", () => {
    room.setAudioOnly(true);
    $("audio-only").focus();
  });
  $("conn-suggest-no").addEventListener("click", () => {
    snoozedUntil = Date.now() + SNOOZE_MS;
    window.clearTimeout(snoozeTimer);
    snoozeTimer = window.setTimeout(render, SNOOZE_MS);
    render();
    $("audio-only").focus();
  });
}
