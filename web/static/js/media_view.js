// How large this page shows each person's video, told to the SFU (`view`, docs/sfu.md) so
// it forwards the simulcast layer the tile needs and no larger.
//
// Heights are in device pixels, sent after the layout settles (DEBOUNCE_MS) and only when
// one changed. A tile this person pinned, or the lead shows large for everyone, always asks
// for the top layer; while one tile is large, the small ones never ask for more than the
// middle layer (THUMB_MAX: half of the 360-line camera the page asks for).

const DEBOUNCE_MS = 300;
export const THUMB_MAX = 180;
export const TOP = 1080; // taller than any layer: the SFU sends the top one
const MAX_SIDE = 8192; // the SFU's limit for a tile side

export class ViewReporter {
  /** tiles: the page's Tiles; send(publisher, width, height) tells the SFU. */
  constructor(tiles, send) {
    this.tiles = tiles;
    this.send = send;
    this.sent = new Map(); // publisher -> height last told
    this.watched = new Set();
    this.timer = null;
    this.observer = typeof ResizeObserver === "function" ? new ResizeObserver(() => this.soon()) : null;
  }

  /** The tiles changed (added, removed, reordered, made large): watch the new ones, report soon. */
  update() {
    for (const [, tile] of this.tiles.byId) {
      const picture = tile.video.parentElement;
      if (picture && !this.watched.has(picture)) {
        this.watched.add(picture);
        this.observer?.observe(picture);
      }
    }
    for (const picture of [...this.watched]) {
      if (!picture.isConnected) {
        this.observer?.unobserve(picture);
        this.watched.delete(picture);
      }
    }
    this.soon();
  }

  soon() {
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => this.report(), DEBOUNCE_MS);
  }

  /** A fresh SFU participant knows no sizes: tell them all again. */
  reset() {
    this.sent.clear();
    this.soon();
  }

  stop() {
    window.clearTimeout(this.timer);
    this.observer?.disconnect();
    this.watched.clear();
    this.sent.clear();
  }

  report() {
    const tiles = this.tiles;
    const big = tiles.bigOne();
    const ratio = window.devicePixelRatio || 1;
    for (const [id, tile] of tiles.byId) {
      const box = tile.video.getBoundingClientRect();
      if (box.width < 1 || box.height < 1) continue; // not shown now
      let height = Math.round(box.height * ratio);
      const width = Math.min(MAX_SIDE, Math.max(1, Math.round(box.width * ratio)));
      if (id === tiles.pinned || id === tiles.spot) height = Math.max(height, TOP);
      else if (big !== null && id !== big) height = Math.min(height, THUMB_MAX);
      height = Math.min(MAX_SIDE, Math.max(1, height));
      if (this.sent.get(id) === height) continue;
      this.sent.set(id, height);
      this.send(id, width, height);
    }
  }
}
