"""Folium map building (no database, no request): presentation only.

Folium is told to use the Leaflet copy (and plugins) served from ``static/vendor`` instead
of its CDN defaults, so the portal makes no request outside its own host except for map
tiles, whose URL is configurable. The maps carry no appeal data: the public map loads it
per viewport from the JSON API (static/js/map.js); the appeal page's small map shows one
masked point.

Templates embed the parts of a map (``MapParts``): the ``<link>``/``<script>`` tags, the
map's ``<div>`` and the script that creates it, which also registers the Leaflet object as
``window.portalMaps[<element id>]`` for the portal's own JavaScript. That script is inline,
so templates write it with ``script_element(csp_nonce())``: the Content-Security-Policy
runs inline scripts only with the response's nonce (portal.security).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from branca.element import CssLink, JavascriptLink, MacroElement
from jinja2 import Template
from markupsafe import Markup

if TYPE_CHECKING:
    import folium

#: Vendored assets (paths under static/): Leaflet core and the heat-map plugin.
LEAFLET_JS = "vendor/leaflet/leaflet.js"
LEAFLET_CSS = "vendor/leaflet/leaflet.css"
HEAT_JS = "vendor/leaflet.heat/leaflet-heat.js"
#: Names the zoom buttons in the page's language (before any map is made).
CONTROLS_JS = "js/map-controls.js"


@dataclass(frozen=True)
class MapParts:
    """What a template needs to show a folium map inside a portal page."""

    element_id: str
    assets: Markup  # <link> and <script> tags of the vendored libraries
    html: Markup  # the map's <div>
    script: Markup  # the folium-generated script (inside a <script> element)

    def script_element(self, nonce: str) -> Markup:
        """The map's inline script with this response's CSP nonce (the policy refuses inline
        scripts without it)."""
        return Markup('<script nonce="{}">{}</script>').format(nonce, self.script)


class _Register(MacroElement):
    """Expose the Leaflet map to the portal's scripts as window.portalMaps[id]."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        window.portalMaps = window.portalMaps || {};
        window.portalMaps[{{ this._parent.get_name()|tojson }}] = {{ this._parent.get_name() }};
        {% endmacro %}"""
    )


class _MetricScale(MacroElement):
    """A scale bar in metres and kilometres only (folium's own shows feet and miles too)."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        L.control.scale({ metric: true, imperial: false }).addTo({{ this._parent.get_name() }});
        {% endmacro %}"""
    )


def _parts(m: folium.Map, element_id: str) -> MapParts:
    root = m.get_root()
    root.render()
    assets = "\n".join(
        child.render()
        for child in root.header._children.values()
        if isinstance(child, JavascriptLink | CssLink)
    )
    return MapParts(
        element_id=element_id,
        assets=Markup(assets),
        html=Markup(root.html.render()),
        script=Markup(root.script.render()),
    )


def _base_map(
    *,
    element_id: str,
    lat: float,
    lon: float,
    zoom: int,
    tile_url: str,
    attribution: str,
    static_url: Callable[[str], str],
    extra_js: tuple[str, ...] = (),
    **options,
) -> folium.Map:
    import folium  # here, not at import time: it loads pandas (~50 MB in every worker)

    m = folium.Map(
        location=[lat, lon],
        zoom_start=zoom,
        tiles=None,
        control_scale=False,  # _MetricScale instead: the portal's readers use metres
        **options,
    )
    m._id = element_id  # stable id: the page is identical whatever the data
    m._name = "map"
    m.default_js = [("leaflet", static_url(LEAFLET_JS)), ("controls", static_url(CONTROLS_JS))] + [
        (path, static_url(path)) for path in extra_js
    ]
    m.default_css = [("leaflet_css", static_url(LEAFLET_CSS))]
    tiles = folium.TileLayer(
        tiles=tile_url, attr=attribution, name="tiles", max_zoom=19, control=False
    )
    tiles._id = f"{element_id}_tiles"
    tiles.add_to(m)
    m.add_child(_MetricScale())
    m.add_child(_Register())
    return m


def viewport_map(
    *,
    lat: float,
    lon: float,
    zoom: int,
    tile_url: str,
    attribution: str,
    static_url: Callable[[str], str],
) -> MapParts:
    """The public map: tiles and controls only; map.js loads appeals per viewport."""
    m = _base_map(
        element_id="appeals",
        lat=lat,
        lon=lon,
        zoom=zoom,
        tile_url=tile_url,
        attribution=attribution,
        static_url=static_url,
        extra_js=(HEAT_JS,),
        prefer_canvas=True,
        min_zoom=3,
        max_zoom=19,
    )
    return _parts(m, m.get_name())


def location_map(
    *,
    lat: float,
    lon: float,
    precision_m: int | None,
    tile_url: str,
    attribution: str,
    static_url: Callable[[str], str],
) -> MapParts:
    """A small map of one masked location: a circle as wide as the published precision."""
    import folium

    m = _base_map(
        element_id="location",
        lat=lat,
        lon=lon,
        zoom=15,
        tile_url=tile_url,
        attribution=attribution,
        static_url=static_url,
        scroll_wheel_zoom=False,
    )
    folium.Circle(
        location=[lat, lon],
        radius=precision_m or 100,
        color="#0b6bcb",
        fill=True,
        fill_opacity=0.2,
    ).add_to(m)
    return _parts(m, m.get_name())
