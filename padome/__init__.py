"""The assembly: the lifecycle, the web app and the `padome` command, above every feature."""
