// Staff sign-in: the server sets an HttpOnly cookie; then go to the home that fits the role.
import { $, api, showError, errorText } from "./dom.js";

$("login-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const username = $("username").value.trim();
  const password = $("password").value;
  if (!username || !password) {
    showError("login-error", "Please fill in your username and password.");
    return;
  }
  showError("login-error", "");
  const resp = await api("POST", "/api/login", { username, password });
  if (resp.ok) window.location.assign("/");
  else showError("login-error", errorText(resp.body.error));
});
