// What every page shares (loaded by base.html). No inline handlers anywhere: the CSP forbids them.
(function () {
  "use strict";

  // The site menu folds behind the "Menu" button at phone width (the media query in css/app.css).
  // Without this script the menu stays open and wraps, so every link is reachable.
  var header = document.querySelector(".site-nav");
  var button = header && header.querySelector(".nav-toggle");
  if (button) {
    header.classList.add("collapsible");
    var setOpen = function (open) {
      header.classList.toggle("open", open);
      button.setAttribute("aria-expanded", String(open));
    };
    button.addEventListener("click", function () { setOpen(!header.classList.contains("open")); });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && header.classList.contains("open")) { setOpen(false); button.focus(); }
    });
  }

  // <select data-autosubmit> submits its form when changed (a <noscript> button does it otherwise).
  document.addEventListener("change", function (event) {
    if (event.target.matches("select[data-autosubmit]")) event.target.form.submit();
  });
})();
