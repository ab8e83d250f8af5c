// A lead's "Call a phone": the phone gateway calls someone on this session's links. The
// number is typed each time and sent once to the server (never kept on the page either).
import { $, el, api, errorText } from "./dom.js";

const LEADS = new Set(["leader", "co_leader"]);
const PHONE_ROLES = new Set(["client", "observer", "guest_speaker"]);
const OUTCOME = {
  answered: (n) => `${n} answered. They are asked to press 1, then wait for you to let them in.`,
  no_answer: (n) => `${n} did not answer.`,
  busy: (n) => `${n}'s line is busy.`,
  failed: (n) => `The call to ${n} did not go through.`,
};

/** Who each link of the session is, for the list (phone name, else the name they joined with). */
function label(room, invite, index) {
  const known = room.people.get(invite.id);
  const role = invite.role.replace("_", " ");
  return invite.phone_name || (known && known.display_name) || `${role} link ${index}`;
}

async function loadLinks(room) {
  const resp = await api("GET", `/api/sessions/${encodeURIComponent(room.sessionId)}/invites`, undefined, room.headers);
  const select = $("phone-who");
  select.replaceChildren();
  if (!resp.ok) {
    $("phone-state").textContent = errorText(resp.body.error);
    return;
  }
  const links = resp.body.invites.filter((i) => PHONE_ROLES.has(i.role) && !i.revoked);
  links.forEach((invite, i) => {
    const option = el("option", { value: invite.id }, label(room, invite, i + 1));
    select.append(option);
  });
  $("btn-phone-call").disabled = links.length === 0;
  if (links.length === 0) $("phone-state").textContent = "No client, observer or guest speaker link to call yet.";
}

/** Show the tool to leads (once the session is known) and fill the list. */
export function renderPhone(room) {
  const lead = LEADS.has(room.you.role);
  $("phone-tools").hidden = !lead;
  if (lead && room.sessionId && !room.phoneLoaded) {
    room.phoneLoaded = true;
    loadLinks(room);
  }
}

export function bindPhone(room) {
  $("btn-phone-call").addEventListener("click", async () => {
    const who = $("phone-who").value;
    const number = $("phone-number");
    if (!who) return;
    const resp = await api(
      "POST",
      `/api/sessions/${encodeURIComponent(room.sessionId)}/invites/${encodeURIComponent(who)}/phone/call`,
      { number: number.value },
      room.headers, // a co-leader who came by link proves it with their link
    );
    if (!resp.ok) {
      $("phone-state").textContent = errorText(resp.body.error);
      number.focus();
      return;
    }
    number.value = "";
  });
}

/** The log's phone events, in words, for leads. */
export function phoneHandlers(room) {
  const name = (d) => $("phone-who").querySelector(`option[value="${CSS.escape(d.participant)}"]`)?.textContent || room.name(d.participant);
  return {
    "phone.call_placed": (d) => { $("phone-state").textContent = `Calling ${name(d)}…`; },
    "phone.call_outcome": (d) => {
      const text = (OUTCOME[d.outcome] || OUTCOME.failed)(name(d));
      $("phone-state").textContent = text; // a status region: read out
    },
  };
}
