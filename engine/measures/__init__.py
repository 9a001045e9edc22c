"""Measures of shift (in)variance, aliasing and cost: pure metric functions, the metric
catalogue, the live meter, site taps, on-demand probes and the throttle that spaces them out."""
