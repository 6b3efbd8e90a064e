"""One module per toy experiment: ``Config`` -> ``run(config, seed)`` -> ``Result``."""
