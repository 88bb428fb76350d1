//! SVG plots (feature `plot`).
