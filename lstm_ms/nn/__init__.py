"""MindSpore networks (nn.Cell); nothing here reads files."""
