// Shows a BPMN diagram (bpmn-js viewer) from a JSON endpoint {xml, active: [ids], counts: {id: n}}.
// The open activities are marked; with data-focus="active" the diagram opens zoomed to them (a
// real process fitted whole is unreadably small) and the buttons of #diagram-controls switch
// between the current position and the whole process, or zoom. Counts become badges.
// Progressive enhancement: the page works without it (the controls stay hidden).
(function () {
  'use strict';
  var container = document.getElementById('diagram');
  if (!container || !window.BpmnJS) { return; }
  var controls = document.getElementById('diagram-controls');
  var viewer = new window.BpmnJS({ container: container });
  var PADDING = 120;
  var MAX_SCALE = 1;

  function report(canvas, view) {
    container.setAttribute('data-view', view);
    container.setAttribute('data-scale', canvas.zoom().toFixed(3));
  }

  function focus(canvas, registry, ids) {
    var shapes = ids.map(function (id) { return registry.get(id); }).filter(function (s) { return s && s.width; });
    if (!shapes.length) { return false; }
    var minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    shapes.forEach(function (s) {
      minX = Math.min(minX, s.x); minY = Math.min(minY, s.y);
      maxX = Math.max(maxX, s.x + s.width); maxY = Math.max(maxY, s.y + s.height);
    });
    var size = canvas.getSize();
    var width = maxX - minX + 2 * PADDING, height = maxY - minY + 2 * PADDING;
    var scale = Math.min(MAX_SCALE, size.width / width, size.height / height);
    var cx = (minX + maxX) / 2, cy = (minY + maxY) / 2;
    canvas.viewbox({ x: cx - size.width / (2 * scale), y: cy - size.height / (2 * scale),
                     width: size.width / scale, height: size.height / scale });
    return true;
  }

  function whole(canvas) {
    canvas.zoom('fit-viewport', 'auto');
  }

  function wire(canvas, registry, active) {
    if (!controls) { return; }
    var actions = {
      'focus': function () { if (focus(canvas, registry, active)) { report(canvas, 'focus'); } },
      'whole': function () { whole(canvas); report(canvas, 'whole'); },
      'zoom-in': function () { canvas.zoom(canvas.zoom() * 1.25); report(canvas, 'zoomed'); },
      'zoom-out': function () { canvas.zoom(canvas.zoom() / 1.25); report(canvas, 'zoomed'); }
    };
    Array.prototype.forEach.call(controls.querySelectorAll('[data-action]'), function (button) {
      var action = actions[button.getAttribute('data-action')];
      if (button.getAttribute('data-action') === 'focus' && !active.length) { button.hidden = true; return; }
      button.addEventListener('click', action);
    });
    controls.hidden = false;
  }

  fetch(container.getAttribute('data-source'), { credentials: 'same-origin', headers: { 'Accept': 'application/json' } })
    .then(function (response) {
      if (!response.ok) { throw new Error('HTTP ' + response.status); }
      return response.json();
    })
    .then(function (data) {
      return viewer.importXML(data.xml).then(function () {
        var canvas = viewer.get('canvas');
        var overlays = viewer.get('overlays');
        var registry = viewer.get('elementRegistry');
        var active = data.active || [];
        active.forEach(function (id) {
          try { canvas.addMarker(id, 'highlight'); } catch (e) { /* element not drawn */ }
        });
        Object.keys(data.counts || {}).forEach(function (id) {
          var badge = document.createElement('span');
          badge.className = 'diagram-count';
          badge.textContent = String(data.counts[id]);
          badge.title = container.getAttribute('data-count-title') || '';
          try { overlays.add(id, { position: { top: -10, right: 10 }, html: badge }); } catch (e) { /* not drawn */ }
        });
        var waits = data.waits || {};
        var order = Object.keys(waits).sort(function (a, b) { return waits[a].seconds - waits[b].seconds; });
        order.forEach(function (id, index) {
          var heat = document.createElement('span');
          // heat level 1-4 by the activity's place among the process's mean waits (the text carries the value)
          heat.className = 'diagram-wait diagram-wait--' + String(1 + Math.floor(4 * index / Math.max(1, order.length)));
          heat.textContent = '\u00d8 ' + waits[id].mean;
          heat.title = container.getAttribute('data-wait-title') || '';
          try { overlays.add(id, { position: { bottom: 6, left: 4 }, html: heat }); } catch (e) { /* not drawn */ }
        });
        if (container.getAttribute('data-focus') === 'active' && focus(canvas, registry, active)) {
          report(canvas, 'focus');
        } else {
          whole(canvas);
          report(canvas, 'whole');
        }
        wire(canvas, registry, active);
        container.setAttribute('data-ready', 'true');
      });
    })
    .catch(function (error) {
      container.textContent = 'Das Diagramm konnte nicht geladen werden (' + error.message + ').';
      container.setAttribute('data-ready', 'error');
    });
}());
