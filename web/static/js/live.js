// The live channel: one Socket.IO connection, acked commands, join again on reconnect.
import { io } from "/static/vendor/socket.io.esm.min.js";
import { COMMANDS } from "./events.js";

const ACK_TIMEOUT_MS = 15000;
const TIMEOUT_ERROR = {
  code: "timeout",
  message: "The server did not answer. Please check your connection and try again.",
};

/**
 * A live connection to one session.
 *
 * auth: {token} for guests (from the join link) or {session} for staff (cookie sent by the browser).
 * joinPayload: what `join` carries ({display_name, consent}); sent again after every reconnect,
 *   and the server answers with the current state, so a dropped client catches up.
 * callbacks:
 *   joined(ack)        every successful join: {status, you, session, state?}
 *   refused(error)     the server will not let us in (bad link, removed, ended): {code, message}
 *   lost()             the connection dropped; socket.io-client is reconnecting by itself
 *   message(name, data) every server push (event, admitted, denied, removed, media signalling)
 */
export class LiveConnection {
  constructor(auth, joinPayload, callbacks) {
    this.joinPayload = joinPayload;
    this.cb = callbacks;
    this.finished = false;
    // Websocket only: any web node can take any connection, so a load balancer
    // needs no sticky sessions (long-polling would need them).
    this.socket = io({
      auth, transports: ["websocket"], reconnectionDelay: 1000, reconnectionDelayMax: 5000,
    });
    this.socket.on("connect", () => this.join());
    this.socket.on("disconnect", (reason) => this.dropped(reason));
    this.socket.on("connect_error", (err) => this.connectFailed(err));
    this.socket.onAny((name, data) => this.cb.message(name, data));
    window.addEventListener("offline", () => { if (!this.finished) this.cb.lost(); });
    // Coming back online: ask for the current state again (join is idempotent).
    window.addEventListener("online", () => { if (this.socket.connected) this.join(); });
  }

  /** Send a command; resolves to its ack ({ok: true, ...} or {ok: false, error}). */
  async call(event, data = {}) {
    if (!COMMANDS[event]) {
      // A name the server's catalogue does not have is a bug here, not a network problem.
      return { ok: false, error: { code: "unknown_event", message: `unknown event '${event}'` } };
    }
    try {
      return await this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck(event, data);
    } catch {
      return { ok: false, error: TIMEOUT_ERROR };
    }
  }

  /** Stop for good (left, removed, denied, ended): no more reconnecting. */
  finish() {
    this.finished = true;
    this.socket.disconnect();
  }

  async join() {
    const ack = await this.call("join", this.joinPayload);
    if (this.finished) return;
    if (ack.ok) this.cb.joined(ack);
    else if (ack.error.code !== "timeout") this.refuse(ack.error);
  }

  refuse(error) {
    this.finish();
    this.cb.refused(error);
  }

  dropped(reason) {
    if (this.finished || reason === "io client disconnect") return;
    this.cb.lost();
    if (reason === "io server disconnect") {
      // The server closed us (e.g. restarting); removals and endings arrive as messages first.
      window.setTimeout(() => { if (!this.finished) this.socket.connect(); }, 2000);
    }
  }

  connectFailed(err) {
    if (this.finished) return;
    if (err && err.data && err.data.code) this.refuse(err.data);
    else this.cb.lost();
  }
}
