/* The OCR review: each page image can be zoomed (buttons, Ctrl + wheel) and
   panned (drag, or the scroll bars); the boxes of the unsure words are
   placed in percent of the image, so they stay on their words at any zoom.
   Clicking an unsure word in the list zooms to its box. A sharper image is
   asked for once the zoom passes 1.5x. No inline script (CSP). */
(function () {
  "use strict";
  var STEPS = [1, 1.5, 2, 3, 4];
  document.querySelectorAll(".review-page").forEach(function (section) {
    var viewport = section.querySelector(".page-viewport");
    var sheet = section.querySelector(".page-image");
    var img = sheet && sheet.querySelector("img");
    if (!viewport || !img) { return; }
    var level = 0, sharp = false;
    var label = section.querySelector(".zoom-level");

    function apply(newLevel, focusX, focusY) {
      newLevel = Math.max(0, Math.min(STEPS.length - 1, newLevel));
      var before = STEPS[level], after = STEPS[newLevel];
      var fx = focusX === undefined ? viewport.clientWidth / 2 : focusX;
      var fy = focusY === undefined ? viewport.clientHeight / 2 : focusY;
      var px = (viewport.scrollLeft + fx) / before, py = (viewport.scrollTop + fy) / before;
      level = newLevel;
      sheet.style.width = (after * 100) + "%";
      viewport.scrollLeft = px * after - fx;
      viewport.scrollTop = py * after - fy;
      viewport.classList.toggle("zoomed", after > 1);
      if (label) { label.textContent = Math.round(after * 100) + " %"; }
      if (after > 1.5 && !sharp && img.dataset.sharp) { sharp = true; img.src = img.dataset.sharp; }
    }
    section.querySelectorAll("[data-zoom]").forEach(function (button) {
      button.addEventListener("click", function () {
        var how = button.dataset.zoom;
        // from the whole page, zoom into its top left (where a paper begins);
        // once zoomed, keep the middle of what is shown
        var top = STEPS[level] === 1 ? 0 : undefined;
        apply(how === "in" ? level + 1 : how === "out" ? level - 1 : 0, top, top);
      });
    });
    viewport.addEventListener("wheel", function (event) {
      if (!event.ctrlKey) { return; }
      event.preventDefault();
      var r = viewport.getBoundingClientRect();
      apply(level + (event.deltaY < 0 ? 1 : -1), event.clientX - r.left, event.clientY - r.top);
    }, {passive: false});
    var drag = null;
    viewport.addEventListener("pointerdown", function (event) {
      if (STEPS[level] <= 1 || event.button !== 0) { return; }
      drag = {x: event.clientX, y: event.clientY, left: viewport.scrollLeft, top: viewport.scrollTop};
      viewport.setPointerCapture(event.pointerId);
      viewport.classList.add("panning");
    });
    viewport.addEventListener("pointermove", function (event) {
      if (!drag) { return; }
      viewport.scrollLeft = drag.left - (event.clientX - drag.x);
      viewport.scrollTop = drag.top - (event.clientY - drag.y);
    });
    function stop() { drag = null; viewport.classList.remove("panning"); }
    viewport.addEventListener("pointerup", stop);
    viewport.addEventListener("pointercancel", stop);
    section.querySelectorAll("[data-box]").forEach(function (word) {
      word.addEventListener("click", function () {
        var box = sheet.querySelector("#" + word.dataset.box);
        if (!box) { return; }
        if (STEPS[level] < 2) { apply(2); }
        viewport.scrollLeft = box.offsetLeft - viewport.clientWidth / 2 + box.offsetWidth / 2;
        viewport.scrollTop = box.offsetTop - viewport.clientHeight / 2 + box.offsetHeight / 2;
        sheet.querySelectorAll(".lowconf.focus").forEach(function (b) { b.classList.remove("focus"); });
        box.classList.add("focus");
      });
    });
  });
})();
