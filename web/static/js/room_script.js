// The session script (slide titles, role plays) for whoever leads: staff signed in
// by cookie, or a co-leader who came by join link (their token goes in a header).
import { $, api } from "./dom.js";

const LEAD_ROLES = new Set(["leader", "co_leader"]);

/** A hook for each welcome into the room: loads the script once, if the person leads. */
export function scriptForLeads(room, headers = {}) {
  let asked = false;
  return (welcome) => {
    if (asked || !LEAD_ROLES.has(welcome?.you?.role)) return;
    asked = true;
    loadScript(room, welcome.session.id, headers);
  };
}

async function loadScript(room, sessionId, headers) {
  const path = `/api/sessions/${encodeURIComponent(sessionId)}/script`;
  const resp = await api("GET", path, undefined, headers);
  if (resp.ok) room.setScript(resp.body);
  else $("room-error").textContent = "The session script could not be loaded; slides can still be moved with Next and Previous.";
}
