// The case list: "select all" ticks every case box of the page (bulk assignment).
(function () {
  function wire() {
    var all = document.getElementById("select-all");
    if (!all) { return; }
    all.addEventListener("change", function () {
      document.querySelectorAll('input[name="cases"]').forEach(function (box) { box.checked = all.checked; });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", wire);
  } else {
    wire();
  }
})();
