// The payment return page while the booking is under way: ask for the status every 2 seconds
// (for at most 2 minutes) and show the page anew once the status changed. Without JavaScript
// the page's link "Stand erneut abrufen" does the same.
(function () {
  'use strict';
  var box = document.getElementById('payment-pending');
  if (!box) { return; }
  var tries = 60;
  function ask() {
    if (tries-- <= 0) { return; }
    fetch(box.getAttribute('data-source'), { credentials: 'same-origin', headers: { 'Accept': 'application/json' } })
      .then(function (response) { return response.ok ? response.json() : { status: 'INITIAL' }; })
      .then(function (data) {
        if (data.status && data.status !== 'INITIAL') {
          window.location.replace(box.getAttribute('data-next'));
        } else {
          window.setTimeout(ask, 2000);
        }
      })
      .catch(function () { window.setTimeout(ask, 2000); });
  }
  window.setTimeout(ask, 2000);
}());
