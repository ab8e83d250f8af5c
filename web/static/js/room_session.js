// The leader's session card: recording on/off (with who agreed) and the lock, in words.
import { $ } from "./dom.js";

/** Show recording and lock state, and who agreed to be recorded. */
export function renderSessionTools(room) {
  const agreed = [...room.people.values()]
    .filter((p) => p.status === "admitted" && p.consent === true)
    .map((p) => p.display_name);
  const record = $("btn-record");
  record.hidden = room.you.role !== "leader";
  record.textContent = room.recording ? "Stop recording" : "Start recording";
  record.disabled = !room.recording && agreed.length === 0;
  $("record-state").textContent = room.recording ? "● Recording is on." : "Recording is off.";
  $("record-consent").textContent = agreed.length
    ? `Agreed to be recorded: ${agreed.join(", ")}. Only they are recorded.`
    : "Nobody here has agreed to be recorded, so recording cannot start. Everyone is asked when they join.";
  $("lock-state").textContent = room.locked
    ? "The room is locked: nobody new can come in."
    : "The room is open: new people can ask to come in.";
}

/** Wire the recording button; the server's event changes what it shows. */
export function bindSessionTools(room) {
  $("btn-record").addEventListener("click", () => room.act("recording.set", { on: !room.recording }));
}
