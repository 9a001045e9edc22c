"""Training each variant separately: the synthetic and folder datasets and the train loop."""
