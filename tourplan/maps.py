"""Folium maps of the tour, with every asset served by the application itself.

No Flask here: the web layer passes the URL prefix of its static files and a
per-response nonce placeholder, and serves the returned HTML document (in an
iframe with its own Content-Security-Policy).  Why the departures from plain
folium:

* folium links Leaflet, jQuery, Bootstrap, Font Awesome and awesome-markers
  from CDNs: the server may have no internet access and a rural visitor pays
  for every byte, so the map links only the two libraries it uses (Leaflet and
  Leaflet.markercluster, vendored under ``web/static/vendor/``);
* folium's Popup needs jQuery and its Tooltip pastes the text unescaped into a
  JavaScript template literal: popups and tooltips are bound here by small
  elements that HTML-escape the text and embed it as escaped JSON;
* every ``<script>``/``<style>``/stylesheet tag gets a nonce, so the page runs
  under a CSP without ``'unsafe-inline'``;
* the document gets a language, a title and a zoomable viewport (folium's
  blocks zooming, an accessibility failure).
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import folium
from folium.plugins import MarkerCluster
from folium.template import Template

LEAFLET_DIR = "leaflet-1.9.4"
MARKERCLUSTER_DIR = "leaflet.markercluster-1.5.3"
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = (
    '&copy; <a href="https://www.openstreetmap.org/copyright" target="_blank" rel="noopener">'
    "les contributeurs d’OpenStreetMap</a>"
)
#: Above this many markers they are grouped into clusters (below it the
#: cluster library is not even loaded).
CLUSTER_THRESHOLD = 25
#: Placeholder the caller replaces by the response's nonce: the rendered map can
#: then be cached once and served with a fresh nonce each time.
NONCE_PLACEHOLDER = "__TOURPLAN_CSP_NONCE__"


class MapError(ValueError):
    """A point or route that cannot be drawn (says which and why)."""


@dataclass(frozen=True, slots=True)
class MapPoint:
    """A marker: plain texts (escaped here), a link to the page with details."""

    lat: float
    lon: float
    title: str
    lines: tuple[str, ...] = ()
    url: str = ""
    link_text: str = "Voir le détail"
    #: A numbered pin in ``color`` (``#rrggbb``) instead of Leaflet's blue marker.
    number: int | None = None
    color: str = ""
    #: A depot: a square pin in ``color``.
    depot: bool = False
    #: The point's name for the page around the map (``tourplan:select`` messages).
    key: str = ""


@dataclass(frozen=True, slots=True)
class MapRoute:
    """A day's route of one van, in visiting order (depot first and last if wanted)."""

    points: tuple[tuple[float, float], ...]
    label: str = ""
    color: str = "#1d4ed8"


@dataclass(frozen=True, slots=True)
class MapOptions:
    static_prefix: str = "/static/vendor"
    tiles: bool = True
    lang: str = "fr"
    title: str = "Carte de la tournée"
    center: tuple[float, float] = (46.6, 2.5)  # France, when there is nothing to show
    zoom: int = 6
    cluster_threshold: int = CLUSTER_THRESHOLD
    extra_css: tuple[str, ...] = field(default=())
    #: The key of the point shown selected (popup open) when the map opens.
    selected: str = ""


def _local_map_class(prefix: str) -> type[folium.Map]:
    leaflet = f"{prefix}/{LEAFLET_DIR}"

    class LocalMap(folium.Map):
        default_js = [("leaflet", f"{leaflet}/leaflet.js")]
        default_css = [("leaflet_css", f"{leaflet}/leaflet.css")]

    return LocalMap


def _local_cluster_class(prefix: str) -> type[MarkerCluster]:
    base = f"{prefix}/{MARKERCLUSTER_DIR}"

    class LocalMarkerCluster(MarkerCluster):
        default_js = [("markerclusterjs", f"{base}/leaflet.markercluster.js")]
        default_css = [
            ("markerclustercss", f"{base}/MarkerCluster.css"),
            ("markerclusterdefaultcss", f"{base}/MarkerCluster.Default.css"),
        ]

    return LocalMarkerCluster


class _Bind(folium.MacroElement):
    """``layer.bindPopup(html)`` / ``bindTooltip(html)`` with the HTML passed as
    escaped JSON (``tojson`` turns ``<``, ``>``, ``&``, ``'`` into ``\\uXXXX``)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.{{ this.method }}({{ this.content|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, method: str, content: str) -> None:
        super().__init__()
        self._name = "Bind"
        self.method = method
        self.content = content


def popup_html(point: MapPoint) -> str:
    """The popup's HTML: every text escaped; the link opens in the whole window
    (the map lives in an iframe)."""
    parts = [f"<strong>{html.escape(point.title)}</strong>"]
    parts.extend(html.escape(line) for line in point.lines)
    if point.url:
        parts.append(f'<a href="{html.escape(point.url)}" target="_top">{html.escape(point.link_text)}</a>')
    return "<br>".join(parts)


def _check_coords(lat: float, lon: float, what: str) -> None:
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise MapError(f"{what}: coordinates ({lat}, {lon}) are outside the globe")


def build_map(points: Sequence[MapPoint], routes: Sequence[MapRoute] = (), options: MapOptions | None = None,
              nonce: str = NONCE_PLACEHOLDER) -> str:
    """A whole HTML document showing ``points`` (clustered when many) and
    ``routes`` as lines, linking only local assets."""
    opt = options or MapOptions()
    for p in points:
        _check_coords(p.lat, p.lon, f"point {p.title!r}")
    for r in routes:
        for lat, lon in r.points:
            _check_coords(lat, lon, f"route {r.label!r}")
    # tiles=None: folium would otherwise add OSM without our French attribution.
    fmap = _local_map_class(opt.static_prefix)(location=list(opt.center), zoom_start=opt.zoom, tiles=None,
                                               control_scale=True, prefer_canvas=False)
    if opt.tiles:
        folium.TileLayer(tiles=OSM_TILES, attr=OSM_ATTRIBUTION, name="OpenStreetMap", max_zoom=19).add_to(fmap)
    layer: folium.MacroElement = fmap
    if len(points) > opt.cluster_threshold:
        layer = _local_cluster_class(opt.static_prefix)(name="Visites").add_to(fmap)
    bounds = _add_markers(layer, points, opt.selected) + _add_routes(fmap, routes)
    if len(bounds) > 1:
        fmap.fit_bounds(bounds, padding=(20, 20), max_zoom=13)
    elif bounds:
        fmap.location = bounds[0]
        fmap.zoom_start = 12
    pin_colors = [p.color for p in points if (p.number is not None or p.depot) and p.color]
    if any(p.number is not None or p.depot for p in points):
        pin_colors.append("#1b1b1b")
    return _finish(fmap.get_root().render(), opt, nonce, pin_colors)


_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


def _pin_class(p: MapPoint) -> str:
    return "tp-c" + p.color[1:].lower() if p.color else "tp-c"


def _pin_icon(p: MapPoint) -> folium.DivIcon:
    """A numbered (or depot) pin: classes only (the CSP allows no style attribute), the
    colours in the document's nonce'd style; the text inside names the stop for screen
    readers (the icon is the focusable element)."""
    if p.color and not _COLOR.fullmatch(p.color):
        raise MapError(f"point {p.title!r}: colour {p.color!r} is not #rrggbb")
    label = "D" if p.depot else str(p.number)
    inner = f'{html.escape(label)}<span class="tp-vh"> {html.escape(p.title)}</span>'
    kind = "tp-depot" if p.depot else "tp-pin"
    return folium.DivIcon(html=inner, class_name=f"{kind} {_pin_class(p)}", icon_size=(26, 26),
                          icon_anchor=(13, 13), popup_anchor=(0, -12))


def _add_markers(layer: folium.MacroElement, points: Sequence[MapPoint], selected: str = "") -> list[list[float]]:
    keyed: dict[str, str] = {}
    for p in points:
        custom = p.number is not None or p.depot
        # alt/title: what screen readers announce on the focusable marker.
        marker = folium.Marker([p.lat, p.lon], alt=p.title, title=p.title, keyboard=True,
                               icon=_pin_icon(p) if custom else None)
        marker.add_child(_Bind("bindPopup", popup_html(p)))
        marker.add_to(layer)
        if p.key:
            keyed[p.key] = marker.get_name()
    if keyed:
        _Selection(keyed, selected).add_to(layer)
    return [[p.lat, p.lon] for p in points]


class _Selection(folium.MacroElement):
    """Keeps the map and the page around it on the same stop: a pin clicked or opened
    posts ``{tourplan: "select", key}`` to the parent page (same origin only); the
    parent posts the same to open a pin's popup. The selected point opens at load."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var markers = { {%- for key, name in this.keyed.items() -%}
                {{ key|tojson }}: {{ name }}{{ "," if not loop.last }}
            {%- endfor -%} };
            var origin = window.location.origin;
            var selected = {{ this.selected|tojson }};
            Object.keys(markers).forEach(function (key) {
                markers[key].on("popupopen", function () {
                    if (window.parent !== window) {
                        window.parent.postMessage({tourplan: "select", key: key}, origin);
                    }
                });
            });
            window.addEventListener("message", function (event) {
                var data = event.data || {};
                if (event.origin !== origin || data.tourplan !== "select" || !markers[data.key]) { return; }
                var m = markers[data.key];
                if (!m.isPopupOpen()) { m.openPopup(); }
            });
            if (markers[selected]) { markers[selected].openPopup(); }
        })();
        {% endmacro %}
        """
    )

    def __init__(self, keyed: dict[str, str], selected: str = "") -> None:
        super().__init__()
        self._name = "Selection"
        self.keyed = keyed
        self.selected = selected


def _add_routes(fmap: folium.Map, routes: Sequence[MapRoute]) -> list[list[float]]:
    bounds: list[list[float]] = []
    for r in routes:
        if len(r.points) < 2:
            continue
        line = folium.PolyLine([list(pt) for pt in r.points], color=r.color, weight=4, opacity=0.8)
        if r.label:
            line.add_child(_Bind("bindTooltip", html.escape(r.label)))
        line.add_to(fmap)
        bounds.extend([lat, lon] for lat, lon in r.points)
    return bounds


_VIEWPORT = re.compile(r'<meta name="viewport"[^>]*/>', re.S)


def _pin_css(colors: Sequence[str]) -> str:
    if not colors:
        return ""
    css = (".tp-pin,.tp-depot{display:flex;align-items:center;justify-content:center;color:#fff;"
           "font:700 14px/1 system-ui,sans-serif;border:2px solid #fff;box-shadow:0 0 0 1px #1b1b1b}"
           ".tp-pin{border-radius:50%}.tp-depot{border-radius:3px}"
           ".tp-pin:focus,.tp-depot:focus{outline:3px solid #1b1b1b;outline-offset:1px}")
    for c in sorted(set(colors)):
        css += f".tp-c{c[1:].lower()}{{background:{c}}}"
    return css + ".tp-c{background:#1b1b1b}"


def _finish(page: str, opt: MapOptions, nonce: str, pin_colors: Sequence[str] = ()) -> str:
    """Fix what folium's document lacks (language, title, zoomable viewport) and
    put the nonce on every script and style.  Each step must find its target,
    so a folium upgrade that changes the markup fails loudly in the tests."""
    if not re.fullmatch(r"[A-Za-z0-9_+/=-]+", nonce):
        raise MapError("nonce must be a base64/identifier token")
    lang = html.escape(opt.lang, quote=True)
    page, n = re.subn(r"<html>", f'<html lang="{lang}">', page, count=1)
    page, v = _VIEWPORT.subn('<meta name="viewport" content="width=device-width, initial-scale=1">', page, count=1)
    title = html.escape(opt.title)
    head = f"<title>{title}</title>"
    # The frame is a document of its own: it needs a main landmark holding the
    # map (and Leaflet's controls) and a heading, hidden but read out.
    head += ("<style>main{height:100%}.tp-vh{position:absolute;width:1px;height:1px;overflow:hidden;"
             "clip:rect(0,0,0,0);white-space:nowrap}" + _pin_css(pin_colors) + "</style>")
    head += "".join(f'<link rel="stylesheet" href="{html.escape(href)}"/>' for href in opt.extra_css)
    page, h = re.subn(r"<head>", "<head>\n    " + head, page, count=1)
    page, b = re.subn(r"<body>", f'<body>\n<main>\n<h1 class="tp-vh">{title}</h1>', page, count=1)
    page, e = re.subn(r"</body>", "</main>\n</body>", page, count=1)
    if not (n and v and h and b and e):
        raise MapError("folium's page layout changed: cannot add lang/title/viewport/landmark")
    if "https://cdn" in page or "code.jquery.com" in page or "cdnjs" in page:
        raise MapError("the map still links a CDN asset")
    page = page.replace("<script>", f'<script nonce="{nonce}">')
    page = page.replace("<script src=", f'<script nonce="{nonce}" src=')
    page = page.replace("<style>", f'<style nonce="{nonce}">')
    page = page.replace('<link rel="stylesheet" href=', f'<link rel="stylesheet" nonce="{nonce}" href=')
    return page


__all__ = [
    "CLUSTER_THRESHOLD",
    "MapError",
    "MapOptions",
    "MapPoint",
    "MapRoute",
    "NONCE_PLACEHOLDER",
    "OSM_ATTRIBUTION",
    "build_map",
    "popup_html",
]
