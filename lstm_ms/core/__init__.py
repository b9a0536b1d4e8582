"""Framework-agnostic core: numpy (+ gensim, scikit-learn, jieba, yaml) only, never mindspore."""
