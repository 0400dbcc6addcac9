// The territory map: the rep's accounts from the phone's copy (offline), clustered where they are dense,
// coloured by class or by overdue (the team's cadence), filtered as the account list is, with "you are
// here" when the phone may tell; a tap on an account opens it. Positions go through map.js (the datum).
import { t } from "../i18n.js";
import { clusteredMap, showHere } from "../map.js";
import { html, isOverdue } from "../ui.js";
import { regions, search } from "./accounts.js";

const COLOURS = ["class", "overdue"];
const PIN = 32;

function option(value, label, selected) {
  return html`<option value="${value}" ${selected ? html`selected` : ""}>${label}</option>`;
}

function pinClass(account, colour, now) {
  if (colour === "overdue") return isOverdue(account, now) ? "overdue" : "on-time";
  return `class-${["A", "B", "C"].includes(account.account_class) ? account.account_class : "other"}`;
}

export async function render(main, { query }) {
  const territoryRegions = await regions();
  const state = { q: query.get("q") ?? "", cls: query.get("class") ?? "", region: query.get("region") ?? "",
                  overdue: query.get("overdue") === "1",
                  colour: COLOURS.includes(query.get("colour")) ? query.get("colour") : "class" };
  main.innerHTML = html`
    <div class="row"><h1>${t("territory.title")}</h1>
      <a class="button secondary" style="flex:0 0 auto" href="#/accounts">${t("territory.list")}</a></div>
    <details id="map-filter-fold" class="card" ${state.q || state.cls || state.region || state.overdue ? html`open` : ""}>
    <summary>${t("territory.filters")}</summary>
    <form id="map-filters" role="search">
      <label for="q">${t("accounts.search")}</label>
      <input id="q" name="q" type="search" value="${state.q}" autocomplete="off" placeholder="${t("accounts.search_hint")}">
      <div class="row">
        <div><label for="class">${t("accounts.class")}</label>
          <select id="class" name="class">${[option("", t("accounts.any"), !state.cls),
            ...["A", "B", "C"].map((c) => option(c, c, state.cls === c))]}</select></div>
        <div><label for="region">${t("accounts.region")}</label>
          <select id="region" name="region">${[option("", t("accounts.any"), !state.region),
            ...territoryRegions.map((r) => option(r, r, state.region === r))]}</select></div>
        <div><label for="colour">${t("territory.colour")}</label>
          <select id="colour" name="colour">${COLOURS.map((c) => option(c, t(`territory.colour.${c}`), state.colour === c))}</select></div>
      </div>
      <label class="check"><input type="checkbox" id="overdue" name="overdue" ${state.overdue ? html`checked` : ""}>${t("accounts.overdue")}</label>
    </form></details>
    <p id="map-count" class="muted" aria-live="polite"></p>
    <div id="territory-map" class="map territory" role="application" aria-label="${t("territory.title")}"></div>
    <p class="muted legend" id="map-legend"></p>`;
  const form = main.querySelector("#map-filters");
  const element = main.querySelector("#territory-map");
  const fm = await clusteredMap(element);
  if (!fm) {
    main.querySelector("#map-count").textContent = t("territory.no_map");
    return;
  }
  const clusters = L.markerClusterGroup({ chunkedLoading: true, showCoverageOnHover: false, maxClusterRadius: 60,
                                                 disableClusteringAtZoom: 17 }); // street level: every account
  // One marker per account, made once and kept: a change of filter or colour only adds and removes them.
  const markers = new Map();
  const markerOf = (account) => {
    let marker = markers.get(account.id);
    if (!marker) {
      marker = fm.marker(account.latitude, account.longitude, { title: account.name, alt: account.name, keyboard: true });
      marker.on("click", () => { location.hash = `#/account/${account.id}`; });
      markers.set(account.id, marker);
    }
    return marker;
  };
  let fitted = false;
  const update = async () => {
    state.q = form.q.value;
    state.cls = form.class.value;
    state.region = form.region.value;
    state.overdue = form.overdue.checked;
    state.colour = form.colour.value;
    const now = new Date();
    const found = await search(state);
    const placed = found.filter((a) => a.latitude != null && a.longitude != null);
    const shown = placed.map((account) => {
      const marker = markerOf(account);
      marker.setIcon(L.divIcon({ className: `account-pin ${pinClass(account, state.colour, now)}`, iconSize: [PIN, PIN],
                                 html: `<span data-account="${account.id}"></span>` }));
      return marker;
    });
    element.dataset.ready = "";
    // The first view shows every account found (the clusters need a view before they take markers).
    if (!fitted) {
      fitted = true;
      if (placed.length) fm.fit(placed.map((a) => [a.latitude, a.longitude]), { pad: 0.05 });
      else fm.map.setView([31.2304, 121.4737], 11);
    }
    clusters.clearLayers();
    if (!fm.map.hasLayer(clusters)) fm.map.addLayer(clusters);
    await new Promise((resolve) => {
      if (!shown.length) resolve();
      // chunkedLoading hands the markers over in slices, the screen answering between them.
      clusters.options.chunkProgress = (done, total) => { if (done === total) resolve(); };
      clusters.addLayers(shown);
    });
    element.dataset.count = String(shown.length);
    element.dataset.ready = "1";
    main.querySelector("#map-count").textContent = t("territory.count", { shown: shown.length, total: found.length });
    main.querySelector("#map-legend").innerHTML = (state.colour === "overdue" ? ["overdue", "on-time"] : ["class-A", "class-B", "class-C"])
      .map((c) => html`<span class="account-pin ${c} key"></span> ${t(`territory.key.${c}`)}`).join(" ");
  };
  form.addEventListener("input", update);
  form.addEventListener("submit", (e) => e.preventDefault());
  await update();
  showHere(fm);
}
