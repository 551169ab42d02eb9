// A page that follows something under way (a message going out) reloads itself after the
// seconds its <meta name="padome-refresh"> gives; without script the page's link updates it.
(function () {
  var meta = document.querySelector('meta[name="padome-refresh"]');
  var seconds = meta ? parseInt(meta.getAttribute("content"), 10) : 0;
  if (seconds > 0) {
    setTimeout(function () { window.location.reload(); }, seconds * 1000);
  }
})();
