"""Clustering a map view's locations: counts per square screen cell, then cells whose
centres lie closer than a cluster's width on screen merged (portal.queries.map)."""

from __future__ import annotations

import math

import numpy as np

from portal.queries.map_index import (
    MARKER_CLASSES,
    PIXEL_BITS,
    PointIndex,
    inverse_mercator,
    mercator,
)

#: Cluster cell size in screen pixels, and hot-spot cell size.
CLUSTER_CELL_PX = 64
HEAT_CELL_PX = 32


def cluster_cells(index: PointIndex, locations: np.ndarray, by_class: np.ndarray, zoom: int):
    """Clusters of the given locations (each holding at least one appeal) with their
    appeals per marker class: counts, centres (lat, lon) and counts per class."""
    counts = by_class.sum(axis=1)
    n, lat, lon, keys, occupied = grid(index, locations, counts, zoom, CLUSTER_CELL_PX)
    cells = int(keys.max()) + 1 if keys.size else 0
    per_class = np.stack(
        [
            np.bincount(keys, weights=by_class[:, c], minlength=cells)[occupied]
            for c in range(len(MARKER_CLASSES))
        ],
        axis=1,
    ).astype(np.int64)
    return merge_close(n, lat, lon, per_class, zoom)


def grid(index: PointIndex, locations: np.ndarray, counts: np.ndarray, zoom: int, cell_px: int):
    """Group locations into square screen cells of ``cell_px`` (a power of two) pixels.

    Returns the occupied cells' appeal counts, their count-weighted centres (lat, lon) and
    the cell number of every given location.
    """
    shift = np.uint32(max(PIXEL_BITS - (8 + zoom - int(math.log2(cell_px))), 0))
    if locations.size == 0:
        empty = np.zeros(0)
        return empty.astype(np.int64), empty, empty, np.zeros(0, dtype=np.int64), 0
    gx = (index.loc_px[locations] >> shift).astype(np.int64)
    gy = (index.loc_py[locations] >> shift).astype(np.int64)
    gx -= gx.min()
    gy -= gy.min()
    width = int(gx.max()) + 1
    keys = gy * width + gx
    cells = width * (int(gy.max()) + 1)
    if cells > 4_000_000:
        unique, keys = np.unique(keys, return_inverse=True)
        cells = int(unique.size)
    weights = counts.astype(np.float64)
    per_cell = np.bincount(keys, weights=weights, minlength=cells)
    occupied = np.flatnonzero(per_cell)
    n = per_cell[occupied]
    sum_x = np.bincount(keys, weights=index.loc_px[locations] * weights, minlength=cells)
    sum_y = np.bincount(keys, weights=index.loc_py[locations] * weights, minlength=cells)
    scale = float(2**PIXEL_BITS)
    lat, lon = inverse_mercator(x=sum_x[occupied] / n / scale, y=sum_y[occupied] / n / scale)
    return n.astype(np.int64), lat, lon, keys, occupied


def merge_close(n, lat, lon, per_class, zoom: int):
    """Merge grid cells whose centres lie closer than a cluster's width on screen.

    The grid only gathers; where a cluster is drawn is the mean of its points. Without this
    step neighbouring cells of an evenly spread city show as a regular lattice of clusters.
    The biggest cell takes its close neighbours first (greedy, deterministic); merged
    centres move, so it repeats until no two clusters are that close.
    """
    x, y = mercator(lat=lat, lon=lon)
    size = 256.0 * 2.0**zoom  # the world's width in screen pixels at this zoom
    x, y, counts = x * size, y * size, n.astype(np.float64)
    classes = per_class.astype(np.float64)
    while counts.size > 1:
        labels = greedy_labels(x, y, counts, float(CLUSTER_CELL_PX))
        groups, members = np.unique(labels, return_inverse=True)
        if groups.size == counts.size:
            break
        total = np.bincount(members, weights=counts)
        x = np.bincount(members, weights=x * counts) / total
        y = np.bincount(members, weights=y * counts) / total
        classes = np.stack(
            [np.bincount(members, weights=classes[:, c]) for c in range(classes.shape[1])],
            axis=1,
        )
        counts = total
    lat, lon = inverse_mercator(x=x / size, y=y / size)
    return counts.astype(np.int64), lat, lon, classes.astype(np.int64)


def greedy_labels(x: np.ndarray, y: np.ndarray, n: np.ndarray, radius: float) -> np.ndarray:
    """For every centre, the index of the (bigger) centre within ``radius`` that took it."""
    bx = np.floor(x / radius).astype(np.int64).tolist()
    by = np.floor(y / radius).astype(np.int64).tolist()
    buckets: dict[tuple[int, int], list[int]] = {}
    for i, key in enumerate(zip(bx, by, strict=True)):
        buckets.setdefault(key, []).append(i)
    xs, ys = x.tolist(), y.tolist()  # Python floats: the loop reads them one by one
    labels = [-1] * len(xs)
    limit = radius * radius
    for i in np.argsort(-n, kind="stable").tolist():
        if labels[i] >= 0:
            continue
        labels[i] = i
        xi, yi = xs[i], ys[i]
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for j in buckets.get((bx[i] + dx, by[i] + dy), ()):
                    if labels[j] < 0 and (xs[j] - xi) ** 2 + (ys[j] - yi) ** 2 < limit:
                        labels[j] = i
    return np.array(labels, dtype=np.int64)
