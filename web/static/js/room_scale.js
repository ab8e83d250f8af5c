// The IMR outcome scale as a form: 14 questions, each a radio group rated 1 to 5 (5 is best).
import { el } from "./dom.js";

/** Each item in a clinician's words and in a client's own words. */
export const SCALE_ITEMS = [
  ["Progress toward personal goals", "Moving toward my goals"],
  ["Knowledge about the illness and its treatment", "Knowing about my illness and its treatment"],
  ["Family and friends involved in treatment", "Family or friends helping with my care"],
  ["Contact with people outside the family", "Time with people outside my family"],
  ["Time in structured roles (work, school, volunteering, caring)", "Time in work, school, volunteering or caring"],
  ["Little distress from symptoms", "Feeling calm: my symptoms are not upsetting me"],
  ["Functioning despite symptoms", "Doing everyday things despite symptoms"],
  ["Relapse prevention planning", "Having a plan to stay well"],
  ["Staying well without relapse", "Staying well, with no relapse"],
  ["Staying out of hospital", "Staying out of hospital"],
  ["Coping with symptoms", "Coping with my symptoms"],
  ["Involvement in self-help and peer support", "Taking part in self-help or peer support"],
  ["Using medication effectively", "Taking my medicine as agreed"],
  ["Alcohol and drug use not getting in the way", "Alcohol or drugs not getting in the way"],
];
const RATINGS = ["Not well", "A little", "Somewhat", "Well", "Very well"];
export const SCALE_MAX = SCALE_ITEMS.length * RATINGS.length;

/** Fill `container` with one radio group per item; `prefix` keeps names and ids unique. */
export function buildScale(container, prefix, voice) {
  container.replaceChildren(...SCALE_ITEMS.map((texts, i) => el("fieldset", { class: "scale-item", id: `${prefix}-${i}` },
    el("legend", {}, `${i + 1}. ${texts[voice]}`),
    el("div", { class: "scale-choices" }, RATINGS.map((word, r) => el("label", { class: "choice" },
      el("input", { type: "radio", name: `${prefix}-${i}`, value: r + 1 }), `${r + 1} ${word}`))))));
}

/** `{items}` with the 14 answers, or `{missing, text}` for the first question left open. */
export function readScale(container, prefix, voice) {
  const items = [];
  for (let i = 0; i < SCALE_ITEMS.length; i += 1) {
    const chosen = container.querySelector(`input[name="${prefix}-${i}"]:checked`);
    if (!chosen) return { missing: i, text: `Please answer question ${i + 1} (${SCALE_ITEMS[i][voice]}).` };
    items.push(Number(chosen.value));
  }
  return { items };
}

/** Clear every answer. */
export function clearScale(container) {
  for (const input of container.querySelectorAll("input[type=radio]")) input.checked = false;
}
