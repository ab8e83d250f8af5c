// Handouts in the room: a lead uploads one and shows its pages; everyone sees the page
// where the slide is. Page pictures are fetched with the page's own credentials (the
// staff cookie, or the join link's token in a header) and shown from a blob: address,
// so no token ever goes into an image's URL.
import { $, el, announce, api, showError, errorText } from "./dom.js";
import { enlargeSlide } from "./room_view.js";

const LEADS = new Set(["leader", "co_leader"]);

/** The handout on screen, and (for leads) the upload form and the session's handouts. */
export class RoomHandouts {
  constructor(room, headers = {}) {
    this.room = room;
    this.headers = headers;
    this.current = null; // {handout, title, page, pages} or null
    this.list = [];
    this.shownKey = "";
    this.fetching = 0;
    this.url = null;
    this.loaded = false;
    this.bind();
  }

  get lead() {
    return LEADS.has(this.room.you?.role);
  }

  snapshot(state) {
    this.current = state.handout || null;
  }

  /** A logged event: a handout page shown or put away (a slide shown puts it away too). */
  event(ev) {
    const d = ev.data;
    if (ev.kind === "handout.shown") {
      if (this.current?.handout !== d.handout) enlargeSlide(); // a new handout, not a page turn
      this.current = { ...d };
      announce(`Handout: ${d.title}, page ${d.page} of ${d.pages}.`);
      this.markShown(d.handout);
    } else if (ev.kind === "handout.cleared") {
      this.current = null;
      announce("The handout is put away.");
    } else if (ev.kind === "slide.shown") {
      this.current = null;
    }
  }

  /** Leads: load the session's handouts once they are in. */
  entered(sessionId) {
    this.sessionId = sessionId;
    if (this.lead && !this.loaded) {
      this.loaded = true;
      this.load();
    }
  }

  async load() {
    const resp = await api("GET", this.path(), undefined, this.headers);
    if (resp.ok) this.list = resp.body.handouts;
    else showError("handout-error", errorText(resp.body.error));
    this.render();
  }

  path() {
    return `/api/sessions/${encodeURIComponent(this.sessionId)}/handouts`;
  }

  markShown(id) {
    const found = this.list.find((h) => h.id === id);
    if (found) found.shown = true;
  }

  render() {
    const on = Boolean(this.current);
    $("handout-view").hidden = !on;
    $("slide").hidden = on;
    $("handout-controls").hidden = !(on && this.lead);
    if (on) {
      const { title, page, pages } = this.current;
      $("slide-position").textContent = `Handout: ${title}, page ${page} of ${pages}`;
      $("handout-prev").disabled = page <= 1;
      $("handout-next").disabled = page >= pages;
    }
    this.showPicture();
    if (this.lead) this.renderList();
  }

  async showPicture() {
    const key = this.current ? `${this.current.handout}|${this.current.page}` : "";
    if (key === this.shownKey) return;
    this.shownKey = key;
    const img = $("handout-img");
    if (!this.current) return;
    const { handout, title, page, pages } = this.current;
    const ticket = ++this.fetching;
    img.alt = `Handout: ${title}, page ${page} of ${pages}`;
    try {
      const resp = await fetch(`/api/handouts/${encodeURIComponent(handout)}/pages/${page}.png`,
        { headers: this.headers, credentials: "same-origin" });
      if (!resp.ok) throw new Error(String(resp.status));
      const blob = await resp.blob();
      if (ticket !== this.fetching) return; // a newer page was asked for meanwhile
      if (this.url) URL.revokeObjectURL(this.url);
      this.url = URL.createObjectURL(blob);
      img.src = this.url;
    } catch {
      if (ticket === this.fetching) {
        this.shownKey = "";
        showError("room-error", "The handout page could not be loaded. It will try again with the next page.");
      }
    }
  }

  renderList() {
    $("handout-empty").hidden = this.list.length > 0;
    const key = JSON.stringify([this.list, this.current?.handout]);
    const box = $("handout-list");
    if (box.dataset.key === key) return;
    box.dataset.key = key;
    box.replaceChildren(...this.list.map((h) => el("li", { class: "row" },
      el("span", {}, `${h.title} (${h.pages} page${h.pages === 1 ? "" : "s"})`),
      el("button", {
        type: "button",
        "aria-label": `Show ${h.title}`,
        onclick: () => this.show(h.id, 1),
      }, this.current?.handout === h.id ? "Showing" : "Show"))));
  }

  show(handout, page) {
    return this.room.act("handout.show", { handout, page }, null, "handout-error");
  }

  step(by) {
    if (!this.current) return;
    this.room.act("handout.show", { handout: this.current.handout, page: this.current.page + by });
  }

  bind() {
    $("handout-prev").addEventListener("click", () => this.step(-1));
    $("handout-next").addEventListener("click", () => this.step(1));
    $("handout-clear").addEventListener("click", () => this.room.act("handout.clear", {}));
    $("handout-form").addEventListener("submit", (e) => { e.preventDefault(); this.upload(); });
  }

  /** Send the chosen file with a progress bar; the server answers with the new handout. */
  upload() {
    const file = $("handout-file").files[0];
    showError("handout-error", "");
    if (!file) {
      showError("handout-error", "Choose a PDF, PNG or JPEG file first.");
      return;
    }
    const form = new FormData();
    form.append("title", $("handout-name").value);
    form.append("file", file);
    const xhr = new XMLHttpRequest();
    const bar = $("handout-bar");
    bar.hidden = false;
    bar.value = 0;
    $("handout-progress").textContent = "Uploading the handout…";
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) bar.value = Math.round((100 * e.loaded) / e.total);
    });
    xhr.addEventListener("load", () => this.uploaded(xhr));
    xhr.addEventListener("error", () => this.failed({ message: "We could not reach the server. Please check your internet connection." }));
    xhr.open("POST", this.path());
    for (const [name, value] of Object.entries(this.headers)) xhr.setRequestHeader(name, value);
    xhr.send(form);
  }

  uploaded(xhr) {
    let body = {};
    try { body = JSON.parse(xhr.responseText); } catch { body = {}; }
    if (xhr.status !== 201) {
      this.failed(body.error);
      return;
    }
    $("handout-bar").hidden = true;
    const h = body.handout;
    this.list.push(h);
    $("handout-progress").textContent = `Uploaded: ${h.title} (${h.pages} page${h.pages === 1 ? "" : "s"}).`;
    $("handout-form").reset();
    this.render();
  }

  failed(error) {
    $("handout-bar").hidden = true;
    $("handout-progress").textContent = "";
    showError("handout-error", errorText(error));
  }
}
