/* A paper's page: while its OCR job runs, poll the job's status (the URL is
   in the data-status-url attribute of #ocr) and move the progress bar;
   reload the page when the job ends. Loaded with <script src> (the
   Content-Security-Policy allows no inline script). */
(function () {
  "use strict";
  var box = document.getElementById("ocr");
  if (!box || !box.dataset.statusUrl) { return; }
  var bar = box.querySelector("progress"), count = box.querySelector(".ocr-count");
  if (!bar) { return; }
  function poll() {
    fetch(box.dataset.statusUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (s) {
        if (s.pages_total) { bar.max = s.pages_total; }
        bar.value = s.pages_done || 0;
        if (count) { count.textContent = (s.pages_done || 0) + "/" + (s.pages_total || "?"); }
        if (s.state === "done" || s.state === "failed") { window.location.reload(); } else { setTimeout(poll, 1000); }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 1000);
})();
