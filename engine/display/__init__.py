"""What the screen and the files show: uint8 mosaics of the maps, colour lookup tables and the
labelled side-by-side sheet."""
