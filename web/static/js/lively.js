// What makes a session lively (polls, celebrations, role-play pairs), joined to the Room by a few hooks:
// the state a (late) joiner gets, every logged event, and the poll.tally message.
import { RoomCelebrations } from "./celebrations.js";
import { RoomCeremony } from "./ceremony.js";
import { RoomPairs } from "./pairs.js";
import { RoomPolls } from "./polls.js";

export class Lively {
  constructor(room) {
    this.polls = new RoomPolls(room);
    this.celebrations = new RoomCelebrations(room);
    this.pairs = new RoomPairs(room);
    this.ceremony = new RoomCeremony(room);
  }

  snapshot(state) {
    this.polls.snapshot(state);
    this.celebrations.snapshot(state);
    this.pairs.snapshot(state);
    this.ceremony.snapshot(state);
  }

  event(ev) {
    this.polls.event(ev);
    this.celebrations.event(ev);
    this.pairs.event(ev);
    this.ceremony.event(ev);
  }

  /** A server push other than a logged event; true if it was ours. */
  message(name, data) {
    if (name !== "poll.tally") return false;
    this.polls.tally(data);
    return true;
  }
}
