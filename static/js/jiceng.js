// Unit tree: a branch's children load once (htmx); later clicks fold and unfold them.
document.addEventListener("click", function (event) {
  var button = event.target.closest(".tree-toggle[aria-controls]");
  if (!button || !button.dataset.loaded) return;
  var slot = document.getElementById(button.getAttribute("aria-controls"));
  var open = button.getAttribute("aria-expanded") === "true";
  slot.hidden = open;
  button.setAttribute("aria-expanded", open ? "false" : "true");
  button.querySelector("[aria-hidden]").textContent = open ? "▸" : "▾";
});
document.addEventListener("htmx:afterRequest", function (event) {
  var button = event.detail.elt;
  if (!button.classList || !button.classList.contains("tree-toggle")) return;
  button.dataset.loaded = "1";
  button.setAttribute("aria-expanded", "true");
  button.querySelector("[aria-hidden]").textContent = "▾";
});
// Response templates: choosing one fills the reply box, which stays editable.
document.addEventListener("change", function (event) {
  var select = event.target.closest("select[data-fill]");
  if (!select || !select.value) return;
  var target = document.querySelector(select.dataset.fill);
  if (target) { target.value = select.value; target.focus(); }
});
