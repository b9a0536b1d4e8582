"""MindSpore runtime: context/device, train loop, checkpoints, export."""
