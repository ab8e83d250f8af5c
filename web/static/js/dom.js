// Small DOM helpers shared by every page.

/** The element with this id. */
export const $ = (id) => document.getElementById(id);

/** A new element: el("button", {type: "button", onclick}, "text", child, ...). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "class") node.className = value;
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** Say something to screen-reader users through the page's polite live region. */
export function announce(text) {
  const region = $("announcer");
  if (!region) return;
  // Re-setting the text makes a repeated message heard again.
  region.textContent = "";
  window.setTimeout(() => { region.textContent = text; }, 50);
}

/** Show an error in words in an alert region (empty text clears it). */
export function showError(id, text) {
  const node = $(id);
  if (node) node.textContent = text || "";
}

/** Show one of the page's steps and hide the rest; focus its heading. */
export function showOnly(ids, shown) {
  for (const id of ids) {
    const node = $(id);
    if (node) node.hidden = id !== shown;
  }
  const heading = $(shown)?.querySelector("h1");
  if (heading) heading.focus();
}

/** fetch() a JSON API; returns {ok, status, body}; network failures become a message. */
export async function api(method, path, body, headers = {}) {
  const init = { method, headers: { ...headers }, credentials: "same-origin" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  try {
    const resp = await fetch(path, init);
    const data = await resp.json().catch(() => ({}));
    return { ok: resp.ok, status: resp.status, body: data };
  } catch {
    return { ok: false, status: 0, body: { error: { code: "network", message: "We could not reach the server. Please check your internet connection." } } };
  }
}

/** The words of an API or ack error. */
export function errorText(error) {
  return (error && error.message) || "Something went wrong. Please try again.";
}
