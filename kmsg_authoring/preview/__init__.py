"""The live preview: pages, the server, the file watcher, one-shot previews for CI."""
