"""What goes to disk: exports of frames (PNG mosaics, sheet, .npz, JSON record) and the
CSV/JSON records and tables of measures and network facts."""
