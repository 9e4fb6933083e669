// Shows a BPMN diagram (bpmn-js viewer) from a JSON endpoint {xml, active: [ids], counts: {id: n}}
// and highlights the open tasks. Progressive enhancement: the page works without it.
(function () {
  'use strict';
  var container = document.getElementById('diagram');
  if (!container || !window.BpmnJS) { return; }
  var viewer = new window.BpmnJS({ container: container });
  fetch(container.getAttribute('data-source'), { credentials: 'same-origin', headers: { 'Accept': 'application/json' } })
    .then(function (response) {
      if (!response.ok) { throw new Error('HTTP ' + response.status); }
      return response.json();
    })
    .then(function (data) {
      return viewer.importXML(data.xml).then(function () {
        var canvas = viewer.get('canvas');
        var overlays = viewer.get('overlays');
        canvas.zoom('fit-viewport');
        (data.active || []).forEach(function (id) {
          try { canvas.addMarker(id, 'highlight'); } catch (e) { /* element not drawn */ }
        });
        Object.keys(data.counts || {}).forEach(function (id) {
          var badge = document.createElement('span');
          badge.className = 'diagram-count';
          badge.textContent = String(data.counts[id]);
          try { overlays.add(id, { position: { top: -10, right: 10 }, html: badge }); } catch (e) { /* not drawn */ }
        });
        container.setAttribute('data-ready', 'true');
      });
    })
    .catch(function (error) {
      container.textContent = 'Das Diagramm konnte nicht geladen werden (' + error.message + ').';
      container.setAttribute('data-ready', 'error');
    });
}());
