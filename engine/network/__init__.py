"""The network and its variants: the forward trace, downsampling sites and rows, the
downsampling modules and the operator registry, the rewrite, loading (built-in networks, user
models, weights and checkpoints), circular padding, receptive-field geometry and cost."""
