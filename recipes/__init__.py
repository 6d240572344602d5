"""Optional recipes for ncasr (not part of the installed package)."""
