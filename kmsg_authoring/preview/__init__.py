"""Template sources in (rebuilt on change), preview pages out: the server, the watcher, one-shot exports."""
