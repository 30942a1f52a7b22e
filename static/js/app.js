// pwposts: confirmation before irreversible steps; nothing else, no external scripts.
document.addEventListener("submit", function (ev) {
  var btn = ev.submitter || ev.target.querySelector("[data-confirm]");
  var msg = (btn && btn.getAttribute("data-confirm")) || ev.target.getAttribute("data-confirm");
  if (msg && !window.confirm(msg)) { ev.preventDefault(); }
});
