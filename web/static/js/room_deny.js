// "Deny" in the waiting room asks first, in a modal dialog whose focused answer is the safe
// one ("No, keep them waiting"): a misclick or a stray Enter turns nobody away.
import { $ } from "./dom.js";

export class DenyDialog {
  constructor(room) {
    this.room = room;
    this.asking = null; // {id, from}: the waiting person asked about, the button pressed
    const dialog = $("deny-dialog");
    $("deny-no").addEventListener("click", () => dialog.close());
    $("deny-yes").addEventListener("click", () => {
      const who = this.asking;
      dialog.close();
      if (who) this.room.act("waiting.deny", { participant: who.id });
    });
    dialog.addEventListener("close", () => {
      const from = this.asking?.from;
      this.asking = null;
      if (from && from.isConnected) from.focus();
      else $("waiting-title").focus();
    });
  }

  /** Ask about this waiting person (`from`: the button pressed, focused again afterwards). */
  ask(person, from) {
    this.asking = { id: person.id, from };
    $("deny-title").textContent = `Turn ${person.display_name} away?`;
    $("deny-text").textContent = `${person.display_name} will not come into this session. They will read that the leader did not let them in.`;
    $("deny-yes").textContent = `Yes, turn ${person.display_name} away`;
    $("deny-no").textContent = `No, keep ${person.display_name} waiting`;
    $("deny-dialog").showModal();
    $("deny-no").focus();
  }

  /** The person asked about is no longer waiting (let in by a co-leader, gone): close the question. */
  keepIf(waiting) {
    if (this.asking && !waiting.some((p) => p.id === this.asking.id)) $("deny-dialog").close();
  }
}
