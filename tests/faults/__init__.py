"""The fault matrix: the real CLI against broken inputs, killed runs and a failing Yahoo."""
