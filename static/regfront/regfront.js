// regfront: progressive enhancement only; every page works without this file.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // Copy buttons: <button data-copy="input-id" hidden> next to a read-only input.
  for (const button of document.querySelectorAll("button[data-copy]")) {
    const source = document.getElementById(button.dataset.copy);
    if (!source) continue;
    button.hidden = false;
    button.addEventListener("click", async () => {
      const status = document.querySelector(".copy-status");
      try {
        await navigator.clipboard.writeText(source.value);
        if (status) status.textContent = "Copied: " + source.value;
      } catch (error) {
        source.select();  // clipboard blocked (e.g. plain http): leave it selected to copy by hand
        if (status) status.textContent = "Press Ctrl+C to copy.";
      }
    });
  }
  // Sort choice applies at once.
  const sort = document.getElementById("sort");
  if (sort && sort.form) sort.addEventListener("change", () => sort.form.submit());
});
