// A guest speaker link's time window on the invite form: inside it the guest speaker comes
// straight into the room; the server checks the times again.

/** Give the window's fields ids and show them only for a guest speaker's link. */
export function bindWindow(card, sessionId) {
  const q = (sel) => card.querySelector(sel);
  for (const [field, name] of [["from", "s-from"], ["until", "s-until"]]) {
    const id = `${field}-${sessionId}`;
    q(`.${name}`).id = id;
    q(`.${name}-label`).setAttribute("for", id);
  }
  const role = q(".s-role");
  const show = () => { q(".s-window").hidden = role.value !== "guest_speaker"; };
  role.addEventListener("change", show);
  show();
}

/**
 * The window for the invite's body: {} when not a guest speaker or left empty,
 * {window_start, window_end} in microseconds, or {error} in words.
 */
export function windowBody(card) {
  if (card.querySelector(".s-role").value !== "guest_speaker") return {};
  const from = card.querySelector(".s-from").value;
  const until = card.querySelector(".s-until").value;
  if (!from && !until) return {};
  if (!from || !until) return { error: "Give both times for the guest speaker, or leave both empty." };
  const start = new Date(from).getTime();
  const end = new Date(until).getTime();
  if (Number.isNaN(start) || Number.isNaN(end)) return { error: "Please check the guest speaker's times." };
  return { window_start: start * 1000, window_end: end * 1000 };
}

/** Empty the window's fields after a link was made. */
export function clearWindow(card) {
  card.querySelector(".s-from").value = "";
  card.querySelector(".s-until").value = "";
}
