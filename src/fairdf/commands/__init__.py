"""One module per `fairdf` sub-command (see fairdf.cli)."""
