"""Dataset readers (raw on-disk formats -> numpy examples) and MindRecord write/read."""
