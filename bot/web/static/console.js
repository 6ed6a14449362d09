// The editors' console: a little progressive enhancement, no build step. Every page works
// without it; with it, the entry form is checked as you type (the same validator as a save)
// and the Telegram preview follows the draft.
"use strict";
(function () {
  const form = document.getElementById("entry-form");
  if (!form) return;
  const status = document.getElementById("check-status");
  const preview = document.getElementById("preview");
  let timer = null;
  let running = null;

  function show(fields) {
    form.querySelectorAll("ul.problems").forEach(function (list) {
      const found = fields[list.dataset.for] || [];
      list.replaceChildren();
      found.forEach(function (p) {
        const item = document.createElement("li");
        item.className = p.level;
        item.textContent = p.message;
        list.appendChild(item);
      });
      const field = list.closest(".field");
      if (field) field.classList.toggle("has-error", found.some(function (p) { return p.level === "error"; }));
    });
  }

  async function check() {
    if (running) running.abort();
    running = new AbortController();
    const data = new FormData(form);
    data.delete("action");
    try {
      const response = await fetch(form.dataset.check, {
        method: "POST", body: new URLSearchParams(data), signal: running.signal,
        headers: { "X-CSRF-Token": data.get("csrf") }, credentials: "same-origin",
      });
      if (!response.ok) return;
      const result = await response.json();
      show(result.fields);
      preview.innerHTML = result.preview;  // rendered and escaped by the server
      status.textContent = result.errors ? status.dataset.bad || "" : "";
    } catch (e) {
      if (e.name !== "AbortError") throw e;
    }
  }

  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(check, 400);
  });
  form.addEventListener("change", function () {
    clearTimeout(timer);
    timer = setTimeout(check, 100);
  });
  form.querySelectorAll("ul.problems").forEach(function (list) {
    const field = list.closest(".field");
    if (field && list.querySelector("li.error")) field.classList.add("has-error");
  });

  const add = document.getElementById("add-source");
  if (add) {
    add.addEventListener("click", function () {
      const rows = document.getElementById("source-rows");
      const last = rows.lastElementChild;
      const copy = last.cloneNode(true);
      copy.querySelectorAll("input").forEach(function (input) { input.value = ""; });
      copy.querySelectorAll("select").forEach(function (select) { select.selectedIndex = 0; });
      rows.appendChild(copy);
      copy.querySelector("input").focus();
    });
  }
})();
