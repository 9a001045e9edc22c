"""Where frames come from: the frame contract, cameras, videos, images, the built-in patterns,
the registry that opens what a user names, and the step from a frame to the network's input."""
