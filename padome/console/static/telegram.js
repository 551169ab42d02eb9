// The Mini App's sign-in: Telegram passes its signed init data in the address's fragment
// (#tgWebAppData=...); the server checks the signature. No other script runs in the console.
(function () {
  var fragment = new URLSearchParams(window.location.hash.slice(1));
  var data = fragment.get("tgWebAppData");
  if (!data && window.Telegram && window.Telegram.WebApp) {
    data = window.Telegram.WebApp.initData;
  }
  if (data) {
    document.getElementById("init-data").value = data;
    document.getElementById("telegram-sign-in").submit();
  }
})();
