// The IMR Scales as a form: the published 15 items, each a radio group with its own five
// answers (1: most trouble, 5: doing best) and, where the instrument allows it, "does not
// apply". The questions and answers come from the server (GET /api/imr-scales), so the
// browser never keeps a second copy of the instrument. Native radios in a fieldset with a
// legend: screen readers say the question, then each answer with its number.
import { el, api } from "./dom.js";

let instrument = null;

/** The instrument `{items: [{number, topic, client_question, clinician_question, answers, does_not_apply}]}`. */
export async function loadScale() {
  if (instrument) return instrument;
  const resp = await api("GET", "/api/imr-scales");
  if (!resp.ok) throw new Error("the IMR Scales could not be loaded");
  instrument = resp.body;
  return instrument;
}

/** The question of `item` for the `client` or `clinician` version. */
function question(item, rater) {
  return rater === "client" ? item.client_question : item.clinician_question;
}

/** Fill `container` with one radio group per item; `prefix` keeps names and ids unique. */
export function buildScale(container, prefix, rater) {
  const items = instrument.items;
  container.replaceChildren(...items.map((item, i) => {
    const name = `${prefix}-${i}`;
    const choices = item.answers.map((words, a) => el("label", { class: "choice" },
      el("input", { type: "radio", name, value: String(a + 1) }),
      el("span", { class: "choice-score" }, `${a + 1}.`), " ", el("span", {}, words)));
    if (item.does_not_apply) {
      choices.push(el("label", { class: "choice" },
        el("input", { type: "radio", name, value: "" }),
        el("span", {}, `Does not apply: ${item.does_not_apply}`)));
    }
    return el("fieldset", { class: "scale-item", id: name },
      el("legend", {}, `${item.number} of ${items.length}. ${question(item, rater)}`),
      el("div", { class: "scale-choices" }, choices));
  }));
}

/** `{items}` with the 15 answers (null: does not apply), or `{missing, text}` for the first left open. */
export function readScale(container, prefix, rater) {
  if (!instrument) return { missing: null, text: "The questions are still loading. Please try again." };
  const items = [];
  for (let i = 0; i < instrument.items.length; i += 1) {
    const chosen = container.querySelector(`input[name="${prefix}-${i}"]:checked`);
    if (!chosen) return { missing: i, text: `Please answer question ${i + 1} (${question(instrument.items[i], rater)}).` };
    items.push(chosen.value === "" ? null : Number(chosen.value));
  }
  return { items };
}

/** Clear every answer. */
export function clearScale(container) {
  for (const input of container.querySelectorAll("input[type=radio]")) input.checked = false;
}

/** "mean 3.29 over 14 items": the score the reports give (the mean of the answered items). */
export function scoreWords(items) {
  const given = items.filter((a) => a !== null && a !== undefined);
  if (!given.length) return "no items answered";
  const mean = given.reduce((s, a) => s + a, 0) / given.length;
  return `mean ${mean.toFixed(2)} over ${given.length} items`;
}
