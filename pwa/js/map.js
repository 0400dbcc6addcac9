// Every map the app draws, in one place: the tile source the team picked (its datum and attribution, from
// the server's team settings; OpenStreetMap before they are in), and the one rule for positions on it.
// Views hand this module stored positions (WGS-84) and get stored positions back: on a GCJ-02 source
// (高德, 腾讯) every marker, line and circle is converted for display through datum.js, and every tap and
// drag is converted back, so a position picked on the map is stored in WGS-84. No view calls L.marker,
// L.polyline or map.on("click") with a position of its own.
import { WGS84, fromWgs84, toWgs84 } from "./datum.js";
import { leaflet, markercluster } from "./lazy.js";
import { settings, teamSettings } from "./settings.js";
import { nextTask, position } from "./ui.js";

/** The tile source the team picked ({source, datum, url, overlay_url, attribution, subdomains, max_zoom}). */
export function tileSource() {
  const team = teamSettings()?.map;
  if (team?.url !== undefined && team?.datum) return team;
  const { map_tile_url: url, map_tile_attribution: attribution } = settings();
  return { source: "osm", datum: WGS84, url, overlay_url: "", attribution, subdomains: "", max_zoom: 18 };
}

/** A stored position as drawn on a map of `datum`: [lat, lng]. */
export function shown(lat, lng, datum) {
  const [x, y] = fromWgs84([lng, lat], datum);
  return [y, x];
}

/** A position on a map of `datum` ({lat, lng}, as Leaflet gives it) as stored: {lat, lng} in WGS-84. */
export function stored(latlng, datum) {
  const [lng, lat] = toWgs84([latlng.lng, latlng.lat], datum);
  return { lat, lng };
}

/** A Leaflet map with the team's tiles, speaking stored (WGS-84) positions to the views. */
export class FieldMap {
  constructor(element, options = {}) {
    const source = tileSource();
    this.source = source;
    this.datum = source.datum ?? WGS84;
    this.element = element;
    this.map = L.map(element, { attributionControl: true, zoomControl: true, ...options });
    this.map.attributionControl.setPrefix(false);
    // Tiles need the network or the service worker's cache; without either the markers still draw.
    const tiles = { maxZoom: source.max_zoom ?? 18, attribution: source.attribution,
                    ...(source.subdomains ? { subdomains: source.subdomains } : {}) };
    if (source.url) L.tileLayer(source.url, tiles).addTo(this.map);
    if (source.overlay_url) L.tileLayer(source.overlay_url, { ...tiles, attribution: "" }).addTo(this.map);
    element.dataset.tiles = source.source ?? "";
    element.dataset.datum = this.datum;
    element.fieldMap = this; // for the browser tests: the map and its conversions
  }

  /** A stored position as a Leaflet point on this map. */
  toMap(lat, lng) {
    return L.latLng(...shown(lat, lng, this.datum));
  }

  /** A point on this map (a tap, a dragged marker) as stored: {lat, lng} in WGS-84. */
  fromMap(latlng) {
    return stored(latlng, this.datum);
  }

  marker(lat, lng, options = {}) {
    const marker = L.marker(this.toMap(lat, lng), options);
    marker.stored = { lat, lng };
    return marker;
  }

  /** Put a marker at a stored position. */
  place(marker, lat, lng) {
    marker.stored = { lat, lng };
    marker.setLatLng(this.toMap(lat, lng));
  }

  circleMarker(lat, lng, options = {}) {
    return L.circleMarker(this.toMap(lat, lng), options);
  }

  circle(lat, lng, radius, options = {}) {
    return L.circle(this.toMap(lat, lng), { radius, ...options });
  }

  /** A line through stored positions ([lat, lng] each). */
  line(points, options = {}) {
    return L.polyline(points.map(([lat, lng]) => this.toMap(lat, lng)), options);
  }

  /** Show these stored positions ([lat, lng] each); `zoom` for a single one. */
  fit(points, { pad = 0.2, zoom = 15 } = {}) {
    if (!points.length) return;
    const shownPoints = points.map(([lat, lng]) => this.toMap(lat, lng));
    if (shownPoints.length === 1) this.map.setView(shownPoints[0], zoom);
    else this.map.fitBounds(L.latLngBounds(shownPoints).pad(pad));
  }

  /** `handler({lat, lng})` with the stored position of each tap on the map. */
  onTap(handler) {
    this.map.on("click", (event) => handler(this.fromMap(event.latlng)));
  }

  /** `handler({lat, lng})` with the stored position a draggable marker was dropped at. */
  onDrop(marker, handler) {
    marker.on("dragend", () => {
      marker.stored = this.fromMap(marker.getLatLng());
      handler(marker.stored);
    });
  }
}

/** A map in `element` once Leaflet has loaded (null when it cannot load, or there is no element). */
export async function fieldMap(element, options = {}) {
  if (!element || !(await leaflet())) return null;
  return new FieldMap(element, options);
}

/** The same, with leaflet.markercluster loaded (`L.markerClusterGroup`). */
export async function clusteredMap(element, options = {}) {
  if (!element || !(await markercluster())) return null;
  return new FieldMap(element, options);
}

const PIN = 44; // a stop's numbered marker: a whole tap target, its number inside it
const PINS_A_TASK = 4; // pins put on the map in one task
const NEAR = [[0, 0], [0, -1], [1, 0], [0, 1], [-1, 0], [1, -1], [1, 1], [-1, 1], [-1, -1]];

/** Numbered stop markers placed so that none covers another: a marker that would land on one already
 *  placed moves to the nearest free spot around its stop (a thin line keeps it tied to its stop). */
function placePins(map, pins) {
  const placed = [];
  for (const pin of pins) {
    const at = map.latLngToLayerPoint(pin.latlng);
    let shift = [0, 0];
    for (let ring = 0; ring < 6; ring += 1) {
      const free = NEAR.slice(ring ? 1 : 0).map(([x, y]) => [x * PIN * Math.max(ring, 1), y * PIN * Math.max(ring, 1)])
        .find(([x, y]) => placed.every((p) => Math.abs(p.x - (at.x + x)) >= PIN || Math.abs(p.y - (at.y + y)) >= PIN));
      if (free) {
        shift = free;
        break;
      }
    }
    placed.push({ x: at.x + shift[0], y: at.y + shift[1] });
    pin.marker.setIcon(L.divIcon({ className: "stop-pin", html: `<span>${pin.label}</span>`,
                                   iconSize: [PIN, PIN], iconAnchor: [PIN / 2 - shift[0], PIN / 2 - shift[1]] }));
    const moved = shift[0] || shift[1];
    if (moved) pin.tie.setLatLngs([pin.latlng, map.layerPointToLatLng([at.x + shift[0], at.y + shift[1]])]);
    else pin.tie.setLatLngs([]);
  }
}

/** A day on a map: the route line from where the plan starts (`start`, [lat, lng]: home, or where a
 *  re-plan from here and now was made), numbered stops that never cover each other, the name on tap.
 *  `points`: [{lat, lng, label, name}], stored positions. Returns the FieldMap (its `fitDay()` shows the day).
 *  Drawn in short tasks (the view and its tiles, the line, a few pins at a time): none keeps a tap waiting long. */
export async function drawRoute(element, start, points) {
  const fm = await fieldMap(element);
  if (!fm) return null;
  await nextTask();
  const { map } = fm;
  const line = [...(start ? [start] : []), ...points.map(({ lat, lng }) => [lat, lng])];
  if (start) element.dataset.start = start.join(",");
  fm.fitDay = () => fm.fit(line);
  fm.fitDay(); // the view, and with it the tiles
  await nextTask();
  if (start) {
    fm.circleMarker(...start, { radius: 7, color: "#0f766e", fillOpacity: 1, interactive: false, className: "route-start" }).addTo(map);
  }
  if (line.length) fm.line(line, { color: "#0f766e", weight: 4, interactive: false, className: "route-line" }).addTo(map);
  if (!points.length) return fm;
  await nextTask();
  // Each pin's icon made once, where it goes, before it is on the map.
  const pins = points.map(({ lat, lng, label, name }) => {
    // The name as text: Leaflet would read a string as HTML, and an account's name is anyone's typing.
    const words = Object.assign(document.createElement("span"), { textContent: name ?? label });
    const marker = fm.marker(lat, lng, { title: name ?? label, alt: name ?? label })
      .bindTooltip(words, { direction: "top", offset: [0, -PIN / 2] });
    const tie = L.polyline([], { color: "#0f766e", weight: 1, interactive: false });
    return { marker, tie, latlng: marker.getLatLng(), label };
  });
  placePins(map, pins);
  map.on("zoomend", () => placePins(map, pins));
  for (let i = 0; i < pins.length; i += PINS_A_TASK) {
    await nextTask();
    for (const { marker, tie } of pins.slice(i, i + PINS_A_TASK)) {
      marker.addTo(map);
      tie.addTo(map);
    }
  }
  return fm;
}

/** "You are here" on a map, when the phone's position is known and allowed; without permission nothing
 *  is asked or shown. */
export async function showHere(fm) {
  if (!fm) return;
  const state = await navigator.permissions?.query({ name: "geolocation" }).then((p) => p.state, () => null);
  if (state && state !== "granted") return;
  const here = await position(4000);
  if (!here || !fm.element.isConnected) return;
  fm.circleMarker(here.lat, here.lng, { radius: 8, color: "#fff", weight: 3, fillColor: "#2563eb", fillOpacity: 1,
                                        interactive: false, className: "you-are-here" }).addTo(fm.map);
  fm.circle(here.lat, here.lng, here.accuracy ?? 0, { color: "#2563eb", weight: 1, fillOpacity: 0.1, interactive: false })
    .addTo(fm.map);
  fm.element.dataset.here = `${here.lat},${here.lng}`;
}
